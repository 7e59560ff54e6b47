"""
gioselect C++ core (GIO estimators, descent, projection, selection loop)
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['DescentOptions', 'GreedyShardF32', 'GreedyShardF64', 'LoopState', 'ObjectiveOptions', 'Options', 'ProjectionOptions', 'Result', 'RunStats', 'SearchOptions', 'ShardIndexF32', 'ShardIndexF64', 'StopOptions', 'check_resumable', 'knn_kl', 'knn_kl_events', 'knn_kl_merge', 'knn_kl_replay', 'option_names', 'random_pool_rows', 'relaxed_kl', 'relaxed_kl_gradient', 'select', 'select_descent', 'select_greedy', 'simd_kernel', 'uniform_start']
class ObjectiveOptions:
    """
    Which KL estimate a run minimises.
    """
    def __init__(self) -> None:
        ...
    @property
    def discard_nearest_for_xy(self) -> bool:
        """
        relaxed: drop each target's nearest selected point
        """
    @discard_nearest_for_xy.setter
    def discard_nearest_for_xy(self, arg0: bool) -> None:
        ...
    @property
    def eps(self) -> float:
        """
        relaxed: epsilon inside log(distance + eps)
        """
    @eps.setter
    def eps(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def k(self) -> int:
        """
        neighbour rank of rho_k and nu_k
        """
    @k.setter
    def k(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def kind(self) -> str:
        """
        'relaxed' or 'knn'
        """
    @kind.setter
    def kind(self, arg1: str) -> None:
        ...
class SearchOptions:
    """
    How each pick is found.
    """
    def __init__(self) -> None:
        ...
    @property
    def batch_size(self) -> int:
        """
        knn descent: picks per round
        """
    @batch_size.setter
    def batch_size(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def kind(self) -> str:
        """
        'descent', 'greedy', 'nearest' or 'spread'
        """
    @kind.setter
    def kind(self, arg1: str) -> None:
        ...
    @property
    def n_candidates(self) -> int:
        """
        descent: re-rank this many nearest rows
        """
    @n_candidates.setter
    def n_candidates(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def spread_cell_rows(self) -> int:
        """
        spread: in-domain rows nearest each target that enter the balanced phase (0: all)
        """
    @spread_cell_rows.setter
    def spread_cell_rows(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def spread_threshold(self) -> float:
        """
        spread: in-domain when the density ratio is >= this times the target's median
        """
    @spread_threshold.setter
    def spread_threshold(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class StopOptions:
    """
    Budgets and stopping criteria.
    """
    def __init__(self) -> None:
        ...
    @property
    def criterion(self) -> str:
        """
        a stopping criterion's name
        """
    @criterion.setter
    def criterion(self, arg1: str) -> None:
        ...
    @property
    def max_data_size(self) -> float:
        """
        'data_size': largest fraction of the pool
        """
    @max_data_size.setter
    def max_data_size(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def max_picks(self) -> int:
        """
        most picks; < 0: unlimited
        """
    @max_picks.setter
    def max_picks(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def max_resets(self) -> int:
        """
        most refills of the pool
        """
    @max_resets.setter
    def max_resets(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def max_sequential_increases(self) -> int:
        """
        'sequential_increase_tolerance': increases in a row that stop the run
        """
    @max_sequential_increases.setter
    def max_sequential_increases(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def min_difference(self) -> float:
        """
        'min_difference': smallest improvement
        """
    @min_difference.setter
    def min_difference(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def min_kl(self) -> float:
        """
        'min_kl': stop below this KL
        """
    @min_kl.setter
    def min_kl(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def n_select(self) -> int:
        """
        exactly this many picks (criteria off); < 0: none
        """
    @n_select.setter
    def n_select(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def resets_allowed(self) -> bool:
        """
        descent: refill the pool instead of stopping
        """
    @resets_allowed.setter
    def resets_allowed(self, arg0: bool) -> None:
        ...
class DescentOptions:
    """
    The gradient descent of the descent search.
    """
    def __init__(self) -> None:
        ...
    @property
    def grad_desc_iter(self) -> int:
        """
        steps per pick (3x on long descents)
        """
    @grad_desc_iter.setter
    def grad_desc_iter(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def lr(self) -> float:
        """
        learning rate
        """
    @lr.setter
    def lr(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def random_restart_prob(self) -> float:
        """
        probability of a long descent on an ordinary pick
        """
    @random_restart_prob.setter
    def random_restart_prob(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def scale_auto(self) -> bool:
        """
        True: derive the gradient scale ('auto')
        """
    @scale_auto.setter
    def scale_auto(self, arg0: bool) -> None:
        ...
    @property
    def scale_factor(self) -> float:
        """
        gradient scale when scale_auto is False
        """
    @scale_factor.setter
    def scale_factor(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def v_init(self) -> str:
        """
        where each descent starts
        """
    @v_init.setter
    def v_init(self, arg1: str) -> None:
        ...
class ProjectionOptions:
    """
    How a descent's end point becomes a pool row.
    """
    def __init__(self) -> None:
        ...
    @property
    def audit(self) -> bool:
        """
        HNSW: also run brute force and count agreements
        """
    @audit.setter
    def audit(self, arg0: bool) -> None:
        ...
    @property
    def ef_construction(self) -> int:
        """
        HNSW build breadth
        """
    @ef_construction.setter
    def ef_construction(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def ef_search(self) -> int:
        """
        HNSW search breadth
        """
    @ef_search.setter
    def ef_search(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def exact_below(self) -> int:
        """
        auto: brute force while at most this many rows remain
        """
    @exact_below.setter
    def exact_below(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def hnsw_m(self) -> int:
        """
        HNSW graph degree
        """
    @hnsw_m.setter
    def hnsw_m(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def mode(self) -> str:
        """
        'auto', 'exact' or 'hnsw'
        """
    @mode.setter
    def mode(self, arg1: str) -> None:
        ...
    @property
    def rerank(self) -> int:
        """
        HNSW candidates re-scored exactly
        """
    @rerank.setter
    def rerank(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def seed(self) -> int:
        """
        HNSW level generator seed
        """
    @seed.setter
    def seed(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class Options:
    """
    Every option of a run, grouped by the component that reads it.
    """
    def __init__(self) -> None:
        ...
    @property
    def descent(self) -> DescentOptions:
        """
        DescentOptions
        """
    @descent.setter
    def descent(self, arg0: DescentOptions) -> None:
        ...
    @property
    def metric(self) -> str:
        """
        'euclidean' or 'cosine' (rows scaled to unit length)
        """
    @metric.setter
    def metric(self, arg1: str) -> None:
        ...
    @property
    def n_threads(self) -> int:
        """
        threads; <= 0: OpenMP's default
        """
    @n_threads.setter
    def n_threads(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def objective(self) -> ObjectiveOptions:
        """
        ObjectiveOptions
        """
    @objective.setter
    def objective(self, arg0: ObjectiveOptions) -> None:
        ...
    @property
    def projection(self) -> ProjectionOptions:
        """
        ProjectionOptions
        """
    @projection.setter
    def projection(self, arg0: ProjectionOptions) -> None:
        ...
    @property
    def reference_semantics(self) -> bool:
        """
        True: grad-info-opt 0.1.2's stopping rules, literally
        """
    @reference_semantics.setter
    def reference_semantics(self, arg0: bool) -> None:
        ...
    @property
    def search(self) -> SearchOptions:
        """
        SearchOptions
        """
    @search.setter
    def search(self, arg0: SearchOptions) -> None:
        ...
    @property
    def seed(self) -> int:
        """
        seed of the run's random draws
        """
    @seed.setter
    def seed(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def stop(self) -> StopOptions:
        """
        StopOptions
        """
    @stop.setter
    def stop(self, arg0: StopOptions) -> None:
        ...
class LoopState:
    """
    Where a run stands between two iterations (for checkpoints).
    """
    def __init__(self) -> None:
        ...
    @property
    def i(self) -> int:
        """
        the reference's pick counter
        """
    @i.setter
    def i(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def increases(self) -> int:
        """
        the reference's increase counter
        """
    @increases.setter
    def increases(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def jump_rows(self) -> list[int]:
        """
        target rows drawn for v_init='jump'
        """
    @jump_rows.setter
    def jump_rows(self, arg0: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> None:
        ...
    @property
    def just_reset(self) -> bool:
        """
        the last iteration refilled the pool
        """
    @just_reset.setter
    def just_reset(self, arg0: bool) -> None:
        ...
    @property
    def kl_prev(self) -> float:
        """
        KL before the next pick
        """
    @kl_prev.setter
    def kl_prev(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def reset_marks(self) -> list[int]:
        """
        number of picks at each refill
        """
    @reset_marks.setter
    def reset_marks(self, arg0: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> None:
        ...
    @property
    def rng_draws(self) -> int:
        """
        random engine outputs used
        """
    @rng_draws.setter
    def rng_draws(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def run_of_increases(self) -> int:
        """
        consecutive kept picks that raised the KL
        """
    @run_of_increases.setter
    def run_of_increases(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def total(self) -> int:
        """
        the reference's total counter
        """
    @total.setter
    def total(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def v(self) -> list[float]:
        """
        v at the start of the next iteration
        """
    @v.setter
    def v(self, arg0: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex]) -> None:
        ...
class RunStats:
    """
    How a run got there (nothing here changes the selection).
    """
    def __init__(self) -> None:
        ...
    @property
    def audit_agreements(self) -> int:
        """
        HNSW answers equal to brute force
        """
    @property
    def cache_hits(self) -> int:
        """
        exact projections answered by the certified cache
        """
    @property
    def domain_end(self) -> int:
        """
        spread: picks up to the end of the in-domain set
        """
    @property
    def domain_share(self) -> float:
        """
        spread: the pool's estimated share of target-like rows
        """
    @property
    def greedy_changed_targets(self) -> int:
        """
        knn greedy: targets whose nu_k a pick lowered, summed
        """
    @property
    def greedy_list_updates(self) -> int:
        """
        knn greedy: updates from lists
        """
    @property
    def greedy_pool_pass_updates(self) -> int:
        """
        knn greedy: updates from pool passes
        """
    @property
    def hnsw_queries(self) -> int:
        """
        projections made in HNSW mode
        """
    @property
    def hnsw_searches(self) -> int:
        """
        ... of which went to the graph
        """
    @property
    def index_build_seconds(self) -> float:
        """
        HNSW build time
        """
class Result:
    """
    What a run returns: the selection, its loop state and statistics.
    """
    def __init__(self) -> None:
        ...
    @property
    def kl_start(self) -> float:
        """
        KL of the start rows alone
        """
    @kl_start.setter
    def kl_start(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def kl_trace(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        KL after each kept pick
        """
    @kl_trace.setter
    def kl_trace(self, arg1: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex]) -> None:
        ...
    @property
    def loop(self) -> LoopState:
        """
        LoopState
        """
    @loop.setter
    def loop(self, arg0: LoopState) -> None:
        ...
    @property
    def n_iter(self) -> int:
        """
        loop iterations, rejected picks and resets included
        """
    @n_iter.setter
    def n_iter(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def n_resets(self) -> int:
        """
        refills of the pool
        """
    @n_resets.setter
    def n_resets(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def remaining(self) -> numpy.typing.NDArray[numpy.int64]:
        """
        rows still available at the end
        """
    @property
    def scale_factor(self) -> float:
        """
        the gradient scale used
        """
    @scale_factor.setter
    def scale_factor(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def selected(self) -> numpy.typing.NDArray[numpy.int64]:
        """
        pool rows in selection order
        """
    @selected.setter
    def selected(self, arg1: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> None:
        ...
    @property
    def selection_kl(self) -> float:
        """
        k-NN estimate of KL(target || the selected rows), the run's k (NaN: not computed)
        """
    @selection_kl.setter
    def selection_kl(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def stats(self) -> RunStats:
        """
        RunStats
        """
    @property
    def stop_reason(self) -> str:
        """
        why the run ended ('' while under way)
        """
    @stop_reason.setter
    def stop_reason(self, arg0: str) -> None:
        ...
    @property
    def v(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        v at the end
        """
class ShardIndexF32:
    """
    The exact projection over one shard of a pool (global row numbers).
    """
    def __init__(self, rows: numpy.typing.NDArray[numpy.float32], first_row: typing.SupportsInt | typing.SupportsIndex, metric: str, n_threads: typing.SupportsInt | typing.SupportsIndex, projection: ProjectionOptions) -> None:
        ...
    def nearest(self, v: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], c: typing.SupportsInt | typing.SupportsIndex, taken: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], refilled: bool) -> tuple:
        """
        (squared distances, global rows, values) of the c nearest available rows to v (the pool's coordinates), nearest first, ties to the lowest row; after a refill if refilled, then the takes. HNSW with audit: also (distance, global row) of the shard's exact nearest
        """
    def nearest_batch(self, points: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], c: typing.SupportsInt | typing.SupportsIndex, taken: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], refilled: bool) -> tuple:
        """
        For queries the client will ask in order (each followed by one take): (squared distances, global rows, each query's count, the distinct rows, their values), query j's c + j nearest available rows first to last; after a refill if refilled, then the takes
        """
    def take(self, row: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def available(self) -> int:
        ...
    @property
    def cache_hits(self) -> int:
        ...
class ShardIndexF64:
    """
    The exact projection over one shard of a pool (global row numbers).
    """
    def __init__(self, rows: numpy.typing.NDArray[numpy.float64], first_row: typing.SupportsInt | typing.SupportsIndex, metric: str, n_threads: typing.SupportsInt | typing.SupportsIndex, projection: ProjectionOptions) -> None:
        ...
    def nearest(self, v: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], c: typing.SupportsInt | typing.SupportsIndex, taken: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], refilled: bool) -> tuple:
        """
        (squared distances, global rows, values) of the c nearest available rows to v (the pool's coordinates), nearest first, ties to the lowest row; after a refill if refilled, then the takes. HNSW with audit: also (distance, global row) of the shard's exact nearest
        """
    def nearest_batch(self, points: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], c: typing.SupportsInt | typing.SupportsIndex, taken: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], refilled: bool) -> tuple:
        """
        For queries the client will ask in order (each followed by one take): (squared distances, global rows, each query's count, the distinct rows, their values), query j's c + j nearest available rows first to last; after a refill if refilled, then the takes
        """
    def take(self, row: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def available(self) -> int:
        ...
    @property
    def cache_hits(self) -> int:
        ...
class GreedyShardF32:
    """
    One shard of a greedy run (global row numbers; docs/dask.md).
    """
    def __init__(self, rows: numpy.typing.NDArray[numpy.float32], first_row: typing.SupportsInt | typing.SupportsIndex, pool_rows: typing.SupportsInt | typing.SupportsIndex, target: numpy.typing.NDArray[numpy.float32], k: typing.SupportsInt | typing.SupportsIndex, metric: str, n_threads: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def knn_scores(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        Every row's score (taken rows' are stale)
        """
    def knn_start(self, nu_k1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], nu_k: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], taken: typing.Annotated[numpy.typing.ArrayLike, numpy.int64]) -> tuple:
        """
        Takes `taken`, scores every row against a W with these nu_k1, nu_k; returns (counted, counts, scores, rows, values): every target with its rows here within nu_k, and the candidates
        """
    def knn_step(self, taken: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], build: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], targets: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], old_nu_k1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], old_nu_k: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], new_nu_k1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], new_nu_k: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> tuple:
        """
        Builds the lists `build`, takes `taken`, applies a kept pick's change; the answer of knn_start
        """
    def relaxed_rank(self, eps: typing.SupportsFloat | typing.SupportsIndex) -> None:
        """
        Ranks the rows by (relaxed value, row)
        """
    def relaxed_ranked(self, start: typing.SupportsInt | typing.SupportsIndex, count: typing.SupportsInt | typing.SupportsIndex) -> tuple:
        """
        (values, global rows, row values) of ranked rows [start, start + count)
        """
    def rows(self, rows: typing.Annotated[numpy.typing.ArrayLike, numpy.int64]) -> numpy.typing.NDArray[numpy.float32]:
        """
        The values of these global rows of the shard
        """
    @property
    def list_updates(self) -> int:
        ...
    @property
    def pool_pass_updates(self) -> int:
        ...
class GreedyShardF64:
    """
    One shard of a greedy run (global row numbers; docs/dask.md).
    """
    def __init__(self, rows: numpy.typing.NDArray[numpy.float64], first_row: typing.SupportsInt | typing.SupportsIndex, pool_rows: typing.SupportsInt | typing.SupportsIndex, target: numpy.typing.NDArray[numpy.float64], k: typing.SupportsInt | typing.SupportsIndex, metric: str, n_threads: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def knn_scores(self) -> numpy.typing.NDArray[numpy.float64]:
        """
        Every row's score (taken rows' are stale)
        """
    def knn_start(self, nu_k1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], nu_k: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], taken: typing.Annotated[numpy.typing.ArrayLike, numpy.int64]) -> tuple:
        """
        Takes `taken`, scores every row against a W with these nu_k1, nu_k; returns (counted, counts, scores, rows, values): every target with its rows here within nu_k, and the candidates
        """
    def knn_step(self, taken: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], build: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], targets: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], old_nu_k1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], old_nu_k: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], new_nu_k1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], new_nu_k: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> tuple:
        """
        Builds the lists `build`, takes `taken`, applies a kept pick's change; the answer of knn_start
        """
    def relaxed_rank(self, eps: typing.SupportsFloat | typing.SupportsIndex) -> None:
        """
        Ranks the rows by (relaxed value, row)
        """
    def relaxed_ranked(self, start: typing.SupportsInt | typing.SupportsIndex, count: typing.SupportsInt | typing.SupportsIndex) -> tuple:
        """
        (values, global rows, row values) of ranked rows [start, start + count)
        """
    def rows(self, rows: typing.Annotated[numpy.typing.ArrayLike, numpy.int64]) -> numpy.typing.NDArray[numpy.float64]:
        """
        The values of these global rows of the shard
        """
    @property
    def list_updates(self) -> int:
        ...
    @property
    def pool_pass_updates(self) -> int:
        ...
def check_resumable(state: Result, pool_rows: typing.SupportsInt | typing.SupportsIndex, target_rows: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Raise ValueError naming the damage when no run on a pool of pool_rows and a target of target_rows rows could have reached this state (a checkpoint is input).
    """
@typing.overload
def knn_kl(x: numpy.typing.NDArray[numpy.float32], w: numpy.typing.NDArray[numpy.float32], k: typing.SupportsInt | typing.SupportsIndex = 5, n_threads: typing.SupportsInt | typing.SupportsIndex = 0, metric: str = 'euclidean') -> float:
    """
    Exact k-NN estimate of KL(x || w) (Wang, Kulkarni & Verdu 2009; DESIGN.md 2b), with distances in units of x's spread about its mean (scaling or shifting x and w together changes nothing); metric='cosine': between rows scaled to unit length, on the sphere's d - 1 dimensions.
    """
@typing.overload
def knn_kl(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], w: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], k: typing.SupportsInt | typing.SupportsIndex = 5, n_threads: typing.SupportsInt | typing.SupportsIndex = 0, metric: str = 'euclidean') -> float:
    """
    Exact k-NN estimate of KL(x || w) (Wang, Kulkarni & Verdu 2009; DESIGN.md 2b), with distances in units of x's spread about its mean (scaling or shifting x and w together changes nothing); metric='cosine': between rows scaled to unit length, on the sphere's d - 1 dimensions.
    """
@typing.overload
def knn_kl_events(x: numpy.typing.NDArray[numpy.float32], rows: numpy.typing.NDArray[numpy.float32], k: typing.SupportsInt | typing.SupportsIndex = 5, n_threads: typing.SupportsInt | typing.SupportsIndex = 0, metric: str = 'euclidean') -> tuple[numpy.typing.NDArray[numpy.int32], numpy.typing.NDArray[numpy.int32], numpy.typing.NDArray[numpy.float64]]:
    """
    selection_kl_ on a Dask worker: for rows (one chunk's selected rows, in pick order) added one by one, every change of the targets' k-NN lists within these rows, as (counts: per row, how many; target, distance: per change, targets ascending within a row). knn_kl_replay turns the chunks' changes into knn_kl(x, W, k).
    """
@typing.overload
def knn_kl_events(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], rows: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], k: typing.SupportsInt | typing.SupportsIndex = 5, n_threads: typing.SupportsInt | typing.SupportsIndex = 0, metric: str = 'euclidean') -> tuple[numpy.typing.NDArray[numpy.int32], numpy.typing.NDArray[numpy.int32], numpy.typing.NDArray[numpy.float64]]:
    """
    selection_kl_ on a Dask worker: for rows (one chunk's selected rows, in pick order) added one by one, every change of the targets' k-NN lists within these rows, as (counts: per row, how many; target, distance: per change, targets ascending within a row). knn_kl_replay turns the chunks' changes into knn_kl(x, W, k).
    """
def knn_kl_merge(n_targets: typing.SupportsInt | typing.SupportsIndex, k: typing.SupportsInt | typing.SupportsIndex, position: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], target: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], distance: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> numpy.typing.NDArray[numpy.uint8]:
    """
    Of some chunks' knn_kl_events merged in (position, target) order, those the k-NN lists within all their rows accept (1) or reject (0): the events of those rows as one chunk, for a merge tree on the workers.
    """
@typing.overload
def knn_kl_replay(x: numpy.typing.NDArray[numpy.float32], position: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], target: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], distance: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], n_rows: typing.SupportsInt | typing.SupportsIndex, k: typing.SupportsInt | typing.SupportsIndex = 5, n_threads: typing.SupportsInt | typing.SupportsIndex = 0, metric: str = 'euclidean') -> float:
    """
    knn_kl(x, W, k) of W's n_rows rows from the changes knn_kl_events reported for W's chunks, merged in (position in W, target) order: the same value bit for bit (the same float operations, in order).
    """
@typing.overload
def knn_kl_replay(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], position: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], target: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], distance: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], n_rows: typing.SupportsInt | typing.SupportsIndex, k: typing.SupportsInt | typing.SupportsIndex = 5, n_threads: typing.SupportsInt | typing.SupportsIndex = 0, metric: str = 'euclidean') -> float:
    """
    knn_kl(x, W, k) of W's n_rows rows from the changes knn_kl_events reported for W's chunks, merged in (position in W, target) order: the same value bit for bit (the same float operations, in order).
    """
def option_names(option: str) -> list[str]:
    """
    The accepted names of an enum-valued option, from the core's table.
    """
def random_pool_rows(n_pool: typing.SupportsInt | typing.SupportsIndex, fraction: typing.SupportsFloat | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.int64]:
    """
    int(fraction * n_pool) distinct pool rows, drawn without replacement
    """
@typing.overload
def relaxed_kl(x: numpy.typing.NDArray[numpy.float32], w: numpy.typing.NDArray[numpy.float32], k: typing.SupportsInt | typing.SupportsIndex = 5, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-08, discard_nearest_for_xy: bool = False, n_threads: typing.SupportsInt | typing.SupportsIndex = 0, absolute_clip: bool = True, metric: str = 'euclidean') -> float:
    """
    Relaxed k-NN estimate of KL(x || w), as grad-info-opt computes it (DESIGN.md 2a): distances clipped and eps added in the data's own units. absolute_clip=False measures them in units of x's spread about its mean, as a fit does (gioselect.relaxed_kl), so that scaling or shifting x and w changes nothing. metric='cosine': between rows scaled to unit length.
    """
@typing.overload
def relaxed_kl(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], w: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], k: typing.SupportsInt | typing.SupportsIndex = 5, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-08, discard_nearest_for_xy: bool = False, n_threads: typing.SupportsInt | typing.SupportsIndex = 0, absolute_clip: bool = True, metric: str = 'euclidean') -> float:
    """
    Relaxed k-NN estimate of KL(x || w), as grad-info-opt computes it (DESIGN.md 2a): distances clipped and eps added in the data's own units. absolute_clip=False measures them in units of x's spread about its mean, as a fit does (gioselect.relaxed_kl), so that scaling or shifting x and w changes nothing. metric='cosine': between rows scaled to unit length.
    """
@typing.overload
def relaxed_kl_gradient(x: numpy.typing.NDArray[numpy.float32], w: numpy.typing.NDArray[numpy.float32], v: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], k: typing.SupportsInt | typing.SupportsIndex = 5, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-08, discard_nearest_for_xy: bool = False, n_threads: typing.SupportsInt | typing.SupportsIndex = 0, absolute_clip: bool = True) -> numpy.typing.NDArray[numpy.float64]:
    """
    Gradient of the relaxed estimate KL(x || w + {v}) with respect to v (absolute_clip: as relaxed_kl).
    """
@typing.overload
def relaxed_kl_gradient(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], w: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], v: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], k: typing.SupportsInt | typing.SupportsIndex = 5, eps: typing.SupportsFloat | typing.SupportsIndex = 1e-08, discard_nearest_for_xy: bool = False, n_threads: typing.SupportsInt | typing.SupportsIndex = 0, absolute_clip: bool = True) -> numpy.typing.NDArray[numpy.float64]:
    """
    Gradient of the relaxed estimate KL(x || w + {v}) with respect to v (absolute_clip: as relaxed_kl).
    """
@typing.overload
def select(pool: numpy.typing.NDArray[numpy.float32], target: numpy.typing.NDArray[numpy.float32], init: numpy.typing.NDArray[numpy.float32], options: Options, on_step: typing.Any = None, on_checkpoint: typing.Any = None, resume: Result = None) -> Result:
    """
    Run GIO: pool, target and init share one dtype (float32 or float64), C-contiguous. on_step(n_iter, n_selected, kl, kl_start) after each iteration returns 0 to go on, 1 to stop, 2 to have on_checkpoint(state) called; an interrupt calls on_checkpoint(state), then raises. resume: a state from on_checkpoint of a run with the same inputs and options.
    """
@typing.overload
def select(pool: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], target: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], init: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], options: Options, on_step: typing.Any = None, on_checkpoint: typing.Any = None, resume: Result = None) -> Result:
    """
    Run GIO: pool, target and init share one dtype (float32 or float64), C-contiguous. on_step(n_iter, n_selected, kl, kl_start) after each iteration returns 0 to go on, 1 to stop, 2 to have on_checkpoint(state) called; an interrupt calls on_checkpoint(state), then raises. resume: a state from on_checkpoint of a run with the same inputs and options.
    """
@typing.overload
def select_descent(projection: typing.Any, n_rows: typing.SupportsInt | typing.SupportsIndex, target: numpy.typing.NDArray[numpy.float32], init: numpy.typing.NDArray[numpy.float32], options: Options, on_step: typing.Any = None, on_checkpoint: typing.Any = None, resume: Result = None) -> Result:
    """
    Run search='descent' with a projection written in Python instead of a pool in memory: projection.nearest(v, c, taken, refilled) -> (rows, values) applies the refill and the takes since its last call, then returns the c nearest available rows to v (the pool's coordinates), nearest first, ties to the lowest row, and their values (the target's dtype); projection.rows(rows) -> values (resume only). A projection with lookahead > 0 (an int attribute) is also told the next queries when the run knows them: projection.upcoming(points, c, taken, refilled), points (count, d) in the order they will be asked. n_rows: the pool's row count. Otherwise as select().
    """
@typing.overload
def select_descent(projection: typing.Any, n_rows: typing.SupportsInt | typing.SupportsIndex, target: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], init: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], options: Options, on_step: typing.Any = None, on_checkpoint: typing.Any = None, resume: Result = None) -> Result:
    """
    Run search='descent' with a projection written in Python instead of a pool in memory: projection.nearest(v, c, taken, refilled) -> (rows, values) applies the refill and the takes since its last call, then returns the c nearest available rows to v (the pool's coordinates), nearest first, ties to the lowest row, and their values (the target's dtype); projection.rows(rows) -> values (resume only). A projection with lookahead > 0 (an int attribute) is also told the next queries when the run knows them: projection.upcoming(points, c, taken, refilled), points (count, d) in the order they will be asked. n_rows: the pool's row count. Otherwise as select().
    """
@typing.overload
def select_greedy(source: typing.Any, n_rows: typing.SupportsInt | typing.SupportsIndex, target: numpy.typing.NDArray[numpy.float32], init: numpy.typing.NDArray[numpy.float32], options: Options, on_step: typing.Any = None, on_checkpoint: typing.Any = None, resume: Result = None) -> Result:
    """
    Run search='greedy' with a source of best rows written in Python instead of a pool in memory (the protocol: python/src/bind_greedy.cpp; gioselect._greedy_shards). n_rows: the pool's row count. Otherwise as select().
    """
@typing.overload
def select_greedy(source: typing.Any, n_rows: typing.SupportsInt | typing.SupportsIndex, target: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], init: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], options: Options, on_step: typing.Any = None, on_checkpoint: typing.Any = None, resume: Result = None) -> Result:
    """
    Run search='greedy' with a source of best rows written in Python instead of a pool in memory (the protocol: python/src/bind_greedy.cpp; gioselect._greedy_shards). n_rows: the pool's row count. Otherwise as select().
    """
def simd_kernel() -> str:
    """
    The kernels' build this process runs ('avx2+fma' or 'generic'; GIOSELECT_SIMD=generic forces the portable one), chosen once at the first call: distances may differ in the last bits between builds.
    """
def uniform_start(size: typing.SupportsInt | typing.SupportsIndex, d: typing.SupportsInt | typing.SupportsIndex, low: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], high: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], normalize: bool, seed: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
    """
    size uniform points in [low, high] per column (1 or d bounds), unit norm with normalize
    """
