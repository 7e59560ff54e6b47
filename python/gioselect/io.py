"""Read a 2-D matrix of embeddings from .npy, .npz, .parquet, .csv or .tsv files.

`load_input(path, ...)` picks the reader by suffix and returns a `Matrix` (the values, and whether
a leading pandas index column was found and dropped); `load_matrix` returns the values alone. It
checks that the result is a 2-D numeric array; NaN/inf and matching widths are checked later by
`GIOSelector.fit`. Problems raise ValueError (bad content or unknown format), FileNotFoundError,
or MissingDependencyError (an ImportError naming the package to install).

CSV/TSV files are read as `pandas.DataFrame.to_csv()` writes them: a header line is optional and
may follow blank lines; a first line of exactly the integers 0..d-1 is a header (pandas' default
column names), and `index_col` decides about a leading index column:

- 'auto' (default): in a file with a header, drop the first column when its name is empty or
  'Unnamed: 0' and its values are strictly increasing integers (pandas' default index);
- 'none': never drop a column; '0': always drop the first column.

`columns` instead reads exactly the named columns, in that order (CSV/TSV with a header, parquet).
"""

from __future__ import annotations

import csv
import os
import zipfile
from pathlib import Path
from typing import NamedTuple, Optional, Sequence

import numpy as np

INDEX_COL_CHOICES = ("auto", "none", "0")
_INDEX_NAMES = ("", "Unnamed: 0")  # how pandas writes, and reads back, an unnamed index


class Matrix(NamedTuple):
    """What `load_input` read: the values, and (index_col='auto' on a CSV/TSV file with a header
    only, else None) whether its leading column was a pandas index and was dropped."""

    values: np.ndarray
    index_dropped: Optional[bool] = None


class MissingDependencyError(ImportError):
    """An optional package that this file format (or plot) needs is not installed."""


def read_npy(path) -> np.ndarray:
    """A .npy file, memory-mapped read-only (large pools are not copied into memory)."""
    with open(path, "rb") as f:
        if f.read(6) != b"\x93NUMPY":
            raise ValueError("not a .npy file (no NumPy header)")
    return np.load(path, mmap_mode="r", allow_pickle=False)


def read_npz(path, key=None) -> np.ndarray:
    """The only array of a .npz file, or the one named `key`."""
    if not zipfile.is_zipfile(path):
        raise ValueError("not a .npz file (not a zip archive)")
    with np.load(path, allow_pickle=False) as z:
        names = list(z.files)
        if key is None:
            if len(names) != 1:
                raise ValueError(f"holds {len(names)} arrays ({', '.join(names) or 'none'}); "
                                 f"choose one with --key")
            key = names[0]
        elif key not in names:
            raise ValueError(f"has no array {key!r}; it holds: {', '.join(names) or 'none'}")
        return z[key]


def read_parquet(path, column=None, columns: Optional[Sequence[str]] = None) -> np.ndarray:
    """A vector column (lists or fixed-size lists of numbers), the numeric `columns`, or else all
    numeric columns.

    Without `column` or `columns`, a file with exactly one vector column uses it; with none, every
    numeric column is a feature (text columns such as ids, and the index pandas stores, are skipped)."""
    try:
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
        import pyarrow.types as pt
    except ImportError as e:
        raise MissingDependencyError("reading .parquet needs pyarrow: pip install pyarrow") from e
    schema = pq.read_schema(path)
    is_vector = {f.name: pt.is_list(f.type) or pt.is_large_list(f.type) or pt.is_fixed_size_list(f.type)
                 for f in schema}
    numeric = [f.name for f in schema if pt.is_integer(f.type) or pt.is_floating(f.type) or pt.is_boolean(f.type)]
    if columns is not None:
        if column is not None:
            raise ValueError("give column (one vector column) or columns (numeric columns), not both")
        _check_names(columns, schema.names)
        not_numeric = [c for c in columns if c not in numeric]
        if not_numeric:
            raise ValueError(f"column(s) {', '.join(map(repr, not_numeric))} do not hold numbers")
        cols = list(columns)
    elif column is not None:
        if column not in is_vector:
            raise ValueError(f"has no column {column!r}; columns: {', '.join(schema.names)}")
        if not (is_vector[column] or column in numeric):
            raise ValueError(f"column {column!r} holds {schema.field(column).type}, not numbers or vectors")
        cols = [column]
    else:
        vectors = [name for name, v in is_vector.items() if v]
        if len(vectors) > 1:
            raise ValueError(f"has several vector columns ({', '.join(vectors)}); choose one with --column")
        cols = vectors or [name for name in numeric if name not in _pandas_index_columns(schema)]
        if not cols:
            raise ValueError(f"has no vector or numeric column; columns: {', '.join(schema.names)}")
    table = pq.read_table(path, columns=cols)
    if not is_vector[cols[0]]:
        return np.column_stack([table.column(c).to_numpy() for c in cols])
    col = table.column(cols[0]).combine_chunks()
    if col.null_count:
        raise ValueError(f"column {cols[0]!r} has {col.null_count} missing vectors")
    lengths = pc.list_value_length(col).to_numpy()
    if len(lengths) and (lengths != lengths[0]).any():
        bad = int(np.argmax(lengths != lengths[0]))
        raise ValueError(f"column {cols[0]!r}: row {bad} has {lengths[bad]} values, row 0 has {lengths[0]}")
    values = col.flatten()
    if values.null_count:
        raise ValueError(f"column {cols[0]!r} has {values.null_count} missing values inside its vectors")
    if not (pt.is_integer(values.type) or pt.is_floating(values.type)):
        raise ValueError(f"column {cols[0]!r} holds vectors of {values.type}, not numbers")
    width = int(lengths[0]) if len(lengths) else 0
    return values.to_numpy(zero_copy_only=False).reshape(len(col), width)


def read_delimited(path, delimiter: str, index_col: str = "auto",
                   columns: Optional[Sequence[str]] = None) -> Matrix:
    """Numeric columns with an optional header line (see the module docstring for `index_col` and
    `columns`), or grad-info-opt's reference format (detected): tab-separated, no header, the
    third field a "[v1, v2, ...]" vector."""
    if index_col not in INDEX_COL_CHOICES:
        raise ValueError(f"index_col must be one of {', '.join(INDEX_COL_CHOICES)}, got {index_col!r}")
    line_no, first = _first_line(path)
    if first is None:
        raise ValueError("is empty")
    fields = first.rstrip("\r\n").split("\t")
    if len(fields) >= 3 and _is_vector(fields[2]):
        if columns is not None or index_col == "0":
            raise ValueError("is in grad-info-opt's format (no header, a vector per line); "
                             "--columns and --index-col 0 do not apply to it")
        return Matrix(read_reference(path)[1])
    names = _header(first, delimiter)
    skip = line_no + (names is not None)  # the header and the blank lines before it
    if columns is not None:
        if names is None:
            raise ValueError("has no header line, so --columns cannot name its columns")
        usecols = [names.index(c) for c in _check_names(columns, names)]
        return Matrix(_loadtxt(path, delimiter, skip, usecols))
    values = _loadtxt(path, delimiter, skip)
    if index_col == "none":
        return Matrix(values)
    if index_col == "0":
        if values.shape[1] < 2:
            raise ValueError("has a single column; --index-col 0 would leave no features")
        return Matrix(np.ascontiguousarray(values[:, 1:]))
    if names is None:
        return Matrix(values)
    dropped = values.shape[1] > 1 and _is_pandas_index(names[0], values[:, 0])
    return Matrix(np.ascontiguousarray(values[:, 1:]) if dropped else values, dropped)


def _first_line(path) -> tuple[int, Optional[str]]:
    """(0-based number, text) of the first line that is not blank; (0, None) for a blank file."""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f):
            if line.strip():
                return number, line
    return 0, None


def _header(line: str, delimiter: str) -> Optional[list]:
    """The column names of a header line, or None when the line is data: all numbers, other than
    exactly 0..d-1 (the default column names pandas writes)."""
    names = [name.strip() for name in next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter))]
    if names == [str(j) for j in range(len(names))] or not all(_is_number(v) for v in names):
        return names
    return None


def _loadtxt(path, delimiter: str, skip: int, usecols=None) -> np.ndarray:
    return np.loadtxt(path, delimiter=delimiter, skiprows=skip, usecols=usecols, ndmin=2, dtype=np.float64)


def _is_pandas_index(name: str, column: np.ndarray) -> bool:
    """An unnamed column of strictly increasing integers: the index `DataFrame.to_csv()` writes."""
    return (name in _INDEX_NAMES and len(column) > 0 and bool(np.all(column == np.round(column)))
            and bool(np.all(np.diff(column) > 0)))


def _check_names(columns: Sequence[str], names: Sequence[str]) -> Sequence[str]:
    """`columns`, once each and all among `names`, else a ValueError listing what the file has."""
    missing = [c for c in columns if c not in names]
    if missing:
        shown = ", ".join(repr(n) for n in names[:20]) + (", ..." if len(names) > 20 else "")
        raise ValueError(f"has no column(s) {', '.join(map(repr, missing))}; its columns: {shown}")
    repeated = sorted({c for c in columns if list(columns).count(c) > 1})
    if repeated:
        raise ValueError(f"--columns names {', '.join(map(repr, repeated))} more than once")
    return columns


def _pandas_index_columns(schema) -> set:
    """The columns in which pandas' to_parquet stored the DataFrame's index (not features)."""
    meta = schema.pandas_metadata or {}
    return {c for c in meta.get("index_columns", []) if isinstance(c, str)}


def read_reference(path, delimiter: str = "\t") -> tuple[list, np.ndarray]:
    """grad-info-opt's text format: (the fields of every line, the float64 matrix of their third
    fields). Lines split by `delimiter` (csv quoting rules), blank lines skipped, every line with
    the first one's field count and vector length; a bad line raises ValueError naming it."""
    records, vectors, first = [], [], None
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        for fields in reader:
            if not fields:
                continue
            where = f"line {reader.line_num}"
            if len(fields) < 3:
                raise ValueError(f'{where}: {len(fields)} field(s) split by {delimiter!r}; expected at least 3, '
                                 f'the third a "[v1, v2, ...]" vector')
            try:
                vector = parse_vector(fields[2])
            except ValueError as e:
                raise ValueError(f"{where}: third field: {e}") from None
            if first is None:
                first = reader.line_num
            elif len(fields) != len(records[0]):
                raise ValueError(f"{where}: {len(fields)} fields, line {first} has {len(records[0])}")
            elif len(vector) != len(vectors[0]):
                raise ValueError(f"{where}: a {len(vector)}-value vector, line {first} has {len(vectors[0])}")
            records.append(fields)
            vectors.append(vector)
    if not records:
        raise ValueError("has no rows")
    return records, np.vstack(vectors)


def parse_vector(field: str) -> np.ndarray:
    """One "[v1, v2, ...]" field of grad-info-opt's text format as a float64 vector."""
    if not _is_vector(field):
        raise ValueError(f'expected a "[v1, v2, ...]" vector, got {field[:40]!r}')
    return np.array(field.strip().strip('"')[1:-1].replace(",", " ").split(), dtype=np.float64)


def _is_vector(field: str) -> bool:
    s = field.strip().strip('"')
    return s.startswith("[") and s.endswith("]")


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


_READERS = {".npy": "npy", ".npz": "npz", ".parquet": "parquet", ".pq": "parquet", ".csv": ",", ".tsv": "\t"}


def load_matrix(path, key=None, column=None, index_col: str = "auto",
                columns: Optional[Sequence[str]] = None) -> np.ndarray:
    """The values of `load_input(path, ...)`."""
    return load_input(path, key, column, index_col, columns).values


def load_input(path, key=None, column=None, index_col: str = "auto",
               columns: Optional[Sequence[str]] = None) -> Matrix:
    """Read a 2-D numeric matrix; `key` chooses a .npz array, `column` a .parquet vector column,
    `columns` named CSV/TSV/parquet columns, `index_col` what happens to a CSV/TSV index column.

    Error messages start with the path."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected a file")
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path}: unknown format {path.suffix or '(no suffix)'!r}; "
                         f"expected .npy, .npz, .parquet, .csv or .tsv")
    try:
        if kind == "npy":
            read = Matrix(read_npy(path))
        elif kind == "npz":
            read = Matrix(read_npz(path, key))
        elif kind == "parquet":
            read = Matrix(read_parquet(path, column, columns))
        else:
            read = read_delimited(path, kind, index_col, columns)
    except (ValueError, EOFError) as e:  # EOFError: a truncated .npy/.npz
        raise ValueError(f"{path}: {e or 'unexpected end of file'}") from e
    arr = read.values
    if arr.ndim != 2:
        raise ValueError(f"{path}: holds a {arr.ndim}-D array of shape {arr.shape}; expected 2-D (rows, features)")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{path}: holds {arr.dtype} values; expected numbers")
    return read


class _NpyRows:
    """An .npy file as an array that pickles as its path: a Dask worker reads its own chunk from
    the file (a np.memmap itself would pickle its data into the task graph)."""

    READ_BYTES = 1 << 28  # per read call: one read(2) returns at most about 2 GiB

    def __init__(self, path):
        self.path = str(path)
        a = np.load(self.path, mmap_mode="r")
        self.shape, self.dtype, self.ndim = a.shape, a.dtype, a.ndim
        self._offset = a.offset if a.flags.c_contiguous else None  # Fortran order: through the map

    def __getitem__(self, key):
        rows = self._whole_rows(key)
        if rows is None:
            return np.array(np.load(self.path, mmap_mode="r")[key])
        # A run of whole rows is read into its array, not copied out of a map: the mapped pages
        # would count in the worker's memory beside the copy (twice the chunk at its peak).
        out = np.empty((rows[1] - rows[0], self.shape[1]), self.dtype)
        buf = memoryview(out.reshape(-1).view(np.uint8))
        with open(self.path, "rb") as f:
            f.seek(self._offset + rows[0] * out.itemsize * self.shape[1])
            done = 0
            while done < len(buf):
                got = f.readinto(buf[done:done + self.READ_BYTES])
                if not got:
                    raise ValueError(f"{self.path}: the file ends {len(buf) - done} bytes before row {rows[1]} "
                                     f"of its {self.shape[0]} rows (truncated while in use?)")
                done += got
        return out

    def _whole_rows(self, key):
        """(lo, hi) when key selects rows lo..hi-1 with every column (Dask's chunk keys), else None."""
        if self._offset is None or self.ndim != 2 or not isinstance(key, tuple) or len(key) != 2 or \
                not all(isinstance(k, slice) for k in key):
            return None
        lo, hi, step = key[0].indices(self.shape[0])
        c_lo, c_hi, c_step = key[1].indices(self.shape[1])
        if step != 1 or (c_lo, c_hi, c_step) != (0, self.shape[1], 1):
            return None
        return lo, max(lo, hi)

    def __dask_tokenize__(self):
        # the Dask array's name, which a checkpoint of a Dask pool records: another file at the
        # same path (rewritten: other size or time) is another pool
        st = os.stat(self.path)
        return ("gioselect.io.read_npy_dask", os.path.abspath(self.path), self.shape, self.dtype.str, st.st_size,
                st.st_mtime_ns)


def read_npy_dask(path, chunk_rows: Optional[int] = None):
    """A 2-D .npy file as a dask.array.Array whose chunks the workers read from the file (which
    they must reach at the same path): the pool of GIOSelector(quantize=K).fit, or of
    search='descent' (a shard per chunk), on Dask (docs/dask.md). chunk_rows: rows per chunk;
    default about 128 MiB, a multiple of 4,096 rows (the quantizer's assignment blocks, so the
    chunks need no re-cut)."""
    import dask.array as da

    rows = _NpyRows(path)
    if rows.ndim != 2:
        raise ValueError(f"{path}: read_npy_dask reads a 2-D array, the file holds shape {rows.shape}")
    if chunk_rows is None:
        row_bytes = max(1, rows.shape[1] * rows.dtype.itemsize)
        chunk_rows = max(4096, (128 << 20) // row_bytes // 4096 * 4096)
    if not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer, got {chunk_rows!r}")
    return da.from_array(rows, chunks=(int(chunk_rows), -1), asarray=False)
