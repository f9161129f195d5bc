"""Derivations, checked numerically (complex-step or central differences), and the reference
helpers that let a later part be graded on its own (:func:`with_reference`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_rng, check_scalar
from ufldl_helpers.activations import sigmoid, softmax
from ufldl_helpers.gradcheck import numerical_gradient, relative_error
from ufldl_helpers.grading._feedback import (
    GradingError,
    _as_number,
    _describe,
    _either_version,
    _guarded,
    _identify_slip,
)
from ufldl_helpers.grading.problems import (
    REFERENCE_RTOL,
    Problem,
    _check_size,
    _weight_decay_autoencoder,
    reference_rtol,
)

DELTA_TOL = REFERENCE_RTOL
"""Largest accepted relative error of a float64 derived delta against complex-step derivatives,
which are exact to round-off (about 1e-15 here); float32 answers get 64 of their units in the
last place (:func:`~ufldl_helpers.grading.problems.reference_rtol`). A guard up to about 1e-7
(``np.log(a3 + 1e-8)`` and the like) passes; a real slip is off by 1e-3 or more."""


# --- derivations, checked against complex-step derivatives ----------------------------------

def _complex_step(cost: Callable, z: np.ndarray) -> np.ndarray:
    """Derivative of ``cost`` (analytic in ``z``) at ``z``, exact to round-off, ``z``'s shape."""
    flat = numerical_gradient(lambda v: cost(v.reshape(z.shape)), z.ravel(),
                              method="complex")
    return flat.real.reshape(z.shape)


def _as_result(name: str, value: object, shape: tuple[int, ...]) -> tuple[np.ndarray, float]:
    """The answer as a float64 array, and the tolerance its dtype gets (:func:`reference_rtol`).
    """
    value = np.asarray(value)
    if value.shape != shape:
        raise GradingError(f"{name} returned {_describe(value)}; it must return an array of "
                           f"shape {shape}, one column per example.")
    if not np.all(np.isfinite(value)):
        raise GradingError(f"{name} returned NaN or infinite entries; check for division by "
                           f"zero or log(0).")
    return value.astype(float), reference_rtol(value)


def _matches(yours: np.ndarray, expected: np.ndarray, tol: float = DELTA_TOL) -> bool:
    return relative_error(expected, yours) <= tol


def _ratio(yours: np.ndarray, expected: np.ndarray) -> float | None:
    """The constant c with ``yours == c * expected``, if there is one."""
    c = float(np.vdot(expected, yours) / np.vdot(expected, expected))
    return c if c != 0 and _matches(yours, c * expected, 1e-6) else None


def _factor_hint(what: str, c: float, m: int) -> str:
    if np.isclose(c, 1 / m):
        return (f"{what} is 1/m = 1/{m} times the right one. In this course, as in UFLDL, delta "
                f"is per example: its column i is m times dJ/dz for example i, and the 1/m goes "
                f"into the gradient formulas (W1grad = delta2 @ X.T / m + ...).")
    if np.isclose(c, -1.0):
        return f"{what} has the wrong sign: check which way round the difference goes."
    return f"{what} is {c:.4g} times the right one: check its constant factors."


def _scale_hint(what: str, yours: np.ndarray, expected: np.ndarray, m: int, tol: float
                ) -> str | None:
    """:func:`_factor_hint` if ``yours`` is a constant times ``expected``, or what a near miss
    (within 1e-3, off by more than ``tol``) is, never a factor that shows as 1; else None."""
    c = _ratio(yours, expected)
    if c is not None and f"{c:.4g}" != "1":
        return _factor_hint(what, c, m)
    error = relative_error(expected, yours)
    if error > 1e-3:
        return None
    return (f"{what} is off from the right one by a relative {error:.1e}, more than the "
            f"{tol:.0e} accepted: nearly right, but a small term or rounding changes it "
            f"(arithmetic in float16, or an epsilon larger than 1e-7 added against log(0) or "
            f"a division by zero?).")


def _worst(yours: np.ndarray, expected: np.ndarray) -> str:
    k, i = np.unravel_index(int(np.argmax(np.abs(yours - expected))), expected.shape)
    return (f"the largest difference is at row {k}, column {i}: yours {yours[k, i]:.6g}, "
            f"finite differences {expected[k, i]:.6g}")


def _softmax_cross_entropy_delta(a3: np.ndarray, Y: np.ndarray) -> np.ndarray:
    return a3 - Y


def check_output_delta(fun: Callable, *, n_out: int = 4, m: int = 5,
                       rng: np.random.Generator | int | None = None) -> None:
    """Grade a derived output delta ``fun(a3, Y) -> delta3`` of softmax with cross-entropy.

    Column ``i`` of ``delta3`` must be the derivative of example ``i``'s loss
    ``-sum_k Y[k, i] log a3[k, i]`` with respect to ``z3[:, i]``, where ``a3 = softmax(z3)``
    (UFLDL's per-example delta). It is compared with complex-step derivatives of the summed
    loss with respect to ``z3``, which are exact to round-off.

    Parameters
    ----------
    fun : callable
        ``fun(a3, Y)`` with ``a3, Y : (n_out, m)``, ``Y`` one-hot; returns ``(n_out, m)``.
    n_out, m : int
        Problem size (``m >= 2``, so that a stray 1/m shows).
    rng : numpy.random.Generator or int, optional

    Raises
    ------
    GradingError
        Saying how the delta is off (1/m, sign, a constant factor, or where), never the formula.
    """
    n_out = check_scalar(n_out, "n_out", low=2, integer=True)
    m = check_scalar(m, "m", low=2, integer=True)
    rng = check_rng(rng)
    name = getattr(fun, "__name__", "output_delta")
    z3 = rng.normal(0.0, 1.5, (n_out, m))
    Y = np.zeros((n_out, m))
    Y[rng.integers(0, n_out, m), np.arange(m)] = 1.0
    a3 = softmax(z3)
    expected = _complex_step(lambda z: -np.sum(Y * np.log(softmax(z))), z3)
    yours, tol = _as_result(name, _guarded(name, fun, a3.copy(), Y.copy()), (n_out, m))
    if _matches(yours, expected, tol):
        return
    hint = _scale_hint(f"the delta3 returned by {name}", yours, expected, m, tol)
    if hint:
        raise GradingError(hint)
    slip = _identify_slip(yours, expected, [
        (-Y / a3, "it is the derivative of the loss with respect to a3, not z3: the chain rule "
                  "goes on through the softmax a3 = softmax(z3)."),
        ((a3 - Y) * a3 * (1 - a3), "it treats the softmax like an elementwise sigmoid, "
                                   "a3 (1 - a3): the softmax makes every a3[k,i] depend on "
                                   "every z3[j,i], and the cross-entropy's derivative "
                                   "simplifies with it."),
    ])
    if slip:
        raise GradingError(f"the delta3 returned by {name} is not the derivative of each "
                           f"example's loss with respect to z3: {slip}")
    raise GradingError(
        f"the delta3 returned by {name} is not the derivative of each example's loss with "
        f"respect to z3 ({_worst(yours, expected)}). Differentiate -sum_k Y[k,i] log a3[k,i] "
        f"with respect to z3[j,i] for every j: the softmax makes every a3[k,i] depend on "
        f"every z3[j,i]."
    )


def _sparse_hidden_delta(W2: np.ndarray, delta3: np.ndarray, a2: np.ndarray,
                         sparsity_param: float, beta: float) -> np.ndarray:
    rho = sparsity_param
    rho_hat = a2.mean(axis=1)
    sparsity = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
    return (W2.T @ delta3 + sparsity[:, None]) * a2 * (1 - a2)


def check_hidden_delta(fun: Callable, *, visible_size: int = 6, hidden_size: int = 4,
                       m: int = 5, sparsity_param: float = 0.1, beta: float = 3.0,
                       rng: np.random.Generator | int | None = None) -> None:
    """Grade a derived hidden delta ``fun(W2, delta3, a2, sparsity_param, beta) -> delta2``.

    For the sparse autoencoder's cost without weight decay,
    ``J = (1/m) sum_i 1/2 ||a3_i - x_i||^2 + beta * sum_j KL(rho || rho_hat_j)``, column ``i``
    of ``delta2`` must be ``m * dJ/dz2[:, i]`` (UFLDL's per-example delta; the 1/m of the
    squared error cancels, and the penalty reaches ``z2[:, i]`` through ``rho_hat``). It is
    compared with complex-step derivatives of ``J`` with respect to ``z2``. A wrong answer is
    split into the squared-error part (``beta=0``) and the sparsity part.

    Parameters
    ----------
    fun : callable
        ``W2 : (visible_size, hidden_size)``, ``delta3 : (visible_size, m)`` the output delta
        ``(a3 - x) * a3 * (1 - a3)``, ``a2 : (hidden_size, m)``; returns ``(hidden_size, m)``.
    visible_size, hidden_size, m : int
    sparsity_param, beta : float
    rng : numpy.random.Generator or int, optional

    Raises
    ------
    GradingError
        Naming the part that is off and how (1/m, sign, a factor, a missing factor f'(z2)).
    """
    visible_size = _check_size(visible_size, "visible_size")
    hidden_size = _check_size(hidden_size, "hidden_size")
    m = check_scalar(m, "m", low=2, integer=True)
    rho = check_scalar(sparsity_param, "sparsity_param", low=0, high=1, low_inclusive=False,
                       high_inclusive=False)
    beta = check_scalar(beta, "beta", low=0, low_inclusive=False)
    rng = check_rng(rng)
    name = getattr(fun, "__name__", "hidden_delta")
    W2 = rng.normal(0.0, 0.5, (visible_size, hidden_size))
    b2 = rng.normal(0.0, 0.5, visible_size)
    X = rng.uniform(0.1, 0.9, (visible_size, m))
    z2 = rng.normal(0.0, 1.0, (hidden_size, m))

    def cost(z: np.ndarray, beta: float) -> Any:
        a2 = sigmoid(z)
        a3 = sigmoid(W2 @ a2 + b2[:, None])
        rho_hat = a2.mean(axis=1)
        kl = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
        return 0.5 * np.sum((a3 - X) ** 2) / m + beta * np.sum(kl)

    a2 = sigmoid(z2)
    a3 = sigmoid(W2 @ a2 + b2[:, None])
    delta3 = (a3 - X) * a3 * (1 - a3)

    def yours_at(beta: float) -> tuple[np.ndarray, float]:
        out = _guarded(name, fun, W2.copy(), delta3.copy(), a2.copy(), rho, beta)
        return _as_result(name, out, (hidden_size, m))

    yours, tol = yours_at(beta)
    expected = m * _complex_step(lambda z: cost(z, beta), z2)
    if _matches(yours, expected, tol):
        return
    hint = _scale_hint(f"the delta2 returned by {name}", yours, expected, m, tol)
    if hint:
        raise GradingError(hint)
    error_part = m * _complex_step(lambda z: cost(z, 0.0), z2)
    yours_error_part, tol = yours_at(0.0)
    if not _matches(yours_error_part, error_part, tol):
        raise GradingError(
            f"the delta2 returned by {name} is wrong already with beta=0, where only the "
            f"squared error remains ({_worst(yours_error_part, error_part)}): backpropagate "
            f"delta3 through W2 and the hidden sigmoid first."
        )
    sparsity_part, yours_sparsity = expected - error_part, yours - yours_error_part
    rho_hat = a2.mean(axis=1)
    lines = [f"the delta2 returned by {name} is right with beta=0 (squared error only) and goes "
             f"wrong in the sparsity penalty's part (delta2 with beta={beta:g} minus delta2 "
             f"with beta=0)."]
    scale_hint = _scale_hint("That part", yours_sparsity, sparsity_part, m, tol)
    f_prime = a2 * (1 - a2)
    if not np.any(yours_sparsity):
        lines.append("That part is zero in yours: the penalty depends on z2 through rho_hat, so "
                     "it contributes to every column of delta2.")
    elif scale_hint:
        lines.append(scale_hint)
    elif _matches(yours_sparsity * f_prime, sparsity_part, 1e-6):
        lines.append("That part lacks the factor f'(z2) = a2 * (1 - a2): the penalty reaches z2 "
                     "through the sigmoid too.")
    elif slip := _identify_slip(yours_sparsity, sparsity_part, [
            (beta * (np.log(rho_hat / rho) - np.log((1 - rho_hat) / (1 - rho)))[:, None]
             * f_prime, "That part differentiates KL(rho_hat_j || rho), the arguments swapped: "
                        "the penalty is KL(rho || rho_hat_j), the target rho first."),
            (beta * (-rho / rho_hat)[:, None] * f_prime,
             "That part has the derivative of KL's first term only: the term with 1 - rho and "
             "1 - rho_hat_j depends on rho_hat_j too.")], rtol=1e-6):
        lines.append(slip)
    else:
        lines.append(f"In that part, {_worst(yours_sparsity, sparsity_part)}. Differentiate "
                     f"beta * KL(rho || rho_hat_j) with respect to rho_hat_j, then rho_hat_j "
                     f"with respect to z2[j,i].")
    raise GradingError("\n".join(lines))


def check_mismatch(fun: Callable, buggy: Callable, problem: Problem, block: str) -> None:
    """Grade a derived mismatch: ``fun(theta, **kwargs)`` must return, for one block, the
    gradient ``buggy`` returns minus the true gradient of ``buggy``'s cost.

    The true gradient is estimated by central differences with ``epsilon=1e-5`` (error about
    1e-11 here), so the student's formula is checked numerically to 6 digits.

    Parameters
    ----------
    fun : callable
        Same signature as ``buggy``; returns an array of the block's shape.
    buggy : callable
        ``buggy(theta, **problem.kwargs) -> (cost, grad)``, with a correct cost.
    problem : Problem
    block : str
        One of ``problem.layout.names``.
    """
    if block not in problem.layout.names:
        raise ValueError(f"block must be one of {', '.join(problem.layout.names)}; got {block!r}")
    name = getattr(fun, "__name__", "mismatch")
    shape = problem.layout.shapes[block]
    grad = problem.bind(buggy)(problem.theta.copy())[1]
    true_grad = numerical_gradient(problem.bind(buggy), problem.theta, epsilon=1e-5)
    expected = problem.layout.roll(grad - true_grad)[block].reshape(shape)
    yours = np.asarray(_guarded(name, problem.bind(fun), problem.theta.copy()))
    if yours.shape != shape:
        raise GradingError(f"{name} returned {_describe(yours)}; it must return the mismatch of "
                           f"{block}, an array of shape {shape}.")
    yours = yours.astype(float)
    # absolute floor: a mismatch of zero (lambda_=0) is matched by a zero answer
    floor = 1e-9 * np.linalg.norm(grad)
    if np.linalg.norm(yours - expected) <= 1e-6 * np.linalg.norm(expected) + floor:
        return
    if not np.any(yours):
        hint = (f"yours is zero, but the posted gradient of {block} is wrong: derive "
                f"dJ/d{block} from the cost and compare it with the posted line.")
    elif np.linalg.norm(yours + expected) <= 1e-6 * np.linalg.norm(expected) + floor:
        hint = "yours has the wrong sign: posted minus true, not true minus posted."
    else:
        k = int(np.argmax(np.abs(yours - expected).ravel()))
        hint = (f"entry {k} is {yours.ravel()[k]:.6g}, but the posted gradient minus "
                f"finite differences gives {expected.ravel()[k]:.6g}. Derive dJ/d{block} from "
                f"the cost and subtract it from the posted formula.")
    raise GradingError(f"{name} is not the posted gradient of {block} minus the true one: "
                       f"{hint}")


@_either_version
def check_descent_slope(fun: Callable, posted: Callable, problem: Problem) -> None:
    """Grade a derived slope: why an optimizer fed a wrong gradient goes astray.

    ``fun(theta, **kwargs)`` must return the directional derivative of the true cost at
    ``problem.theta`` along the posted steepest-descent direction ``d = -g``, where ``g`` is the
    gradient ``posted`` returns: ``d/dt J(theta + t d)`` at ``t = 0``, the slope a line search
    along ``d`` really meets (it believes ``-g . g``). It is compared with central differences
    of ``t -> J(theta + t d)`` (``J``: ``problem.reference``'s cost) to 1e-6, relative.

    Parameters
    ----------
    fun : callable
        Same signature as ``posted``; returns one real number.
    posted : callable
        ``posted(theta, **problem.kwargs) -> (cost, grad)``, with a correct cost.
    problem : Problem
        With a ``reference``: the true cost and gradient.

    Raises
    ------
    GradingError
        Naming a typical slip (the sign of ``d``, the posted or the true gradient on both sides,
        a normalized ``d``) when the value is exactly that slip's, never the value expected.
    """
    if problem.reference is None:
        raise ValueError("problem must have a reference (the true cost and gradient)")
    name = getattr(fun, "__name__", "descent_slope")
    theta = problem.theta
    g = np.asarray(problem.bind(posted)(theta.copy())[1], dtype=float)
    true_cost_and_grad = problem.bind(problem.reference)
    norm = float(np.linalg.norm(g))
    step = 1e-6 / max(norm, 1e-300)  # moves theta by 1e-6: truncation and round-off ~1e-10
    expected = float(numerical_gradient(lambda t: true_cost_and_grad(theta - t[0] * g)[0],
                                        np.zeros(1), epsilon=step)[0])
    answer = _guarded(name, problem.bind(fun), theta.copy())
    yours = _as_number(answer)  # a size-1 array such as np.array([s]) counts as a number
    if yours is None:
        raise GradingError(f"{name} must return one real number (a slope), got "
                           f"{_describe(answer)}.")
    if np.isclose(yours, expected, rtol=1e-6, atol=0.0):
        return
    true_grad = np.asarray(true_cost_and_grad(theta.copy())[1], dtype=float)
    slip = _identify_slip(yours, expected, [
        (-expected, "the sign is wrong: the optimizer steps along d = -g, minus the posted "
                    "gradient g, not along g."),
        (-g @ g, "that is the slope the optimizer believes, its own gradient g along its own "
                 "direction -g. The true slope of J along d needs the true gradient of J."),
        (-true_grad @ true_grad, "that is the slope along minus the true gradient; the "
                                 "optimizer moves along minus the posted one, d = -g."),
        (expected / norm, "that is the slope along the unit vector d / ||d||; the line search "
                          "moves along d = -g itself, theta + t d."),
    ], rtol=1e-6)
    raise GradingError(f"{name} does not return the slope of J along the posted direction: "
                       + (slip or "differentiate t -> J(theta + t d) at t = 0 by the chain rule, "
                                  "with d = -g the negative posted gradient and the true "
                                  "gradient of J."))


# --- reference versions of the helpers a later part calls --------------------------------

def _central_differences(cost: Callable[[np.ndarray], Any], theta: ArrayLike,
                         epsilon: float = 1e-4) -> np.ndarray:
    return numerical_gradient(cost, theta, epsilon=epsilon, method="central")


_REFERENCES = {
    "output_delta": _softmax_cross_entropy_delta,
    "hidden_delta": _sparse_hidden_delta,
    "numerical_gradient": _central_differences,
    "autoencoder_cost": _weight_decay_autoencoder,
}


def with_reference(fun: Callable, *names: str) -> Callable:
    """``fun``, run with the reference version of the named helpers in place of the student's.

    A later part of an assignment often calls a function written in an earlier part (the
    student's ``two_layer_cost_and_grad`` calls their ``output_delta``). Grading the later part
    through ``with_reference(two_layer_cost_and_grad, "output_delta")`` swaps the helper in
    ``fun``'s global namespace for the duration of each call, so a mistake in the earlier part
    costs points only there. The checks that grade a function (``check_cost``,
    ``check_cost_and_grad`` and the ``grade_*`` functions,
    ``check_gradient_relative_error``) pass it if it passes either as written or with the
    reference helpers, so a later part written consistently with a differently scaled earlier
    part is not penalized either.

    Parameters
    ----------
    fun : callable
        The student's function; returned unchanged if it is not a plain function.
    *names : str
        Helpers to swap: ``"output_delta"``, ``"hidden_delta"``, ``"numerical_gradient"``,
        ``"autoencoder_cost"`` (a weight-decay autoencoder's cost and gradient).
    """
    for name in names:
        if name not in _REFERENCES:
            raise ValueError(f"names must be among {', '.join(map(repr, _REFERENCES))}; "
                             f"got {name!r}")
    namespace = getattr(fun, "__globals__", None)
    if namespace is None:
        return fun

    @functools.wraps(fun)
    def graded(*args: Any, **kwargs: Any) -> Any:
        missing = object()
        saved = {name: namespace.get(name, missing) for name in names}
        namespace.update({name: _REFERENCES[name] for name in names})
        try:
            return fun(*args, **kwargs)
        finally:
            for name, value in saved.items():
                if value is missing:
                    namespace.pop(name, None)
                else:
                    namespace[name] = value
    graded._as_written = fun  # type: ignore[attr-defined]  # read by _either_version
    return graded
