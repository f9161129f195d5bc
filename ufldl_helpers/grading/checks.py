"""Checks of a student's cost and gradient function, finite differences and gradient check."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import numpy as np

from ufldl_helpers import network
from ufldl_helpers._validation import check_rng, check_scalar
from ufldl_helpers.gradcheck import GradientCheck, numerical_gradient, relative_error
from ufldl_helpers.grading._feedback import (
    GradingError,
    _as_number,
    _describe,
    _either_version,
    _guarded,
    _identify_slip,
)
from ufldl_helpers.grading.problems import (
    COST_RTOL,
    GRAD_TOL,
    Problem,
    _call,
    _two_layer_reference,
    autoencoder_problem,
    reference_rtol,
    sparse_autoencoder_problem,
    two_layer_problem,
)


def _term_costs(fun: Callable, problem: Problem) -> dict[str, float]:
    """Value of each cost term of ``fun`` on the problem (see :class:`Problem`)."""
    values = {}
    base = None
    for term, overrides in problem.terms.items():
        cost = _call(fun, problem, **overrides)[0]
        if base is None:
            base = cost
            values[term] = cost
        else:
            values[term] = cost - base
    return values


def _compare_cost(fun: Callable, problem: Problem, cost: float) -> None:
    """Raise a GradingError naming the wrong cost term if the cost differs from the reference."""
    # Called only for problems with a reference.
    expected = _call(problem.reference, problem)[0]  # type: ignore[arg-type]
    if np.isclose(cost, expected, rtol=COST_RTOL, atol=0.0):
        return
    lines = [f"{problem.name} returns the cost {cost:.6g}, but the reference gives {expected:.6g} "
             f"for the same theta and arguments."]
    if problem.terms:
        yours = _term_costs(fun, problem)
        ref = _term_costs(problem.reference, problem)  # type: ignore[arg-type]
        lines.append("Cost term by term (the other terms switched off):")
        wrong = []
        for term in problem.terms:
            ok = np.isclose(yours[term], ref[term], rtol=COST_RTOL, atol=1e-12)
            if not ok:
                wrong.append(term)
            lines.append(f"  {term:<18} yours {yours[term]:<12.6g} reference {ref[term]:<12.6g}"
                         f"{'' if ok else '  <- differs'}")
        for term in wrong:
            if ref[term] != 0 and yours[term] != 0:
                lines.append(f"Your {term} is {yours[term] / ref[term]:.4g} times the reference: "
                             f"check its constant factor (1/2, 1/m) and its sign.")
            elif yours[term] == 0:
                lines.append(f"Your {term} is missing from the cost.")
    raise GradingError("\n".join(lines))


def _gradient_report(fun: Callable, problem: Problem, check: GradientCheck, tol: float,
                     wrong: list[str] | None = None) -> str:
    """The failure message; ``wrong``: the blocks off the reference gradient, if known, which
    are then the only ones marked (a block equal to the reference's is never called wrong)."""
    lines = [f"the gradient returned by {problem.name} does not match finite differences "
             f"(relative error {check.relative_error:.2e}, tolerance {tol:.0e}).",
             "Relative error block by block:"]
    for block, err in check.block_errors.items():
        off = err > tol if wrong is None else block in wrong
        lines.append(f"  {block:<4} {err:.2e}{'  <- wrong' if off else ''}")
    if wrong is not None and any(err > tol and block not in wrong
                                 for block, err in check.block_errors.items()):
        lines.append("The blocks not marked equal the reference gradient; their finite-difference "
                     "error comes from a tiny difference between your cost and the reference's "
                     "(within the cost's tolerance), which costs nothing.")
    culprit = _culprit_term(fun, problem, tol)
    if culprit:
        lines.append(culprit)
    if check.findings:
        lines.append("The gradient doctor found:")
        lines.extend(f"  - {f.name}: {f.message}" for f in check.findings)
    else:
        lines.append("The gradient doctor found no known pattern; compare the wrong blocks' "
                     "formulas with the derivation, line by line.")
    lines.extend(f"Note: {note}" for note in check.notes)
    return "\n".join(lines)


def _culprit_term(fun: Callable, problem: Problem, tol: float) -> str | None:
    """Say which cost term first breaks the gradient, switching the terms on one at a time."""
    if len(problem.terms) < 2:
        return None
    terms = list(problem.terms.items())
    base_name, base = terms[0]
    if not problem.check(fun, tol=tol, **base).passed:
        return (f"It is already wrong with the {base_name} term alone "
                f"(checked with {_overrides_text(base)}): fix that part first.")
    for term, overrides in terms[1:]:
        if not problem.check(fun, tol=tol, **overrides).passed:
            return (f"It is right with the {base_name} term alone and goes wrong once the "
                    f"{term} is added (checked with {_overrides_text(overrides) or 'all terms'}):"
                    f" look at the {term}'s contribution to the gradient.")
    return None


def _overrides_text(overrides: Mapping) -> str:
    return ", ".join(f"{k}={v}" for k, v in overrides.items())


@_either_version
def check_cost(fun: Callable, problem: Problem) -> None:
    """Grade the output and the cost of a ``cost_and_grad`` function (not its gradient).

    Like every check here it returns nothing when the answer is right, so that an nbgrader test
    cell has no output (nbgrader would read an output value as partial credit).

    Parameters
    ----------
    fun : callable
        The student's function, called as ``fun(theta, **problem.kwargs)``.
    problem : Problem

    Raises
    ------
    GradingError
        If ``fun`` is not implemented, returns something other than ``(cost, grad)`` with
        ``grad`` of ``theta``'s shape, or a cost that differs from the reference (the message
        compares the cost term by term).
    """
    _check_cost(fun, problem)


def _check_cost(fun: Callable, problem: Problem) -> Problem:
    """:func:`check_cost`; returns ``problem`` named after ``fun`` for later messages."""
    if not callable(fun):
        raise GradingError(f"{problem.name} must be a function, got {_describe(fun)}: "
                           f"run the cell that defines it first.")
    problem = replace(problem, name=getattr(fun, "__name__", problem.name))
    cost, _ = _call(fun, problem)
    if problem.reference is not None:
        _compare_cost(fun, problem, cost)
    return problem


@_either_version
def check_cost_and_grad(fun: Callable, problem: Problem, *, tol: float = GRAD_TOL,
                        hints: bool = True) -> None:
    """Grade a ``cost_and_grad`` function on a problem: output, cost, then gradient.

    The gradient passes if every block matches the reference gradient at ``problem.theta`` to
    :func:`~ufldl_helpers.grading.problems.reference_rtol` (1e-6, relative; float32 64 ulps),
    or if it passes the gradient check of ``fun``'s own cost at ``tol``. So a guard in the cost
    such as ``np.log(a3 + 1e-8)``, which moves finite differences of the cost by about 1e-8,
    costs nothing. A failure is diagnosed by the gradient check of ``fun`` and its doctor;
    the blocks marked wrong are those off the reference.

    Parameters
    ----------
    fun : callable
        The student's function, called as ``fun(theta, **problem.kwargs)``; returns
        ``(cost, grad)`` with ``grad`` of ``theta``'s shape.
    problem : Problem
    tol : float
        Largest relative error accepted by the gradient check of ``fun``'s own cost (see
        ``GRAD_TOL``).
    hints : bool
        False: the doctor's findings in a failure say where and which pattern, not the fix
        (:func:`~ufldl_helpers.grading.problems.without_hints`), for an exercise whose task is
        the fix.

    Raises
    ------
    GradingError
        With a message naming what is wrong: not implemented, wrong output, the cost term
        that differs from the reference, or the gradient blocks that are wrong and the doctor's
        findings.
    """
    problem = _check_cost(fun, problem)
    tol = check_scalar(tol, "tol", low=0, low_inclusive=False)
    wrong = _blocks_off_the_reference(fun, problem)
    if wrong is not None and not wrong:
        return
    # diagnosis, and a second chance for a cost that differs from the reference's within
    # COST_RTOL and a gradient exact for that cost
    check = problem.check(fun, tol=tol, hints=hints)
    if not check.passed:
        raise GradingError(_gradient_report(fun, problem, check, tol, wrong))


def _blocks_off_the_reference(fun: Callable, problem: Problem) -> list[str] | None:
    """The blocks of ``fun``'s gradient that differ from the reference's by more than
    :func:`reference_rtol` (relative, in norm); None without a reference.

    Graded against the reference at the same point, not against finite differences of the
    student's own cost, so a guard in the cost (``np.log(a3 + 1e-8)``, invisible at
    ``COST_RTOL``) does not fail an exact analytic gradient.
    """
    if problem.reference is None:
        return None
    grad = _call(fun, problem)[1]
    expected = np.asarray(_call(problem.reference, problem)[1], dtype=float)
    rtol = reference_rtol(grad)
    floor = 1e-12 * float(np.linalg.norm(expected))  # a block whose true gradient is zero
    yours, ref = problem.layout.roll(grad.astype(float)), problem.layout.roll(expected)
    return [b for b in problem.layout.names
            if float(np.linalg.norm(yours[b] - ref[b])) > rtol * float(np.linalg.norm(ref[b]))
            + floor]


def grade_sparse_autoencoder(fun: Callable, problem: Problem | None = None, *,
                             tol: float = GRAD_TOL) -> None:
    """Grade a student's ``sparse_autoencoder_cost`` (default problem:
    :func:`~ufldl_helpers.grading.sparse_autoencoder_problem`)."""
    check_cost_and_grad(fun, problem or sparse_autoencoder_problem(), tol=tol)


def grade_autoencoder(fun: Callable, problem: Problem | None = None, *,
                      tol: float = GRAD_TOL, hints: bool = True) -> None:
    """Grade a weight-decay autoencoder ``fun(theta, visible_size, hidden_size, lambda_, data)``
    (``hints``: see :func:`check_cost_and_grad`)."""
    check_cost_and_grad(fun, problem or autoencoder_problem(), tol=tol, hints=hints)


def grade_two_layer(fun: Callable, problem: Problem | None = None, *,
                    tol: float = GRAD_TOL) -> None:
    """Grade a two-layer network ``fun(theta, layer_sizes, X, Y, lambda_)``
    (default problem: :func:`~ufldl_helpers.grading.two_layer_problem`)."""
    check_cost_and_grad(fun, problem or two_layer_problem(), tol=tol)


def _restored(theta: np.ndarray, before: np.ndarray) -> bool:
    """Whether ``theta`` is ``before`` to 4 units in the last place: ``theta[i] += eps``, then
    ``-= 2 * eps``, then ``+= eps`` may leave an entry 1 ulp off, which changes nothing."""
    return bool(np.all(np.abs(theta - before) <= 4 * np.spacing(np.abs(before))))


def _cubic(theta: np.ndarray) -> float:
    # Non-quadratic, so forward differences are off by O(epsilon) and central ones by O(epsilon^2)
    return float(np.sum(theta**3) / 3.0 + theta[0] * theta[-1])


def check_numerical_gradient(fun: Callable, *,
                             rng: np.random.Generator | int | None = None) -> None:
    """Grade a student's finite-difference gradient ``fun(cost, theta, epsilon) -> (n,) array``.

    The estimate of a cubic test function is compared with the package's central differences
    (:func:`ufldl_helpers.gradcheck.numerical_gradient`); the message says whether it looks like
    forward differences, is off by a factor of 2, or changed ``theta``.

    Parameters
    ----------
    fun : callable
        ``fun(cost, theta, epsilon)``, ``cost(theta) -> float``.
    rng : numpy.random.Generator or int, optional
    """
    name = getattr(fun, "__name__", "numerical_gradient")
    rng = check_rng(rng)
    theta = rng.normal(0.0, 1.0, 7)
    before = theta.copy()
    epsilon = 1e-3
    estimate = _guarded(name, fun, _cubic, theta, epsilon)
    if not _restored(theta, before):
        raise GradingError(f"{name} changed theta: perturb a copy (theta.copy()) or put each "
                           f"entry back after evaluating the cost.")
    estimate = np.asarray(estimate)
    if estimate.shape != theta.shape:
        raise GradingError(f"{name} returned {_describe(estimate)}; it must return one "
                           f"partial derivative per entry of theta, shape {theta.shape}.")
    expected = numerical_gradient(_cubic, theta, epsilon=epsilon, method="central")
    if np.allclose(estimate, expected, rtol=1e-8, atol=1e-10):
        return
    if (np.issubdtype(estimate.dtype, np.floating) and estimate.dtype.itemsize < 8
            and np.allclose(estimate, expected, rtol=reference_rtol(estimate), atol=1e-10)):
        digits = round(-np.log10(np.finfo(estimate.dtype).eps))  # 7 for float32
        raise GradingError(f"{name} returns {estimate.dtype} numbers: a {estimate.dtype} array "
                           f"holds about {digits} digits, too few for the 1e-9 of a gradient "
                           f"check: fill a float64 array, e.g. np.zeros(theta.shape).")
    if np.allclose(estimate, numerical_gradient(_cubic, theta, epsilon=epsilon,
                                                          method="forward"), rtol=1e-8):
        hint = ("it matches forward differences (J(theta + eps) - J(theta)) / eps, whose error "
                "is O(eps); use central differences (J(theta + eps) - J(theta - eps)) / (2 eps), "
                "whose error is O(eps^2).")
    elif np.allclose(estimate, 2 * expected, rtol=1e-8):
        hint = "it is twice the central difference: divide by 2 * epsilon, not epsilon."
    else:
        # Never the expected values: Exercise 2.2 shows this message to the student.
        worst = int(np.argmax(np.abs(estimate - expected)))
        all_at_once = (_cubic(theta + epsilon) - _cubic(theta - epsilon)) / (2 * epsilon)
        hint = _identify_slip(estimate, expected, [(
            np.full(theta.shape, all_at_once),
            "every entry is the same number, the slope along all coordinates at once: "
            "perturb one entry of theta at a time (theta + epsilon e_i, e_i the i-th unit "
            "vector).")]) or (f"entry {worst} is the farthest from central differences (yours: "
                              f"{estimate[worst]:.6g}); perturb one entry at a time, by "
                              f"+epsilon and -epsilon.")
    raise GradingError(f"{name} does not compute central differences on the test function "
                       f"sum(theta**3)/3 + theta[0]*theta[-1] at epsilon={epsilon}: {hint}")




# --- a gradient check, graded on functions with a known answer ----------------------------

def _decayed_bias(theta: np.ndarray, layer_sizes: Sequence[int], X: np.ndarray, Y: np.ndarray,
                  lambda_: float) -> tuple[np.inexact, np.ndarray]:
    """The reference network with weight decay wrongly added to b1's gradient."""
    cost, grad = _two_layer_reference(theta, layer_sizes, X, Y, lambda_)
    layout = network.mlp_layout(layer_sizes)
    blocks = layout.roll(grad.copy())
    blocks["b1"] = blocks["b1"] + lambda_ * layout.roll(theta)["b1"]
    return cost, layout.unroll(blocks)


def _halved_w1(theta: np.ndarray, layer_sizes: Sequence[int], X: np.ndarray, Y: np.ndarray,
               lambda_: float) -> tuple[np.inexact, np.ndarray]:
    """The reference network with W1's gradient halved (a 1/m or 1/2 slip)."""
    cost, grad = _two_layer_reference(theta, layer_sizes, X, Y, lambda_)
    layout = network.mlp_layout(layer_sizes)
    blocks = layout.roll(grad.copy())
    blocks["W1"] = 0.5 * blocks["W1"]
    return cost, layout.unroll(blocks)


@_either_version
def check_gradient_relative_error(fun: Callable, *, epsilon: float = 1e-4,
                                  tol: float = GRAD_TOL) -> None:
    """Grade a student's gradient check ``fun(cost_and_grad, theta, epsilon) -> float``.

    It must return UFLDL's relative error ``||n - a|| / ||n + a||`` between the central-
    difference gradient ``n`` of ``cost_and_grad``'s cost and its analytic gradient ``a``. It
    is run on the reference two-layer network (correct: at most ``tol``, and not exactly 0) and
    on two broken copies of it (a decayed bias, a halved W1 gradient: it must agree with the
    package's relative error to 6 digits), so it is graded on known answers, whatever the
    student's own network does.

    Parameters
    ----------
    fun : callable
    epsilon : float
        The step it is called with.
    tol : float
    """
    epsilon = check_scalar(epsilon, "epsilon", low=0, low_inclusive=False)
    name = getattr(fun, "__name__", "gradient_relative_error")
    problem = two_layer_problem()

    def run(cost_and_grad: Callable) -> float:
        theta = problem.theta.copy()
        answer = _guarded(name, fun, problem.bind(cost_and_grad), theta, epsilon)
        if not _restored(theta, problem.theta):
            raise GradingError(f"{name} changed theta: leave it as it was given.")
        value = _as_number(answer)
        if value is None:
            raise GradingError(f"{name} must return one real number, got {_describe(answer)}: "
                               f"divide the norm of the difference by the norm of the sum.")
        return value

    value = run(_two_layer_reference)
    if value == 0.0:
        raise GradingError(f"{name} returns exactly 0 for a correct gradient: it compares a "
                           f"gradient with itself. Compare the numerical gradient with the "
                           f"analytic one.")
    if not 0.0 < value <= tol:
        raise GradingError(f"{name} returns {value:.1e} for a correct gradient, whose relative "
                           f"error is about 1e-10: check your formula of the relative error.")
    for buggy, what in ((_decayed_bias, "weight decay added to b1's gradient"),
                        (_halved_w1, "W1's gradient halved")):
        analytic = problem.bind(buggy)(problem.theta)[1]
        numerical = numerical_gradient(problem.bind(buggy), problem.theta, epsilon=epsilon)
        expected = relative_error(numerical, analytic)
        value = run(buggy)
        if np.isclose(value, expected, rtol=1e-6, atol=0.0):
            continue
        norm = np.linalg.norm
        difference = norm(numerical - analytic)
        if value <= tol:
            hint = ("so your check would pass this broken gradient: do you compare the "
                    "analytic gradient returned by cost_and_grad with the numerical gradient "
                    "of its cost?")
        else:
            hint = _identify_slip(value, expected, [
                (difference / norm(numerical), "you divide by the norm of the numerical "
                                               "gradient alone; UFLDL divides by the norm of "
                                               "the sum, ||n + a||."),
                (difference / norm(analytic), "you divide by the norm of the analytic gradient "
                                              "alone; UFLDL divides by the norm of the sum, "
                                              "||n + a||."),
                (difference / (norm(numerical) + norm(analytic)),
                 "you divide by ||n|| + ||a||, the sum of the norms; UFLDL divides by the norm "
                 "of the sum, ||n + a||."),
                (difference, "you return the norm of the difference alone: divide it by the "
                             "norm of the sum, ||n + a||, to make it relative."),
            ], rtol=1e-6) or "check the formula: norm of the difference over norm of the sum."
        raise GradingError(f"on a network with {what}, {name} returns {value:.6g}, but the "
                           f"relative error is {expected:.6g}; {hint}")


def report_gradient_check(gradient_relative_error: Callable, cost_and_grad: Callable,
                          problem: Problem | None = None, *, tol: float = GRAD_TOL) -> None:
    """Print in one line what a student's gradient check says about their own network.

    For the student's own check cell (ungraded): runs ``gradient_relative_error(f, theta)`` with
    ``f = theta -> cost_and_grad(theta, **problem.kwargs)`` and prints the relative error and a
    verdict, or, when either function raises or returns something other than one number, the
    problem in one line (the failing line of the student's cell included), never a traceback.

    Parameters
    ----------
    gradient_relative_error : callable
        ``gradient_relative_error(cost_and_grad, theta) -> float``.
    cost_and_grad : callable
        ``cost_and_grad(theta, **problem.kwargs) -> (cost, grad)``.
    problem : Problem, optional
        Default: :func:`~ufldl_helpers.grading.two_layer_problem`.
    tol : float
        Largest relative error called correct.
    """
    problem = problem or two_layer_problem()
    tol = check_scalar(tol, "tol", low=0, low_inclusive=False)
    name = getattr(gradient_relative_error, "__name__", "gradient_relative_error")
    try:
        answer = _guarded(name, gradient_relative_error, problem.bind(cost_and_grad),
                          problem.theta.copy())
        error = _as_number(answer)
        if error is None:
            raise GradingError(f"{name} must return one real number, got {_describe(answer)}.")
    except GradingError as err:
        # one line; this is the student's own cell, not a test cell
        print("no relative error:", " ".join(str(err).split()).replace("this test cell",
                                                                       "this cell"))
        return
    verdict = ("(correct)" if error <= tol else
               "(wrong: the gradient check of your cost_and_grad says which block)")
    print(f"relative error of your backpropagation: {error:.0e}", verdict)
