"""Input checks shared by the selector and the compatibility layer.

Every message says what was received and what is expected; nothing the user passed is modified.
"""

from __future__ import annotations

import logging
import math
import numbers
import os

import numpy as np
from scipy import sparse

from gioselect import _sparse
from gioselect._blocks import all_finite


def as_matrix(a, name: str, *, accept_sparse: bool = False):
    """Return `a` as a C-contiguous 2-D float32/float64 array, or raise ValueError (TypeError for
    sparse matrices and values that are not numbers). accept_sparse: a scipy.sparse `a` comes back
    as a checked CSR matrix instead (for the TruncatedSVD route, gioselect._sparse).

    float32 and float64 are kept, float16 becomes float32 (the core computes in float32 or float64),
    everything else float64. The messages contain the phrases scikit-learn's estimator checks look for.
    """
    if a is None:
        raise ValueError(f"{name} is None; expected a 2-D array of shape (n_rows, n_features)")
    if sparse.issparse(a):
        if accept_sparse:
            return _sparse.as_csr(a, name)
        raise TypeError(_sparse.refusal(a, name, selector=False))
    if hasattr(a, "to_numpy") and not isinstance(a, np.ndarray):  # pandas DataFrame
        a = a.to_numpy()
    arr = np.asarray(a)
    if arr.dtype == object:  # numbers stored as Python objects (e.g. a mixed-type DataFrame)
        arr = _object_to_float(arr, name)
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"Complex data not supported: {name} has dtype {arr.dtype}; pass real values")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 2:
        hint = (". Reshape your data: a.reshape(-1, 1) if it has a single feature, a.reshape(1, -1) if it is "
                "a single row") if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_rows, n_features), got {arr.ndim}-D array of shape {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}; expected at least one row")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    elif arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    all_finite(arr, name)  # block by block: no temporary the size of the input
    return np.ascontiguousarray(arr)


def _object_to_float(arr: np.ndarray, name: str) -> np.ndarray:
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError) as e:  # keep numpy's type and words: they say which value failed
        raise type(e)(f"{name} must be numeric; {e}") from e


def common_dtype(*arrays: np.ndarray) -> type:
    """float32 when every array is float32 (no copies), float64 otherwise."""
    return np.float32 if all(a.dtype == np.float32 for a in arrays) else np.float64


def same_width(named: dict) -> None:
    widths = {name: a.shape[1] for name, a in named.items() if a is not None}
    if len(set(widths.values())) > 1:
        desc = ", ".join(f"{name} has {w}" for name, w in widths.items())
        raise ValueError(f"feature counts differ: {desc} columns; all must have the same number of columns")


def check_choice(value, name: str, choices) -> None:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(map(repr, choices))}")


def check_number(value, name: str, *, low=None, high=None, integer=False, low_open=False) -> None:
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'}, got {value!r}")
    if not integer:  # integers are finite (and may exceed what numpy holds); a real must fit a double
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an int beyond any double
            finite = False
        if not finite:
            raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}")


def resolve_n_jobs(n_jobs) -> int:
    """scikit-learn's meaning: None -> OpenMP's default (honours OMP_NUM_THREADS), -1 -> all cores,
    -2 -> all but one, ...; returns the thread count for the core (0 = OpenMP's default)."""
    if n_jobs is None:
        return 0
    check_number(n_jobs, "n_jobs", integer=True)
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning; use None, a positive count, or -1 for all cores")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if n_jobs > cores:  # more threads than cores only slows a run, and can exhaust a thread limit
        logging.getLogger("gioselect").warning("n_jobs=%d: this machine gives the process %d cores; using %d",
                                               n_jobs, cores, cores)
        return cores
    if n_jobs > 0:
        return int(n_jobs)
    return max(1, cores + 1 + int(n_jobs))


def seeds_from(random_state, count: int = 2) -> list[int]:
    """Independent 64-bit seeds from an int, None, RandomState or Generator."""
    if isinstance(random_state, np.random.Generator):
        return [int(s) for s in random_state.integers(0, 2**63, size=count)]
    if random_state is None or isinstance(random_state, np.random.RandomState):
        rs = random_state if random_state is not None else np.random.mtrand._rand
        return [int(s) for s in rs.randint(0, 2**63 - 1, size=count, dtype=np.int64)]
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, got {random_state!r}")
        ss = np.random.SeedSequence(int(random_state))
        return [int(s) for s in ss.generate_state(count, dtype=np.uint64)]
    raise ValueError(f"random_state must be None, an int, a RandomState or a Generator, got {random_state!r}")


def check_labels(y, pool: np.ndarray) -> None:
    """y of fit(X, y) is what scikit-learn says it is: labels of X's rows (or None). A target
    sample passed positionally, as fit(pool, target), lands here: refuse it, naming the fix."""
    if y is None:
        return
    shape = np.shape(y)
    if len(shape) == 2 and shape[1] == pool.shape[1] and shape[1] > 1 and np.issubdtype(np.asarray(y).dtype, np.floating):
        raise ValueError(f"y has shape {shape}, the pool's width: it looks like a target sample; pass the target "
                         f"as `target=`: fit(X, target=T) (y holds labels of X's rows, and GIO ignores them)")
    if not shape or shape[0] != pool.shape[0]:
        raise ValueError(f"y has {shape[0] if shape else 0} rows but X has {pool.shape[0]}; y holds labels of X's "
                         f"rows (pass the target sample as `target=`)")


def in_pool_order(a, pool_columns, name: str):
    """a with its columns in the pool's order, when both are DataFrames with column names: a target
    or init whose columns are the pool's in another order is matched by name, not by position."""
    columns = getattr(a, "columns", None)
    if pool_columns is None or columns is None or list(columns) == list(pool_columns):
        return a
    if len(set(columns)) != len(columns) or set(columns) != set(pool_columns):
        raise ValueError(f"{name}'s columns {list(columns)} are not the pool's {list(pool_columns)}; "
                         f"pool, target and init must have the same named features")
    return a.loc[:, list(pool_columns)]
