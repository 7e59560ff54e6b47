"""Drop-in replacement for grad-info-opt 0.1.2's ``GIO.GIOKL`` (no JAX, no Spark).

Switch by changing one import::

    from gioselect.compat import GIOKL   # was: from GIO import GIOKL

``fit`` keeps the reference's parameters, defaults and return value ``(W, kl_divs, state)`` and
reproduces its behaviour, quirks included:

* ``max_iter=T`` keeps T+1 points;
* the 'sequential_increase_tolerance' counter only moves when a stop is triggered right after a
  reset, so that criterion never fires on its own, and 'max_resets' never resets (it accepts picks
  that raise the KL);
* ``scale_factor='auto'`` is ``|v0| / |grad(v0)|`` as in the reference;
* ``random_init_pct`` start rows stay in the pool; a reset refills the pool with every row.

Differences: an exhausted pool ends the run (the reference raises IndexError); the start rows and
``v_init='jump'``/random restarts draw from one generator seeded from NumPy's global state
(``np.random.seed`` makes a run repeatable); progress goes to the ``gioselect`` logger instead of
print. The estimator, the KL values and the projection are computed in float64; the descent runs
in float32 with the reference's distance formula, as the reference does (see README, Precision).
This layer keeps the reference's absolute clip: squared distances are clipped to [1e-10, 1e20]
and eps = 1e-8 is added in the data's own units, exactly as grad-info-opt does, so data scaled
far from 1 gets the reference's (degenerate) results; the native GIOSelector and
``gioselect.relaxed_kl`` measure in units of the target's spread instead (docs/tuning.md).
"""

from __future__ import annotations

import importlib
import logging

import numpy as np

from gioselect import _core, _engine
from gioselect._validation import (as_matrix, check_choice, check_number, common_dtype, resolve_n_jobs,
                                   same_width, seeds_from)
from gioselect.io import MissingDependencyError, read_parquet, read_reference
from gioselect.quantize import kmeans

log = logging.getLogger("gioselect")

# grad-info-opt 0.1.2's own names, frozen: new native options must not widen what this layer accepts.
REFERENCE_STOP_CRITERIA = ("increase", "max_resets", "min_difference", "sequential_increase_tolerance", "min_kl",
                           "data_size")
REFERENCE_V_INITS = ("mean", "prev_opt", "jump")


class GIOKL:
    """grad-info-opt's GIOKL without JAX or Spark (``fit``: see the module docstring).

    Quantization–explosion (``read_data_from_csv``/``read_data_from_parquet``, ``quantize``,
    ``explode``) keeps the reference's signatures and return values, with pandas DataFrames in place of
    Spark's (pip install pandas; pyarrow for parquet):

    * the readers name headerless csv columns ``_c0, _c1, ...`` (text) and keep every parquet column as a
      column (a stored pandas index too), as Spark does; ``features`` holds one float64 vector per row;
      a malformed, missing or ragged vector raises ValueError (Spark makes it null or fails later);
    * ``quantize`` runs :func:`gioselect.quantize.kmeans` (scikit-learn MiniBatchKMeans on a sample,
      then an exact assignment of every row), not Spark's KMeans, so the clusters differ for the same
      seed; ``rseed='auto'`` draws both seeds from NumPy's global state (the reference uses Python's
      ``random``), and they are kept in ``quantize_seeds_``; any other rseed than 'auto' or 'manual'
      raises ValueError (the reference takes it as 'manual'); ``k`` must not exceed the row count (Spark
      would return fewer centres); each model offers Spark's ``clusterCenters()`` and scikit-learn's
      ``cluster_centers_``, ``labels_`` and ``inertia_``;
    * ``explode`` also takes the centres as a 2-D array or as the model from ``quantize``; its rows are
      ordered by ``i``, then by their order in the transformed DataFrame (Spark's join has no order),
      under a new RangeIndex, and the "Found N centroids" count goes to the logger.
    """

    def __init__(self, uniform_low=-1, uniform_high=1, uniform_start_size=20, dim=768):
        self.uniform_low = uniform_low
        self.uniform_high = uniform_high
        self.uniform_start_size = uniform_start_size
        self.dim = dim
        self.random_init = False

    def calculate_statistical_distance(self, x, y, k=5, eps=1e-8, discard_nearest_for_xy=False):
        """Relaxed k-NN estimate of KL(x || y), as grad-info-opt computes it."""
        xs, ys = as_matrix(x, "x"), as_matrix(y, "y")
        same_width({"x": xs, "y": ys})
        dtype = common_dtype(xs, ys)
        return float(_core.relaxed_kl(xs.astype(dtype, copy=False), ys.astype(dtype, copy=False),
                                      int(k), float(eps), bool(discard_nearest_for_xy), absolute_clip=True))

    def _get_uniform_start(self, do_normalize, seed):
        return _core.uniform_start(int(self.uniform_start_size), int(self.dim), [float(self.uniform_low)],
                                   [float(self.uniform_high)], bool(do_normalize), seed)

    def fit(self, train, X, D=None, k=5, max_iter=100, stop_criterion="increase", min_difference=0,
            resets_allowed=False, max_resets=2, max_data_size=1, min_kl=0, max_sequential_increases=3,
            random_init_pct=0, random_restart_prob=0, scale_factor="auto", v_init="mean", grad_desc_iter=50,
            discard_nearest_for_xy=False, normalize=True, lr=0.01, n_jobs=None):
        """Perform GIO. Returns (W, kl_divs, (v, scale_factor, just_reset, num_resets, increases,
        adder, kl_divs)) where W holds the start rows followed by the picks."""
        pool = as_matrix(train, "train")
        target = as_matrix(X, "X")
        check_number(k, "k", low=1, integer=True)  # the reference would truncate k=2.7 to 2 without a word
        check_number(max_iter, "max_iter", low=0, integer=True)  # and take a negative max_iter as no limit
        check_choice(stop_criterion, "stop_criterion", REFERENCE_STOP_CRITERIA)
        check_choice(v_init, "v_init", REFERENCE_V_INITS)
        run_seed, start_seed = seeds_from(None, 2)
        if not random_init_pct and D is None:
            start = self._get_uniform_start(normalize, start_seed)
            self.random_init = True
        elif D is None:
            rows = _core.random_pool_rows(pool.shape[0], float(random_init_pct), start_seed)
            start = pool[rows]
        else:
            start = as_matrix(D, "D")
        same_width({"train": pool, "X": target, "D": start})
        dtype = common_dtype(pool, target, start)
        pool, target = pool.astype(dtype, copy=False), target.astype(dtype, copy=False)
        start = np.ascontiguousarray(start, dtype=dtype)

        opts = _engine.make_options(
            k=k, stop_criterion=stop_criterion, min_difference=min_difference, min_kl=min_kl,
            max_data_size=max_data_size, max_sequential_increases=max_sequential_increases,
            resets_allowed=resets_allowed, max_resets=max_resets, v_init=v_init, grad_desc_iter=grad_desc_iter,
            lr=lr, scale_factor=scale_factor, random_restart_prob=random_restart_prob,
            discard_nearest_for_xy=discard_nearest_for_xy, reference_semantics=True, seed=run_seed,
            n_threads=resolve_n_jobs(n_jobs), max_picks=int(max_iter) + 1)
        res = _engine.run(pool, target, start, opts)
        log.info("Starting KL: %s; %d picks, stop: %s", res.kl_start, len(res.selected), res.stop_reason)
        self.selected_indices_ = np.asarray(res.selected, dtype=np.int64)
        self.kl_start_ = float(res.kl_start)
        self.stop_reason_ = res.stop_reason

        W = np.concatenate([start, pool[self.selected_indices_]], axis=0)
        kl_divs = [float(x) for x in res.kl_trace]
        adder = pool[np.asarray(res.remaining, dtype=np.int64)]
        state = (np.asarray(res.v), res.scale_factor, res.loop.just_reset, res.n_resets, res.loop.increases, adder,
                 kl_divs)
        return W, kl_divs, state

    def read_data_from_csv(self, path, path_X, delim="\t"):
        """Train and target DataFrames from headerless csv files whose third field is a "[v1, v2, ...]"
        vector: columns _c0, _c1, ... (text, as Spark reads them) and features (float64 vectors)."""
        return _read_csv(path, delim), _read_csv(path_X, delim)

    def read_data_from_parquet(self, path, path_X):
        """Train and target DataFrames from parquet files with a features column (a list of numbers per
        row, no missing values, one length); features becomes one float64 vector per row."""
        return _read_parquet(path), _read_parquet(path_X)

    def quantize(self, df_train, df_x, k=1500, rseed="auto", rseed1=234, rseed2=456):
        """K-means train and target into k clusters each. Returns (model_train, model_X,
        transformed_train, transformed_X): each transformed DataFrame is its input (a DataFrame with a
        features column, or a 2-D array, which becomes one) plus the int prediction column, its cluster."""
        check_choice(rseed, "rseed", ("auto", "manual"))
        if rseed == "auto":
            rseed1, rseed2 = (int(s) for s in np.random.randint(0, 2**31, size=2))
        check_number(rseed1, "rseed1", integer=True)
        check_number(rseed2, "rseed2", integer=True)
        self.quantize_seeds_ = (rseed1, rseed2)
        model_train, transformed_train = _kmeans_frame(df_train, "df_train", k, rseed1)
        model_X, transformed_X = _kmeans_frame(df_x, "df_x", k, rseed2)
        return model_train, model_X, transformed_train, transformed_X

    def explode(self, chosen_centroids, kmeans_transformed_df, kmeans_centroids_df):
        """Every row of kmeans_transformed_df whose cluster is among chosen_centroids (the W of fit),
        after the columns i and id: as the reference's join, i numbers the chosen rows that are
        centroids (rows that are not, such as the start rows D, are skipped) and id is the cluster; a
        centroid chosen twice (resets) brings its rows twice. kmeans_centroids_df: (id, centroid) rows,
        a 2-D array of centres in id order, or a model from quantize. Centres match by exact equality at
        the precision of chosen_centroids: a float32 W (jnp arrays are float32) matches the centres
        rounded to float32, as in the reference, which compares them as jnp arrays."""
        pd = _require("pandas", "GIOKL.explode")
        if "prediction" not in kmeans_transformed_df.columns:
            raise ValueError("kmeans_transformed_df has no 'prediction' column; pass a transformed DataFrame "
                             "from quantize")
        ids, centers = _centroid_table(kmeans_centroids_df)
        chosen = np.asarray(chosen_centroids)
        # an empty W (fit stopped before its first pick, W[20:] removed the start) explodes to no rows
        chosen = as_matrix(chosen, "chosen_centroids") if len(chosen) else np.empty((0, centers.shape[1]))
        same_width({"chosen_centroids": chosen, "kmeans_centroids_df": centers})
        cluster_of = {}
        for cid, key in zip(ids.tolist(), _row_keys(centers, chosen.dtype)):
            cluster_of.setdefault(key, []).append(cid)
        paired = [cid for key in _row_keys(chosen, chosen.dtype) for cid in cluster_of.get(key, ())]
        paired = np.array(paired, dtype=np.int64)
        log.info("Found %d centroids out of %d selected centroids", len(paired), len(chosen))
        prediction = kmeans_transformed_df["prediction"].to_numpy(dtype=np.int64)
        by_cluster = np.argsort(prediction, kind="stable")  # each cluster's rows in their original order
        lo, hi = (np.searchsorted(prediction[by_cluster], paired, side=side) for side in ("left", "right"))
        rows = np.concatenate([by_cluster[a:b] for a, b in zip(lo, hi)] + [np.empty(0, dtype=np.int64)])
        counts = hi - lo
        head = pd.DataFrame({"i": np.repeat(np.arange(len(paired), dtype=np.int64), counts),
                             "id": np.repeat(paired, counts)})
        return pd.concat([head, kmeans_transformed_df.iloc[rows].reset_index(drop=True)], axis=1)


class KMeansModel:
    """The clustering of one data set by GIOKL.quantize, with the accessors of Spark's KMeansModel
    (clusterCenters()) and of scikit-learn (cluster_centers_, labels_, inertia_), so that code written
    for either keeps working. quantization holds gioselect.quantize's full result (sq_dist, ...)."""

    def __init__(self, quantization, seed):
        self.quantization = quantization
        self.seed = seed
        self.cluster_centers_ = quantization.centers
        self.labels_ = quantization.labels
        self.inertia_ = quantization.inertia

    def clusterCenters(self):  # noqa: N802 (Spark's name)
        return [center.copy() for center in self.cluster_centers_]


def _require(module, needed_by):
    try:
        return importlib.import_module(module)
    except ImportError as e:
        package = module.split(".")[0]
        raise MissingDependencyError(f"{needed_by} needs {package}: pip install {package}") from e


def _read_csv(path, delim):
    pd = _require("pandas", "GIOKL.read_data_from_csv")
    try:
        records, vectors = read_reference(path, delim)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    df = pd.DataFrame(records, columns=[f"_c{j}" for j in range(len(records[0]))])
    df["features"] = pd.Series(list(vectors), index=df.index, dtype=object)
    return df


def _read_parquet(path):
    pd = _require("pandas", "GIOKL.read_data_from_parquet")
    pq = _require("pyarrow.parquet", "GIOKL.read_data_from_parquet")
    import pyarrow.types as pt
    schema = pq.read_schema(path)
    if "features" not in schema.names:
        raise ValueError(f"{path}: has no 'features' column; columns: {', '.join(schema.names)}")
    kind = schema.field("features").type
    if not (pt.is_list(kind) or pt.is_large_list(kind) or pt.is_fixed_size_list(kind)):
        raise ValueError(f"{path}: column 'features' holds {kind}; expected a list of numbers per row")
    try:
        matrix = read_parquet(path, column="features").astype(np.float64, copy=False)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from e
    # every other column stays a column, as Spark reads it (a stored pandas index too)
    others = [name for name in schema.names if name != "features"]
    df = pq.read_table(path, columns=others).to_pandas(ignore_metadata=True)
    df.insert(schema.names.index("features"), "features", pd.Series(list(matrix), dtype=object))
    return df


def _stack_vectors(column, what):
    """One float64 matrix from a column of per-row vectors (arrays or lists)."""
    rows = []
    for r, value in enumerate(column):
        if value is None:
            raise ValueError(f"{what}: row {r} is missing; expected a vector of numbers")
        try:
            vector = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{what}: row {r}: {e}") from None
        if vector.ndim != 1:
            raise ValueError(f"{what}: row {r} holds a {vector.ndim}-D value of shape {vector.shape}; "
                             f"expected a vector of numbers")
        if rows and len(vector) != len(rows[0]):
            raise ValueError(f"{what}: row {r} has {len(vector)} values, row 0 has {len(rows[0])}")
        rows.append(vector)
    return np.vstack(rows) if rows else np.empty((0, 0))


def _kmeans_frame(data, name, k, seed):
    """(model, transformed DataFrame) of one data set, as the reference's _return_kmeans."""
    pd = _require("pandas", "GIOKL.quantize")
    if hasattr(data, "columns"):
        if "features" not in data.columns:
            raise ValueError(f"{name} has no 'features' column; columns: {', '.join(map(str, data.columns))}")
        matrix = as_matrix(_stack_vectors(data["features"], f"{name}['features']"), f"{name}['features']")
        transformed = data.copy()
    else:
        matrix = as_matrix(data, name).astype(np.float64, copy=False)
        transformed = pd.DataFrame({"features": pd.Series(list(matrix), dtype=object)})
    check_number(k, "k", integer=True)
    if not 1 <= k <= len(matrix):
        raise ValueError(f"k={k} clusters needs 1 <= k <= the {len(matrix)} rows of {name}")
    quantization = kmeans(matrix, int(k), random_state=int(seed) % 2**32)  # Spark's seeds may be negative
    transformed["prediction"] = quantization.labels
    return KMeansModel(quantization, seed), transformed


def _centroid_table(centroids):
    """(cluster ids, centres) from a quantize model, (id, centroid) rows, or a 2-D array in id order."""
    if isinstance(centroids, KMeansModel):
        centers = centroids.cluster_centers_
        return np.arange(len(centers)), centers
    if hasattr(centroids, "columns"):
        if centroids.shape[1] < 2:
            raise ValueError(f"kmeans_centroids_df has {centroids.shape[1]} column(s); expected (id, centroid) rows")
        vectors = _stack_vectors(centroids.iloc[:, 1], "kmeans_centroids_df centroids")
        return centroids.iloc[:, 0].to_numpy(dtype=np.int64), as_matrix(vectors, "kmeans_centroids_df centroids")
    centers = as_matrix(centroids, "kmeans_centroids_df")
    return np.arange(len(centers)), centers


def _row_keys(matrix, dtype):
    """Hashable bytes of each row at the given precision (+0.0 makes -0.0 equal 0.0, as == does)."""
    rows = np.ascontiguousarray(matrix, dtype=dtype)
    rows = rows + rows.dtype.type(0)
    return [row.tobytes() for row in rows]
