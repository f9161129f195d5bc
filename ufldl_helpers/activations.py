"""Activation functions and their derivatives, numerically stable.

Every function takes the pre-activation ``z`` (any shape) and returns an array of the same shape
and dtype: float32 stays float32, float64 stays float64. Derivatives also take ``z`` (not the
activation), so ``sigmoid_grad(z) == sigmoid(z) * (1 - sigmoid(z))``.

Nothing overflows for ``|z|`` up to 1e3 and beyond: the sigmoid uses :func:`scipy.special.expit`,
softplus uses :func:`numpy.logaddexp`, softmax subtracts the column maximum first.

``sigmoid``, ``tanh``, ``softplus`` and ``softmax`` (and their derivatives) also accept complex
input, so a cost built from them can be checked with the complex-step method of
:func:`ufldl_helpers.gradcheck.numerical_gradient`. ``relu`` is not analytic and refuses complex
input.

Examples
--------
>>> import numpy as np
>>> from ufldl_helpers.activations import ACTIVATIONS
>>> f, f_grad = ACTIVATIONS["sigmoid"]
>>> float(f(np.array(0.0))), float(f_grad(np.array(0.0)))
(0.5, 0.25)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

__all__ = [
    "ACTIVATIONS",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softplus",
    "softplus_grad",
    "tanh",
    "tanh_grad",
]

_DTYPES = (np.float32, np.float64, np.complex64, np.complex128)


def _as_array(z: ArrayLike, name: str = "z", *, allow_complex: bool = True) -> np.ndarray:
    """Return ``z`` as a float (or complex) array without silently changing its dtype.

    Python numbers and lists of numbers become float64; integer *arrays* are refused so that a
    scaling such as ``pixels / 255`` stays explicit.
    """
    if isinstance(z, numbers.Number) and not isinstance(z, (bool, complex, np.complexfloating)):
        return np.asarray(float(z))
    arr = np.asarray(z)
    if isinstance(z, (list, tuple)) and arr.dtype.kind in "iu":
        arr = arr.astype(np.float64)
    if arr.dtype not in _DTYPES or (not allow_complex and arr.dtype.kind == "c"):
        allowed = "float32, float64, complex64 or complex128" if allow_complex else (
            "float32 or float64")
        raise TypeError(f"{name} must be a {allowed} array, got dtype {arr.dtype}")
    return arr


def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-z))``.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activation.

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``
    """
    z = _as_array(z)
    if z.dtype.kind == "c":
        # expit has no complex loop; this identity is analytic and stable for large |Re z|.
        return 0.5 + 0.5 * np.tanh(0.5 * z)
    return expit(z)


def sigmoid_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of :func:`sigmoid` at ``z``: ``s * (1 - s)`` with ``s = sigmoid(z)``.

    Computed as ``sigmoid(z) * sigmoid(-z)`` (the same number), because ``1 - s`` loses all its
    digits once ``s`` rounds to 1 (z > 37 in float64).
    """
    z = _as_array(z)
    return sigmoid(z) * sigmoid(-z)


def tanh(z: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent (``numpy.tanh``), saturating to +-1 without overflow."""
    return np.tanh(_as_array(z))


def tanh_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of :func:`tanh` at ``z``: ``1 - tanh(z)**2``.

    Computed as ``4 * sigmoid(2z) * sigmoid(-2z)`` (the same number), which keeps its relative
    precision where ``1 - tanh(z)**2`` rounds to 0.
    """
    z2 = 2 * _as_array(z)
    return 4 * sigmoid(z2) * sigmoid(-z2)


def softplus(z: ArrayLike) -> np.ndarray:
    """Smooth ReLU ``log(1 + exp(z))``, computed as ``logaddexp(0, z)`` so it never overflows."""
    z = _as_array(z)
    if z.dtype.kind != "c":
        return np.logaddexp(z.dtype.type(0), z)
    # softplus(z) = z + softplus(-z): use the form whose exponential is small.
    out = np.empty_like(z)
    pos = z.real > 0
    out[pos] = z[pos] + np.log1p(np.exp(-z[pos]))
    out[~pos] = np.log1p(np.exp(z[~pos]))
    return out


def softplus_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of :func:`softplus` at ``z``: the sigmoid."""
    return sigmoid(z)


def relu(z: ArrayLike) -> np.ndarray:
    """Rectified linear unit ``max(z, 0)``."""
    z = _as_array(z, allow_complex=False)
    return np.maximum(z, z.dtype.type(0))


def relu_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of :func:`relu`: 1 where ``z > 0``, else 0 (the convention at the kink z = 0)."""
    z = _as_array(z, allow_complex=False)
    return (z > 0).astype(z.dtype)


def softmax(z: ArrayLike) -> np.ndarray:
    """Softmax over classes, column by column.

    Parameters
    ----------
    z : array_like, (n_classes, m) or (n_classes,)
        Scores; rows are classes, columns are examples.

    Returns
    -------
    numpy.ndarray, same shape and dtype as ``z``
        Each column is non-negative and sums to 1.
    """
    z = _as_array(z)
    if z.ndim == 0:
        raise ValueError("z must have a class axis: shape (n_classes,) or (n_classes, m)")
    # Shifting by the column maximum leaves softmax unchanged and keeps exp() <= 1.
    shifted = z - np.max(z.real, axis=0, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=0, keepdims=True)


_Activation = Callable[[ArrayLike], np.ndarray]

ACTIVATIONS: dict[str, tuple[_Activation, _Activation]] = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "softplus": (softplus, softplus_grad),
    "relu": (relu, relu_grad),
}
"""Hidden-layer activations by name: ``name -> (f, f_grad)``; ``f_grad`` takes ``z``."""
