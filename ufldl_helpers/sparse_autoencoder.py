"""The UFLDL sparse autoencoder: its cost and gradient (a fast kernel), initialization, encoding.

Training lives in :mod:`ufldl_helpers.training`, the measures of learned filters in
:mod:`ufldl_helpers.filters` and :mod:`ufldl_helpers.filter_statistics`.

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

import threading
from typing import TYPE_CHECKING, Literal, Protocol, TypedDict, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ufldl_helpers._validation import check_array, check_rng, check_scalar
from ufldl_helpers.activations import sigmoid
from ufldl_helpers.params import ParamLayout

if TYPE_CHECKING:
    from ufldl_helpers.gradcheck import GradientCheck

__all__ = [
    "MNIST_DEFAULTS",
    "UFLDL_DEFAULTS",
    "encode",
    "initialize_parameters",
    "kl_divergence",
    "kl_divergence_grad",
    "layout",
    "objective",
    "reconstruct",
    "sparse_autoencoder_cost",
    "staged_gradient_checks",
    "unpack",
]

class _UfldlDefaults(TypedDict):
    patch_size: int
    num_patches: int
    hidden_size: int
    sparsity_param: float
    lambda_: float
    beta: float
    max_iter: int


class _MnistDefaults(TypedDict):
    visible_size: int
    hidden_size: int
    sparsity_param: float
    lambda_: float
    beta: float
    num_examples: int
    max_iter: int


class Objective(Protocol):
    """What :func:`objective` returns: ``fun(theta) -> (cost, grad)`` with two attributes."""

    layout: ParamLayout
    n_examples: int

    def __call__(self, theta: ArrayLike, /) -> tuple[float, np.ndarray]: ...


UFLDL_DEFAULTS: _UfldlDefaults = {
    "patch_size": 8, "num_patches": 10000, "hidden_size": 25, "sparsity_param": 0.01,
    "lambda_": 1e-4, "beta": 3.0, "max_iter": 400}
"""The natural-image exercise: 8x8 patches, 10000 of them, 64 -> 25 -> 64."""

MNIST_DEFAULTS: _MnistDefaults = {
    "visible_size": 784, "hidden_size": 196, "sparsity_param": 0.1, "lambda_": 3e-3,
    "beta": 3.0, "num_examples": 10000, "max_iter": 400}
"""UFLDL's MNIST variant (Exercise:Vectorization): 784 -> 196 -> 784."""


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


def initialize_parameters(hidden_size: int, visible_size: int,
                          rng: np.random.Generator | int | None = None, order: str = "C",
                          dtype: DTypeLike = np.float64) -> np.ndarray:
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


def kl_divergence(sparsity_param: float, rho_hat: ArrayLike) -> np.ndarray:
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


def kl_divergence_grad(sparsity_param: float, rho_hat: ArrayLike) -> np.ndarray:
    """Derivative of :func:`kl_divergence` with respect to ``rho_hat``.

    ``-rho / rho_hat + (1 - rho) / (1 - rho_hat)``; times ``beta``, it is the term the
    sparsity penalty adds to each hidden unit's backpropagated error.
    """
    return _kl_grad(*_check_kl_args(sparsity_param, rho_hat))


def _check_kl_args(sparsity_param: float, rho_hat: ArrayLike) -> tuple[float, np.ndarray]:
    rho = check_scalar(sparsity_param, "sparsity_param", low=0, high=1, low_inclusive=False,
                       high_inclusive=False)
    rho_hat = check_array(rho_hat, "rho_hat")
    if rho_hat.size and not (rho_hat.min() > 0 and rho_hat.max() < 1):
        raise ValueError(f"rho_hat must lie in (0, 1), got values in [{rho_hat.min():.4g}, "
                         f"{rho_hat.max():.4g}]")
    return rho, rho_hat


def _kl(rho: float | np.ndarray, rho_hat: float | np.ndarray) -> np.ndarray:
    """KL(rho || rho_hat) of Bernoulli variables, elementwise (either argument an array)."""
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def _kl_grad(rho: float, rho_hat: np.ndarray) -> np.ndarray:
    return -rho / rho_hat + (1 - rho) / (1 - rho_hat)


def _infer_hidden_size(theta: np.ndarray, visible_size: int) -> int:
    # len(theta) = 2 h v + h + v
    n = theta.shape[0] - visible_size
    h, rem = divmod(n, 2 * visible_size + 1)
    if rem or h < 1:
        raise ValueError(f"theta has {theta.shape[0]} entries, which is not 2*h*v + h + v for "
                         f"visible_size v = {visible_size} and any hidden size h")
    return h


def _check_theta(theta: ArrayLike, lay: ParamLayout) -> np.ndarray:
    theta = check_array(theta, "theta", ndim=1)
    if theta.shape[0] != lay.size:
        h, v = lay.shapes["W1"]
        raise ValueError(f"theta must have 2*h*v + h + v = {lay.size} entries for "
                         f"visible_size={v}, hidden_size={h}; got {theta.shape[0]}")
    return theta


def _check_data(data: ArrayLike, visible_size: int | None = None) -> np.ndarray:
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


def _check_hyper(lambda_: float, sparsity_param: float, beta: float
                 ) -> tuple[float, float, float]:
    lambda_ = check_scalar(lambda_, "lambda_", low=0)
    sparsity_param = check_scalar(sparsity_param, "sparsity_param", low=0, high=1,
                                  low_inclusive=False, high_inclusive=False)
    beta = check_scalar(beta, "beta", low=0)
    return float(lambda_), float(sparsity_param), float(beta)


def unpack(theta: ArrayLike, visible_size: int, hidden_size: int, order: str = "C"
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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


def _blocks_for(theta: ArrayLike, data: ArrayLike, hidden_size: int | None, order: str
                ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    data = _check_data(data)
    theta = check_array(theta, "theta", ndim=1)
    v = data.shape[0]
    h = _infer_hidden_size(theta, v) if hidden_size is None else hidden_size
    return unpack(theta, v, h, order), data


def encode(theta: ArrayLike, data: ArrayLike, hidden_size: int | None = None,
           order: str = "C") -> np.ndarray:
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


def reconstruct(theta: ArrayLike, data: ArrayLike, hidden_size: int | None = None,
                order: str = "C") -> np.ndarray:
    """The autoencoder's output ``a3 = sigmoid(W2 @ a2 + b2)`` for each column of ``data``.

    Parameters and shapes as in :func:`encode`; returns ``a3 : (visible_size, m)``.
    """
    (W1, W2, b1, b2), data = _blocks_for(theta, data, hidden_size, order)
    return sigmoid(W2 @ sigmoid(W1 @ data + b1[:, None]) + b2[:, None])


# --------------------------------------------------------------------------- the fast kernel

def _sigmoid_inplace(z: np.ndarray) -> np.ndarray:
    """``sigmoid(z) = 1 / (1 + exp(-z))`` written over ``z``, accurate in relative terms.

    For very negative ``z``, ``exp(-z)`` is huge and its reciprocal keeps full relative
    precision, so a unit whose activations are ~1e-13 gets a ``rho_hat`` right to a few ulps
    (``0.5 + 0.5 tanh(z / 2)`` loses it: the KL term then amplifies an absolute error of 1e-17
    into a cost off by 4e-8). ``exp`` overflows to inf below z = -709 (float64), giving 0, the
    correctly rounded result. In place, with numpy's vectorized ``exp``: on 25x10000 arrays
    1.7 ms in float64 (tanh form 2.1, ``scipy.special.expit`` 6.1) and 0.6 ms in float32
    (0.4 and 2.7).
    """
    np.negative(z, out=z)
    with np.errstate(over="ignore", under="ignore"):
        np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)
    return z


_BLOCK_BYTES = 2**21
"""Output-layer work is done in column blocks of about this many bytes per (visible, block)
array, so that the elementwise chain on a3 and delta3 runs in L2/L3 cache instead of making
nine trips to memory over (visible_size, m) arrays (63 MB each at MNIST size in float64)."""


class _Workspace:
    """Activation and delta buffers reused across evaluations of one problem size.

    Fresh arrays of this size cost page faults on every call. ``a2`` has an extra row of ones
    so that ``[W2 b2] @ a2`` adds the output bias inside the GEMM and ``delta3 @ a2.T`` yields
    ``dJ/db2`` as its last column. ``a3`` and ``delta3`` hold one column block only, laid out
    like the data (``order``): subtracting an F-ordered block from a C-ordered one is 4x slower
    than when both match, and sampled patches and MNIST images come F-ordered.
    """

    def __init__(self, visible_size: int, hidden_size: int, m: int, dtype: DTypeLike,
                 order: Literal["C", "F"] = "C") -> None:
        dtype = np.dtype(dtype)
        self.key = (visible_size, hidden_size, m, dtype, order)
        self.block = int(min(m, max(256, _BLOCK_BYTES // (visible_size * dtype.itemsize))))
        self.a2 = np.empty((hidden_size + 1, m), dtype)
        self.a2[hidden_size] = 1
        self.delta2 = np.empty((hidden_size, m), dtype)
        self.a3 = np.empty((visible_size, self.block), dtype, order=order)
        self.delta3 = np.empty((visible_size, self.block), dtype, order=order)
        self.W2b2 = np.empty((visible_size, hidden_size + 1), dtype)
        self.gW2b2 = np.empty((visible_size, hidden_size + 1), dtype)


def _layout_of(data: np.ndarray) -> Literal["C", "F"]:
    return "F" if data.flags.f_contiguous and not data.flags.c_contiguous else "C"


_local = threading.local()


def _workspace(visible_size: int, hidden_size: int, data: np.ndarray) -> _Workspace:
    """The calling thread's workspace for this problem (one kept per thread, the latest)."""
    key = (visible_size, hidden_size, data.shape[1], data.dtype, _layout_of(data))
    ws = getattr(_local, "workspace", None)
    if ws is None or ws.key != key:
        _local.workspace = ws = _Workspace(*key)
    return ws


def _sum_of_squares(d: np.ndarray) -> float:
    """``sum(d**2)`` to ~1e-9 relative, also for float32 ``d``.

    A float32 dot product is off by ~1e-6 relative over the 640 000 entries of the exercise;
    L-BFGS-B then sees steps that change nothing and stops early ("convergence" on a plateau).
    Rows of 256 float32 products are exact enough; their sums are added in float64.
    """
    flat = d.ravel(order="K")  # a view for the contiguous blocks
    if flat.dtype == np.float64:
        return float(flat @ flat)
    k = flat.size - flat.size % 256
    rows = flat[:k].reshape(-1, 256)
    tail = flat[k:].astype(np.float64)
    return float(np.einsum("ij,ij->i", rows, rows).sum(dtype=np.float64) + tail @ tail)


def _cost_grad(theta: np.ndarray, lay: ParamLayout, data: np.ndarray, lambda_: float,
               rho: float, beta: float, ws: _Workspace) -> tuple[float, np.ndarray]:
    """Cost (a Python float, accumulated in float64) and gradient of validated inputs.

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
    rho_hat = np.clip(a2.sum(axis=1, dtype=np.float64) / m, eps, 1 - eps)

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
        squared_error += _sum_of_squares(d3)
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

    d2 -= (beta * _kl_grad(rho, rho_hat)).astype(dtype)[:, None]  # float64 rho_hat
    d2 *= a2
    a2 -= 1
    d2 *= a2  # = (W2.T @ delta3 + sparsity) * a2 * (1 - a2) = delta2
    np.multiply(d2 @ data.T, 1.0 / m, out=g["W1"])
    g["W1"] += lambda_ * W1
    np.multiply(d2.sum(axis=1), 1.0 / m, out=g["b1"])
    return float(cost), grad


def sparse_autoencoder_cost(theta: ArrayLike, visible_size: int, hidden_size: int,
                            lambda_: float, sparsity_param: float, beta: float, data: ArrayLike,
                            order: str = "C") -> tuple[np.floating, np.ndarray]:
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
    ws = _workspace(visible_size, hidden_size, data)
    cost, grad = _cost_grad(theta, lay, data, lambda_, rho, beta, ws)
    return dtype.type(cost), grad


def objective(data: ArrayLike, hidden_size: int, *, lambda_: float, sparsity_param: float,
              beta: float, order: str = "C") -> Objective:
    """The cost as an optimizer wants it: ``fun(theta) -> (cost, grad)``, validated once.

    ``theta`` and ``grad`` are float64 (what ``scipy.optimize.minimize`` passes and expects);
    the cost is evaluated in ``data``'s dtype (float32 data: about twice as fast) with buffers
    of its own, so one ``fun`` per training run.

    Parameters
    ----------
    data : (visible_size, m) ndarray in [0, 1]
    hidden_size : int
    lambda_, sparsity_param, beta : float
        As in :func:`sparse_autoencoder_cost`.
    order : {"C", "F"}

    Returns
    -------
    fun : callable
        ``fun(theta : (size,) float64) -> (float, (size,) float64 ndarray)``; ``fun.layout``
        is the :class:`~ufldl_helpers.params.ParamLayout` of ``theta``, ``fun.n_examples``
        is ``m``.
    """
    data = _check_data(data)
    visible_size = data.shape[0]
    lay = layout(visible_size, hidden_size, order)
    lambda_, rho, beta = _check_hyper(lambda_, sparsity_param, beta)
    dtype = data.dtype
    ws = _Workspace(visible_size, hidden_size, data.shape[1], dtype, _layout_of(data))

    def fun(theta: ArrayLike) -> tuple[float, np.ndarray]:
        theta = _check_theta(theta, lay)
        cost, grad = _cost_grad(theta.astype(dtype, copy=False), lay, data, lambda_, rho, beta,
                                ws)
        return cost, grad.astype(np.float64, copy=False)

    obj = cast(Objective, fun)  # a function with two attributes
    obj.layout = lay
    obj.n_examples = data.shape[1]
    return obj


def staged_gradient_checks(data: ArrayLike, hidden_size: int = 5, *, lambda_: float = 1e-4,
                           sparsity_param: float = 0.01, beta: float = 3.0,
                           rng: np.random.Generator | int | None = None,
                           epsilon: float = 1e-4) -> dict[str, GradientCheck]:
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
            # mypy cannot infer a lambda whose defaults bind the loop variables.
            lambda t, lam=lam, b=b: sparse_autoencoder_cost(  # type: ignore[misc]
                t, v, hidden_size, lam, rho, b, data),
            theta, epsilon=epsilon, blocks=lay, lambda_=lam or None)
        for stage, (lam, b) in stages.items()}
