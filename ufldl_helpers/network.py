"""A small fully connected network: cost and gradient by backpropagation.

One or two hidden layers, examples as columns, everything vectorized over the ``m`` examples.
The parameters live in one flat ``theta`` unrolled in UFLDL's order ``W1, W2, [W3,] b1, b2,
[b3]`` (see :func:`mlp_layout`), with ``W_l : (n_l, n_{l-1})`` and ``b_l : (n_l,)``.

Forward pass, for ``l = 1 .. L``::

    Z_l = W_l @ A_{l-1} + b_l        A_0 = X
    A_l = f(Z_l)  (hidden)           A_L = output(Z_L)

Cost, averaged over examples, weight decay on weights only::

    J = (1/m) * sum_i loss(A_L[:, i], Y[:, i]) + (lambda_/2) * sum_l ||W_l||^2

Backward pass (indices here count weight layers from 1 and activations from 0; the notebooks'
notation, ``a1 = X``, ``z2 = W1 @ a1 + b1``, shifts the activations' index by one):
``delta_L = dJ/dZ_L``, ``delta_{l-1} = (W_l.T @ delta_l) * f'(Z_{l-1})``,
``dJ/dW_l = delta_l @ A_{l-1}.T + lambda_ * W_l``, ``dJ/db_l = sum of delta_l over examples``.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Iterable
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ufldl_helpers._validation import check_array, check_choice, check_rng, check_scalar
from ufldl_helpers.activations import ACTIVATIONS, sigmoid, sigmoid_grad, softmax, softplus
from ufldl_helpers.params import ParamLayout

__all__ = ["initialize_mlp", "mlp_cost", "mlp_cost_and_grad", "mlp_forward", "mlp_layout"]

OUTPUTS = ("softmax", "sigmoid", "linear")
LOSSES = ("cross_entropy", "squared_error")


def _check_layer_sizes(layer_sizes: Iterable[int]) -> tuple[int, ...]:
    try:
        sizes = tuple(layer_sizes)
    except TypeError:
        raise TypeError(f"layer_sizes must be a sequence of ints such as (64, 25, 10), "
                        f"got {layer_sizes!r}") from None
    if len(sizes) not in (3, 4):
        raise ValueError(f"layer_sizes must be (n_in, n_hidden, n_out) or "
                         f"(n_in, n_hidden1, n_hidden2, n_out), got {sizes!r}")
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
            raise ValueError(f"layer_sizes must hold positive ints, got {sizes!r}")
    return tuple(int(s) for s in sizes)


def mlp_layout(layer_sizes: Iterable[int], order: str = "C") -> ParamLayout:
    """Parameter layout of the network: ``W1, W2, [W3,] b1, b2, [b3]``.

    Parameters
    ----------
    layer_sizes : (n_in, n_hidden, n_out) or (n_in, n_hidden1, n_hidden2, n_out)
    order : {"C", "F"}
        Unrolling order of each weight matrix (``"F"`` = MATLAB's ``W(:)``).

    Examples
    --------
    >>> mlp_layout((64, 25, 64)).size
    3289
    """
    return _layout(_check_layer_sizes(layer_sizes), check_choice(order, "order", ("C", "F")))


@functools.lru_cache(maxsize=32)
def _layout(sizes: tuple[int, ...], order: str) -> ParamLayout:
    # Cached: building a layout costs more than a whole forward pass at m = 10, and finite
    # differences call the cost thousands of times with the same sizes.
    L = len(sizes) - 1
    shapes: dict[str, tuple[int, ...]] = {f"W{l}": (sizes[l], sizes[l - 1])
                                          for l in range(1, L + 1)}
    shapes.update({f"b{l}": (sizes[l],) for l in range(1, L + 1)})
    return ParamLayout(shapes, order=order)


def initialize_mlp(layer_sizes: Iterable[int], rng: np.random.Generator | int | None = None,
                   order: str = "C", dtype: DTypeLike = np.float64) -> np.ndarray:
    """Random initial ``theta`` as in UFLDL: ``W ~ U(-r, r)``, ``r = sqrt(6 / (n_in + n_out + 1))``,
    biases zero.

    Parameters
    ----------
    layer_sizes : sequence of int
    rng : numpy.random.Generator, int or None
    order : {"C", "F"}
    dtype : numpy.float64 or numpy.float32

    Returns
    -------
    theta : (mlp_layout(layer_sizes).size,) ndarray of ``dtype``
    """
    layout = mlp_layout(layer_sizes, order=order)
    rng = check_rng(rng)
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")
    blocks = {}
    for name, shape in layout.shapes.items():
        if name.startswith("W"):
            r = np.sqrt(6.0 / (shape[0] + shape[1] + 1))
            blocks[name] = rng.uniform(-r, r, size=shape)
        else:
            blocks[name] = np.zeros(shape)
    return layout.unroll(blocks).astype(dtype, copy=False)


def _check_theta(theta: ArrayLike, size: int) -> np.ndarray:
    theta = np.asarray(theta)
    if theta.dtype.kind == "c":  # complex-step checks pass complex parameters
        return check_array(theta, "theta", shape=(size,), dtype="any")
    return check_array(theta, "theta", shape=(size,))


def _forward(theta: ArrayLike, sizes: tuple[int, ...], X: ArrayLike, hidden_activation: str,
             output: str, order: str
             ) -> tuple[ParamLayout, dict[str, np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Return (layout, blocks, list of Z_l, list of A_l including A_0 = X)."""
    layout = mlp_layout(sizes, order=order)
    theta = _check_theta(theta, layout.size)
    X = check_array(X, "X", shape=(sizes[0], None))
    blocks = layout.roll(theta)
    f = ACTIVATIONS[check_choice(hidden_activation, "hidden_activation", tuple(ACTIVATIONS))][0]
    check_choice(output, "output", OUTPUTS)
    L = len(sizes) - 1
    Zs, As = [], [X]
    for l in range(1, L + 1):
        Z = blocks[f"W{l}"] @ As[-1]
        Z += blocks[f"b{l}"][:, None]
        Zs.append(Z)
        if l < L:
            As.append(f(Z))
        elif output == "softmax":
            As.append(softmax(Z))
        elif output == "sigmoid":
            As.append(sigmoid(Z))
        else:
            As.append(Z)
    return layout, blocks, Zs, As


def mlp_forward(theta: ArrayLike, layer_sizes: Iterable[int], X: ArrayLike, *,
                hidden_activation: str = "sigmoid", output: str = "softmax",
                order: str = "C") -> np.ndarray:
    """Network output for inputs ``X``.

    Parameters
    ----------
    theta : (size,) ndarray
    layer_sizes : sequence of int
    X : (n_in, m) ndarray

    Returns
    -------
    (n_out, m) ndarray
        Class probabilities for ``output="softmax"``.
    """
    sizes = _check_layer_sizes(layer_sizes)
    return _forward(theta, sizes, X, hidden_activation, output, order)[3][-1]


def _targets(Y: ArrayLike, n_out: int, m: int, output: str, dtype: DTypeLike) -> np.ndarray:
    Y_arr = np.asarray(Y)
    if Y_arr.ndim == 1 and Y_arr.dtype.kind in "iu":
        if output != "softmax":
            raise ValueError("integer labels Y of shape (m,) need output='softmax'; "
                             f"pass targets of shape ({n_out}, m) for output={output!r}")
        if Y_arr.shape != (m,):
            raise ValueError(f"Y must have shape ({m},) like X's columns, got {Y_arr.shape}")
        if Y_arr.size and (Y_arr.min() < 0 or Y_arr.max() >= n_out):
            raise ValueError(f"labels Y must lie in 0 .. {n_out - 1}, "
                             f"got values from {Y_arr.min()} to {Y_arr.max()}")
        onehot = np.zeros((n_out, m), dtype=dtype)
        onehot[Y_arr, np.arange(m)] = 1
        return onehot
    return check_array(Y, "Y", shape=(n_out, m))


@overload
def _evaluate(theta: ArrayLike, layer_sizes: Iterable[int], X: ArrayLike, Y: ArrayLike,
              hidden_activation: str, output: str, loss: str, lambda_: float, order: str,
              with_grad: Literal[False]) -> np.inexact: ...


@overload
def _evaluate(theta: ArrayLike, layer_sizes: Iterable[int], X: ArrayLike, Y: ArrayLike,
              hidden_activation: str, output: str, loss: str, lambda_: float, order: str,
              with_grad: Literal[True]) -> tuple[np.inexact, np.ndarray]: ...


def _evaluate(theta: ArrayLike, layer_sizes: Iterable[int], X: ArrayLike, Y: ArrayLike,
              hidden_activation: str, output: str, loss: str, lambda_: float, order: str,
              with_grad: bool) -> np.inexact | tuple[np.inexact, np.ndarray]:
    """Shared forward pass and cost; the backward pass only when ``with_grad``."""
    sizes = _check_layer_sizes(layer_sizes)
    check_choice(loss, "loss", LOSSES)
    if loss == "cross_entropy" and output == "linear":
        raise ValueError("loss='cross_entropy' needs output='softmax' or 'sigmoid'; "
                         "use loss='squared_error' with a linear output")
    # A Python float: a numpy float64 lambda_ (from np.logspace, say) would promote a float32
    # network's cost to float64.
    lambda_ = float(check_scalar(lambda_, "lambda_", low=0))
    layout, blocks, Zs, As = _forward(theta, sizes, X, hidden_activation, output, order)
    L = len(sizes) - 1
    m = As[0].shape[1]
    if m == 0:
        raise ValueError("X must hold at least one example (column)")
    A_out, Z_out = As[-1], Zs[-1]
    Y = _targets(Y, sizes[-1], m, output, A_out.dtype)

    if loss == "squared_error":
        diff = A_out - Y
        data_cost = 0.5 * np.sum(diff * diff) / m
    elif output == "softmax":
        shifted = Z_out - np.max(Z_out.real, axis=0, keepdims=True)
        log_p = shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))
        data_cost = -np.sum(Y * log_p) / m
    else:
        # log(sigmoid(z)) = -softplus(-z), log(1 - sigmoid(z)) = -softplus(z): no log(0).
        data_cost = np.sum(Y * softplus(-Z_out) + (1 - Y) * softplus(Z_out)) / m
    weights = [blocks[f"W{l}"] for l in range(1, L + 1)]
    cost = data_cost + 0.5 * lambda_ * sum(np.sum(W * W) for W in weights)
    if not with_grad:
        return cost

    if loss == "squared_error":
        g = diff / m
        if output == "sigmoid":
            delta = g * sigmoid_grad(Z_out)
        elif output == "softmax":
            # Softmax Jacobian-vector product: a * (g - sum_k a_k g_k), column by column.
            delta = A_out * (g - np.sum(A_out * g, axis=0, keepdims=True))
        else:
            delta = g
    elif output == "softmax":
        # (P - Y)/m when each column of Y sums to 1 (one-hot); exact for any Y.
        delta = (A_out * np.sum(Y, axis=0, keepdims=True) - Y) / m
    else:
        delta = (A_out - Y) / m

    f_grad = ACTIVATIONS[hidden_activation][1]
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = delta @ As[l - 1].T
        if lambda_:
            grads[f"W{l}"] += lambda_ * weights[l - 1]
        grads[f"b{l}"] = np.sum(delta, axis=1)
        if l > 1:
            delta = (weights[l - 1].T @ delta) * f_grad(Zs[l - 2])
    return cost, layout.unroll(grads)


def mlp_cost_and_grad(theta: ArrayLike, layer_sizes: Iterable[int], X: ArrayLike, Y: ArrayLike,
                      *, hidden_activation: str = "sigmoid", output: str = "softmax",
                      loss: str = "cross_entropy", lambda_: float = 0.0, order: str = "C"
                      ) -> tuple[np.inexact, np.ndarray]:
    """Cost and gradient of a one- or two-hidden-layer network, by backpropagation.

    Parameters
    ----------
    theta : (size,) ndarray
        Parameters unrolled as in :func:`mlp_layout` (float64, float32, or complex for
        complex-step checks with smooth activations).
    layer_sizes : (n_in, n_hidden, n_out) or (n_in, n_hidden1, n_hidden2, n_out)
    X : (n_in, m) ndarray
        Inputs, one example per column.
    Y : (n_out, m) ndarray, or (m,) integer labels (``output="softmax"`` only)
        Targets. For cross-entropy with a sigmoid output, entries in [0, 1].
    hidden_activation : {"sigmoid", "tanh", "softplus", "relu"}
    output : {"softmax", "sigmoid", "linear"}
    loss : {"cross_entropy", "squared_error"}
        ``"squared_error"`` is ``(1/m) sum_i 1/2 ||a_i - y_i||^2`` (UFLDL); cross-entropy needs a
        softmax or sigmoid output.
    lambda_ : float
        Weight decay ``(lambda_/2) sum ||W_l||^2``; biases are not decayed.
    order : {"C", "F"}

    Returns
    -------
    cost : numpy scalar of theta's (result) dtype
    grad : (size,) ndarray, same layout and dtype as ``theta``
    """
    return _evaluate(theta, layer_sizes, X, Y, hidden_activation, output, loss, lambda_, order,
                     with_grad=True)


def mlp_cost(theta: ArrayLike, layer_sizes: Iterable[int], X: ArrayLike, Y: ArrayLike, *,
             hidden_activation: str = "sigmoid", output: str = "softmax",
             loss: str = "cross_entropy", lambda_: float = 0.0, order: str = "C") -> np.inexact:
    """The cost of :func:`mlp_cost_and_grad` alone (no backward pass).

    Same arguments. Finite differences need only the cost, so passing this as ``cost_only``
    to :func:`ufldl_helpers.gradcheck.check_gradient` roughly halves the check's time.

    Returns
    -------
    cost : numpy scalar of theta's (result) dtype
    """
    return _evaluate(theta, layer_sizes, X, Y, hidden_activation, output, loss, lambda_, order,
                     with_grad=False)
