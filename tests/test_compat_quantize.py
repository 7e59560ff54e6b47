"""GIOKL's quantization-explosion methods (readers, quantize, explode) against grad-info-opt's flow."""

import logging

import numpy as np
import pytest

from gioselect.compat import GIOKL, KMeansModel

pd = pytest.importorskip("pandas")


def write_reference_csv(path, a, sep="\t"):
    """grad-info-opt's format: no header, id, text, then the vector as "[v1, v2, ...]"."""
    quote = '"' if sep == "," else ""
    with open(path, "w") as f:
        for i, row in enumerate(a):
            f.write(f"id{i}{sep}text {i}{sep}{quote}[{', '.join(repr(float(v)) for v in row)}]{quote}\n")


def blobs(n, d, shift, seed):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(6, d)) * 4
    return centres[rng.integers(0, 6, size=n)] + rng.normal(size=(n, d)) + shift


def frame(a):
    return pd.DataFrame({"name": [f"r{i}" for i in range(len(a))], "features": list(a)})


@pytest.mark.parametrize("sep", ["\t", ","])
def test_csv_reader_names_columns_like_spark_and_parses_vectors(tmp_path, sep):
    train, target = blobs(7, 3, 0, 1), blobs(4, 3, 1, 2)
    write_reference_csv(tmp_path / "train.tsv", train, sep)
    write_reference_csv(tmp_path / "target.tsv", target, sep)
    with open(tmp_path / "train.tsv", "a") as f:
        f.write("\n")  # a trailing blank line is skipped
    df_train, df_X = GIOKL().read_data_from_csv(tmp_path / "train.tsv", tmp_path / "target.tsv", delim=sep)

    assert list(df_train.columns) == ["_c0", "_c1", "_c2", "features"]
    assert df_train["_c0"].tolist() == [f"id{i}" for i in range(7)]
    assert df_train["_c1"].iloc[3] == "text 3"
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float64 and v.shape == (3,) for v in df_train["features"])
    np.testing.assert_array_equal(np.vstack(df_train["features"]), train)  # repr round-trips exactly
    np.testing.assert_array_equal(np.vstack(df_X["features"]), target)


@pytest.mark.parametrize("bad_line, words", [
    ("id1\ttext\t[0.5, oops, 1]\n", ["line 2", "oops"]),
    ("id1\ttext\t0.5, 1, 2\n", ["line 2", "[v1, v2, ...]"]),
    ("id1\ttext\n", ["line 2", "2 field(s)"]),
    ("id1\ttext\t[0.5, 1]\n", ["line 2", "2-value vector", "line 1 has 3"]),
])
def test_csv_reader_names_file_line_and_problem(tmp_path, bad_line, words):
    path = tmp_path / "bad.tsv"
    path.write_text("id0\ttext\t[1, 2, 3]\n" + bad_line + "id2\ttext\t[1, 2, 3]\n")
    write_reference_csv(tmp_path / "ok.tsv", np.ones((2, 3)))
    with pytest.raises(ValueError) as e:
        GIOKL().read_data_from_csv(tmp_path / "ok.tsv", path)
    for word in [str(path)] + words:
        assert word in str(e.value)


def test_parquet_reader_keeps_columns_and_checks_features(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    train = blobs(5, 3, 0, 3).astype(np.float32)
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(5)], "features": list(train)}), tmp_path / "t.parquet")
    frame(train[:2]).set_index("name").to_parquet(tmp_path / "x.parquet")
    df_train, df_X = GIOKL().read_data_from_parquet(tmp_path / "t.parquet", tmp_path / "x.parquet")
    assert list(df_train.columns) == ["id", "features"]
    assert list(df_X.columns) == ["features", "name"] and df_X["name"].tolist() == ["r0", "r1"]  # as Spark reads it
    assert all(v.dtype == np.float64 and v.shape == (3,) for v in df_train["features"])
    np.testing.assert_array_equal(np.vstack(df_train["features"]), train)

    bad = {
        "no column": (pa.table({"id": ["a"], "emb": [[1.0]]}), ["no 'features' column", "emb"]),
        "scalar": (pa.table({"features": [1.0, 2.0]}), ["holds double", "list of numbers"]),
        "null vector": (pa.table({"features": [[1.0, 2.0], None]}), ["1 missing vectors"]),
        "null value": (pa.table({"features": [[1.0, None], [1.0, 2.0]]}), ["1 missing values inside"]),
        "ragged": (pa.table({"features": [[1.0, 2.0], [1.0]]}), ["row 1 has 1 values"]),
    }
    for name, (table, words) in bad.items():
        path = tmp_path / f"{name}.parquet"
        pq.write_table(table, path)
        with pytest.raises(ValueError) as e:
            GIOKL().read_data_from_parquet(path, tmp_path / "x.parquet")
        for word in [str(path)] + words:
            assert word in str(e.value), name


def test_quantize_returns_spark_like_models_and_predictions():
    train, target = blobs(300, 4, 0, 4), blobs(120, 4, 1, 5)
    df_train = frame(train)
    models = GIOKL().quantize(df_train, target, k=12, rseed="manual", rseed1=-7, rseed2=8)
    model_train, model_X, transformed_train, transformed_X = models

    for model, data, transformed in ((model_train, train, transformed_train), (model_X, target, transformed_X)):
        assert isinstance(model, KMeansModel)
        centers = model.clusterCenters()
        assert isinstance(centers, list) and len(centers) == 12 and centers[0].shape == (4,)
        np.testing.assert_array_equal(np.vstack(centers), model.cluster_centers_)
        assert model.cluster_centers_.dtype == np.float64 and model.labels_.shape == (len(data),)
        assert model.inertia_ > 0
        assert np.issubdtype(transformed["prediction"].dtype, np.integer)
        nearest = ((data[:, None, :] - model.cluster_centers_[None]) ** 2).sum(-1).argmin(1)
        np.testing.assert_array_equal(transformed["prediction"].to_numpy(), nearest)
        np.testing.assert_array_equal(np.vstack(transformed["features"]), data)
    assert list(transformed_train.columns) == ["name", "features", "prediction"]
    assert list(transformed_X.columns) == ["features", "prediction"]  # a 2-D array becomes a DataFrame
    assert "prediction" not in df_train.columns  # the input is not modified
    assert model_train.seed == -7  # a negative (Spark-style) seed is accepted

    with pytest.raises(ValueError, match="k=500 clusters needs 1 <= k <= the 300 rows of df_train"):
        GIOKL().quantize(df_train, target, k=500)
    with pytest.raises(ValueError, match="unknown rseed 42"):
        GIOKL().quantize(df_train, target, k=5, rseed=42)
    with pytest.raises(ValueError, match=r"df_x\['features'\]: row 1 has 2 values, row 0 has 4"):
        GIOKL().quantize(df_train, pd.DataFrame({"features": [[1.0] * 4, [1.0, 2.0]]}), k=1)


def test_auto_seeds_follow_numpy_global_state():
    train, target = blobs(200, 3, 0, 6), blobs(80, 3, 1, 7)
    runs = []
    for _ in range(2):
        np.random.seed(11)
        gio = GIOKL()
        runs.append((gio.quantize(frame(train), frame(target), k=10), gio.quantize_seeds_))
    (first, seeds1), (second, seeds2) = runs
    assert seeds1 == seeds2 and seeds1 != (234, 456)
    for a, b in zip(first[:2], second[:2]):
        np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)


def test_reference_flow_explodes_picked_clusters(caplog):
    train, target = blobs(600, 4, 0, 8), blobs(200, 4, 1.5, 9)
    gio = GIOKL(dim=4)
    model_train, model_X, transformed_train, _ = gio.quantize(frame(train), frame(target), k=30, rseed="manual")
    centroids_df = pd.DataFrame({"id": range(30), "centroid": [c.tolist() for c in model_train.clusterCenters()]})
    start = target[:3] + 0.25  # start rows that are no centroid: explode skips them
    W, kl_divs, _ = gio.fit(np.array(model_train.clusterCenters()), np.array(model_X.clusterCenters()),
                            D=start, max_iter=6, stop_criterion="sequential_increase_tolerance")  # as the README
    picked = gio.selected_indices_.tolist()  # the pool is the centres in id order: a pick is a cluster id
    assert len(W) == 3 + len(picked) == 3 + 7 and len(set(picked)) == 7

    with caplog.at_level(logging.INFO, logger="gioselect"):
        exploded = gio.explode(W, transformed_train, centroids_df)
    assert f"Found {len(picked)} centroids out of {len(W)} selected centroids" in caplog.text

    assert list(exploded.columns) == ["i", "id", "name", "features", "prediction"]
    assert set(exploded["prediction"]) == set(picked) and (exploded["id"] == exploded["prediction"]).all()
    in_picked = transformed_train["prediction"].isin(picked)
    assert sorted(exploded["name"]) == sorted(transformed_train.loc[in_picked, "name"])  # all rows, no more
    assert exploded.groupby("i")["id"].first().tolist() == picked  # i numbers the found centroids in pick order
    rows = exploded["name"].str[1:].astype(int).to_numpy()
    assert (np.diff(exploded["i"]) >= 0).all()
    assert all((np.diff(rows[exploded["i"].to_numpy() == i]) > 0).all() for i in range(len(picked)))

    # the centres as a model or an array, and a float32 W (as jnp gives), explode the same rows
    for centres in (model_train, model_train.cluster_centers_):
        pd.testing.assert_frame_equal(gio.explode(W, transformed_train, centres), exploded)
    pd.testing.assert_frame_equal(gio.explode(W.astype(np.float32), transformed_train, centroids_df), exploded)
    # a centroid chosen twice (resets) brings its rows twice; an empty W brings none
    twice = gio.explode(np.vstack([W[3:4], W[3:4]]), transformed_train, model_train)
    assert twice["i"].tolist().count(1) == twice["i"].tolist().count(0) > 0
    empty = gio.explode(W[len(W):], transformed_train, model_train)
    assert len(empty) == 0 and list(empty.columns) == list(exploded.columns)
