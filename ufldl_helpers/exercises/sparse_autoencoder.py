"""Checks for the exercises of notebook 06 (the sparse autoencoder).

Every reference value comes from :func:`ufldl_helpers.sparse_autoencoder.sparse_autoencoder_cost`
itself: a cost term is the cost with the other terms switched off, and the sparsity term's share
of the gradient is the gradient with ``beta`` minus the gradient with ``beta = 0``. So the checks
can say which part of a student's answer is off without a second implementation of the formulas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers import sparse_autoencoder as sae
from ufldl_helpers._validation import check_rng
from ufldl_helpers.activations import sigmoid_grad
from ufldl_helpers.exercises import (
    GUARDED_RTOL,
    Feedback,
    _as_real,
    check_array,
    check_choice,
    correct,
    identify_slip,
    is_placeholder,
    not_attempted,
    not_yet,
    run_student_function,
)

__all__ = [
    "COST_TERMS",
    "KL_TEST_RHO",
    "KL_TEST_RHO_HAT",
    "check_deltas",
    "check_dominant_term",
    "check_kl_grad",
    "check_sparsity_penalty",
    "cost_terms",
    "small_problem",
]

COST_TERMS = ("reconstruction", "weight decay", "sparsity")


def cost_terms(theta: ArrayLike, visible_size: int, hidden_size: int, lambda_: float,
               sparsity_param: float, beta: float, data: ArrayLike) -> dict[str, float]:
    """Each term of the sparse autoencoder's cost, from the cost with the others switched off.

    Returns
    -------
    dict
        ``{"reconstruction": ..., "weight decay": ..., "sparsity": ...}``; the values add up to
        ``sparse_autoencoder_cost(theta, ...)[0]``.
    """
    def J(lam: float, b: float) -> float:
        return float(sae.sparse_autoencoder_cost(theta, visible_size, hidden_size, lam,
                                                 sparsity_param, b, data)[0])

    base = J(0.0, 0.0)
    return {"reconstruction": base, "weight decay": J(lambda_, 0.0) - base,
            "sparsity": J(0.0, beta) - base}


def check_dominant_term(prediction: Any, theta: np.ndarray, data: np.ndarray, *,
                        lambda_: float = 1e-4, sparsity_param: float = 0.01,
                        beta: float = 3.0) -> Feedback:
    """Exercise 6.1: which term dominates the cost at UFLDL's random initialization?

    The reasons for a wrong option quote bounds computed from ``theta`` and ``data``: the
    largest weight, and half the squared error of a pixel farthest from (0, 1) on every pixel.
    """
    visible_size = data.shape[0]
    hidden_size = (theta.size - visible_size) // (2 * visible_size + 1)
    terms = cost_terms(theta, visible_size, hidden_size, lambda_, sparsity_param, beta, data)
    biggest = max(terms, key=terms.__getitem__)
    W1, W2, _, _ = sae.unpack(theta, visible_size, hidden_size)
    largest_weight = float(max(np.abs(W1).max(), np.abs(W2).max()))
    # A sigmoid output lies in (0, 1): each pixel's error is below max(x, 1 - x).
    worst_error = float(np.max(np.maximum(data, 1 - data)))
    bound = 0.5 * visible_size * worst_error**2
    reasons = {
        "reconstruction": f"a sigmoid output lies in (0, 1) and the pixels in "
                          f"[{data.min():.2g}, {data.max():.2g}], so half the squared error over "
                          f"{visible_size} pixels is at most {visible_size} x "
                          f"{worst_error:.2g}^2 / 2 = {bound:.3g}; compare it with beta times "
                          f"{hidden_size} units' KL at the rho_hat of a unit with zero bias",
        "weight decay": f"lambda = {lambda_:g} times half the sum of the squared weights, each at "
                        f"most {largest_weight:.2g} in size: tiny",
        "sparsity": "the sparsity term is not the largest for this theta: compare the three",
    }
    return check_choice(
        "6.1", prediction, biggest, COST_TERMS, name="prediction", reasons=reasons,
        why=f"{biggest!r} is the largest term at initialization; the next cell shows by how much.")


KL_TEST_RHO = (0.01, 0.1, 0.5)
"""Exercise 6.3's sparsity targets."""

KL_TEST_RHO_HAT = (0.02, 0.05, 0.2, 0.35, 0.7, 0.9)
"""Exercise 6.3's average activations: none equals a target of :data:`KL_TEST_RHO`, where KL and
many a wrong derivative vanish together (so no wrong answer is right by coincidence at some
entries), and none is within 0.02 of 0 or 1, so that a student's guard such as ``rho_hat + 1e-6``
changes the derivative by about 5e-5 of itself (the check's tolerance is
:data:`~ufldl_helpers.exercises.GUARDED_RTOL`)."""


def check_kl_grad(kl_grad: Callable) -> Feedback:
    """Exercise 6.3: the derivative of KL(rho || rho_hat) with respect to rho_hat.

    ``kl_grad(rho, rho_hat)`` must accept an array ``rho_hat`` and return the elementwise
    derivative; it is compared with :func:`~ufldl_helpers.sparse_autoencoder.kl_divergence_grad`
    at :data:`KL_TEST_RHO` and :data:`KL_TEST_RHO_HAT`.
    """
    if is_placeholder(kl_grad):
        return not_attempted("6.3", "kl_grad")
    rho_hat = np.array(KL_TEST_RHO_HAT)
    for rho in KL_TEST_RHO:
        value, problem = run_student_function("6.3", "kl_grad", kl_grad, rho, rho_hat.copy())
        if problem:
            return problem
        feedback = check_array("6.3", value, sae.kl_divergence_grad(rho, rho_hat),
                               name=f"kl_grad({rho}, rho_hat)", rtol=GUARDED_RTOL)
        if feedback.correct:
            continue
        slip = _kl_grad_slip(value, sae.kl_divergence_grad(rho, rho_hat), rho, rho_hat)
        return not_yet("6.3", slip) if slip else feedback
    return correct("6.3", f"kl_grad matches the derivative of KL(rho || rho_hat) for rho = "
                          f"{', '.join(map(str, KL_TEST_RHO))} and rho_hat from "
                          f"{KL_TEST_RHO_HAT[0]} to {KL_TEST_RHO_HAT[-1]}.")


def small_problem(visible_size: int = 6, hidden_size: int = 3, m: int = 8, *,
                  lambda_: float = 1e-4, sparsity_param: float = 0.05, beta: float = 3.0,
                  rng: np.random.Generator | int | None = 0) -> dict[str, Any]:
    """A small sparse-autoencoder problem for the exercises, with its forward pass.

    Returns
    -------
    dict
        ``theta``, ``X`` (visible_size, m), ``W1, W2, b1, b2``, ``a2`` (hidden_size, m),
        ``a3`` (visible_size, m), ``rho_hat`` (hidden_size,), and the hyperparameters
        ``lambda_, sparsity_param, beta``.
    """
    generator = check_rng(rng)
    theta = sae.initialize_parameters(hidden_size, visible_size, rng=generator)
    # Random biases: a zero b1 would give every unit the same role in the sparsity term.
    theta[-(hidden_size + visible_size):] = generator.normal(0, 0.5, hidden_size + visible_size)
    X = generator.uniform(0.1, 0.9, size=(visible_size, m))
    W1, W2, b1, b2 = sae.unpack(theta, visible_size, hidden_size)
    a2 = sae.encode(theta, X)
    return {"theta": theta, "X": X, "W1": W1, "W2": W2, "b1": b1, "b2": b2, "a2": a2,
            "a3": sae.reconstruct(theta, X), "rho_hat": a2.mean(axis=1), "lambda_": lambda_,
            "sparsity_param": sparsity_param, "beta": beta}


def _blocks(problem: dict, beta: float) -> dict[str, np.ndarray]:
    v, h = problem["X"].shape[0], problem["a2"].shape[0]
    grad = sae.sparse_autoencoder_cost(problem["theta"], v, h, problem["lambda_"],
                                       problem["sparsity_param"], beta, problem["X"])[1]
    return sae.layout(v, h).roll(grad)


def check_deltas(delta3: Any, delta2: Any, problem: dict) -> Feedback:
    """Exercise 6.4: ``delta3`` and ``delta2`` (with the sparsity term) for ``small_problem()``.

    Both are UFLDL's per-example deltas, shapes (visible_size, m) and (hidden_size, m). The check
    forms the gradients ``W2grad = delta3 @ a2.T / m + lambda W2`` and
    ``W1grad = delta2 @ X.T / m + lambda W1`` from them and compares with the gradient of
    ``sparse_autoencoder_cost``.
    """
    if is_placeholder(delta3):
        return not_attempted("6.4", "delta3")
    if is_placeholder(delta2):
        return not_attempted("6.4", "delta2")
    X, a2, lam = problem["X"], problem["a2"], problem["lambda_"]
    m = X.shape[1]
    for name, value, shape in (("delta3", delta3, X.shape), ("delta2", delta2, a2.shape)):
        if value is None:
            return not_yet("6.4", f"{name} is None, not an array (a function without a "
                                  "return statement gives None).")
        if np.shape(value) != shape:
            return not_yet("6.4", f"{name} has shape {np.shape(value)}; it should have shape "
                                  f"{shape}, one column per example.")
    delta3, delta2 = np.asarray(delta3, dtype=float), np.asarray(delta2, dtype=float)
    ref = _blocks(problem, problem["beta"])
    W2grad = delta3 @ a2.T / m + lam * problem["W2"]
    w2 = check_array("6.4", W2grad, ref["W2"], name="W2grad from your delta3", rtol=GUARDED_RTOL)
    if not w2.correct:
        if np.allclose(m * delta3 @ a2.T / m + lam * problem["W2"], ref["W2"]):
            return not_yet("6.4", "delta3 is the per-example delta divided by m: in this "
                                  "series the 1/m sits in the gradient formula, not in delta3.")
        if np.allclose(-delta3 @ a2.T / m + lam * problem["W2"], ref["W2"]):
            return not_yet("6.4", "delta3 has the wrong sign: the derivative of "
                                  "(1/2)||a3 - x||^2 with respect to a3 is a3 - x.")
        error = problem["a3"] - X
        slip = identify_slip(W2grad, ref["W2"], [
            (wrong @ a2.T / m + lam * problem["W2"], message) for wrong, message in (
                (error * sigmoid_grad(problem["a3"]),
                 "delta3 applies f' to a3: f' takes the pre-activation z3, and "
                 "f'(z3) = a3 (1 - a3) for the sigmoid."),
                (error, "delta3 lacks the factor f'(z3): the output unit's sigmoid is part of "
                        "the chain from z3 to the error."))], rtol=GUARDED_RTOL)
        return not_yet("6.4", slip) if slip else w2
    W1grad = delta2 @ X.T / m + lam * problem["W1"]
    w1 = check_array("6.4", W1grad, ref["W1"], name="W1grad from your delta2", rtol=GUARDED_RTOL)
    if w1.correct:
        return correct("6.4", "delta3 and delta2 give the gradient of sparse_autoencoder_cost "
                              f"for W2 and W1 (relative error < {GUARDED_RTOL:.0e}).")
    rho, beta = problem["sparsity_param"], problem["beta"]
    back = (problem["W2"].T @ delta3
            + beta * sae.kl_divergence_grad(rho, problem["rho_hat"])[:, None])
    slip = identify_slip(W1grad, ref["W1"], [
        (wrong @ X.T / m + lam * problem["W1"], message) for wrong, message in (
            (back * sigmoid_grad(a2), "delta3 is right; delta2 applies f' to a2: f' takes the "
                                      "pre-activation z2, and f'(z2) = a2 (1 - a2)."),
            (back, "delta3 is right; delta2 lacks the factor f'(z2) of the hidden units, "
                   "which multiplies the backpropagated error and the sparsity term alike."))],
        rtol=GUARDED_RTOL)
    if slip:
        return not_yet("6.4", slip)
    sparsity = ref["W1"] - _blocks(problem, 0.0)["W1"]
    off = W1grad - ref["W1"]
    scale = float(np.vdot(off, sparsity) / np.vdot(sparsity, sparsity))
    # A factor is named only if it is one: a guard's tiny change is no "1 times" slip.
    if (abs(scale) > 1e-2
            and np.linalg.norm(off - scale * sparsity) <= 1e-6 * np.linalg.norm(sparsity)):
        if np.isclose(scale, -1):
            return not_yet("6.4", "delta3 is right; delta2 misses the sparsity term.")
        if np.isclose(1 + scale, 1 / problem["beta"]):
            return not_yet("6.4", "delta3 is right; delta2's sparsity term lacks its weight "
                                  "beta.")
        return not_yet(
            "6.4", f"delta3 is right; delta2's sparsity term is {1 + scale:.4g} times what it "
                   "should be (per-example delta: beta times the KL derivative is added to "
                   "every column unscaled).")
    return not_yet("6.4", "delta3 is right (W2grad matches); delta2 is not: "
                          + w1.message.replace("W1grad from your delta2", "W1grad"))


def check_sparsity_penalty(sparsity_penalty: Callable) -> Feedback:
    """Exercise 6.2: ``sparsity_penalty(W1, b1, X, rho, beta)`` = beta * sum_j KL(rho || rho_hat_j).

    Compared with the sparsity term of ``sparse_autoencoder_cost`` (cost with ``beta`` minus cost
    with ``beta = 0``) on two small problems.
    """
    if is_placeholder(sparsity_penalty):
        return not_attempted("6.2", "sparsity_penalty")
    # beta, the number of hidden units and m are pairwise distinct (and none is 2), so that
    # leaving out beta, averaging over the units and summing over the examples differ.
    for seed, (rho, beta, hidden_size, m) in enumerate(((0.05, 3.0, 5, 7), (0.2, 0.7, 4, 9))):
        p = small_problem(hidden_size=hidden_size, m=m, rng=seed, sparsity_param=rho, beta=beta)
        v, h = p["X"].shape[0], p["a2"].shape[0]
        expected = cost_terms(p["theta"], v, h, 0.0, rho, beta, p["X"])["sparsity"]
        value, problem = run_student_function("6.2", "sparsity_penalty", sparsity_penalty,
                                              p["W1"], p["b1"], p["X"], rho, beta)
        if problem:
            return problem
        if np.ndim(value) != 0:
            return not_yet("6.2", f"sparsity_penalty must return one number (the sum over "
                                  f"hidden units), got shape {np.shape(value)}.")
        number = _as_real(value)
        if number is not None and not np.isfinite(number):
            return not_yet("6.2", f"sparsity_penalty returns {number}: a log of a "
                                  "negative number or of zero. rho_hat, an average activation, "
                                  "lies in (0, 1), so rho_hat and 1 - rho_hat are both positive; "
                                  "a sum over the examples instead of a mean gives values above "
                                  "1.")
        slip = _sparsity_penalty_slip(value, expected, p["a2"], rho, beta)
        if slip:
            return not_yet("6.2", slip)
        feedback = check_array("6.2", value, expected, name="sparsity_penalty",
                               rtol=GUARDED_RTOL)
        if not feedback.correct:
            return feedback
    return correct("6.2", "sparsity_penalty equals the sparsity term of sparse_autoencoder_cost "
                          "on two problems.")


def _kl_grad_slip(value: np.ndarray, expected: np.ndarray, rho: float,
                  rho_hat: np.ndarray) -> str | None:
    """Name a typical slip in Exercise 6.3's derivative, or None."""
    return identify_slip(value, expected, [
        (sae.kl_divergence(rho, rho_hat),
         "kl_grad returns KL itself, not its derivative with respect to rho_hat."),
        (np.log(rho_hat / rho) - np.log((1 - rho_hat) / (1 - rho)),
         "kl_grad differentiates KL(rho_hat || rho), the arguments swapped: the penalty is "
         "KL(rho || rho_hat), the target rho first."),
        (np.log(rho / rho_hat) - np.log((1 - rho) / (1 - rho_hat)),
         "kl_grad is the derivative with respect to rho, the target; the penalty changes with "
         "rho_hat, the unit's average activation, so differentiate with respect to rho_hat."),
        (-rho / rho_hat,
         "kl_grad has the derivative of KL's first term only: the term with 1 - rho and "
         "1 - rho_hat depends on rho_hat too."),
    ], rtol=GUARDED_RTOL)


def _sparsity_penalty_slip(value: float, expected: float, a2: np.ndarray, rho: float,
                           beta: float) -> str | None:
    """Name a typical slip in Exercise 6.2's penalty (``a2``: hidden activations, (h, m))."""
    rho_hat, over_units = a2.mean(axis=1), a2.mean(axis=0)
    return identify_slip(value, expected, [
        (a2.shape[1] * expected,
         "your penalty is m times too large: rho_hat is the *average* activation over the "
         "examples."),
        (expected / beta, "your penalty lacks the weight beta of the sparsity term."),
        (-expected, "your penalty is negative, the log ratios upside down: KL(rho || rho_hat_j) "
                    "= rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) / (1 - rho_hat_j)) is "
                    "never negative."),
        (expected / a2.shape[0],
         "your penalty averages the KL terms over the hidden units instead of summing them: "
         "the penalty is beta times the *sum* over the units."),
        (beta * np.sum(sae._kl(rho, over_units)),
         "rho_hat is averaged over the wrong axis: it must hold one average per hidden unit, "
         "over the m examples (the columns), not one per example over the units."),
        (beta * np.sum(sae._kl(rho_hat, rho)),
         "the arguments of KL are swapped: the penalty is KL(rho || rho_hat_j), the target "
         "rho first, and KL is not symmetric."),
        (beta * np.sum(rho * np.log(rho / rho_hat)),
         "your KL has only its first term: the KL divergence of two Bernoulli variables also "
         "has the term for 'inactive', with 1 - rho and 1 - rho_hat_j."),
    ], rtol=GUARDED_RTOL)
