"""Autograder checks for the classroom assignments, with feedback a student can act on.

An nbgrader test cell calls one function from here on the student's ``cost_and_grad`` function.
Instead of a bare ``assert``, a failure raises :class:`GradingError` whose message says what to do
next: the function is not written yet, it returns the wrong kind of thing, its cost differs from
the reference in a named term, or its gradient is wrong in a named block, together with what the
gradient doctor (:mod:`ufldl_helpers.gradcheck`) found.

Every check runs on a small :class:`Problem` (a few dozen parameters), so full central
differences take milliseconds and a test cell runs in well under a second.

Derivations are graded numerically: :func:`check_output_delta`, :func:`check_hidden_delta` and
:func:`check_mismatch` compare a formula the student derived with finite differences of the cost
(UFLDL's per-example delta: column ``i`` of ``delta`` is ``m`` times the derivative of the
averaged cost with respect to column ``i`` of ``z``; the 1/m sits in the gradient formulas).
When a part calls a function written in an earlier part, :func:`with_reference` grades it with
the reference version of that function, so one mistake costs points once.

Imported in IPython (a notebook, or the kernel nbgrader runs), this module makes the shell show
a :class:`GradingError` as its message alone, without a traceback through the package.

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

import functools
import os
import sysconfig
import textwrap
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from ufldl_helpers import network, sparse_autoencoder
from ufldl_helpers._validation import check_rng, check_scalar
from ufldl_helpers.activations import sigmoid, softmax
from ufldl_helpers.gradcheck import (
    GradientCheck,
    check_gradient,
    numerical_gradient,
    relative_error,
)
from ufldl_helpers.params import ParamLayout

__all__ = [
    "COST_RTOL",
    "GRAD_TOL",
    "GradingError",
    "Problem",
    "autoencoder_problem",
    "check_cost",
    "check_cost_and_grad",
    "check_gradient_relative_error",
    "check_hidden_delta",
    "check_mismatch",
    "check_numerical_gradient",
    "check_output_delta",
    "grade_autoencoder",
    "grade_sparse_autoencoder",
    "grade_two_layer",
    "sparse_autoencoder_problem",
    "two_layer_problem",
    "with_reference",
]

COST_RTOL = 1e-6
"""Relative tolerance when comparing a student's cost with the reference cost."""

GRAD_TOL = 1e-7
"""Largest accepted relative error of a gradient. Central differences with ``epsilon=1e-4``
reach about 1e-10 on the small problems here, while a real bug gives 1e-4 or more. Looser than
``check_gradient``'s default 1e-9, which plain central differences can miss on correct tanh
networks (issue 11); revisit once the check controls its truncation error."""

DELTA_TOL = 1e-8
"""Largest accepted relative error of a derived delta against complex-step derivatives, which
are exact to round-off (about 1e-15 here)."""

_WIDTH = 88


class GradingError(AssertionError):
    """A failed check; the message tells the student what is wrong and where to look.

    Lines longer than 88 characters are wrapped, so that no viewer cuts them off.
    """

    def __init__(self, message: str):
        super().__init__(_wrap(message))


def _wrap(message: str) -> str:
    lines = []
    for line in message.splitlines():
        if len(line) <= _WIDTH:
            lines.append(line)
            continue
        stripped = line.lstrip()
        indent = line[:len(line) - len(stripped)]
        hang = indent + ("  " if stripped.startswith("- ") else "")
        lines.extend(textwrap.wrap(line, _WIDTH, subsequent_indent=hang,
                                   break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)


def _show_grading_error(shell, etype, value, tb, tb_offset=None):
    """IPython handler: the message alone is the cell's error output (no frames, no paths)."""
    stb = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, stb)  # the kernel turns this into an error output
    return stb


def _install_display() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((GradingError,), _show_grading_error)


_install_display()


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
        can recognize missing or misplaced weight decay. ``fun`` is called once first, so that
        a function that raises or returns the wrong thing gets a :class:`GradingError` that
        quotes the student's line, not a traceback through the package.
        """
        _call(fun, replace(self, name=getattr(fun, "__name__", self.name)), **overrides)
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
                else "call it yourself with these arguments to debug it")
        raise GradingError(
            f"{name} raised {type(err).__name__}: {err}{_your_line(err)}\n"
            f"It was called as {name}(theta, {_signature(problem.kwargs, overrides)}) with "
            f"theta of shape {theta.shape}; {hint}."
        ) from None
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


_LIBRARY_DIRS = tuple(os.path.realpath(p) for p in {
    os.path.dirname(os.path.abspath(__file__)),
    *(sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")),
})


def _your_line(err: BaseException) -> str:
    """`` (line N: source)`` of the innermost frame of ``err`` in the student's own code."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if not os.path.realpath(f.filename).startswith(_LIBRARY_DIRS)]
    if not frames or not frames[-1].line:
        return ""
    return f"\n  at line {frames[-1].lineno} of your cell: {frames[-1].line.strip()}"


def _guarded(name: str, fun: Callable, *args):
    """``fun(*args)``, with a missing implementation or an error turned into a GradingError."""
    if not callable(fun):
        raise GradingError(f"{name} must be a function, got {_describe(fun)}: "
                           f"run the cell that defines it first.")
    try:
        return fun(*args)
    except NotImplementedError:
        raise GradingError(
            f"{name} is not implemented yet: replace the line `raise NotImplementedError()` in "
            f"its cell with your code, run that cell, then run this test cell again."
        ) from None
    except GradingError:
        raise
    except Exception as err:
        raise GradingError(f"{name} raised {type(err).__name__}: {err}{_your_line(err)}") \
            from None


def _either_version(check: Callable) -> Callable:
    """Let ``check(fun, ...)`` pass if ``fun`` passes as the student wrote it or with the
    reference helpers of :func:`with_reference`; a failure reports the latter."""
    @functools.wraps(check)
    def lenient(fun, *args, **kwargs):
        own = getattr(fun, "_as_written", None)
        if own is not None:
            try:
                return check(own, *args, **kwargs)
            except GradingError:
                pass
        return check(fun, *args, **kwargs)
    return lenient


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


def _check_size(value, name: str) -> int:
    return check_scalar(value, name, low=1, integer=True)


def _autoencoder_point(visible_size, hidden_size, m, rng):
    """Random theta (biases non-zero, so bias bugs show) and data in UFLDL's [0.1, 0.9]."""
    visible_size = _check_size(visible_size, "visible_size")
    hidden_size = _check_size(hidden_size, "hidden_size")
    m = _check_size(m, "m")
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

    Raises
    ------
    ValueError
        If a size is below 1, ``lambda_`` or ``beta`` is negative, or ``sparsity_param`` is
        outside (0, 1) (TypeError if a size is not an integer).
    """
    lambda_ = check_scalar(lambda_, "lambda_", low=0)
    sparsity_param = check_scalar(sparsity_param, "sparsity_param", low=0, high=1,
                                  low_inclusive=False, high_inclusive=False)
    beta = check_scalar(beta, "beta", low=0)
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
    called as ``fun(theta, visible_size, hidden_size, lambda_, data)``. Sizes must be at least 1
    and ``lambda_`` non-negative (ValueError otherwise).
    """
    lambda_ = check_scalar(lambda_, "lambda_", low=0)
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


def _check_layer_sizes(layer_sizes) -> tuple[int, int, int]:
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__") \
            or len(layer_sizes) != 3:
        raise ValueError(f"layer_sizes must be three sizes (n_in, n_hidden, n_out), got "
                         f"{layer_sizes!r}")
    return tuple(_check_size(n, f"layer_sizes[{k}]") for k, n in enumerate(layer_sizes))


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

    Raises
    ------
    ValueError
        If ``layer_sizes`` is not three sizes of at least 1, ``m < 1`` or ``lambda_ < 0``.
    """
    layer_sizes = _check_layer_sizes(layer_sizes)
    m = _check_size(m, "m")
    lambda_ = check_scalar(lambda_, "lambda_", low=0)
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
    estimate = _guarded(name, fun, _cubic, theta, epsilon)
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




# --- derivations, checked against complex-step derivatives ----------------------------------

def _complex_step(cost: Callable, z: np.ndarray) -> np.ndarray:
    """Derivative of ``cost`` (analytic in ``z``) at ``z``, exact to round-off, ``z``'s shape."""
    flat = numerical_gradient(lambda v: cost(v.reshape(z.shape)), z.ravel(),
                              method="complex")
    return flat.real.reshape(z.shape)


def _as_result(name: str, value, shape: tuple) -> np.ndarray:
    value = np.asarray(value)
    if value.shape != shape:
        raise GradingError(f"{name} returned {_describe(value)}; it must return an array of "
                           f"shape {shape}, one column per example.")
    if not np.all(np.isfinite(value)):
        raise GradingError(f"{name} returned NaN or infinite entries; check for division by "
                           f"zero or log(0).")
    return value.astype(float)


def _matches(yours, expected, tol: float = DELTA_TOL) -> bool:
    return relative_error(expected, yours) <= tol


def _ratio(yours, expected) -> float | None:
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


def _worst(yours, expected) -> str:
    k, i = np.unravel_index(int(np.argmax(np.abs(yours - expected))), expected.shape)
    return (f"the largest difference is at row {k}, column {i}: yours {yours[k, i]:.6g}, "
            f"finite differences {expected[k, i]:.6g}")


def _softmax_cross_entropy_delta(a3, Y):
    return a3 - Y


def check_output_delta(fun: Callable, *, n_out: int = 4, m: int = 5, rng=None) -> None:
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
    yours = _as_result(name, _guarded(name, fun, a3.copy(), Y.copy()), (n_out, m))
    if _matches(yours, expected):
        return
    c = _ratio(yours, expected)
    if c is not None:
        raise GradingError(_factor_hint(f"the delta3 returned by {name}", c, m))
    raise GradingError(
        f"the delta3 returned by {name} is not the derivative of each example's loss with "
        f"respect to z3 ({_worst(yours, expected)}). Differentiate -sum_k Y[k,i] log a3[k,i] "
        f"with respect to z3[j,i] for every j: the softmax makes every a3[k,i] depend on "
        f"every z3[j,i]."
    )


def _sparse_hidden_delta(W2, delta3, a2, sparsity_param, beta):
    rho = sparsity_param
    rho_hat = a2.mean(axis=1)
    sparsity = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
    return (W2.T @ delta3 + sparsity[:, None]) * a2 * (1 - a2)


def check_hidden_delta(fun: Callable, *, visible_size: int = 6, hidden_size: int = 4,
                       m: int = 5, sparsity_param: float = 0.1, beta: float = 3.0,
                       rng=None) -> None:
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

    def cost(z, beta):
        a2 = sigmoid(z)
        a3 = sigmoid(W2 @ a2 + b2[:, None])
        rho_hat = a2.mean(axis=1)
        kl = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
        return 0.5 * np.sum((a3 - X) ** 2) / m + beta * np.sum(kl)

    a2 = sigmoid(z2)
    a3 = sigmoid(W2 @ a2 + b2[:, None])
    delta3 = (a3 - X) * a3 * (1 - a3)

    def yours_at(beta):
        out = _guarded(name, fun, W2.copy(), delta3.copy(), a2.copy(), rho, beta)
        return _as_result(name, out, (hidden_size, m))

    yours = yours_at(beta)
    expected = m * _complex_step(lambda z: cost(z, beta), z2)
    if _matches(yours, expected):
        return
    c = _ratio(yours, expected)
    if c is not None:
        raise GradingError(_factor_hint(f"the delta2 returned by {name}", c, m))
    error_part = m * _complex_step(lambda z: cost(z, 0.0), z2)
    yours_error_part = yours_at(0.0)
    if not _matches(yours_error_part, error_part):
        raise GradingError(
            f"the delta2 returned by {name} is wrong already with beta=0, where only the "
            f"squared error remains ({_worst(yours_error_part, error_part)}): backpropagate "
            f"delta3 through W2 and the hidden sigmoid first."
        )
    sparsity_part, yours_sparsity = expected - error_part, yours - yours_error_part
    lines = [f"the delta2 returned by {name} is right with beta=0 (squared error only) and goes "
             f"wrong in the sparsity penalty's part (delta2 with beta={beta:g} minus delta2 "
             f"with beta=0)."]
    c = _ratio(yours_sparsity, sparsity_part)
    f_prime = a2 * (1 - a2)
    if not np.any(yours_sparsity):
        lines.append("That part is zero in yours: the penalty depends on z2 through rho_hat, so "
                     "it contributes to every column of delta2.")
    elif c is not None:
        lines.append(_factor_hint("That part", c, m))
    elif _matches(yours_sparsity * f_prime, sparsity_part, 1e-6):
        lines.append("That part lacks the factor f'(z2) = a2 * (1 - a2): the penalty reaches z2 "
                     "through the sigmoid too.")
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


# --- a gradient check, graded on functions with a known answer ----------------------------

def _decayed_bias(theta, layer_sizes, X, Y, lambda_):
    """The reference network with weight decay wrongly added to b1's gradient."""
    cost, grad = _two_layer_reference(theta, layer_sizes, X, Y, lambda_)
    layout = network.mlp_layout(layer_sizes)
    blocks = layout.roll(grad.copy())
    blocks["b1"] = blocks["b1"] + lambda_ * layout.roll(theta)["b1"]
    return cost, layout.unroll(blocks)


def _halved_w1(theta, layer_sizes, X, Y, lambda_):
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

    def run(cost_and_grad) -> float:
        theta = problem.theta.copy()
        value = _guarded(name, fun, problem.bind(cost_and_grad), theta, epsilon)
        if not np.array_equal(theta, problem.theta):
            raise GradingError(f"{name} changed theta: leave it as it was given.")
        if isinstance(value, bool) or np.ndim(value) != 0 or not np.isreal(value):
            raise GradingError(f"{name} must return one real number, got {_describe(value)}: "
                               f"divide the norm of the difference by the norm of the sum.")
        return float(np.real(value))

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
        if value <= tol:
            hint = ("so your check would pass this broken gradient: do you compare the "
                    "analytic gradient returned by cost_and_grad with the numerical gradient "
                    "of its cost?")
        else:
            hint = "check the formula: norm of the difference over norm of the sum."
        raise GradingError(f"on a network with {what}, {name} returns {value:.6g}, but the "
                           f"relative error is {expected:.6g}; {hint}")


# --- reference versions of the helpers a later part calls --------------------------------

def _central_differences(cost, theta, epsilon=1e-4):
    return numerical_gradient(cost, theta, epsilon=epsilon, method="central")


_REFERENCES = {
    "output_delta": _softmax_cross_entropy_delta,
    "hidden_delta": _sparse_hidden_delta,
    "numerical_gradient": _central_differences,
}


def with_reference(fun: Callable, *names: str) -> Callable:
    """``fun``, run with the reference version of the named helpers in place of the student's.

    A later part of an assignment often calls a function written in an earlier part (the
    student's ``two_layer_cost_and_grad`` calls their ``output_delta``). Grading the later part
    through ``with_reference(two_layer_cost_and_grad, "output_delta")`` swaps the helper in
    ``fun``'s global namespace for the duration of each call, so a mistake in the earlier part
    costs points only there. The checks that grade a function (:func:`check_cost`,
    :func:`check_cost_and_grad` and the ``grade_*`` functions,
    :func:`check_gradient_relative_error`) pass it if it passes either as written or with the
    reference helpers, so a later part written consistently with a differently scaled earlier
    part is not penalized either.

    Parameters
    ----------
    fun : callable
        The student's function; returned unchanged if it is not a plain function.
    *names : str
        Helpers to swap: ``"output_delta"``, ``"hidden_delta"``, ``"numerical_gradient"``.
    """
    for name in names:
        if name not in _REFERENCES:
            raise ValueError(f"names must be among {', '.join(map(repr, _REFERENCES))}; "
                             f"got {name!r}")
    namespace = getattr(fun, "__globals__", None)
    if namespace is None:
        return fun

    @functools.wraps(fun)
    def graded(*args, **kwargs):
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
    graded._as_written = fun
    return graded
