"""The targets post: during a gradient check, what is backpropagated?

Source: "Gradient checking in backpropagation", Stack Overflow question 26192592 (2014),
https://stackoverflow.com/questions/26192592/gradient-checking-in-backpropagation (CC BY-SA 3.0).

The learner (a 2-2-1 network) believes the numerical gradient "does not depend on the targets,
only on the inputs", while backprop starts from the error against the targets, and asks what
other value a gradient check must backpropagate. Nothing else: a gradient check compares two
ways of differentiating *one* function, the cost ``J(theta; X, Y)``, which depends on the
weights *and* the targets. Perturbing a weight changes the outputs, and the cost measures the
outputs against ``Y``; backprop propagates the same error derivative as in training.

:func:`compare_targets` shows both facts with numbers on the XOR problem
(:func:`tiny_problem`): change the targets and the numerical gradient changes; backprop with
the same targets agrees with it to ~1e-10, backprop with other targets does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_rng
from ufldl_helpers.gradcheck import numerical_gradient, relative_error
from ufldl_helpers.network import initialize_mlp, mlp_cost_and_grad, mlp_forward, mlp_layout

__all__ = [
    "LAYER_SIZES",
    "LAYOUT",
    "TargetComparison",
    "compare_targets",
    "cost_and_grad",
    "output_delta",
    "tiny_problem",
]

LAYER_SIZES = (2, 2, 1)
"""The post's network: 2 inputs, 2 hidden units, 1 output (sigmoid units, squared error)."""

LAYOUT = mlp_layout(LAYER_SIZES)
"""Parameter layout of that network (``W1, W2, b1, b2``; 9 parameters)."""


def _check_targets(Y: ArrayLike, m: int, name: str) -> np.ndarray:
    return check_array(Y, name, shape=(1, m))


def tiny_problem(
        rng: np.random.Generator | int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """XOR: four examples, the 2-2-1 network's random initial weights.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None

    Returns
    -------
    theta : (9,) ndarray
        ``W1 (2, 2), W2 (1, 2), b1 (2,), b2 (1,)`` unrolled.
    X : (2, 4) ndarray
    Y : (1, 4) ndarray
        XOR targets ``[0, 1, 1, 0]``.
    """
    theta = initialize_mlp(LAYER_SIZES, rng=check_rng(rng))
    X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    return theta, X, Y


def cost_and_grad(theta: ArrayLike, X: ArrayLike, Y: ArrayLike
                  ) -> tuple[np.inexact, np.ndarray]:
    """Cost ``J = (1/m) sum 1/2 (a3 - y)^2`` and its gradient by backpropagation.

    Parameters
    ----------
    theta : (9,) ndarray
    X : (2, m) ndarray
    Y : (1, m) ndarray
        Targets in [0, 1].

    Returns
    -------
    cost : float
    grad : (9,) ndarray
    """
    X = check_array(X, "X", shape=(LAYER_SIZES[0], None))
    Y = _check_targets(Y, X.shape[1], "Y")
    return mlp_cost_and_grad(theta, LAYER_SIZES, X, Y, hidden_activation="sigmoid",
                             output="sigmoid", loss="squared_error")


def output_delta(theta: ArrayLike, X: ArrayLike, Y: ArrayLike) -> np.ndarray:
    """What backprop propagates: ``delta3 = dJ/dz3 = (a3 - Y) * a3 * (1 - a3) / m``.

    The same quantity in training and in a gradient check; it depends on the targets.

    Returns
    -------
    (1, m) ndarray
    """
    X = check_array(X, "X", shape=(LAYER_SIZES[0], None))
    Y = _check_targets(Y, X.shape[1], "Y")
    a3 = mlp_forward(theta, LAYER_SIZES, X, hidden_activation="sigmoid", output="sigmoid")
    return (a3 - Y) * a3 * (1 - a3) / X.shape[1]


@dataclass
class TargetComparison:
    """Result of :func:`compare_targets` (all gradients ``(9,)``, unrolled as :data:`LAYOUT`).

    Attributes
    ----------
    numerical, numerical_other : ndarray
        Finite-difference gradients of the cost with targets ``Y`` and ``Y_other``.
    backprop, backprop_other : ndarray
        Backprop gradients with ``Y`` and ``Y_other``.
    error_same : float
        Relative error, backprop vs numerical, same targets (~1e-10).
    error_crossed : float
        Relative error, backprop with ``Y_other`` vs numerical with ``Y`` (large).
    numerical_change : float
        ``norm(numerical_other - numerical) / norm(numerical)``: how much the numerical
        gradient moved when only the targets changed.
    """

    numerical: np.ndarray
    numerical_other: np.ndarray
    backprop: np.ndarray
    backprop_other: np.ndarray
    error_same: float
    error_crossed: float
    numerical_change: float


def compare_targets(theta: ArrayLike, X: ArrayLike, Y: ArrayLike, Y_other: ArrayLike,
                    epsilon: float = 1e-4) -> TargetComparison:
    """Numerical and backprop gradients for two sets of targets, side by side.

    Parameters
    ----------
    theta : (9,) ndarray
    X : (2, m) ndarray
    Y, Y_other : (1, m) ndarray
    epsilon : float
        Central-difference step.

    Returns
    -------
    TargetComparison
    """
    X = check_array(X, "X", shape=(LAYER_SIZES[0], None))
    Y = _check_targets(Y, X.shape[1], "Y")
    Y_other = _check_targets(Y_other, X.shape[1], "Y_other")
    numerical = numerical_gradient(lambda t: cost_and_grad(t, X, Y)[0], theta, epsilon)
    numerical_other = numerical_gradient(lambda t: cost_and_grad(t, X, Y_other)[0], theta,
                                         epsilon)
    backprop = cost_and_grad(theta, X, Y)[1]
    backprop_other = cost_and_grad(theta, X, Y_other)[1]
    return TargetComparison(
        numerical=numerical,
        numerical_other=numerical_other,
        backprop=backprop,
        backprop_other=backprop_other,
        error_same=relative_error(numerical, backprop),
        error_crossed=relative_error(numerical, backprop_other),
        numerical_change=float(np.linalg.norm(numerical_other - numerical)
                               / np.linalg.norm(numerical)),
    )
