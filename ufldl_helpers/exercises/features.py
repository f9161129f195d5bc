"""Checks for the exercises of notebook 07 (what the sparse autoencoder learned)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers.display import max_activating_inputs
from ufldl_helpers.exercises import (
    GUARDED_RTOL,
    Feedback,
    answer_rtol,
    check_array,
    check_choice,
    correct,
    identify_slip,
    is_placeholder,
    not_attempted,
    not_yet,
    run_student_function,
)
from ufldl_helpers.exercises.sparse_autoencoder import cost_terms

__all__ = ["CHANGES", "check_max_input", "check_reconstruction_error", "check_sparsity_prediction"]

CHANGES = ("more", "fewer", "about the same")


def check_max_input(max_input: Callable, W1: ArrayLike) -> Feedback:
    """Exercise 7.1: ``max_input(W1)``, the norm-1 input that most activates each hidden unit.

    Returns rows like ``W1``; compared with :func:`~ufldl_helpers.display.max_activating_inputs`.
    """
    if is_placeholder(max_input):
        return not_attempted("7.1", "max_input")
    W1 = np.asarray(W1, dtype=float)
    value, problem = run_student_function("7.1", "max_input", max_input, W1.copy())
    if problem:
        return problem
    if np.shape(value) == W1.T.shape and np.shape(value) != W1.shape:
        return not_yet("7.1", f"max_input returns shape {np.shape(value)}: one row per hidden "
                              f"unit is expected, shape {W1.shape}.")
    raw, value = value, np.asarray(value, dtype=float)
    if value.shape == W1.shape and np.all(np.isfinite(value)):
        farthest = float(np.max(np.abs(np.linalg.norm(value, axis=1) - 1)))
        if farthest > answer_rtol(raw, GUARDED_RTOL):
            small = (" That is close to 1: a guard in the denominator much larger than "
                     "round-off (such as + 1e-5) shifts the norms this much."
                     if farthest <= 1e-3 else "")
            return not_yet("7.1", f"the rows of max_input(W1) have norms up to {farthest:.2g} "
                                  "away from 1; the constraint is "
                                  f"||x|| <= 1, and the best x uses all of it.{small}")
    feedback = check_array("7.1", raw, max_activating_inputs(W1), name="max_input(W1)",
                           rtol=GUARDED_RTOL)
    if feedback.correct:
        return correct("7.1", "each row is the unit-norm input that maximizes its hidden unit's "
                              "weighted sum.")
    return feedback


def check_sparsity_prediction(prediction: Any, n_gabor_like_at_target: int,
                              n_gabor_like_at_02: int, n_filters: int) -> Feedback:
    """Exercise 7.3: with rho = 0.2 instead of 0.01, more, fewer or about the same Gabor-like
    filters?

    The counts of Gabor-like filters come from the notebook's own sweep; a difference of at most
    10% of the filters counts as "about the same".
    """
    difference = n_gabor_like_at_02 - n_gabor_like_at_target
    if abs(difference) <= 0.1 * n_filters:
        expected = "about the same"
    else:
        expected = "more" if difference > 0 else "fewer"
    reasons = {
        "more": "a unit allowed to fire on a fifth of the patches need not respond to one "
                "specific pattern",
        "about the same": "the sparsity target decides how specific each unit must be",
        "fewer": "compare the two counts the sweep measured",
    }
    return check_choice(
        "7.3", prediction, expected, CHANGES, name="prediction", reasons=reasons,
        why=f"the sweep found {n_gabor_like_at_target} of {n_filters} filters Gabor-like at "
            f"rho = 0.01, against {n_gabor_like_at_02} at rho = 0.2.")


def check_reconstruction_error(reconstruction_error: Callable, theta: np.ndarray, X: np.ndarray
                               ) -> Feedback:
    """Exercise 7.2: ``reconstruction_error(theta, X)``, the average of (1/2)||a3 - x||^2.

    Compared with the reconstruction term of ``sparse_autoencoder_cost`` (its cost with
    ``lambda = beta = 0``).
    """
    if is_placeholder(reconstruction_error):
        return not_attempted("7.2", "reconstruction_error")
    X = np.asarray(X, dtype=float)
    visible_size = X.shape[0]
    hidden_size = (np.size(theta) - visible_size) // (2 * visible_size + 1)
    expected = cost_terms(theta, visible_size, hidden_size, 0.0, 0.5, 0.0, X)["reconstruction"]
    value, problem = run_student_function("7.2", "reconstruction_error", reconstruction_error,
                                          np.array(theta, copy=True), X.copy())
    if problem:
        return problem
    if np.ndim(value) != 0:
        return not_yet("7.2", f"reconstruction_error must return one number, got shape "
                              f"{np.shape(value)}.")
    n, m = X.shape
    slip = identify_slip(value, expected, [
        (2 * expected, "your error is twice the cost's: the cost has a factor 1/2."),
        (expected / n, f"your error is {n} times too small: average over the examples only, "
                       "and sum over the pixels."),
        (2 * expected / n, "your error averages over the pixels too and has no 1/2: the cost "
                           "is (1/2)||a3 - x||^2, summed over the pixels, averaged over the "
                           "examples."),
        (m * expected, "your error is m times the cost's: average over the examples."),
    ])
    if slip:
        return not_yet("7.2", slip)
    feedback = check_array("7.2", value, expected, name="reconstruction_error")
    if feedback.correct:
        return correct("7.2", f"the average reconstruction error is {float(value):.3g}, the "
                              "first term of the cost.")
    return feedback

