"""Small graded problems: where a student's function is evaluated, and against what."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ufldl_helpers import network, sparse_autoencoder
from ufldl_helpers._validation import check_rng, check_scalar
from ufldl_helpers.gradcheck import Finding, GradientCheck, check_gradient
from ufldl_helpers.grading._feedback import GradingError, _describe, _signature, _your_line
from ufldl_helpers.params import ParamLayout

COST_RTOL = 1e-6
"""Relative tolerance when comparing a student's cost with the reference cost."""

GRAD_TOL = 1e-9
"""Largest accepted relative error of a gradient: UFLDL's threshold, the same as
``check_gradient``'s default. The check decides on an estimate whose truncation error is
controlled (Richardson extrapolation where the plain central difference is inconclusive), so a
correct gradient passes it, while a real bug gives 1e-4 or more."""

REFERENCE_RTOL = 1e-6
"""Relative tolerance, block by block, when comparing a student's gradient (or derived delta)
with the reference at the same point; :func:`reference_rtol` raises it for float32 answers.
A guard such as ``np.log(a3 + 1e-8)`` moves the cost by about 1e-8 of its value and leaves an
analytic gradient exact, while a real bug gives 1e-4 or more."""


def reference_rtol(*values: object) -> float:
    """``max(REFERENCE_RTOL, 64 eps)`` for the least precise floating dtype among ``values``.

    ``eps`` is float32's at most: float32 answers are accepted to 64 of their units in the last
    place (7.6e-6), float16 ones are not accepted at all.
    """
    eps = max((float(np.finfo(v.dtype).eps) for v in values
               if isinstance(v, (np.ndarray, np.floating))
               and np.issubdtype(v.dtype, np.floating)), default=0.0)
    return max(REFERENCE_RTOL, 64 * min(eps, float(np.finfo(np.float32).eps)))


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

    def bind(self, fun: Callable, **overrides: Any) -> Callable:
        """Return ``theta -> fun(theta, **kwargs)`` with some keyword arguments overridden."""
        kwargs = {**self.kwargs, **overrides}
        return lambda theta: fun(theta, **kwargs)

    def check(self, fun: Callable, *, tol: float = GRAD_TOL, hints: bool = True,
              **overrides: Any) -> GradientCheck:
        """Gradient check of ``fun`` on this problem, with the doctor told the weight decay.

        Runs :func:`~ufldl_helpers.gradcheck.check_gradient` over every coordinate, with the
        blocks named by ``layout`` and ``lambda_`` (when ``fun`` takes one), so the doctor
        can recognize missing or misplaced weight decay. ``fun`` is called once first, so that
        a function that raises or returns the wrong thing gets a ``GradingError`` that
        quotes the student's line, not a traceback through the package.

        With ``hints=False`` the doctor's findings say where and which pattern (the block, what
        its gradient looks like next to the numerical one), not how to fix it: for an exercise
        whose task is the fix (:func:`without_hints`).
        """
        _call(fun, replace(self, name=getattr(fun, "__name__", self.name)), **overrides)
        lambda_ = {**self.kwargs, **overrides}.get("lambda_")
        check = check_gradient(self.bind(fun, **overrides), self.theta, blocks=self.layout,
                               tol=tol, lambda_=lambda_)
        return check if hints else without_hints(check)


# What each of the doctor's diagnoses of a wrong formula looks like, without the fix.
_PATTERNS = {
    "transposed": "holds the right numbers in the wrong places: it equals the numerical "
                  "gradient reordered (transposed).",
    "scaled": "is a constant multiple of the numerical gradient.",
    "sign_flipped": "is the numerical gradient with the opposite sign.",
    "localized": "is wrong in some entries only, right in the others.",
    "ignores_argument": "does not change where the numerical gradient does: the cost depends "
                        "on these parameters, the gradient does not see it.",
    "missing_regularization": "differs from the numerical gradient by a multiple of the block "
                              "itself (analytic - numerical = k * the block, k a multiple of "
                              "lambda_).",
    "regularized_bias": "differs from the numerical gradient by a multiple of the block "
                        "itself (analytic - numerical = k * the block, k a multiple of "
                        "lambda_).",
}


def without_hints(check: GradientCheck) -> GradientCheck:
    """``check`` with the doctor's diagnoses of wrong formulas told as patterns, without fixes.

    A finding about a block (``transposed``, ``regularized_bias``, ...) keeps its name and
    blocks and says what the block's gradient looks like next to the numerical one; how to fix
    it is left out. Findings about the function as a whole (``low_precision``, ``kink``, ...)
    are kept as they are. The relative errors, the worst entries and the verdict are unchanged.
    """
    findings = [f if f.name not in _PATTERNS else
                Finding(f.name, f"the gradient of {', '.join(f.blocks) or 'a block'} "
                                f"{_PATTERNS[f.name]}", f.evidence, f.blocks)
                for f in check.findings]
    return replace(check, findings=findings)


def _call(fun: Callable, problem: Problem, **overrides: Any) -> tuple[float, np.ndarray]:
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
    # any pair: scipy.optimize.minimize(jac=True) accepts a list [cost, grad] as well
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
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


def _check_size(value: int, name: str) -> int:
    return check_scalar(value, name, low=1, integer=True)


def _autoencoder_point(visible_size: int, hidden_size: int, m: int,
                       rng: np.random.Generator | int | None
                       ) -> tuple[ParamLayout, np.ndarray, np.ndarray]:
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
                               beta: float = 3.0,
                               rng: np.random.Generator | int | None = None) -> Problem:
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


def _weight_decay_autoencoder(theta: np.ndarray, visible_size: int, hidden_size: int,
                              lambda_: float, data: np.ndarray
                              ) -> tuple[np.floating, np.ndarray]:
    # beta=0 switches the sparsity penalty off; sparsity_param is then unused (any value in (0,1))
    return sparse_autoencoder.sparse_autoencoder_cost(theta, visible_size, hidden_size, lambda_,
                                                      0.5, 0.0, data)


def autoencoder_problem(visible_size: int = 8, hidden_size: int = 3, m: int = 10, *,
                        lambda_: float = 0.01,
                        rng: np.random.Generator | int | None = None) -> Problem:
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


def _two_layer_reference(theta: np.ndarray, layer_sizes: Sequence[int], X: np.ndarray,
                         Y: np.ndarray, lambda_: float) -> tuple[np.inexact, np.ndarray]:
    return network.mlp_cost_and_grad(theta, layer_sizes, X, Y, hidden_activation="sigmoid",
                                     output="softmax", loss="cross_entropy", lambda_=lambda_)


def _check_layer_sizes(layer_sizes: Sequence[int]) -> tuple[int, ...]:
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__") \
            or len(layer_sizes) != 3:
        raise ValueError(f"layer_sizes must be three sizes (n_in, n_hidden, n_out), got "
                         f"{layer_sizes!r}")
    return tuple(_check_size(n, f"layer_sizes[{k}]") for k, n in enumerate(layer_sizes))


def two_layer_problem(layer_sizes: Sequence[int] = (5, 4, 3), m: int = 6, *,
                      lambda_: float = 0.01,
                      rng: np.random.Generator | int | None = None) -> Problem:
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
