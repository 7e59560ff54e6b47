"""Read a 2-D matrix of embeddings from .npy, .npz, .parquet, .csv or .tsv files.

`load_matrix(path, key=None, column=None)` picks the reader by suffix. It checks that the result
is a 2-D numeric array; NaN/inf and matching widths are checked later by `GIOSelector.fit`.
Problems raise ValueError (bad content or unknown format), FileNotFoundError, or
MissingDependencyError (an ImportError naming the package to install).
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import numpy as np


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


def read_parquet(path, column=None) -> np.ndarray:
    """A vector column (lists or fixed-size lists of numbers), or else all numeric columns.

    Without `column`, a file with exactly one vector column uses it; with none, every numeric
    column is a feature (text columns such as ids are skipped)."""
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
    if column is not None:
        if column not in is_vector:
            raise ValueError(f"has no column {column!r}; columns: {', '.join(schema.names)}")
        if not (is_vector[column] or column in numeric):
            raise ValueError(f"column {column!r} holds {schema.field(column).type}, not numbers or vectors")
        cols = [column]
    else:
        vectors = [name for name, v in is_vector.items() if v]
        if len(vectors) > 1:
            raise ValueError(f"has several vector columns ({', '.join(vectors)}); choose one with --column")
        cols = vectors or numeric
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


def read_delimited(path, delimiter: str) -> np.ndarray:
    """Numeric columns with an optional header line, or grad-info-opt's reference format (detected):
    tab-separated, no header, the third field a "[v1, v2, ...]" vector."""
    with open(path, encoding="utf-8") as f:
        first = next((line for line in f if line.strip()), None)
    if first is None:
        raise ValueError("is empty")
    fields = first.rstrip("\r\n").split("\t")
    if len(fields) >= 3 and _is_vector(fields[2]):
        return read_reference(path)[1]
    header = not all(_is_number(v) for v in first.split(delimiter))
    return np.loadtxt(path, delimiter=delimiter, skiprows=int(header), ndmin=2, dtype=np.float64)


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


def load_matrix(path, key=None, column=None) -> np.ndarray:
    """Read a 2-D numeric matrix; `key` chooses a .npz array, `column` a .parquet column.

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
            arr = read_npy(path)
        elif kind == "npz":
            arr = read_npz(path, key)
        elif kind == "parquet":
            arr = read_parquet(path, column)
        else:
            arr = read_delimited(path, kind)
    except (ValueError, EOFError) as e:  # EOFError: a truncated .npy/.npz
        raise ValueError(f"{path}: {e or 'unexpected end of file'}") from e
    if arr.ndim != 2:
        raise ValueError(f"{path}: holds a {arr.ndim}-D array of shape {arr.shape}; expected 2-D (rows, features)")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{path}: holds {arr.dtype} values; expected numbers")
    return arr
