"""The numpydoc text that GIOSelector and GIOSampler share: their parameters and fitted attributes."""

from gioselect._engine import STOP_CRITERIA

PARAMETERS = f"""\
    Parameters
    ----------
    objective : {{'relaxed', 'knn'}}, default='relaxed'
        The KL estimate minimised. 'relaxed' is grad-info-opt's: the mean log-distance to every
        selected point, whose gradient ignores what is already selected. 'knn' is the paper's own
        k-NN estimate (Wang, Kulkarni & Verdu 2009): each target's distance to its k-th nearest
        selected point, so a served region stops attracting picks. ``objective_trace_`` reports it.
    search : {{'auto', 'descent', 'greedy', 'nearest', 'spread'}}, default='auto'
        How a pick is found. 'auto': 'spread' when fit is given a target, 'descent' when the target
        is the pool itself (``fit(X)``); ``search_`` says which ran. The descent's own options
        (batch_size, n_candidates, v_init, lr, ...) need search='descent'. 'descent': gradient
        descent from a start point, then the nearest unpicked row (the paper's relaxation).
        'greedy': the exact greedy step, the available row
        whose addition lowers the estimate the most (ties within 1e-9 relative: the lowest row).
        'nearest': nearest-to-target round-robin, each target row (in a seeded shuffled order)
        takes in turn its nearest unpicked row. 'spread': one nearest round (among the rows with
        a target row among their k-NN; a target far from the pool gets none), then the pool rows
        of the target's domain (by a k-NN density ratio, target against a sample of the pool)
        spread evenly over the targets' Voronoi cells; without n_select it stops after about as
        many rows as the pool holds like the target (estimated from the same k-NN counts).
        'nearest' and 'spread' do not follow the estimate, which ``objective_trace_`` still reports.
        See the README, "Which mode".
    batch_size : int, default=1
        knn descent: picks per round. The round's descents (from the batch_size worst-served
        targets, or the next jump rows) run in parallel; each pick is then scored against the
        picks before it. The relaxed descent does not depend on the selection, so there it
        changes nothing. Not an option of the greedy search.
    k : int, default=5
        Neighbour rank of the k-NN distances (rho_k within the target, nu_k to the selection).
    max_iter : int or None, default=None
        Largest number of picks (the reference's max_iter=T keeps T+1 points; this one keeps T).
        None: no limit but the stop criterion (search='spread' often keeps thousands of rows).
    n_select : int or None, default=None
        Exact budget: make exactly this many picks; stopping criteria are then ignored.
    stop_criterion : str, default='auto'
        When a run without n_select ends, one of {", ".join(map(repr, ("auto",) + STOP_CRITERIA))}
        (README, "Semantics"). 'auto': 'in_domain' for search='spread' (stop after the first round
        and as many rows as the pool's estimated share of target-like rows), else
        'sequential_increase_tolerance', which tolerates up to two picks in a row that raise the KL
        and drops such a trailing run when it stops.
    min_difference : float, default=0.0
        'min_difference': stop when a pick improves the KL by less.
    min_kl : float, default=0.0
        'min_kl': stop once the KL is below it (that pick is kept).
    max_data_size : float, default=1.0
        'data_size': at most this fraction of the pool.
    max_sequential_increases : int, default=3
        'sequential_increase_tolerance': increases in a row that stop the run.
    resets_allowed : bool, default=False
        Descent: refill the pool instead of stopping, up to max_resets times.
    max_resets : int, default=2
        Most refills of the pool.
    v_init : {{'auto', 'mean', 'prev_opt', 'jump', 'worst'}}, default='auto'
        Start of each descent: the target mean, the previous optimum, a random target row, or
        (knn) the worst-served target row, the one with the largest log(nu_k / rho_k). 'auto':
        'jump' for 'relaxed', 'worst' for 'knn'.
    grad_desc_iter : int, default=50
        Descent steps per pick (three times as many on the first pick and after a reset).
    lr : float, default=0.01
        Learning rate of the descent.
    scale_factor : 'auto' or float, default='auto'
        Gradient scale. 'auto' makes the first step move v by lr times the target's spread; the
        knn descent takes normalized steps of length lr * scale ('auto': the target's spread). A
        number is in the target's units (distances are measured in units of its spread), so it
        means the same at any scale of the data.
    random_restart_prob : float, default=0.0
        Probability of a 3x longer descent on an ordinary pick.
    discard_nearest_for_xy : bool, default=False
        Relaxed: drop each target's nearest selected point from the estimate (reference option).
    uniform_start_size : int, default=20
        Without ``init``: the number of start rows, drawn uniformly in
        [uniform_low, uniform_high] per feature.
    uniform_low, uniform_high : float, array of floats or None, default=None
        Bounds of the uniform start; None: the target's bounding box (suits data at any scale).
    normalize : bool, default=False
        Scale the uniform start rows to unit norm.
    random_init_pct : float, default=0.0
        > 0: the start is this fraction of random pool rows instead of uniform points.
    n_candidates : int, default=1
        Descent: score the n_candidates nearest unpicked rows of each descent's end point by the
        KL they would give and pick the best (1: the nearest row, as the reference does).
    projection : {{'auto', 'exact', 'hnsw'}}, default='auto'
        How a descent's end point becomes a pool row: brute force ('exact'), an HNSW graph
        ('hnsw'), or brute force while at most ``exact_below`` rows remain and HNSW beyond.
    exact_below : int, default=200000
        The 'auto' projection's threshold.
    hnsw_m, ef_construction, ef_search : int, default=16, 100, 256
        HNSW graph degree, build breadth and search breadth.
    random_state : None, int, RandomState or Generator, default=None
        Seeds every random draw; the same seed gives the same selection.
    n_jobs : int or None, default=None
        Threads. None: OpenMP's default (OMP_NUM_THREADS), -1: all cores.
    callback : callable or None, default=None
        Called after every iteration with a dict (n_iter, n_selected, kl, kl_start, seconds; kl
        and kl_start are the objective's estimate); returning True stops the run
        (``stop_reason_ == 'callback'``).
    verbose : int, default=0
        > 0: progress on stderr: each phase with its time, then picks against the budget, KL,
        picks/s and an ETA.
    checkpoint : path or None, default=None
        Write the run's state there every ``checkpoint_every`` picks, on Ctrl-C and at the end
        (atomically); ``resume(path, X, target=...)`` continues it and selects what the
        uninterrupted run would have.
    checkpoint_every : int, default=100
        Picks between checkpoints.
    quantize : int or None, default=None
        Quantization-explosion (the paper's route to millions of rows): K-means the pool into this
        many clusters, run GIO on the centres, then return every pool row of each picked cluster
        (picked clusters in pick order, each cluster's rows nearest its centre first).
        ``n_select`` and ``max_iter`` then count clusters. A memory-mapped pool is read block by
        block.
    quantize_target : int or None, default=None
        With quantize: also K-means the target into this many centres and use them as the target.
    max_rows_per_cluster : int or None, default=None
        With quantize: take at most this many rows (the nearest to the centre) of each cluster.
    spread_threshold : float, default=0.5
        search='spread': a pool row is in the target's domain when its density ratio is at least
        this times the median ratio at the target rows; those rows are spread first. The stop
        does not depend on it (it estimates the target-like rows from the counts themselves).
    spread_cell_rows : int, default=15
        search='spread': only the in-domain rows among the this-many nearest each target row are
        spread first; the other in-domain rows follow by ratio (0: no limit). The stop does not
        depend on it.
    n_select_rows : int or None, default=None
        With quantize: the budget in pool rows (``n_select`` counts clusters there). Clusters are
        picked until their rows reach it; the last cluster is cut to fit, keeping its rows nearest
        its centre (``stop_reason_ == 'n_select_rows'``). Stopping criteria are then ignored.
    svd_components : int or None, default=None
        Map pool, target and init to this many dense columns with a TruncatedSVD fitted on the
        pool, then run GIO there: the route for scipy.sparse input such as TF-IDF, which is
        refused without it (a few hundred components is typical). The fitted SVD is ``svd_``;
        ``target_``, the estimates and ``score`` are in its space, and ``transform`` returns rows
        of X as given. The pool is read whole (for memory-mapped pools, reduce them first).
    metric : {'euclidean', 'cosine'}, default='euclidean'
        How rows are compared: 'euclidean', or 'cosine', the Euclidean distance between the rows
        scaled to unit length (sentence embeddings are compared by cosine). Every pool, target
        and init row is scaled as it is read (a memory-mapped pool is not copied), so the rows
        are points on the unit sphere, a (d - 1)-dimensional surface: the estimates use d - 1 as
        their dimension. Rows of norm 0 are refused.
"""

ATTRIBUTES = """\
    Attributes
    ----------
    selected_indices_ : ndarray of int64
        The selected pool rows, in selection order.
    support_ : ndarray of bool, shape (n_pool,)
        True for the selected rows.
    selection_kl_ : float
        The k-NN estimate of KL(target_ || the selected rows), with this selector's k: what the
        selection loses about the target (``score()`` is minus it). It can be negative, as an
        estimate from finite samples; compare it between selections for one target (README, "Two
        estimates"). NaN when fewer than k rows are selected, and after Ctrl-C (``score()``
        computes it then).
    objective_trace_ : ndarray of float64
        The objective's estimate (``objective``: relaxed or k-NN) of the start rows plus the
        picks, after each pick: what the search minimised, not the selection's KL. With
        ``quantize``, of the picked centres. Was ``kl_trace_`` (kept, with a FutureWarning).
    objective_start_ : float
        The objective's estimate of the start rows alone. Was ``kl_start_``.
    lowest_objective_pick_ : int
        After how many picks ``objective_trace_`` was lowest (0: no picks). When n_select forces
        the descent or greedy search past it and the estimate rises by more than 5% of what the
        picks had gained, fit warns (UserWarning) once, naming the pick.
    search_ : str
        The search that ran: ``search``, with 'auto' resolved ('spread' or 'descent').
    stop_reason_ : str
        Why the run ended: a stop criterion's name, 'n_select', 'n_select_rows', 'max_iter',
        'data_size', 'pool exhausted', 'callback', or 'interrupted' (Ctrl-C: the attributes hold
        the picks made until then).
    n_iter_ : int
        Loop iterations, rejected picks and resets included.
    n_resets_ : int
        Refills of the pool.
    scale_factor_ : float
        The gradient scale the descent used (in the target's units).
    init_ : ndarray
        The start rows (given, drawn uniformly, or pool rows).
    init_indices_ : ndarray of int64 or None
        The pool rows of the start (``random_init_pct``), else None.
    target_ : ndarray
        The target the run preserved: the one given to fit (the pool itself when none was given),
        or its centres with ``quantize_target``. ``score()`` and ``selection_kl_`` judge against it.
    n_pool_ : int
        Rows of the pool the selector was fitted on.
    n_features_in_ : int
        Features seen in fit.
    feature_names_in_ : ndarray of str
        Column names seen in fit, when X is a DataFrame.
    fit_seconds_ : float
        Time of the run (K-means included).
    svd_ : sklearn.decomposition.TruncatedSVD
        With ``svd_components``: the SVD fitted on the pool. ``svd_.transform(T)`` maps another
        sample into the space of ``target_`` and the selection (``score(target=T)`` does it).
    selected_clusters_, cluster_labels_, cluster_centers_, quantize_seconds_
        With ``quantize``: the picked clusters in pick order, every pool row's cluster, the
        centres, and the K-means time.
"""
