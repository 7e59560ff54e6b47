"""gioselect.io on CSV/TSV files as pandas writes them: headers, the index column, named columns."""

import numpy as np
import pytest

from gioselect.io import load_input, load_matrix

pd = pytest.importorskip("pandas")

X = np.random.default_rng(0).normal(size=(12, 3))


def csv(tmp_path, text, name="a.csv"):
    (tmp_path / name).write_text(text)
    return tmp_path / name


@pytest.mark.parametrize("header", ["", "Unnamed: 0"])
@pytest.mark.parametrize("index", [range(12), range(5, 41, 3)], ids=["0..n-1", "increasing"])
def test_unnamed_increasing_integer_first_column_is_dropped(tmp_path, header, index):
    df = pd.DataFrame(X, index=list(index), columns=["a", "b", "c"])
    df.to_csv(tmp_path / "a.csv", index_label=header or None)
    read = load_input(tmp_path / "a.csv")
    np.testing.assert_array_equal(read.values, X)
    assert read.index_dropped is True and read.values.flags.c_contiguous


@pytest.mark.parametrize("case", ["named", "not increasing", "not integers", "no header"])
def test_other_first_columns_are_kept(tmp_path, case):
    first = {"named": np.arange(12), "not increasing": np.arange(12)[::-1], "not integers": np.arange(12) + 0.5,
             "no header": np.arange(12)}[case]
    df = pd.DataFrame(np.column_stack([first, X]), columns=["id" if case == "named" else "", "a", "b", "c"])
    df.to_csv(tmp_path / "a.csv", index=False, header=case != "no header")
    read = load_input(tmp_path / "a.csv")
    np.testing.assert_array_equal(read.values, np.column_stack([first, X]))
    assert read.index_dropped is (None if case == "no header" else False)


def test_index_col_none_and_0(tmp_path):
    pd.DataFrame(X).to_csv(tmp_path / "a.csv")
    np.testing.assert_array_equal(load_matrix(tmp_path / "a.csv", index_col="none"),
                                  np.column_stack([np.arange(12), X]))
    pd.DataFrame(X).to_csv(tmp_path / "b.csv", index=False, header=False)
    np.testing.assert_array_equal(load_matrix(tmp_path / "b.csv", index_col="0"), X[:, 1:])
    pd.DataFrame(X[:, :1]).to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(ValueError, match="single column"):
        load_matrix(tmp_path / "c.csv", index_col="0")


def test_a_header_of_default_column_names_is_a_header(tmp_path):
    pd.DataFrame(X).to_csv(tmp_path / "a.csv", index=False)
    np.testing.assert_array_equal(load_matrix(tmp_path / "a.csv"), X)
    # numbers that are not exactly 0..d-1 are data
    path = csv(tmp_path, "0,1,3\n4,5,6\n", "b.csv")
    np.testing.assert_array_equal(load_matrix(path), [[0, 1, 3], [4, 5, 6]])


def test_blank_lines_before_the_header(tmp_path):
    path = csv(tmp_path, "\n  \n\"a\",b\n1,2\n\n3,4\n")
    np.testing.assert_array_equal(load_matrix(path), [[1, 2], [3, 4]])
    path = csv(tmp_path, "\n\n1,2\n3,4\n", "b.csv")
    np.testing.assert_array_equal(load_matrix(path), [[1, 2], [3, 4]])


def test_columns_by_name_in_order(tmp_path):
    pd.DataFrame(X, columns=["x", "y", "z"]).to_csv(tmp_path / "a.csv")
    np.testing.assert_array_equal(load_matrix(tmp_path / "a.csv", columns=["z", "x"]), X[:, [2, 0]])
    with pytest.raises(ValueError, match=r"no column\(s\) 'w'; its columns: '', 'x', 'y', 'z'"):
        load_matrix(tmp_path / "a.csv", columns=["x", "w"])
    with pytest.raises(ValueError, match="more than once"):
        load_matrix(tmp_path / "a.csv", columns=["x", "x"])


def test_parquet_skips_the_index_pandas_stores(tmp_path):
    pytest.importorskip("pyarrow")
    df = pd.DataFrame(X, columns=["x", "y", "z"]).iloc[[3, 1, 2, 0]]  # not a range: stored as a column
    df.to_parquet(tmp_path / "a.parquet")
    np.testing.assert_array_equal(load_matrix(tmp_path / "a.parquet"), X[[3, 1, 2, 0]])
    np.testing.assert_array_equal(load_matrix(tmp_path / "a.parquet", columns=["z", "y"]), X[[3, 1, 2, 0]][:, [2, 1]])
