"""Training the sparse autoencoder: L-BFGS-B with a progress bar, BLAS threads chosen by
measurement, line-search failures explained, and hyperparameter sweeps.

The cost itself is :func:`ufldl_helpers.sparse_autoencoder.objective`; the measures of the
learned filters are in :mod:`ufldl_helpers.filters` and
:mod:`ufldl_helpers.filter_statistics`.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import statistics
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import scipy
import scipy.optimize
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_choice, check_scalar
from ufldl_helpers.sparse_autoencoder import Objective, initialize_parameters, objective, unpack

__all__ = [
    "FastestBlasThreads",
    "LineSearchFailure",
    "LineSearchWarning",
    "TrainingResult",
    "hyperparameter_sweep",
    "limit_blas_threads",
    "train_sparse_autoencoder",
    "with_blas_threads",
]


class LineSearchWarning(UserWarning):
    """L-BFGS-B stopped because its line search failed (scipy status 2)."""


class LineSearchFailure(RuntimeError):
    """Raised instead of :class:`LineSearchWarning` when ``on_line_search_failure="raise"``."""


@dataclass(repr=False)
class TrainingResult:
    """What :func:`train_sparse_autoencoder` returns.

    Attributes
    ----------
    theta : (size,) float64 ndarray
        Final parameters, unrolled in ``order``.
    W1, W2, b1, b2 : ndarray
        Views into ``theta``.
    visible_size, hidden_size : int
    cost_history : (n_iterations + 1,) ndarray
        Cost at the initial ``theta``, then after each L-BFGS-B iteration.
    optimize_result : scipy.optimize.OptimizeResult
    wall_time : float
        Seconds spent in the optimizer.
    status : int
        scipy's status: 0 converged, 1 iteration limit, 2 stopped otherwise (see
        ``line_search_failed`` and ``message``), 99 stopped by the callback (scipy >= 1.11).
    message : str
    hyperparameters : dict
        ``lambda_``, ``sparsity_param``, ``beta``, ``max_iter``, ``dtype``.
    order : str
    stopped_by_callback : bool
        The ``callback`` asked to stop.
    blas_threads : int or None
        numpy's BLAS threads used for most evaluations (None: left as they were).
    """

    theta: np.ndarray
    visible_size: int
    hidden_size: int
    cost_history: np.ndarray
    optimize_result: scipy.optimize.OptimizeResult
    wall_time: float
    hyperparameters: dict[str, Any]
    order: str = "C"
    stopped_by_callback: bool = False
    blas_threads: int | None = None
    W1: np.ndarray = field(init=False, repr=False)
    W2: np.ndarray = field(init=False, repr=False)
    b1: np.ndarray = field(init=False, repr=False)
    b2: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.W1, self.W2, self.b1, self.b2 = unpack(self.theta, self.visible_size,
                                                    self.hidden_size, self.order)

    @property
    def status(self) -> int:
        return int(self.optimize_result.status)

    @property
    def message(self) -> str:
        return str(self.optimize_result.message)

    @property
    def n_iterations(self) -> int:
        return len(self.cost_history) - 1

    @property
    def line_search_failed(self) -> bool:
        """L-BFGS-B's line search failed. Decided from scipy's status code, never from its
        wording (scipy < 1.15 says "ABNORMAL_TERMINATION_IN_LNSRCH", later "ABNORMAL: ..."):
        status 2 is every stop other than convergence (0) and the limits (1); with valid
        options the only one left, once a callback halt is excluded (scipy < 1.11 reported it
        as status 2 too), is the line search's."""
        return self.status == 2 and not self.stopped_by_callback

    def summary(self) -> str:
        """One line that holds on any machine: costs to 2 significant digits, no time.

        E.g. ``"L-BFGS-B: 400 iterations, cost 53 -> 0.38 (iteration limit)"``.
        """
        if self.stopped_by_callback:
            why = "stopped by the callback"
        elif self.line_search_failed:
            why = "line search failed"
        else:
            why = {0: "converged", 1: "iteration limit"}.get(self.status, self.message)
        return (f"L-BFGS-B: {self.n_iterations} iterations, cost {self.cost_history[0]:.2g} -> "
                f"{self.cost_history[-1]:.2g} ({why})")

    def __repr__(self) -> str:
        return f"<TrainingResult: {self}>"

    def __str__(self) -> str:
        return (f"sparse autoencoder {self.visible_size} -> {self.hidden_size}: cost "
                f"{self.cost_history[0]:.4f} -> {self.cost_history[-1]:.4f} in "
                f"{self.n_iterations} L-BFGS-B iterations ({self.message})")


def _line_search_hint(res: scipy.optimize.OptimizeResult, n_iterations: int) -> str:
    return (
        f"L-BFGS-B stopped after {n_iterations} iterations because its line search failed "
        f"or found no lower cost (status {res.status}: {res.message!s}). The usual cause is a "
        "gradient that does not match the cost: check it with "
        "ufldl_helpers.gradcheck.check_gradient on a few examples. Other causes: a float32 "
        "cost too coarse for the line search (train in float64), or a cost already flat to "
        "machine precision (then the result may be fine: look at cost_history).")


# --------------------------------------------------------------------------- BLAS threads

@functools.cache
def _blas_pools() -> tuple[Any, Any]:
    """(scipy's own OpenBLAS pools, numpy's BLAS pools) as threadpoolctl controllers or None."""
    from threadpoolctl import ThreadpoolController

    def roots(module: ModuleType, libs: str) -> tuple[str, str]:
        # numpy and scipy are regular packages: their __file__ is never None.
        here = Path(module.__file__).resolve().parent  # type: ignore[arg-type]
        return (str(here), str(here.parent / libs))

    controller = ThreadpoolController()
    blas = [str(info["filepath"]) for info in controller.info()
            if info.get("user_api") == "blas"]
    numpy_paths = [p for p in blas if p.startswith(roots(np, "numpy.libs"))]
    scipy_paths = [p for p in blas if p.startswith(roots(scipy, "scipy.libs"))
                   and p not in numpy_paths]
    return (controller.select(filepath=scipy_paths) if scipy_paths else None,
            controller.select(filepath=numpy_paths) if numpy_paths else None)


@contextlib.contextmanager
def limit_blas_threads(numpy_threads: int | None = None) -> Iterator[None]:
    """Thread-pool hygiene for an optimizer loop on a small, shared machine.

    scipy's own OpenBLAS (used by L-BFGS-B for tiny vector operations) is limited to one thread,
    so its idle threads do not spin on the cores numpy's GEMMs need (2-2.5x slower training on
    2 cores otherwise). numpy's BLAS is limited to ``numpy_threads`` (None: left as it is;
    :class:`FastestBlasThreads` chooses per evaluation).

    Parameters
    ----------
    numpy_threads : int, optional
    """
    if numpy_threads is not None:
        numpy_threads = check_scalar(numpy_threads, "numpy_threads", low=1, integer=True)
    scipy_pools, numpy_pools = _blas_pools()
    with contextlib.ExitStack() as stack:
        if scipy_pools is not None:
            stack.enter_context(scipy_pools.limit(limits=1))
        if numpy_pools is not None and numpy_threads is not None:
            stack.enter_context(numpy_pools.limit(limits=numpy_threads))
        yield


class FastestBlasThreads:
    """Evaluate ``fun(theta)`` with numpy's BLAS at the thread count that has been fastest lately.

    On a quiet machine two threads win on MNIST-size GEMMs; when other processes hold the cores,
    a thread that waits for one loses far more than it gains (``benchmarks/README.md``: 2 cores,
    784-196, m = 10000, float64, two CPU-bound processes beside: 1436 ms with 2 threads, 614 ms
    with 1). The load changes while a run goes on, so the other candidates are timed again now
    and then; the median of each one's last three times decides. A probe that loses doubles the
    wait before the next one (up to ``max_interval`` calls), so a losing candidate, which on a
    busy machine can be 20x slower, costs a handful of calls per run. The thread count changes
    the last bits of OpenBLAS's GEMMs, so the results of a long optimization then depend on the
    load at the last-bit level (like another CPU's); fix the count for bit-for-bit repeats.

    Parameters
    ----------
    fun : callable
        ``fun(theta)``, e.g. from :func:`ufldl_helpers.sparse_autoencoder.objective`.
    candidates : sequence of int, optional
        Thread counts to try; default 1 and numpy's current setting.
    probe_every : int
        Calls before the first probe of a candidate that is not the best, and after a probe
        that wins.
    max_interval : int
        Longest wait between probes.
    """

    def __init__(self, fun: Callable[[np.ndarray], Any], candidates: Iterable[int] | None = None,
                 probe_every: int = 8, max_interval: int = 256) -> None:
        if not callable(fun):
            raise TypeError(f"fun must be callable, got {type(fun).__name__}")
        self.fun = fun
        _, self._pools = _blas_pools()
        if candidates is None:
            current = max((info["num_threads"] for info in self._pools.info()), default=1) \
                if self._pools is not None else 1
            candidates = sorted({1, current})
        self.candidates = [check_scalar(k, "candidates", low=1, integer=True)
                           for k in candidates]
        if not self.candidates:
            raise ValueError("candidates must hold at least one thread count")
        self.probe_every = check_scalar(probe_every, "probe_every", low=1, integer=True)
        self.max_interval = check_scalar(max_interval, "max_interval", low=self.probe_every,
                                         integer=True)
        self.times: dict[int, collections.deque[float]] = {
            k: collections.deque(maxlen=3) for k in self.candidates}
        self.counts = dict.fromkeys(self.candidates, 0)
        self._interval = self.probe_every
        self._next_probe = self.probe_every
        self._calls = 0
        self._probed = 0

    @property
    def best(self) -> int:
        """The thread count with the lowest median of its recent times (so far)."""
        timed = [k for k in self.candidates if self.times[k]]
        if not timed:
            return self.candidates[-1]
        return min(timed, key=lambda k: statistics.median(self.times[k]))

    @property
    def controls_threads(self) -> bool:
        """False when numpy's BLAS cannot be found (then ``fun`` runs as it is)."""
        return self._pools is not None

    def _choose(self) -> tuple[int, bool]:
        """(threads, whether this call probes a candidate that is not the best)."""
        for k in self.candidates:
            if not self.times[k]:
                return k, False
        best = self.best
        others = [k for k in self.candidates if k != best]
        if others and self._calls >= self._next_probe:
            self._probed += 1
            return others[self._probed % len(others)], True
        return best, False

    def __call__(self, theta: np.ndarray) -> Any:
        threads, probe = self._choose()
        self._calls += 1
        self.counts[threads] += 1
        if self._pools is None:
            return self.fun(theta)
        with self._pools.limit(limits=threads):
            start = time.perf_counter()
            out = self.fun(theta)
            self.times[threads].append(time.perf_counter() - start)
        if probe:
            won = self.best == threads
            self._interval = self.probe_every if won else min(2 * self._interval,
                                                              self.max_interval)
            self._next_probe = self._calls + self._interval
        return out


_SMALL_GEMM_FLOPS = 2e9
"""Below this many GEMM flops per evaluation (UFLDL's 64-25 x 10000: 1.6e8), elementwise work
dominates: a second BLAS thread gains little and, on a busy machine, costs about 20x
(``benchmarks/README.md``)."""


def with_blas_threads(fun: Objective, blas_threads: int | None = None) -> FastestBlasThreads:
    """``fun`` from :func:`~ufldl_helpers.sparse_autoencoder.objective`, run with training's
    thread policy for numpy's BLAS.

    ``blas_threads`` if given; else 1 when the evaluation's GEMMs are small (the UFLDL exercise:
    elementwise work dominates, so a second thread gains little and costs about 20x on a busy
    machine); else :class:`FastestBlasThreads` between 1 and numpy's setting. The last bits of
    a GEMM depend on the thread count, so pass ``blas_threads`` for runs that repeat bit for bit
    at large sizes; small problems always do.

    Returns
    -------
    FastestBlasThreads
    """
    if blas_threads is not None:
        blas_threads = check_scalar(blas_threads, "blas_threads", low=1, integer=True)
    else:
        h, v = fun.layout.shapes["W1"]
        if 10 * h * v * fun.n_examples < _SMALL_GEMM_FLOPS:  # five GEMMs of 2 h v m flops
            blas_threads = 1
    return FastestBlasThreads(fun, None if blas_threads is None else [blas_threads])


def train_sparse_autoencoder(data: ArrayLike, hidden_size: int = 25, *, lambda_: float = 1e-4,
                             sparsity_param: float = 0.01, beta: float = 3.0,
                             max_iter: int = 400, rng: np.random.Generator | int | None = None,
                             theta0: ArrayLike | None = None, order: str = "C",
                             progress: bool = True,
                             callback: Callable[[int, float, np.ndarray], object] | None = None,
                             on_line_search_failure: str = "warn",
                             blas_threads: int | None = None) -> TrainingResult:
    """Train the sparse autoencoder with L-BFGS-B (``scipy.optimize.minimize``, ``jac=True``).

    Defaults are UFLDL's natural-image exercise; see
    :data:`~ufldl_helpers.sparse_autoencoder.MNIST_DEFAULTS` for the MNIST one.

    Parameters
    ----------
    data : (visible_size, m) ndarray in [0, 1]
        float64, or float32 to evaluate the cost in float32 (about twice as fast; L-BFGS-B
        itself always works in float64).
    hidden_size : int
    lambda_, sparsity_param, beta : float
        As in :func:`~ufldl_helpers.sparse_autoencoder.sparse_autoencoder_cost`.
    max_iter : int
        L-BFGS-B iterations.
    rng : numpy.random.Generator, int or None
        For :func:`~ufldl_helpers.sparse_autoencoder.initialize_parameters` (ignored when
        ``theta0`` is given).
    theta0 : ndarray, optional
        Starting point.
    order : {"C", "F"}
    progress : bool
        Show a tqdm progress bar (notebook-aware), one step per iteration, then print
        :meth:`TrainingResult.summary`, so that output read without a kernel (where the bar is
        a frozen widget) still shows that training ran.
    callback : callable, optional
        ``callback(iteration, cost, theta)`` after each iteration; return ``True`` to stop.
    on_line_search_failure : {"warn", "raise"}
        What to do when L-BFGS-B's line search fails (:attr:`TrainingResult.line_search_failed`):
        issue a :class:`LineSearchWarning` or raise :class:`LineSearchFailure`, with a hint.
    blas_threads : int, optional
        Threads for numpy's BLAS during training; default :func:`with_blas_threads`'s policy
        (1 for the UFLDL exercise; at MNIST size 1 or numpy's setting, whichever is faster
        now). scipy's own pool always gets one (:func:`limit_blas_threads`).

    Returns
    -------
    TrainingResult
    """
    from tqdm.auto import tqdm

    max_iter = check_scalar(max_iter, "max_iter", low=1, integer=True)
    check_choice(on_line_search_failure, "on_line_search_failure", ("warn", "raise"))
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    fun = objective(data, hidden_size, lambda_=lambda_, sparsity_param=sparsity_param,
                    beta=beta, order=order)
    visible_size = fun.layout.shapes["W1"][1]
    if theta0 is None:
        theta0 = initialize_parameters(hidden_size, visible_size, rng, order)
    else:
        theta0 = check_array(theta0, "theta0", ndim=1)
        if theta0.shape[0] != fun.layout.size:
            raise ValueError(f"theta0 must have 2*h*v + h + v = {fun.layout.size} entries for "
                             f"visible_size={visible_size}, hidden_size={hidden_size}; got "
                             f"{theta0.shape[0]}")
    theta0 = theta0.astype(np.float64)
    timed = with_blas_threads(fun, blas_threads)

    history = [timed(theta0)[0]]
    bar = tqdm(total=max_iter, desc="L-BFGS-B", unit="it", disable=not progress, leave=True)
    stopped = False

    def on_iteration(intermediate_result: scipy.optimize.OptimizeResult) -> None:
        nonlocal stopped
        history.append(float(intermediate_result.fun))
        bar.set_postfix(cost=f"{history[-1]:.4f}", refresh=False)
        bar.update(1)
        if callback is not None and callback(len(history) - 1, history[-1],
                                             intermediate_result.x):
            stopped = True
            raise StopIteration

    start = time.perf_counter()
    try:
        with limit_blas_threads():
            res = scipy.optimize.minimize(timed, theta0, jac=True, method="L-BFGS-B",
                                          callback=on_iteration, options={"maxiter": max_iter})
    finally:
        bar.close()
    wall = time.perf_counter() - start
    result = TrainingResult(theta=np.asarray(res.x, dtype=np.float64),
                            visible_size=visible_size, hidden_size=hidden_size,
                            cost_history=np.asarray(history), optimize_result=res,
                            wall_time=wall, order=order, stopped_by_callback=stopped,
                            blas_threads=timed.best if timed.controls_threads else None,
                            hyperparameters={"lambda_": float(lambda_),
                                             "sparsity_param": float(sparsity_param),
                                             "beta": float(beta), "max_iter": max_iter,
                                             "dtype": str(np.asarray(data).dtype)})
    if progress:
        print(result.summary(), flush=True)
    stalled = (not result.line_search_failed and not stopped and max_iter > 1
               and result.n_iterations <= 1 and history[-1] >= history[0])
    if result.line_search_failed or stalled:
        # scipy >= 1.16 can call a gradient that points uphill "converged" after one iteration
        # that did not lower the cost: the same symptom as a failed line search.
        hint = _line_search_hint(res, result.n_iterations)
        if on_line_search_failure == "raise":
            raise LineSearchFailure(hint)
        warnings.warn(hint, LineSearchWarning, stacklevel=2)
    return result


# --------------------------------------------------------------------------- hyperparameters

def hyperparameter_sweep(data: ArrayLike, hidden_size: int = 25,
                         values: Mapping[str, Iterable[float]] | None = None, *,
                         max_iter: int = 200, rng: np.random.Generator | int | None = 0,
                         base: Mapping[str, float] | None = None, progress: bool = False
                         ) -> dict[str, dict[float, TrainingResult]]:
    """Train once per value of each hyperparameter, the others held at ``base``.

    Every run starts from the same initial ``theta``, so differences between the filters come
    from the hyperparameter alone.

    Parameters
    ----------
    data : (visible_size, m) ndarray in [0, 1]
    hidden_size : int
    values : dict, optional
        ``{"sparsity_param": [...], "beta": [...], "lambda_": [...]}`` (any subset). Default:
        rho in (0.01, 0.05, 0.2), beta in (0, 3, 10), ``lambda_`` in (0, 1e-4, 1e-2).
    max_iter : int
        L-BFGS-B iterations per run.
    rng : numpy.random.Generator, int or None
        For the shared initial ``theta``.
    base : dict, optional
        The values held fixed; default UFLDL's (rho 0.01, beta 3, ``lambda_`` 1e-4).
    progress : bool
        Progress bar for each run.

    Returns
    -------
    dict name -> dict value -> TrainingResult
        Runs with identical settings are trained once and shared.
    """
    data = check_array(data, "data", ndim=2)  # fully validated by train_sparse_autoencoder
    if values is None:
        values = {"sparsity_param": (0.01, 0.05, 0.2), "beta": (0.0, 3.0, 10.0),
                  "lambda_": (0.0, 1e-4, 1e-2)}
    base = dict({"sparsity_param": 0.01, "beta": 3.0, "lambda_": 1e-4}, **(base or {}))
    unknown = set(values) - set(base) or set(base) - {"sparsity_param", "beta", "lambda_"}
    if unknown:
        raise ValueError(f"hyperparameters must be among 'sparsity_param', 'beta', 'lambda_'; "
                         f"got {sorted(unknown)}")
    theta0 = initialize_parameters(hidden_size, data.shape[0], rng)
    runs: dict[tuple, TrainingResult] = {}
    sweep: dict[str, dict[float, TrainingResult]] = {}
    for name, vals in values.items():
        sweep[name] = {}
        for value in vals:
            setting = dict(base, **{name: float(value)})
            key = tuple(sorted(setting.items()))
            if key not in runs:
                runs[key] = train_sparse_autoencoder(data, hidden_size, max_iter=max_iter,
                                                     theta0=theta0, progress=progress,
                                                     # only the three penalties (checked)
                                                     **setting)  # type: ignore[arg-type]
            sweep[name][float(value)] = runs[key]
    return sweep
