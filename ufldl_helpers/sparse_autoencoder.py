"""The UFLDL sparse autoencoder: cost and gradient, training, and a measurable filter summary.

Notation (UFLDL's, and the variable names used here)::

    a2 = sigmoid(W1 @ x + b1)                     hidden activations, (hidden_size, m)
    a3 = sigmoid(W2 @ a2 + b2)                    reconstruction, (visible_size, m)
    rho_hat = mean(a2, axis=1)                    average activation of each hidden unit
    J = 1/(2m) sum ||a3 - x||^2
        + lambda_/2 (||W1||^2 + ||W2||^2)         weight decay, never on biases
        + beta sum_j KL(rho || rho_hat_j)
    KL(rho || rho_hat) = rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat))

Backpropagation::

    delta3 = (a3 - x) * a3 * (1 - a3)
    delta2 = (W2.T @ delta3 + beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))) * a2 * (1 - a2)
    dJ/dW2 = delta3 @ a2.T / m + lambda_ W2       dJ/db2 = sum(delta3, axis=1) / m
    dJ/dW1 = delta2 @ x.T / m + lambda_ W1        dJ/db1 = sum(delta2, axis=1) / m

``theta`` is ``[W1, W2, b1, b2]`` unrolled, row by row (``order="C"``) or column by column as
MATLAB's ``W1(:)`` (``order="F"``), so numbers can be compared with the MATLAB starter code.
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy
import scipy.optimize

from ufldl_helpers._validation import (
    check_array,
    check_choice,
    check_rng,
    check_scalar,
)
from ufldl_helpers.activations import sigmoid
from ufldl_helpers.params import ParamLayout

__all__ = [
    "MNIST_DEFAULTS",
    "UFLDL_DEFAULTS",
    "FilterStatistics",
    "LineSearchFailure",
    "LineSearchWarning",
    "TrainingResult",
    "encode",
    "filter_statistics",
    "hyperparameter_sweep",
    "initialize_parameters",
    "kl_divergence",
    "kl_divergence_grad",
    "layout",
    "limit_blas_threads",
    "reconstruct",
    "sparse_autoencoder_cost",
    "staged_gradient_checks",
    "train_sparse_autoencoder",
    "unpack",
]

UFLDL_DEFAULTS = {"patch_size": 8, "num_patches": 10000, "hidden_size": 25,
                  "sparsity_param": 0.01, "lambda_": 1e-4, "beta": 3.0, "max_iter": 400}
"""The natural-image exercise: 8x8 patches, 10000 of them, 64 -> 25 -> 64."""

MNIST_DEFAULTS = {"visible_size": 784, "hidden_size": 196, "sparsity_param": 0.1,
                  "lambda_": 3e-3, "beta": 3.0, "num_examples": 10000, "max_iter": 400}
"""UFLDL's MNIST variant (self-taught learning exercise): 784 -> 196 -> 784."""


class LineSearchWarning(UserWarning):
    """L-BFGS-B stopped because its line search failed (scipy status 2)."""


class LineSearchFailure(RuntimeError):
    """Raised instead of :class:`LineSearchWarning` when ``on_line_search_failure="raise"``."""


def layout(visible_size: int, hidden_size: int, order: str = "C") -> ParamLayout:
    """The :class:`~ufldl_helpers.params.ParamLayout` of ``theta = [W1, W2, b1, b2]``.

    Parameters
    ----------
    visible_size, hidden_size : int
    order : {"C", "F"}
        ``"F"`` unrolls each matrix column by column, like MATLAB's ``W1(:)``.
    """
    visible_size = check_scalar(visible_size, "visible_size", low=1, integer=True)
    hidden_size = check_scalar(hidden_size, "hidden_size", low=1, integer=True)
    return ParamLayout.from_shapes(
        {"W1": (hidden_size, visible_size), "W2": (visible_size, hidden_size),
         "b1": (hidden_size,), "b2": (visible_size,)}, order=order)


def initialize_parameters(hidden_size: int, visible_size: int, rng=None, order: str = "C",
                          dtype=np.float64) -> np.ndarray:
    """UFLDL's initialization: weights uniform in ``[-r, r]``, ``r = sqrt(6 / (h + v + 1))``.

    Biases start at zero. (The argument order ``hidden_size, visible_size`` is UFLDL's.)

    Parameters
    ----------
    hidden_size, visible_size : int
    rng : numpy.random.Generator, int or None
        ``None`` uses the package's fixed seed.
    order : {"C", "F"}
        Unrolling order of ``theta`` (``"F"`` = MATLAB's).
    dtype : {numpy.float64, numpy.float32}

    Returns
    -------
    theta : (2 * hidden_size * visible_size + hidden_size + visible_size,) ndarray of ``dtype``
    """
    lay = layout(visible_size, hidden_size, order)
    rng = check_rng(rng)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    r = np.sqrt(6.0) / np.sqrt(hidden_size + visible_size + 1)
    W1 = rng.uniform(-r, r, size=(hidden_size, visible_size))
    W2 = rng.uniform(-r, r, size=(visible_size, hidden_size))
    theta = lay.unroll({"W1": W1, "W2": W2, "b1": np.zeros(hidden_size),
                        "b2": np.zeros(visible_size)})
    return theta.astype(dtype, copy=False)


def kl_divergence(sparsity_param, rho_hat):
    """``KL(rho || rho_hat)`` between Bernoulli variables of means ``rho`` and ``rho_hat``.

    ``rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - rho_hat))``: zero at
    ``rho_hat == rho``, growing without bound as ``rho_hat`` approaches 0 or 1.

    Parameters
    ----------
    sparsity_param : float in (0, 1)
        The target ``rho``.
    rho_hat : array_like in (0, 1)
        Average activations, any shape.

    Returns
    -------
    ndarray, the shape of ``rho_hat``
    """
    return _kl(*_check_kl_args(sparsity_param, rho_hat))


def kl_divergence_grad(sparsity_param, rho_hat):
    """Derivative of :func:`kl_divergence` with respect to ``rho_hat``.

    ``-rho / rho_hat + (1 - rho) / (1 - rho_hat)``; times ``beta``, it is the term the
    sparsity penalty adds to each hidden unit's backpropagated error.
    """
    return _kl_grad(*_check_kl_args(sparsity_param, rho_hat))


def _check_kl_args(sparsity_param, rho_hat):
    rho = check_scalar(sparsity_param, "sparsity_param", low=0, high=1, low_inclusive=False,
                       high_inclusive=False)
    rho_hat = check_array(rho_hat, "rho_hat")
    if rho_hat.size and not (rho_hat.min() > 0 and rho_hat.max() < 1):
        raise ValueError(f"rho_hat must lie in (0, 1), got values in [{rho_hat.min():.4g}, "
                         f"{rho_hat.max():.4g}]")
    return rho, rho_hat


def _kl(rho, rho_hat):
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def _kl_grad(rho, rho_hat):
    return -rho / rho_hat + (1 - rho) / (1 - rho_hat)


def _infer_hidden_size(theta: np.ndarray, visible_size: int) -> int:
    # len(theta) = 2 h v + h + v
    n = theta.shape[0] - visible_size
    h, rem = divmod(n, 2 * visible_size + 1)
    if rem or h < 1:
        raise ValueError(f"theta has {theta.shape[0]} entries, which is not 2*h*v + h + v for "
                         f"visible_size v = {visible_size} and any hidden size h")
    return h


def _check_theta(theta, lay: ParamLayout) -> np.ndarray:
    theta = check_array(theta, "theta", ndim=1)
    if theta.shape[0] != lay.size:
        h, v = lay.shapes["W1"]
        raise ValueError(f"theta must have 2*h*v + h + v = {lay.size} entries for "
                         f"visible_size={v}, hidden_size={h}; got {theta.shape[0]}")
    return theta


def _check_data(data, visible_size: int | None = None) -> np.ndarray:
    """Validate ``data : (visible_size, m)`` in [0, 1] with two reductions and no temporaries."""
    data = check_array(data, "data", ndim=2, finite=False)
    if visible_size is not None and data.shape[0] != visible_size:
        raise ValueError(f"data must have visible_size = {visible_size} rows (one example per "
                         f"column), got shape {data.shape}")
    if data.shape[1] == 0:
        raise ValueError("data must hold at least one example (column), got shape "
                         f"{data.shape}")
    lo, hi = data.min(), data.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        check_array(data, "data")  # raises, counting the NaN/inf values
    if lo < 0 or hi > 1:
        raise ValueError(
            f"data must lie in [0, 1] because the output layer is a sigmoid, whose values lie in "
            f"(0, 1); got values in [{lo:.4g}, {hi:.4g}]. Rescale it first, e.g. with "
            f"ufldl_helpers.data.normalize_patches for image patches or / 255 for pixels")
    return data


def _check_hyper(lambda_, sparsity_param, beta) -> tuple[float, float, float]:
    lambda_ = check_scalar(lambda_, "lambda_", low=0)
    sparsity_param = check_scalar(sparsity_param, "sparsity_param", low=0, high=1,
                                  low_inclusive=False, high_inclusive=False)
    beta = check_scalar(beta, "beta", low=0)
    return float(lambda_), float(sparsity_param), float(beta)


def unpack(theta, visible_size: int, hidden_size: int, order: str = "C"):
    """Split ``theta`` into ``W1, W2, b1, b2`` (views, so writing to them writes to ``theta``).

    Returns
    -------
    W1 : (hidden_size, visible_size)
    W2 : (visible_size, hidden_size)
    b1 : (hidden_size,)
    b2 : (visible_size,)
    """
    lay = layout(visible_size, hidden_size, order)
    blocks = lay.roll(_check_theta(theta, lay))
    return blocks["W1"], blocks["W2"], blocks["b1"], blocks["b2"]


def _blocks_for(theta, data, hidden_size, order):
    data = _check_data(data)
    theta = check_array(theta, "theta", ndim=1)
    v = data.shape[0]
    h = _infer_hidden_size(theta, v) if hidden_size is None else hidden_size
    return unpack(theta, v, h, order), data


def encode(theta, data, hidden_size: int | None = None, order: str = "C") -> np.ndarray:
    """Hidden activations ``a2 = sigmoid(W1 @ data + b1)``.

    Parameters
    ----------
    theta : (2*h*v + h + v,) ndarray
    data : (visible_size, m) ndarray in [0, 1]
    hidden_size : int, optional
        Inferred from ``len(theta)`` and ``data.shape[0]`` when omitted.
    order : {"C", "F"}

    Returns
    -------
    a2 : (hidden_size, m) ndarray
    """
    (W1, _, b1, _), data = _blocks_for(theta, data, hidden_size, order)
    return sigmoid(W1 @ data + b1[:, None])


def reconstruct(theta, data, hidden_size: int | None = None, order: str = "C") -> np.ndarray:
    """The autoencoder's output ``a3 = sigmoid(W2 @ a2 + b2)`` for each column of ``data``.

    Parameters and shapes as in :func:`encode`; returns ``a3 : (visible_size, m)``.
    """
    (W1, W2, b1, b2), data = _blocks_for(theta, data, hidden_size, order)
    return sigmoid(W2 @ sigmoid(W1 @ data + b1[:, None]) + b2[:, None])


# --------------------------------------------------------------------------- the fast kernel

def _sigmoid_inplace(z: np.ndarray) -> np.ndarray:
    """``sigmoid(z)`` written over ``z`` as ``0.5 + 0.5 tanh(z / 2)``.

    Same values as :func:`ufldl_helpers.activations.sigmoid` to a few ulps and no overflow, but
    in place (no 5-60 MB temporary) and with numpy's vectorized tanh, 3-7x faster than ``expit``
    on the 64x10000 and 25x10000 arrays of the exercise.
    """
    z *= 0.5
    np.tanh(z, out=z)
    z *= 0.5
    z += 0.5
    return z


_BLOCK_BYTES = 2**21
"""Output-layer work is done in column blocks of about this many bytes per (visible, block)
array, so that the elementwise chain on a3 and delta3 runs in L2/L3 cache instead of making
nine trips to memory over (visible_size, m) arrays (63 MB each at MNIST size in float64)."""


class _Workspace:
    """Activation and delta buffers reused across evaluations of one problem size.

    Fresh arrays of this size cost page faults on every call. ``a2`` has an extra row of ones
    so that ``[W2 b2] @ a2`` adds the output bias inside the GEMM and ``delta3 @ a2.T`` yields
    ``dJ/db2`` as its last column. ``a3`` and ``delta3`` hold one column block only.
    """

    def __init__(self, visible_size: int, hidden_size: int, m: int, dtype):
        dtype = np.dtype(dtype)
        self.key = (visible_size, hidden_size, m, dtype)
        self.block = int(min(m, max(256, _BLOCK_BYTES // (visible_size * dtype.itemsize))))
        self.a2 = np.empty((hidden_size + 1, m), dtype)
        self.a2[hidden_size] = 1
        self.delta2 = np.empty((hidden_size, m), dtype)
        self.a3 = np.empty((visible_size, self.block), dtype)
        self.delta3 = np.empty((visible_size, self.block), dtype)
        self.W2b2 = np.empty((visible_size, hidden_size + 1), dtype)
        self.gW2b2 = np.empty((visible_size, hidden_size + 1), dtype)


_local = threading.local()


def _workspace(visible_size: int, hidden_size: int, m: int, dtype) -> _Workspace:
    """The calling thread's workspace for this size (one kept per thread, the latest size)."""
    key = (visible_size, hidden_size, m, np.dtype(dtype))
    ws = getattr(_local, "workspace", None)
    if ws is None or ws.key != key:
        _local.workspace = ws = _Workspace(visible_size, hidden_size, m, dtype)
    return ws


def _cost_grad(theta, lay, data, lambda_, rho, beta, ws):
    """Cost and gradient of validated inputs of one dtype; see the module docstring.

    Five GEMMs; the output layer's forward pass, error and backward GEMMs run block by block
    of columns, so its elementwise passes stay in cache. No temporaries of size m.
    ``delta3`` is computed with the opposite sign (saves a pass); the GEMMs undo it.
    """
    h = lay.shapes["W1"][0]
    m = data.shape[1]
    dtype = ws.a2.dtype
    p = lay.roll(theta)
    W1, W2, b1, b2 = p["W1"], p["W2"], p["b1"], p["b2"]
    a2, a2_ones, d2 = ws.a2[:h], ws.a2, ws.delta2

    np.matmul(W1, data, out=a2)
    a2 += b1[:, None]
    _sigmoid_inplace(a2)
    eps = np.finfo(dtype).eps  # rho_hat is 0 or 1 only if every unit saturates; keep log finite
    rho_hat = np.clip(a2.sum(axis=1) / m, eps, 1 - eps)

    ws.W2b2[:, :h] = W2
    ws.W2b2[:, h] = b2
    ws.gW2b2[...] = 0
    squared_error = 0.0
    for start in range(0, m, ws.block):
        stop = min(start + ws.block, m)
        a3, d3 = ws.a3[:, :stop - start], ws.delta3[:, :stop - start]
        a2_block = a2_ones[:, start:stop]
        np.matmul(ws.W2b2, a2_block, out=a3)
        _sigmoid_inplace(a3)
        np.subtract(a3, data[:, start:stop], out=d3)
        squared_error += np.vdot(d3, d3)
        d3 *= a3
        a3 -= 1
        d3 *= a3  # d3 = (a3 - x) * a3 * (a3 - 1) = -delta3
        ws.gW2b2 += d3 @ a2_block.T  # accumulates -m * [dJ/dW2 (data part), dJ/db2]
        np.matmul(W2.T, d3, out=d2[:, start:stop])  # = -W2.T @ delta3

    cost = (0.5 / m * squared_error
            + 0.5 * lambda_ * (np.vdot(W1, W1) + np.vdot(W2, W2))
            + beta * np.sum(_kl(rho, rho_hat)))
    grad = np.empty(lay.size, dtype)
    g = lay.roll(grad)
    np.multiply(ws.gW2b2[:, :h], -1.0 / m, out=g["W2"])
    g["W2"] += lambda_ * W2
    np.multiply(ws.gW2b2[:, h], -1.0 / m, out=g["b2"])

    d2 -= beta * _kl_grad(rho, rho_hat)[:, None]
    d2 *= a2
    a2 -= 1
    d2 *= a2  # = (W2.T @ delta3 + sparsity) * a2 * (1 - a2) = delta2
    np.multiply(d2 @ data.T, 1.0 / m, out=g["W1"])
    g["W1"] += lambda_ * W1
    np.multiply(d2.sum(axis=1), 1.0 / m, out=g["b1"])
    return dtype.type(cost), grad


def sparse_autoencoder_cost(theta, visible_size: int, hidden_size: int, lambda_: float,
                            sparsity_param: float, beta: float, data, order: str = "C"):
    """UFLDL's ``sparseAutoencoderCost``: cost and gradient of the sparse autoencoder.

    Parameters
    ----------
    theta : (2*hidden_size*visible_size + hidden_size + visible_size,) ndarray
        ``[W1, W2, b1, b2]`` unrolled in ``order``.
    visible_size, hidden_size : int
    lambda_ : float >= 0
        Weight decay (on ``W1`` and ``W2`` only).
    sparsity_param : float in (0, 1)
        Target average activation ``rho``.
    beta : float >= 0
        Weight of the sparsity penalty.
    data : (visible_size, m) ndarray in [0, 1]
        One example per column.
    order : {"C", "F"}
        Unrolling order of ``theta`` and of the returned gradient.

    Returns
    -------
    cost : scalar of the computation dtype
    grad : ndarray, same shape as ``theta``
        float32 if ``theta`` and ``data`` are both float32, else float64.

    Examples
    --------
    >>> import numpy as np
    >>> theta = initialize_parameters(3, 4, rng=0)
    >>> x = np.random.default_rng(0).random((4, 5))
    >>> cost, grad = sparse_autoencoder_cost(theta, 4, 3, 1e-4, 0.01, 3.0, x)
    >>> grad.shape == theta.shape
    True
    """
    lay = layout(visible_size, hidden_size, order)
    theta = _check_theta(theta, lay)
    data = _check_data(data, lay.shapes["W1"][1])
    lambda_, rho, beta = _check_hyper(lambda_, sparsity_param, beta)
    dtype = np.result_type(theta, data)
    theta = theta.astype(dtype, copy=False)
    data = data.astype(dtype, copy=False)
    ws = _workspace(visible_size, hidden_size, data.shape[1], dtype)
    return _cost_grad(theta, lay, data, lambda_, rho, beta, ws)


def staged_gradient_checks(data, hidden_size: int = 5, *, lambda_: float = 1e-4,
                           sparsity_param: float = 0.01, beta: float = 3.0, rng=None,
                           epsilon: float = 1e-4) -> dict:
    """UFLDL's advice, in three stages: check the plain cost, then add weight decay, then sparsity.

    A failure at one stage points at the term just added. Use few examples and hidden units
    (UFLDL: 10 patches and a handful of units), because every parameter costs two evaluations.

    Parameters
    ----------
    data : (visible_size, m) ndarray in [0, 1]
    hidden_size : int
    lambda_, sparsity_param, beta : float
        The penalties switched on at stages 2 and 3.
    rng : numpy.random.Generator, int or None
        For the random ``theta`` of the check.
    epsilon : float
        Finite-difference step (UFLDL: 1e-4).

    Returns
    -------
    dict stage -> ufldl_helpers.gradcheck.GradientCheck
        Stages ``"no penalties"``, ``"+ weight decay"``, ``"+ sparsity"``; each report's
        ``relative_error`` should be below 1e-9 in float64.
    """
    from ufldl_helpers.gradcheck import check_gradient

    data = _check_data(data)
    lambda_, rho, beta = _check_hyper(lambda_, sparsity_param, beta)
    v = data.shape[0]
    lay = layout(v, hidden_size)
    theta = initialize_parameters(hidden_size, v, rng)
    stages = {"no penalties": (0.0, 0.0), "+ weight decay": (lambda_, 0.0),
              "+ sparsity": (lambda_, beta)}
    return {
        stage: check_gradient(
            lambda t, lam=lam, b=b: sparse_autoencoder_cost(t, v, hidden_size, lam, rho, b,
                                                           data),
            theta, epsilon=epsilon, blocks=lay, lambda_=lam or None)
        for stage, (lam, b) in stages.items()}


# --------------------------------------------------------------------------- training

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
        scipy's status: 0 converged, 1 iteration limit, 2 line-search failure (see ``message``).
    message : str
    hyperparameters : dict
        ``lambda_``, ``sparsity_param``, ``beta``, ``max_iter``, ``dtype``.
    order : str
    """

    theta: np.ndarray
    visible_size: int
    hidden_size: int
    cost_history: np.ndarray
    optimize_result: scipy.optimize.OptimizeResult
    wall_time: float
    hyperparameters: dict
    order: str = "C"
    W1: np.ndarray = field(init=False, repr=False)
    W2: np.ndarray = field(init=False, repr=False)
    b1: np.ndarray = field(init=False, repr=False)
    b2: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
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
        return _line_search_failed(self.optimize_result)

    def __repr__(self) -> str:
        return f"<TrainingResult: {self}>"

    def __str__(self) -> str:
        return (f"sparse autoencoder {self.visible_size} -> {self.hidden_size}: cost "
                f"{self.cost_history[0]:.4f} -> {self.cost_history[-1]:.4f} in "
                f"{self.n_iterations} L-BFGS-B iterations ({self.message})")


def _line_search_failed(res) -> bool:
    # scipy < 1.15 says "ABNORMAL_TERMINATION_IN_LNSRCH", later versions "ABNORMAL: ..."
    return int(res.status) == 2 or str(res.message).upper().startswith("ABNORMAL")


def _line_search_hint(res, n_iterations: int) -> str:
    return (
        f"L-BFGS-B stopped after {n_iterations} iterations because its line search failed "
        f"(status {res.status}: {res.message!s}). The usual cause is a gradient that does not "
        "match the cost: check it with ufldl_helpers.gradcheck.check_gradient on a few "
        "examples. Other causes: a float32 cost too coarse for the line search (train in "
        "float64), or a cost already flat to machine precision (then the result may be fine: "
        "look at cost_history).")


@functools.cache
def _blas_pools():
    """(scipy's own OpenBLAS pools, numpy's BLAS pools) as threadpoolctl controllers or None."""
    from threadpoolctl import ThreadpoolController

    def roots(module, libs):
        here = Path(module.__file__).resolve().parent
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
def limit_blas_threads(numpy_threads: int | None = None):
    """Thread-pool hygiene for an optimizer loop on a small, shared machine.

    scipy's own OpenBLAS (used by L-BFGS-B for tiny vector operations) is limited to one thread,
    so its idle threads do not spin on the cores numpy's GEMMs need (2-2.5x slower training on
    2 cores otherwise). numpy's BLAS is limited to ``numpy_threads`` (None: left as it is);
    when other processes share the cores, one thread avoids threads waiting on each other (on
    the shared 2-core machine, 10x at UFLDL size).

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


_SMALL_GEMM_FLOPS = 2e9
"""Below this many GEMM flops per evaluation (UFLDL's 64-25 x 10000: 1.6e8), elementwise work
dominates and a second BLAS thread gains little but can lose a lot on a shared machine."""


def train_sparse_autoencoder(data, hidden_size: int = 25, *, lambda_: float = 1e-4,
                             sparsity_param: float = 0.01, beta: float = 3.0,
                             max_iter: int = 400, rng=None, theta0=None, order: str = "C",
                             progress: bool = True, callback=None,
                             on_line_search_failure: str = "warn",
                             blas_threads: int | None = None) -> TrainingResult:
    """Train the sparse autoencoder with L-BFGS-B (``scipy.optimize.minimize``, ``jac=True``).

    Defaults are UFLDL's natural-image exercise; see :data:`MNIST_DEFAULTS` for the MNIST one.

    Parameters
    ----------
    data : (visible_size, m) ndarray in [0, 1]
        float64, or float32 to evaluate the cost in float32 (about twice as fast; L-BFGS-B
        itself always works in float64).
    hidden_size : int
    lambda_, sparsity_param, beta : float
        As in :func:`sparse_autoencoder_cost`.
    max_iter : int
        L-BFGS-B iterations.
    rng : numpy.random.Generator, int or None
        For :func:`initialize_parameters` (ignored when ``theta0`` is given).
    theta0 : ndarray, optional
        Starting point.
    order : {"C", "F"}
    progress : bool
        Show a tqdm progress bar (notebook-aware), one step per iteration.
    callback : callable, optional
        ``callback(iteration, cost, theta)`` after each iteration; return ``True`` to stop.
    on_line_search_failure : {"warn", "raise"}
        What to do when L-BFGS-B reports a line-search failure (status 2, "ABNORMAL..."):
        issue a :class:`LineSearchWarning` or raise :class:`LineSearchFailure`, with a hint.
    blas_threads : int, optional
        Threads for numpy's BLAS during training (see :func:`limit_blas_threads`; scipy's own
        pool always gets one). Default: 1 for problems whose GEMMs are small (the UFLDL
        exercise), numpy's setting otherwise.

    Returns
    -------
    TrainingResult
    """
    from tqdm.auto import tqdm

    data = _check_data(data)
    visible_size = data.shape[0]
    lay = layout(visible_size, hidden_size, order)
    lambda_, rho, beta = _check_hyper(lambda_, sparsity_param, beta)
    max_iter = check_scalar(max_iter, "max_iter", low=1, integer=True)
    check_choice(on_line_search_failure, "on_line_search_failure", ("warn", "raise"))
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    dtype = data.dtype
    if theta0 is None:
        theta0 = initialize_parameters(hidden_size, visible_size, rng, order)
    else:
        theta0 = _check_theta(theta0, lay)
    theta0 = theta0.astype(np.float64)
    ws = _Workspace(visible_size, hidden_size, data.shape[1], dtype)

    def fun(theta):
        cost, grad = _cost_grad(theta.astype(dtype, copy=False), lay, data, lambda_, rho,
                                beta, ws)
        return float(cost), grad.astype(np.float64, copy=False)

    history = [fun(theta0)[0]]
    bar = tqdm(total=max_iter, desc="L-BFGS-B", unit="it", disable=not progress, leave=True)

    def on_iteration(intermediate_result):
        history.append(float(intermediate_result.fun))
        bar.set_postfix(cost=f"{history[-1]:.4f}", refresh=False)
        bar.update(1)
        if callback is not None and callback(len(history) - 1, history[-1],
                                             intermediate_result.x):
            raise StopIteration

    if blas_threads is None and 10 * hidden_size * visible_size * data.shape[1] < _SMALL_GEMM_FLOPS:
        blas_threads = 1
    start = time.perf_counter()
    try:
        with limit_blas_threads(blas_threads):
            res = scipy.optimize.minimize(fun, theta0, jac=True, method="L-BFGS-B",
                                          callback=on_iteration, options={"maxiter": max_iter})
    finally:
        bar.close()
    wall = time.perf_counter() - start
    result = TrainingResult(theta=np.asarray(res.x, dtype=np.float64),
                            visible_size=visible_size, hidden_size=hidden_size,
                            cost_history=np.asarray(history), optimize_result=res,
                            wall_time=wall, order=order,
                            hyperparameters={"lambda_": lambda_, "sparsity_param": rho,
                                             "beta": beta, "max_iter": max_iter,
                                             "dtype": str(dtype)})
    if _line_search_failed(res):
        hint = _line_search_hint(res, result.n_iterations)
        if on_line_search_failure == "raise":
            raise LineSearchFailure(hint)
        warnings.warn(hint, LineSearchWarning, stacklevel=2)
    return result


# --------------------------------------------------------------------------- filter statistics

@dataclass(repr=False)
class FilterStatistics:
    """Summary of a trained layer: sparsity achieved and how edge-like each filter is.

    Attributes
    ----------
    rho_hat : (hidden_size,) ndarray or None
        Average activation of each hidden unit over the data (None without data).
    sparsity_param : float or None
        The target ``rho``.
    orientation : (hidden_size,) ndarray
        Orientation concentration of each filter's power spectrum, in [0, 1]: the length of the
        power-weighted mean of ``exp(2i angle)`` over spatial frequencies (DC excluded). 1 for a
        single orientation, about 0.1-0.3 for random filters, near 0 for round blobs.
    localization : (hidden_size,) ndarray
        ``1 - s / s_uniform``: ``s`` is the spread of the filter's energy across its preferred
        orientation (along the frequency vector), ``s_uniform`` the same for a filter of equal
        energy everywhere. 0 for a grating filling the patch, larger for a bar or edge.
    edge_score : (hidden_size,) ndarray
        ``min(orientation / orientation_threshold, localization / localization_threshold)``;
        a filter is edge-like when it is >= 1 (both thresholds met).
    edge_like : (hidden_size,) bool ndarray
    orientation_threshold, localization_threshold : float
    """

    rho_hat: np.ndarray | None
    sparsity_param: float | None
    orientation: np.ndarray
    localization: np.ndarray
    orientation_threshold: float
    localization_threshold: float
    edge_score: np.ndarray = field(init=False)
    edge_like: np.ndarray = field(init=False)

    def __post_init__(self):
        self.edge_score = np.minimum(self.orientation / self.orientation_threshold,
                                     self.localization / self.localization_threshold)
        self.edge_like = self.edge_score >= 1

    @property
    def n_filters(self) -> int:
        return int(self.orientation.shape[0])

    @property
    def n_edge_like(self) -> int:
        return int(np.count_nonzero(self.edge_like))

    def __repr__(self) -> str:
        return f"<FilterStatistics: {self.n_edge_like} of {self.n_filters} edge-like>"

    def __str__(self) -> str:
        lines = []
        if self.rho_hat is not None:
            target = "" if self.sparsity_param is None else f" (target {self.sparsity_param:g})"
            lines.append(f"rho_hat: mean {self.rho_hat.mean():.4f}{target}, "
                         f"std {self.rho_hat.std():.4f}, "
                         f"range [{self.rho_hat.min():.4f}, {self.rho_hat.max():.4f}]")
        lines.append(f"{self.n_edge_like} of {self.n_filters} filters are edge-like "
                     f"(orientation >= {self.orientation_threshold:g} and localization >= "
                     f"{self.localization_threshold:g}; median orientation "
                     f"{np.median(self.orientation):.2f}, median localization "
                     f"{np.median(self.localization):.2f})")
        return "\n".join(lines)


def _edge_measures(W1: np.ndarray, pad: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Orientation concentration and localization of each row of ``W1`` as a square image."""
    h, v = W1.shape
    p = math.isqrt(v)
    w = W1.reshape(h, p, p) - W1.mean(axis=1)[:, None, None]
    n = pad * p  # zero-padding samples the spectrum finely enough to resolve orientation
    power = np.abs(np.fft.fft2(w, s=(n, n))) ** 2
    f = np.fft.fftfreq(n)
    fy, fx = np.meshgrid(f, f, indexing="ij")
    doubled = np.exp(2j * np.arctan2(fy, fx))  # angles mod pi: +f and -f count as one
    doubled[0, 0] = 0
    total = power.sum(axis=(1, 2)) - power[:, 0, 0]
    z = np.einsum("kij,ij->k", power, doubled) / np.where(total > 0, total, 1)
    orientation = np.abs(z)
    angle = np.angle(z) / 2
    yy, xx = np.mgrid[:p, :p] - (p - 1) / 2
    u = np.cos(angle)[:, None, None] * xx + np.sin(angle)[:, None, None] * yy
    energy = w ** 2
    energy /= np.where(energy.sum(axis=(1, 2), keepdims=True) > 0,
                       energy.sum(axis=(1, 2), keepdims=True), 1)
    mean_u = np.einsum("kij,kij->k", energy, u)
    spread = np.sqrt(np.einsum("kij,kij->k", energy, (u - mean_u[:, None, None]) ** 2))
    uniform = u.reshape(h, -1).std(axis=1)
    return orientation, 1 - spread / uniform


def filter_statistics(W1, data=None, *, b1=None, sparsity_param=None,
                      orientation_threshold: float = 0.4,
                      localization_threshold: float = 0.1) -> FilterStatistics:
    """Measure a trained first layer: rho_hat against its target, and edge-like filters.

    Parameters
    ----------
    W1 : (hidden_size, visible_size) ndarray or TrainingResult
        ``visible_size`` must be a square number (each filter is a square patch). Given a
        :class:`TrainingResult`, ``b1`` and ``sparsity_param`` are taken from it.
    data : (visible_size, m) ndarray in [0, 1], optional
        Examples over which ``rho_hat`` is averaged (needs ``b1``).
    b1 : (hidden_size,) ndarray, optional
    sparsity_param : float, optional
        The target, shown next to ``rho_hat``.
    orientation_threshold, localization_threshold : float
        A filter is edge-like when both measures reach their threshold. The defaults sit above
        the 99th percentile of random filters (orientation 0.31) and of full-patch gratings
        (localization 0.1) for 8x8 patches.

    Returns
    -------
    FilterStatistics
    """
    if isinstance(W1, TrainingResult):
        result = W1
        W1, b1 = result.W1, result.b1
        if sparsity_param is None:
            sparsity_param = result.hyperparameters["sparsity_param"]
    W1 = check_array(W1, "W1", ndim=2)
    h, v = W1.shape
    p = math.isqrt(v)
    if p * p != v:
        raise ValueError(f"W1 must have a square number of columns (each filter a p x p patch), "
                         f"got shape {W1.shape}")
    orientation_threshold = check_scalar(orientation_threshold, "orientation_threshold",
                                         low=0, high=1, low_inclusive=False)
    localization_threshold = check_scalar(localization_threshold, "localization_threshold",
                                          low=0, high=1, low_inclusive=False)
    if sparsity_param is not None:
        sparsity_param = float(check_scalar(sparsity_param, "sparsity_param", low=0, high=1,
                                            low_inclusive=False, high_inclusive=False))
    rho_hat = None
    if data is not None:
        if b1 is None:
            raise ValueError("b1 is needed with data to compute rho_hat (or pass the "
                             "TrainingResult)")
        b1 = check_array(b1, "b1", shape=(h,))
        data = _check_data(data, v)
        rho_hat = sigmoid(W1 @ data + b1[:, None]).mean(axis=1)
    orientation, localization = _edge_measures(W1.astype(np.float64, copy=False))
    return FilterStatistics(rho_hat=rho_hat, sparsity_param=sparsity_param,
                            orientation=orientation, localization=localization,
                            orientation_threshold=float(orientation_threshold),
                            localization_threshold=float(localization_threshold))


# --------------------------------------------------------------------------- hyperparameters

def hyperparameter_sweep(data, hidden_size: int = 25, values=None, *, max_iter: int = 200,
                         rng=0, base=None, progress: bool = False) -> dict:
    """Train once per value of each hyperparameter, the others held at ``base``.

    Every run starts from the same initial ``theta``, so differences between the filters come
    from the hyperparameter alone.

    Parameters
    ----------
    data : (visible_size, m) ndarray in [0, 1]
    hidden_size : int
    values : dict, optional
        ``{"sparsity_param": [...], "beta": [...], "lambda_": [...]}`` (any subset). Default:
        rho in (0.01, 0.05, 0.2), beta in (0, 3, 10), lambda_ in (0, 1e-4, 1e-2).
    max_iter : int
        L-BFGS-B iterations per run.
    rng : numpy.random.Generator, int or None
        For the shared initial ``theta``.
    base : dict, optional
        The values held fixed; default UFLDL's (rho 0.01, beta 3, lambda_ 1e-4).
    progress : bool
        Progress bar for each run.

    Returns
    -------
    dict name -> dict value -> TrainingResult
        Runs with identical settings are trained once and shared.
    """
    data = _check_data(data)
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
                                                     **setting)
            sweep[name][float(value)] = runs[key]
    return sweep
