"""Autograder checks for the classroom assignments, with feedback a student can act on.

An nbgrader test cell calls one function from here on the student's ``cost_and_grad`` function.
Instead of a bare ``assert``, a failure raises :class:`GradingError` whose message says what to do
next: the function is not written yet, it returns the wrong kind of thing, its cost differs from
the reference in a named term, or its gradient is wrong in a named block, together with what the
gradient doctor (:mod:`ufldl_helpers.gradcheck`) found.

Every check runs on a small :class:`Problem` (a few dozen parameters), so full central
differences take milliseconds and a test cell runs in well under a second.

Examples
--------
>>> from ufldl_helpers import grading
>>> from ufldl_helpers.sparse_autoencoder import sparse_autoencoder_cost
>>> grading.grade_sparse_autoencoder(sparse_autoencoder_cost)  # right: no output, no error
>>> def lazy(theta, **kwargs):
...     raise NotImplementedError()
>>> grading.grade_sparse_autoencoder(lazy)  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
ufldl_helpers.grading.GradingError: lazy is not implemented yet: replace the line ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from ufldl_helpers import network, sparse_autoencoder
from ufldl_helpers._validation import check_rng, check_scalar
from ufldl_helpers.gradcheck import GradientCheck, check_gradient, numerical_gradient
from ufldl_helpers.params import ParamLayout

__all__ = [
    "COST_RTOL",
    "GRAD_TOL",
    "GradingError",
    "Problem",
    "autoencoder_problem",
    "check_cost",
    "check_cost_and_grad",
    "check_diagnosis",
    "check_numerical_gradient",
    "check_relative_error",
    "grade_autoencoder",
    "grade_sparse_autoencoder",
    "grade_two_layer",
    "sparse_autoencoder_problem",
    "two_layer_problem",
]

COST_RTOL = 1e-6
"""Relative tolerance when comparing a student's cost with the reference cost."""

GRAD_TOL = 1e-7
"""Largest accepted relative error of a gradient. Central differences with ``epsilon=1e-4``
reach about 1e-10 on the small problems here, while a real bug gives 1e-4 or more."""


class GradingError(AssertionError):
    """A failed check; the message tells the student what is wrong and where to look."""


@dataclass
class Problem:
    """A small graded problem: where to evaluate, with which arguments, against what.

    Parameters
    ----------
    name : str
        The student's function name, as the assignment asks for it (used in messages).
    theta : (n,) ndarray
        Point at which the cost and gradient are checked.
    kwargs : dict
        The remaining arguments, passed by keyword: ``fun(theta, **kwargs)``.
    layout : ParamLayout
        The blocks of ``theta`` (``W1, W2, b1, b2``), so reports name the wrong block.
    reference : callable, optional
        The package's implementation with the same signature, to compare costs against.
    terms : dict, optional
        Cost term name -> keyword overrides that switch the other terms off, e.g.
        ``{"squared error": {"lambda_": 0.0, "beta": 0.0}, "weight decay": {"beta": 0.0}}``.
        The first entry is the base term; every later entry is measured as the cost with its
        overrides minus the base cost. Used to say which term of a wrong cost or gradient is off.
    """

    name: str
    theta: np.ndarray
    kwargs: dict
    layout: ParamLayout
    reference: Callable | None = None
    terms: dict = field(default_factory=dict)

    def bind(self, fun: Callable, **overrides) -> Callable:
        """Return ``theta -> fun(theta, **kwargs)`` with some keyword arguments overridden."""
        kwargs = {**self.kwargs, **overrides}
        return lambda theta: fun(theta, **kwargs)

    def check(self, fun: Callable, *, tol: float = GRAD_TOL, **overrides) -> GradientCheck:
        """Gradient check of ``fun`` on this problem, with the doctor told the weight decay.

        Runs :func:`~ufldl_helpers.gradcheck.check_gradient` over every coordinate, with the
        blocks named by :attr:`layout` and ``lambda_`` (when ``fun`` takes one), so the doctor
        can recognize missing or misplaced weight decay.
        """
        lambda_ = {**self.kwargs, **overrides}.get("lambda_")
        return check_gradient(self.bind(fun, **overrides), self.theta, blocks=self.layout,
                              tol=tol, lambda_=lambda_)


def _call(fun: Callable, problem: Problem, **overrides):
    """Evaluate the student's function once and validate what it returns."""
    name, theta = problem.name, problem.theta
    try:
        out = problem.bind(fun, **overrides)(theta.copy())
    except NotImplementedError:
        raise GradingError(
            f"{name} is not implemented yet: replace the line `raise NotImplementedError()` in "
            f"its cell with your code, run that cell, then run this test cell again."
        ) from None
    except Exception as err:
        hint = ("keep the parameter names of the signature you were given: the tests pass them "
                "by keyword" if isinstance(err, TypeError) and "argument" in str(err)
                else "the traceback above shows the failing line")
        raise GradingError(
            f"{name} raised {type(err).__name__}: {err}\n"
            f"It was called as {name}(theta, {_signature(problem.kwargs, overrides)}) with "
            f"theta of shape {theta.shape}; {hint}."
        ) from err
    if not (isinstance(out, tuple) and len(out) == 2):
        raise GradingError(
            f"{name} must return a pair (cost, grad); it returned {_describe(out)}."
        )
    cost, grad = out
    if np.ndim(cost) != 0 or not np.isreal(cost):
        raise GradingError(
            f"the cost returned by {name} must be a real scalar, got {_describe(cost)}: "
            f"average over the examples and sum over everything else."
        )
    grad = np.asarray(grad)
    if grad.shape != theta.shape:
        raise GradingError(
            f"the gradient returned by {name} has shape {grad.shape}, but theta has shape "
            f"{theta.shape}: unroll the blocks ({', '.join(problem.layout.names)}) into one "
            f"flat vector in that order, like theta."
        )
    if not (np.isfinite(cost) and np.all(np.isfinite(grad))):
        raise GradingError(
            f"{name} returned a cost or gradient that is NaN or infinite; check for log(0), "
            f"division by zero or an overflow in exp."
        )
    return float(cost), grad


def _signature(kwargs: Mapping, overrides: Mapping) -> str:
    merged = {**kwargs, **overrides}
    return ", ".join(f"{k}={_describe(v)}" for k, v in merged.items())


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, (int, float, np.number)):
        return repr(float(value)) if isinstance(value, float | np.floating) else repr(value)
    return f"a {type(value).__name__}"


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
    expected = _call(problem.reference, problem)[0]
    if np.isclose(cost, expected, rtol=COST_RTOL, atol=0.0):
        return
    lines = [f"{problem.name} returns the cost {cost:.6g}, but the reference gives {expected:.6g} "
             f"for the same theta and arguments."]
    if problem.terms:
        yours = _term_costs(fun, problem)
        ref = _term_costs(problem.reference, problem)
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


def _gradient_report(fun: Callable, problem: Problem, check: GradientCheck, tol: float) -> str:
    lines = [f"the gradient returned by {problem.name} does not match finite differences "
             f"(relative error {check.relative_error:.2e}, tolerance {tol:.0e}).",
             "Relative error block by block:"]
    for block, err in check.block_errors.items():
        lines.append(f"  {block:<4} {err:.2e}{'  <- wrong' if err > tol else ''}")
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


def check_cost_and_grad(fun: Callable, problem: Problem, *, tol: float = GRAD_TOL) -> None:
    """Grade a ``cost_and_grad`` function on a problem: output, cost, then gradient.

    Parameters
    ----------
    fun : callable
        The student's function, called as ``fun(theta, **problem.kwargs)``; returns
        ``(cost, grad)`` with ``grad`` of ``theta``'s shape.
    problem : Problem
    tol : float
        Largest relative error accepted between the analytic and the central-difference
        gradient (see :data:`GRAD_TOL`).

    Raises
    ------
    GradingError
        With a message naming what is wrong: not implemented, wrong output, the cost term
        that differs from the reference, or the gradient blocks that are wrong and the doctor's
        findings.
    """
    problem = _check_cost(fun, problem)
    tol = check_scalar(tol, "tol", low=0, low_inclusive=False)
    check = problem.check(fun, tol=tol)
    if not check.passed:
        raise GradingError(_gradient_report(fun, problem, check, tol))


def check_diagnosis(fun: Callable, problem: Problem, *, blocks, findings,
                    tol: float = GRAD_TOL) -> None:
    """Grade a diagnosis of a buggy function: its wrong blocks and the doctor's findings.

    Parameters
    ----------
    fun : callable
        The buggy function, checked on ``problem``.
    problem : Problem
    blocks : set of str
        The blocks the student says are wrong, e.g. ``{"W2"}``.
    findings : set of str
        The finding names the student read off the doctor's report, e.g. ``{"transposed"}``.
    tol : float
        Tolerance of the gradient check; a block is wrong when its relative error exceeds it.

    Raises
    ------
    GradingError
        Saying which part of the diagnosis is off (without giving the answer away).
    """
    check = problem.check(fun, tol=tol)
    wrong = {name for name, err in check.block_errors.items() if err > tol}
    problems = []
    for label, answer, truth in (("blocks", blocks, wrong),
                                 ("findings", findings, check.finding_names)):
        if isinstance(answer, str) or not isinstance(answer, (set, frozenset, list, tuple)):
            raise GradingError(f"give {label} as a set of names, e.g. "
                               f"{{'W2'}} or {{'transposed'}}; got {_describe(answer)}.")
        answer = set(answer)
        if answer - truth:
            problems.append(f"{label}: {sorted(answer - truth)} "
                            f"{'is' if len(answer - truth) == 1 else 'are'} not in the report.")
        if truth - answer:
            problems.append(f"{label}: the report has {len(truth - answer)} more that your "
                            f"answer leaves out.")
    if problems:
        raise GradingError("your diagnosis does not match the gradient check's report "
                           "(print the check and read its block errors and findings):\n  "
                           + "\n  ".join(problems))


def _autoencoder_point(visible_size, hidden_size, m, rng):
    """Random theta (biases non-zero, so bias bugs show) and data in UFLDL's [0.1, 0.9]."""
    rng = check_rng(rng)
    layout = sparse_autoencoder.layout(visible_size, hidden_size)
    theta = rng.normal(0.0, 0.5, layout.size)
    data = rng.uniform(0.1, 0.9, (visible_size, m))
    return layout, theta, data


def sparse_autoencoder_problem(visible_size: int = 8, hidden_size: int = 3, m: int = 10, *,
                               lambda_: float = 0.01, sparsity_param: float = 0.1,
                               beta: float = 3.0, rng=None) -> Problem:
    """Small sparse autoencoder problem checked against ``sparse_autoencoder_cost``.

    Parameters
    ----------
    visible_size, hidden_size, m : int
        Problem size; ``visible_size != hidden_size`` so a transposed block is detectable.
    lambda_, sparsity_param, beta : float
        Weight decay, target activation rho and sparsity weight, large enough that every
        term of the cost matters at the checking tolerance.
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    Problem
        ``theta : (2 * hidden_size * visible_size + hidden_size + visible_size,)``,
        ``data : (visible_size, m)``.
    """
    layout, theta, data = _autoencoder_point(visible_size, hidden_size, m, rng)
    kwargs = dict(visible_size=visible_size, hidden_size=hidden_size, lambda_=lambda_,
                  sparsity_param=sparsity_param, beta=beta, data=data)
    terms = {"squared error": {"lambda_": 0.0, "beta": 0.0},
             "weight decay": {"beta": 0.0},
             "sparsity penalty": {"lambda_": 0.0}}
    return Problem("sparse_autoencoder_cost", theta, kwargs, layout,
                   sparse_autoencoder.sparse_autoencoder_cost, terms)


def _weight_decay_autoencoder(theta, visible_size, hidden_size, lambda_, data):
    # beta=0 switches the sparsity penalty off; sparsity_param is then unused (any value in (0,1))
    return sparse_autoencoder.sparse_autoencoder_cost(theta, visible_size, hidden_size, lambda_,
                                                      0.5, 0.0, data)


def autoencoder_problem(visible_size: int = 8, hidden_size: int = 3, m: int = 10, *,
                        lambda_: float = 0.01, rng=None) -> Problem:
    """Small autoencoder problem with weight decay and no sparsity penalty.

    The reference is ``sparse_autoencoder_cost`` with ``beta=0``. The student's function is
    called as ``fun(theta, visible_size, hidden_size, lambda_, data)``.
    """
    layout, theta, data = _autoencoder_point(visible_size, hidden_size, m, rng)
    kwargs = dict(visible_size=visible_size, hidden_size=hidden_size, lambda_=lambda_,
                  data=data)
    terms = {"squared error": {"lambda_": 0.0}, "weight decay": {}}
    return Problem("autoencoder_cost", theta, kwargs, layout, _weight_decay_autoencoder, terms)


def grade_sparse_autoencoder(fun: Callable, problem: Problem | None = None, *,
                             tol: float = GRAD_TOL) -> None:
    """Grade a student's ``sparse_autoencoder_cost`` (default: :func:`sparse_autoencoder_problem`).
    """
    check_cost_and_grad(fun, problem or sparse_autoencoder_problem(), tol=tol)


def grade_autoencoder(fun: Callable, problem: Problem | None = None, *,
                      tol: float = GRAD_TOL) -> None:
    """Grade a weight-decay autoencoder ``fun(theta, visible_size, hidden_size, lambda_, data)``.
    """
    check_cost_and_grad(fun, problem or autoencoder_problem(), tol=tol)


def _two_layer_reference(theta, layer_sizes, X, Y, lambda_):
    return network.mlp_cost_and_grad(theta, layer_sizes, X, Y, hidden_activation="sigmoid",
                                     output="softmax", loss="cross_entropy", lambda_=lambda_)


def two_layer_problem(layer_sizes=(5, 4, 3), m: int = 6, *, lambda_: float = 0.01,
                      rng=None) -> Problem:
    """Small two-layer classifier problem checked against ``network.mlp_cost_and_grad``.

    The network has a sigmoid hidden layer, a softmax output and the cross-entropy cost with
    weight decay. The student's function is called as
    ``fun(theta, layer_sizes, X, Y, lambda_)``.

    Parameters
    ----------
    layer_sizes : (n_in, n_hidden, n_out)
    m : int
        Number of examples.
    lambda_ : float
    rng : numpy.random.Generator or int, optional

    Returns
    -------
    Problem
        ``X : (n_in, m)``, ``Y : (n_out, m)`` one-hot targets.
    """
    rng = check_rng(rng)
    layout = network.mlp_layout(layer_sizes)
    n_in, _, n_out = layer_sizes
    theta = rng.normal(0.0, 0.5, layout.size)
    X = rng.normal(0.0, 1.0, (n_in, m))
    Y = np.zeros((n_out, m))
    Y[rng.integers(0, n_out, m), np.arange(m)] = 1.0
    kwargs = dict(layer_sizes=tuple(layer_sizes), X=X, Y=Y, lambda_=lambda_)
    terms = {"cross-entropy": {"lambda_": 0.0}, "weight decay": {}}
    return Problem("two_layer_cost_and_grad", theta, kwargs, layout, _two_layer_reference, terms)


def grade_two_layer(fun: Callable, problem: Problem | None = None, *,
                    tol: float = GRAD_TOL) -> None:
    """Grade a two-layer network ``fun(theta, layer_sizes, X, Y, lambda_)``
    (default problem: :func:`two_layer_problem`)."""
    check_cost_and_grad(fun, problem or two_layer_problem(), tol=tol)


def _cubic(theta):
    # Non-quadratic, so forward differences are off by O(epsilon) and central ones by O(epsilon^2)
    return float(np.sum(theta**3) / 3.0 + theta[0] * theta[-1])


def check_numerical_gradient(fun: Callable, *, rng=None) -> None:
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
    try:
        estimate = fun(_cubic, theta, epsilon)
    except NotImplementedError:
        raise GradingError(
            f"{name} is not implemented yet: replace the line `raise NotImplementedError()` in "
            f"its cell with your code, run that cell, then run this test cell again."
        ) from None
    if not np.array_equal(theta, before):
        raise GradingError(f"{name} changed theta: perturb a copy (theta.copy()) or put each "
                           f"entry back after evaluating the cost.")
    estimate = np.asarray(estimate)
    if estimate.shape != theta.shape:
        raise GradingError(f"{name} returned {_describe(estimate)}; it must return one "
                           f"partial derivative per entry of theta, shape {theta.shape}.")
    expected = numerical_gradient(_cubic, theta, epsilon=epsilon, method="central")
    if np.allclose(estimate, expected, rtol=1e-8, atol=1e-10):
        return
    if np.allclose(estimate, numerical_gradient(_cubic, theta, epsilon=epsilon,
                                                          method="forward"), rtol=1e-8):
        hint = ("it matches forward differences (J(theta + eps) - J(theta)) / eps, whose error "
                "is O(eps); use central differences (J(theta + eps) - J(theta - eps)) / (2 eps), "
                "whose error is O(eps^2).")
    elif np.allclose(estimate, 2 * expected, rtol=1e-8):
        hint = "it is twice the central difference: divide by 2 * epsilon, not epsilon."
    else:
        worst = int(np.argmax(np.abs(estimate - expected)))
        hint = (f"entry {worst} is {estimate[worst]:.6g}, expected {expected[worst]:.6g}; "
                f"perturb one entry at a time, by +epsilon and -epsilon.")
    raise GradingError(f"{name} does not compute central differences on the test function "
                       f"sum(theta**3)/3 + theta[0]*theta[-1] at epsilon={epsilon}: {hint}")


def check_relative_error(value, fun: Callable, problem: Problem, *,
                         tol: float = GRAD_TOL) -> None:
    """Grade a relative error the student computed with their own gradient check.

    Parameters
    ----------
    value : float
        ``||g_num - g_ana|| / ||g_num + g_ana||`` as the student computed it for ``fun``.
    fun : callable
        The student's ``cost_and_grad`` function.
    problem : Problem
        The problem the student checked ``fun`` on.
    tol : float
    """
    if value is None:
        raise GradingError("relative_error is still None: compute it in the cell above, "
                           "from your numerical gradient and your analytic gradient.")
    if isinstance(value, bool) or np.ndim(value) != 0 or not np.isreal(value):
        raise GradingError(f"relative_error must be one real number, got {_describe(value)}: "
                           f"divide the norm of the difference by the norm of the sum.")
    value = float(value)
    check = problem.check(fun, tol=tol)
    if not check.passed:
        raise GradingError(f"the package's gradient check of {getattr(fun, '__name__', 'fun')} "
                           f"fails (relative error {check.relative_error:.1e}): fix the gradient "
                           f"first; the tests of part 1 say which block is wrong.")
    if value == 0.0:
        raise GradingError("relative_error is exactly 0: you compared a gradient with itself. "
                           "Compare your numerical gradient with the analytic one.")
    if not 0.0 < value <= tol:
        raise GradingError(f"relative_error is {value:.1e}, but the gradient is correct "
                           f"(the package's check gives {check.relative_error:.1e}): check your "
                           f"numerical gradient and the formula of the relative error.")
