"""Deliberately broken gradients for the doctor's gallery (notebook 02).

Most gallery bugs are one-line wrappers around a correct ``(cost, grad)`` function and live in
the notebook, where the learner sees them. The one here needs a backward pass of its own, so it
lives in the package and is tested: :func:`wrong_hidden_derivative` is the classic backprop slip
of applying the hidden activation's derivative to the activation ``a2`` instead of the
pre-activation ``z2``. The output layer stays right, so a gradient check fails in ``W1, b1``
only: the doctor's ``localized`` finding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_choice
from ufldl_helpers.activations import sigmoid, sigmoid_grad
from ufldl_helpers.network import mlp_cost_and_grad, mlp_forward, mlp_layout

__all__ = ["wrong_hidden_derivative"]


def wrong_hidden_derivative(theta: ArrayLike, layer_sizes: Sequence[int], X: np.ndarray,
                            Y: np.ndarray, *, lambda_: float = 0.0,
                            derivative_at: str = "a") -> tuple[np.inexact, np.ndarray]:
    """Cost and a gradient whose hidden layer uses ``sigmoid_grad(a2)`` instead of
    ``sigmoid_grad(z2)``.

    The network is :func:`ufldl_helpers.network.mlp_cost_and_grad` with one sigmoid hidden
    layer, a softmax output and cross-entropy. Cost and output-layer gradient (``W2, b2``) are
    the package's; ``W1, b1`` are recomputed by the backward step
    ``delta2 = (W2.T @ delta3) * f'(.)`` with ``f'`` evaluated at ``derivative_at``.

    Parameters
    ----------
    theta : (size,) ndarray
        Unrolled as :func:`ufldl_helpers.network.mlp_layout` (``W1, W2, b1, b2``).
    layer_sizes : (n_in, n_hidden, n_out)
    X : (n_in, m) ndarray
    Y : (m,) int ndarray
        Class labels.
    lambda_ : float
        Weight decay.
    derivative_at : {"a", "z"}
        ``"a"`` is the bug; ``"z"`` is the correct backward step (the same gradient as
        ``mlp_cost_and_grad``), kept so the tests can show that the bug is the only difference.

    Returns
    -------
    cost : float
    grad : (size,) ndarray
    """
    check_choice(derivative_at, "derivative_at", ("a", "z"))
    if len(layer_sizes) != 3:
        raise ValueError(f"layer_sizes must be (n_in, n_hidden, n_out), got {layer_sizes!r}")
    cost, grad = mlp_cost_and_grad(theta, layer_sizes, X, Y, lambda_=lambda_)
    layout = mlp_layout(layer_sizes)
    P, G = layout.roll(theta), layout.roll(grad)  # G: views into grad
    m = X.shape[1]
    z2 = P["W1"] @ X + P["b1"][:, None]
    a2 = sigmoid(z2)
    a3 = mlp_forward(theta, layer_sizes, X)
    delta3 = a3.copy()
    delta3[Y, np.arange(m)] -= 1  # (a3 - onehot(Y)) / m: softmax with cross-entropy
    delta3 /= m
    delta2 = (P["W2"].T @ delta3) * sigmoid_grad(a2 if derivative_at == "a" else z2)
    G["W1"][...] = delta2 @ X.T + lambda_ * P["W1"]
    G["b1"][...] = delta2.sum(axis=1)
    return cost, grad
