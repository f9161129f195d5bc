"""Checks for the exercises of notebook 02 (gradient checking).

Every reference value is computed here, at check time, with :mod:`ufldl_helpers.gradcheck` and
:mod:`ufldl_helpers.network`; the messages say what is wrong, never the answer.

Examples
--------
>>> from ufldl_helpers.exercises import gradient_checking as ex
>>> ex.check_step_prediction(...)
Not attempted yet (Exercise 2.1): replace the ... with your prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers.activations import sigmoid, sigmoid_grad
from ufldl_helpers.exercises import (
    Feedback,
    _as_real,
    answer_rtol,
    check_array,
    check_choice,
    check_number,
    correct,
    is_placeholder,
    match_option,
    not_attempted,
    not_yet,
)
from ufldl_helpers.gradcheck import check_gradient, numerical_gradient
from ufldl_helpers.grading import GradingError, check_numerical_gradient
from ufldl_helpers.grading.checks import _cubic, _restored
from ufldl_helpers.network import initialize_mlp, mlp_cost_and_grad, mlp_forward, mlp_layout

__all__ = [
    "SEED_OPTIONS",
    "STEP_OPTIONS",
    "check_central_differences",
    "check_scaled_error",
    "check_seed_prediction",
    "check_step_prediction",
    "output_seed_that_matches",
    "seeded_backprop",
    "step_effect",
]

STEP_OPTIONS = (10, 100, 1000)
"""Exercise 2.1: by what factor the central difference's error shrinks when epsilon / 10."""


def step_effect(epsilon: float = 1e-2) -> int:
    """Measure, on ``J = exp`` at 1, how much the central error shrinks from epsilon to epsilon/10.

    Returns the option of :data:`STEP_OPTIONS` nearest (in log scale) to the measured ratio.
    """
    theta = np.array([1.0])
    errors = [abs(numerical_gradient(lambda t: np.exp(t[0]), theta, eps)[0] - np.e)
              for eps in (epsilon, epsilon / 10)]
    ratio = errors[0] / errors[1]
    return min(STEP_OPTIONS, key=lambda option: abs(np.log(ratio / option)))


def check_step_prediction(prediction: Any) -> Feedback:
    """Exercise 2.1: central differences, epsilon divided by 10: the error divided by what?"""
    if is_placeholder(prediction):
        return not_attempted("2.1", "prediction")
    expected = step_effect()
    return _check_prediction(
        "2.1", prediction, expected, STEP_OPTIONS,
        why=(f"the error is divided by {expected}: the central quotient's error is "
             "(epsilon^2 / 6) J''' + O(epsilon^4), so epsilon / 10 gives error / 100."),
        hint=("which power of epsilon is left in the central quotient's error once the even "
              "Taylor terms cancel?"))


def _check_prediction(exercise: str, prediction: Any, expected: object,
                      options: Sequence[object], *, why: str, hint: str) -> Feedback:
    """:func:`check_choice`, with a hint (not the answer) for a wrong option."""
    feedback = check_choice(exercise, prediction, expected, options, name="prediction", why=why)
    prediction = match_option(prediction, options)
    if not feedback.correct and prediction in options:
        return not_yet(exercise, f"{prediction!r} is not what happens. Hint: {hint}")
    return feedback


def _small_problem() -> tuple[tuple[int, int, int], np.ndarray, np.ndarray, np.ndarray]:
    sizes = (3, 4, 2)
    rng = np.random.default_rng(7)
    X, Y = rng.normal(size=(3, 5)), rng.integers(0, 2, size=5)
    theta = initialize_mlp(sizes, rng=8)
    return sizes, X, Y, theta


def check_scaled_error(answer: Any, c: float = 1.5) -> Feedback:
    """Exercise 2.3: UFLDL's relative error of a gradient that is ``c`` times too large.

    The reference is measured: :func:`~ufldl_helpers.gradcheck.check_gradient` on a small
    network whose analytic gradient is multiplied by ``c``.
    """
    if is_placeholder(answer):
        return not_attempted("2.3", "relative error")
    sizes, X, Y, theta = _small_problem()

    def scaled(t: np.ndarray) -> tuple[np.inexact, np.ndarray]:
        cost, grad = mlp_cost_and_grad(t, sizes, X, Y, lambda_=0.01)
        return cost, c * grad

    measured = check_gradient(scaled, theta).relative_error
    feedback = check_number("2.3", answer, measured, name="relative error")
    if feedback.correct or _as_real(answer) is None:
        return feedback  # right, or not a single number (check_number says so, with no hint)
    if "rounded" in feedback.message or "close to the right value" in feedback.message:
        return feedback
    value = float(answer)
    if value < 0:
        hint = "a norm is never negative, and so neither is a ratio of two norms."
    elif np.isclose(value, (c - 1) / c, rtol=1e-3):
        # Also the right value for another factor: (c' - 1) / (c' + 1) = value; 2 at c = 1.5.
        other = (1 + value) / (1 - value)
        hint = (f"{value:g} is what dividing by the norm of g = {c:g} n gives, and also the "
                f"right value for c = {other:.4g}: UFLDL's denominator is the norm of the *sum* "
                f"n + g, and here c = {c:g}.")
    elif np.isclose(value, c - 1, rtol=1e-3):
        hint = "that divides by the wrong norm: UFLDL's denominator is the norm of the *sum* n + g."
    else:
        hint = ("write g = c n, then factor the norm of n out of both the numerator and the "
                "denominator.")
    return not_yet("2.3", f"{feedback.message} Hint: {hint}")


def check_central_differences(fun: Callable) -> Feedback:
    """Exercise 2.2: a student's ``fun(cost, theta, epsilon)`` computing central differences.

    Wraps :func:`ufldl_helpers.grading.check_numerical_gradient`, which compares the result
    with the package's central differences on a cubic test function and names forward
    differences, a missing factor 2 or a modified ``theta``.
    """
    if is_placeholder(fun):
        return not_attempted("2.2", "numerical_gradient_mine")
    if not callable(fun):
        return not_yet("2.2", f"numerical_gradient_mine must be a function, got "
                              f"{type(fun).__name__}.")
    if _returns_ellipsis(fun):
        return not_attempted("2.2", "numerical_gradient_mine")
    if _changes_theta_by_round_off(fun):
        return not_yet("2.2", "numerical_gradient_mine changed theta in its last bits: in floating "
                              "point, theta[i] += epsilon followed by theta[i] -= epsilon does not "
                              "always give back the original number. Save the entry "
                              "(old = theta[i]) and assign it back, or perturb a copy.")
    slip = _central_difference_verdict(fun)
    if slip is not None:
        return slip
    try:
        check_numerical_gradient(fun, rng=0)
    except GradingError as err:
        return not_yet("2.2", str(err))
    except Exception as exc:  # the student's own bug: report it, do not crash the notebook
        return not_yet("2.2", f"calling numerical_gradient_mine raised "
                              f"{type(exc).__name__}: {exc}")
    return correct("2.2", "your central differences match the package's on a cubic test "
                          "function, and theta is given back (to round-off).")


def _central_difference_verdict(fun: Callable[..., Any]) -> Feedback | None:
    """Feedback on the values ``fun`` returns for the cubic, or None for the grading check.

    Right values under the shared tolerance are correct, unless stored in float32 (too few
    digits for a gradient check); a flipped subtraction and ``/ 2 * epsilon`` are named; a
    float32 result, forward differences, a factor 2, the slope along all coordinates at once, a
    changed theta, a wrong shape and an error raised are left to the grading check, which names
    them.
    Anything else is described without the expected values.
    """
    epsilon = 1e-3
    theta = np.random.default_rng(0).normal(0.0, 1.0, 7)
    before = theta.copy()
    try:
        raw = fun(_cubic, theta, epsilon)
    except Exception:  # reported by the grading check
        return None
    if raw is None:
        return not_yet("2.2", "numerical_gradient_mine returned None (a missing return?).")
    estimate = np.asarray(raw)
    if (not _restored(theta, before) or estimate.shape != theta.shape
            or estimate.dtype.kind not in "iuf"):
        return None
    central = numerical_gradient(_cubic, before, epsilon, method="central")
    feedback = check_array("2.2", estimate, central, name="numerical_gradient_mine's estimate")
    if feedback.correct and estimate.dtype.kind == "f" and estimate.dtype.itemsize < 8:
        return None  # right digits in float32 storage: the grading check names the dtype
    if feedback.correct:
        return correct("2.2", "your central differences match the package's on a cubic test "
                              f"function (to {answer_rtol(estimate):.0e}, relative), and theta "
                              "is given back (to round-off).")

    def off(reference: np.ndarray) -> bool:
        return bool(np.linalg.norm(estimate - reference) <= 1e-6 * np.linalg.norm(reference))

    if off(-central):
        return not_yet("2.2", "every entry has the wrong sign: the difference must be the cost "
                              "at theta + epsilon minus the cost at theta - epsilon, not the "
                              "reverse.")
    if off(central * epsilon**2):
        return not_yet("2.2", "every entry is epsilon^2 times too small: in Python, "
                              "x / 2 * epsilon means (x / 2) * epsilon; put the denominator in "
                              "parentheses, / (2 * epsilon).")
    forward = numerical_gradient(_cubic, before, epsilon, method="forward")
    at_once = np.full(before.shape, (_cubic(before + epsilon) - _cubic(before - epsilon))
                      / (2 * epsilon))
    if off(forward) or off(2 * central) or off(at_once):
        return None
    relative = float(np.linalg.norm(estimate - central) / np.linalg.norm(central))
    if estimate.dtype.kind == "f" and estimate.dtype.itemsize < 8 and relative <= 1e-2:
        return not_yet("2.2", f"your estimate is {estimate.dtype}, and off by {relative:.2g} "
                              f"(relative): in {estimate.dtype} (about 7 significant digits) "
                              "theta + epsilon, theta - epsilon and their costs are rounded, "
                              "and the difference of two costs 2 epsilon apart loses most of "
                              "the digits left. Compute in float64, theta's dtype.")
    return not_yet("2.2", f"on the test function sum(theta**3)/3 + theta[0]*theta[-1] at "
                          f"epsilon = {epsilon}: {feedback.message}")


def _changes_theta_by_round_off(fun: Callable) -> bool:
    """True if ``fun`` leaves ``theta`` changed, but only by a few units in the last place."""
    theta = np.random.default_rng(0).normal(size=20)
    before = theta.copy()
    try:
        fun(lambda t: float(np.sum(t**3)), theta, 1e-3)
    except Exception:  # a real attempt that fails is reported by the full check
        return False
    # within 4 ulps counts as restored, as in the grading check
    return bool(not _restored(theta, before)
                and np.all(np.abs(theta - before) <= 8 * np.abs(np.spacing(before))))


def _returns_ellipsis(fun: Callable) -> bool:
    """True if ``fun`` still returns the placeholder ``...`` (its body not written yet)."""
    try:
        return is_placeholder(fun(lambda t: float(np.sum(t)), np.zeros(2), 1e-3))
    except Exception:  # a real attempt that fails is reported by the full check
        return False


# --- Exercise 2.4: the learner of document 002 differentiated the network's output ---

SEED_OPTIONS = ("(a3 - y) * f'(z3)", "f'(z3)", "a3 - y")
"""Exercise 2.4: candidate values of delta3 that start the backward pass."""


def seeded_backprop(theta: ArrayLike, layer_sizes: Sequence[int], X: np.ndarray,
                    delta3: np.ndarray) -> np.ndarray:
    """Backward pass of a sigmoid network started from a given per-example ``delta3``.

    The gradients carry UFLDL's ``1/m``: ``W2grad = delta3 @ a2.T / m``, ``b2grad =
    delta3.sum(axis=1) / m``, and likewise for the first layer with
    ``delta2 = (W2.T @ delta3) * f'(z2)``; no weight decay. Seeded with
    ``(a3 - Y) * f'(z3)`` it is the gradient of the squared-error cost; seeded with ``f'(z3)``
    it is the gradient of the network's mean output, which does not involve the targets.

    Parameters
    ----------
    theta : (size,) ndarray
    layer_sizes : (n_in, n_hidden, n_out)
    X : (n_in, m) ndarray
    delta3 : (n_out, m) ndarray

    Returns
    -------
    (size,) ndarray, unrolled like ``theta``
    """
    layout = mlp_layout(layer_sizes)
    P = layout.roll(theta)
    m = X.shape[1]
    z2 = P["W1"] @ X + P["b1"][:, None]
    a2 = sigmoid(z2)
    delta2 = (P["W2"].T @ delta3) * sigmoid_grad(z2)
    return layout.unroll({"W1": delta2 @ X.T / m, "W2": delta3 @ a2.T / m,
                          "b1": delta2.sum(axis=1) / m, "b2": delta3.sum(axis=1) / m})


def _output_seeds(theta: ArrayLike, layer_sizes: Sequence[int], X: np.ndarray, Y: np.ndarray
                  ) -> dict[str, np.ndarray]:
    """The candidate delta3 of :data:`SEED_OPTIONS`, computed from a forward pass."""
    P = mlp_layout(layer_sizes).roll(theta)
    a2 = sigmoid(P["W1"] @ X + P["b1"][:, None])
    z3 = P["W2"] @ a2 + P["b2"][:, None]
    a3 = sigmoid(z3)
    return dict(zip(SEED_OPTIONS, ((a3 - Y) * sigmoid_grad(z3), sigmoid_grad(z3), a3 - Y),
                    strict=True))


def output_seed_that_matches(theta: ArrayLike, layer_sizes: Sequence[int], X: np.ndarray,
                             Y: np.ndarray, epsilon: float = 1e-4) -> str:
    """Which seed's backward pass agrees with finite differences of the mean network output.

    The learner's check perturbs a weight and compares the *outputs* of the two forward
    passes; this measures that numerical gradient (of ``mean(a3)``, sigmoid units) and returns
    the option of :data:`SEED_OPTIONS` whose :func:`seeded_backprop` is closest to it.
    """
    def mean_output(t: np.ndarray) -> float:
        return float(mlp_forward(t, layer_sizes, X, hidden_activation="sigmoid",
                                 output="sigmoid").mean())

    numerical = numerical_gradient(mean_output, theta, epsilon)
    seeds = _output_seeds(theta, layer_sizes, X, Y)
    return min(SEED_OPTIONS, key=lambda name: np.linalg.norm(
        seeded_backprop(theta, layer_sizes, X, seeds[name]) - numerical))


def check_seed_prediction(prediction: Any, theta: ArrayLike, layer_sizes: Sequence[int],
                          X: np.ndarray, Y: np.ndarray) -> Feedback:
    """Exercise 2.4: the delta3 that makes backprop match a check of the network's output."""
    if is_placeholder(prediction):
        return not_attempted("2.4", "prediction")
    expected = output_seed_that_matches(theta, layer_sizes, X, Y)
    return _check_prediction(
        "2.4", prediction, expected, SEED_OPTIONS,
        why=("the output a3 = f(z3) has d a3 / d z3 = f'(z3): with no cost, there is no error "
             "factor (a3 - y) in front of it, and so no target anywhere."),
        hint=("delta3 is the derivative, with respect to z3, of the quantity whose finite "
              "differences are taken; here that quantity is the output a3."))
