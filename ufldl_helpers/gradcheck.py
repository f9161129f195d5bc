"""Finite-difference gradient checking, as UFLDL teaches it, with a report that names the bug.

The check compares an analytic gradient ``g`` (from backprop) with a numerical one ``n``,
coordinate by coordinate::

    n_k = (J(theta + eps e_k) - J(theta - eps e_k)) / (2 eps)

and summarizes with UFLDL's relative error ``norm(n - g) / norm(n + g)`` (about 1e-9 or less for
a correct float64 gradient with ``eps = 1e-4``).

* :func:`numerical_gradient` -- central, forward or complex-step differences.
* :func:`check_gradient` -- the full (or sampled, ``indices=``) check, returning a
  :class:`GradientCheck` report: per-block errors, the worst entries, and *findings* from the
  doctor (:mod:`ufldl_helpers.doctor`) naming the likely bug (``scaled``, ``transposed``, ...).
  When UFLDL's plain central difference misses ``tol``, the deciding coordinates are
  re-estimated by Richardson extrapolation, so that its truncation error never fails a correct
  gradient (:mod:`ufldl_helpers.gradcheck_core` explains how); the report keeps the plain number.
* :func:`directional_check` -- a few random directions instead of every coordinate, for big
  models: compares ``g . v`` with a central difference along ``v``.
* :func:`epsilon_sweep` -- the error as a function of ``eps``: truncation error on the right,
  round-off on the left (the V shape).

``fun(theta)`` returns ``(cost, grad)``; for :func:`numerical_gradient` it may return the cost
alone. Inside the finite-difference loop only the cost is needed: pass ``cost_only=`` (a function
returning just the cost) and the check roughly halves its time.

This module is the top of the gradient-checking stack: ``finite_differences`` (measuring) <-
``gradcheck_core`` (the verdict and its report) <- ``doctor`` (findings) <- ``gradcheck``. It
imports the layers below and re-exports their public names, so ``from ufldl_helpers.gradcheck
import check_gradient, GradientCheck, Finding, numerical_gradient, ...`` keeps working; the
layers below never import it.

Examples
--------
UFLDL's own sanity check, ``h(x) = x1^2 + 3 x1 x2`` at ``x = [4, 10]``:

>>> import numpy as np
>>> def h(x):
...     return x[0] ** 2 + 3 * x[0] * x[1], np.array([2 * x[0] + 3 * x[1], 3 * x[0]])
>>> report = check_gradient(h, np.array([4.0, 10.0]))
>>> report.passed, f"{report.relative_error:.4e}"
(True, '2.1452e-12')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_choice, check_rng, check_scalar
from ufldl_helpers.doctor import examine
from ufldl_helpers.finite_differences import (
    DEFAULT_EPSILON,
    METHODS,
    CostFunction,
    GradientFunctionError,
    as_cost,
    call,
    check_grad,
    check_indices,
    check_theta,
    finite_differences,
    numerical_gradient,
    relative_error,
    split,
)
from ufldl_helpers.gradcheck_core import (
    Finding,
    GradientCheck,
    GradientCheckFailed,
    WorstEntry,
    probe,
    run_check,
)
from ufldl_helpers.params import ParamLayout, _Shapes, as_layout

__all__ = [
    "DEFAULT_EPSILON",
    "METHODS",
    "DirectionalCheck",
    "EpsilonSweep",
    "Finding",
    "GradientCheck",
    "GradientCheckFailed",
    "GradientFunctionError",
    "WorstEntry",
    "check_gradient",
    "diagnose",
    "directional_check",
    "epsilon_sweep",
    "numerical_gradient",
    "relative_error",
]


def check_gradient(fun: Callable[[np.ndarray], Any], theta: ArrayLike, *,
                   epsilon: float | None = None, blocks: ParamLayout | _Shapes | None = None,
                   indices: int | ArrayLike | None = None, tol: float = 1e-9,
                   method: str = "central",
                   cost_only: Callable[[np.ndarray], Any] | None = None,
                   lambda_: float | None = None, bias_blocks: Iterable[str] | None = None,
                   order: str = "C", rng: np.random.Generator | int | None = None,
                   n_worst: int = 5, diagnose: bool = True) -> GradientCheck:
    """Compare ``fun``'s analytic gradient with finite differences; explain any mismatch.

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (cost, grad)`` with ``grad`` a flat array of theta's shape (not a tuple
        of blocks). It never sees the caller's array, only copies; if the first call modifies
        its argument, every later call gets a fresh copy, so the check stays valid (and the
        doctor reports ``mutates_theta``). The gradient is copied as soon as it is returned, so
        a function that reuses one output buffer is checked correctly (a note says so).
    theta : (n,) float ndarray
        Point of the check.
    epsilon : float, optional
        Finite-difference step; default 1e-4 as in UFLDL (1e-20 for ``method="complex"``).
    blocks : ParamLayout or mapping name -> shape, optional
        Names and shapes of the parameter blocks in unrolling order, e.g.
        ``{"W1": (25, 64), "W2": (64, 25), "b1": (25,), "b2": (64,)}``. Without it, theta is one
        block named ``"theta"``.
    indices : int or array of int, optional
        Check only some coordinates: an int draws that many at random (seeded by ``rng``, spread
        over all blocks); an array names them. Default: every coordinate.
    tol : float
        Pass when the relative error is below ``tol`` (UFLDL: about 1e-9). The relative error
        is taken on a numerical gradient whose truncation error is controlled (see Notes), so
        1e-9 suits any correct float64 gradient; ``report.plain_relative_error`` keeps UFLDL's
        plain number.
    method : {"central", "forward", "complex"}
        See :func:`numerical_gradient`.
    cost_only : callable, optional
        ``cost_only(theta) -> cost``; used in the finite-difference loop instead of ``fun``.
    lambda_ : float, optional
        The weight-decay strength used by ``fun``. The doctor recognizes a missing weight-decay
        term (``missing_regularization``) or decayed biases (``regularized_bias``) without it,
        inferring the coefficient; with it, the finding confirms the coefficient against it.
    bias_blocks : iterable of str, optional
        Names of the bias blocks; default: the blocks whose name starts with ``"b"``.
    order : {"C", "F"}
        Unrolling order of the blocks when ``blocks`` is a mapping.
    rng : numpy.random.Generator, int or None
        Seed for ``indices=<int>`` and for the doctor's random probes.
    n_worst : int
        How many worst entries the report lists.
    diagnose : bool
        Run the doctor (default). Turn off for the bare numbers.

    Returns
    -------
    GradientCheck

    Notes
    -----
    Cost: two calls of ``fun`` (validation, and the probes for mutation and randomness), then
    two cost evaluations per checked coordinate (one for ``"forward"`` and ``"complex"``): on a
    gradient that passes plainly, nothing more. When UFLDL's plain central difference misses
    ``tol``, the worst coordinates are re-estimated by Richardson extrapolation, two evaluations
    each, worst first in batches of 8, 16, ..., stopping as soon as the refined ones alone fail
    (a real bug: 16 more evaluations) or once the rest could not reach ``tol / 2`` (a correct
    gradient: at most two per coordinate). If a float64 mismatch is then within float64
    round-off, the cost's noise is measured (18 evaluations) and, when round-off is what keeps
    the verdict open, the deciding coordinates are estimated again at a step of
    ``max(10 * epsilon, 1e-3)``. A mismatch still within the measured round-off passes, with a
    note: no finite difference can resolve that gradient at this theta.

    Only when the check fails does the doctor evaluate more: 18 costs to measure the cost's
    noise, up to 40 per failing block to look for kinks, two per unrefined coordinate of
    failing blocks whose error is below 1e-6 (to tell truncation from a bug), and, for a
    failing matrix block checked only at sampled coordinates, two per coordinate at the
    transposed positions of up to 50 of them, to recognize ``transposed`` without the whole
    block (none when the block was checked whole).

    Raises
    ------
    GradientFunctionError
        ``fun`` raised (the message names the exception and where it happened).
    ValueError, TypeError
        ``fun`` returned a gradient of the wrong shape, NaN/inf, or no gradient; bad arguments.
    """
    report = run_check(fun, theta, epsilon=epsilon, blocks=blocks, indices=indices, tol=tol,
                       method=method, cost_only=cost_only, lambda_=lambda_,
                       bias_blocks=bias_blocks, order=order, rng=rng, n_worst=n_worst)
    if diagnose:
        _doctor(report)
    return report


def _doctor(report: GradientCheck) -> None:
    findings, notes = examine(report)
    report.findings = findings
    report.notes = report._context["check_notes"] + notes


def diagnose(report_or_fun: GradientCheck | Callable[[np.ndarray], Any],
             theta: ArrayLike | None = None, **kwargs: Any) -> list[Finding]:
    """Run the gradient doctor; return its findings.

    Parameters
    ----------
    report_or_fun : GradientCheck or callable
        A report from :func:`check_gradient` (examined again), or ``fun`` itself, in which case
        ``check_gradient(fun, theta, **kwargs)`` runs first.
    theta : (n,) ndarray
        Required with a function.
    **kwargs
        Passed to :func:`check_gradient` (``blocks``, ``lambda_``, ``epsilon``, ...).

    Returns
    -------
    list of Finding
    """
    if isinstance(report_or_fun, GradientCheck):
        if theta is not None or kwargs:
            raise TypeError("diagnose(report) takes no further arguments; they were fixed "
                            "when the report was made")
        _doctor(report_or_fun)
        return report_or_fun.findings
    if not callable(report_or_fun):
        raise TypeError(f"diagnose needs a GradientCheck or a function, "
                        f"got {type(report_or_fun).__name__}")
    if theta is None:
        raise TypeError("diagnose(fun, theta, ...) needs theta")
    return check_gradient(report_or_fun, theta, **kwargs).findings


# --------------------------------------------------------------------------------------------
# Scalable and exploratory checks


@dataclass
class DirectionalCheck:
    """Result of :func:`directional_check`.

    Attributes
    ----------
    relative_error : float
        ``norm(n - a) / norm(n + a)`` over the directions.
    passed : bool
    numerical, analytic : (n_directions,) ndarray
        Central difference along each direction, and ``grad . v``.
    directions : (n_directions, n) ndarray
        The unit directions used.
    epsilon, tol : float
    """

    relative_error: float
    passed: bool
    numerical: np.ndarray
    analytic: np.ndarray
    directions: np.ndarray
    epsilon: float
    tol: float

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (f"Directional check {verdict}: relative error {self.relative_error:.3g} "
                f"(tol {self.tol:g}; {len(self.numerical)} random directions, "
                f"epsilon {self.epsilon:g})")

    def raise_if_failed(self) -> DirectionalCheck:
        if not self.passed:
            raise GradientCheckFailed(str(self))
        return self


def _check_directional_step(plus: np.ndarray, minus: np.ndarray, v: np.ndarray, epsilon: float,
                            dtype: np.dtype) -> None:
    """theta +- epsilon * v must move theta by 2 epsilon along v (to 1%), else refuse epsilon."""
    step = float((plus - minus).astype(np.float64) @ v.astype(np.float64))
    if not abs(step - 2 * epsilon) <= 0.01 * 2 * epsilon:
        raise ValueError(
            f"epsilon={epsilon:g} is too small for theta ({dtype}): theta +- epsilon * v moves "
            f"theta by {step:.3g} along the unit direction v instead of 2 * epsilon = "
            f"{2 * epsilon:g}, because the perturbation rounds away; use a larger epsilon "
            "(1e-4, UFLDL's)")


def directional_check(fun: Callable[[np.ndarray], Any], theta: ArrayLike, n_directions: int = 5,
                      *, epsilon: float = 1e-4, tol: float = 1e-9,
                      cost_only: Callable[[np.ndarray], Any] | None = None,
                      rng: np.random.Generator | int | None = None) -> DirectionalCheck:
    """Check the gradient along a few random directions (fast for big models).

    For unit vectors ``v`` drawn at random, compares the directional derivative ``grad . v``
    with ``(J(theta + eps v) - J(theta - eps v)) / (2 eps)``: two cost calls per direction
    instead of two per coordinate. A wrong gradient is caught with probability 1 (a random
    direction is almost never orthogonal to the error), but the report cannot say *which*
    coordinates are wrong: run :func:`check_gradient` with ``indices=`` for that.

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (cost, grad)``.
    theta : (n,) float ndarray
    n_directions : int
    epsilon, tol : float
    cost_only : callable, optional
    rng : numpy.random.Generator, int or None

    Returns
    -------
    DirectionalCheck
    """
    theta = check_theta(theta)
    n_directions = check_scalar(n_directions, "n_directions", low=1, integer=True)
    epsilon = check_scalar(epsilon, "epsilon", low=0, low_inclusive=False)
    tol = check_scalar(tol, "tol", low=0, low_inclusive=False)
    rng = check_rng(rng)
    layout = as_layout(None, theta.size)
    cost0, grad = split(call(fun, theta.copy(), "fun", "fun(theta)"), "fun")
    as_cost(cost0, "fun", "fun(theta)")
    grad = check_grad(grad, theta.size, layout, "fun").astype(np.float64)
    cost = CostFunction(fun, cost_only)
    V = rng.standard_normal((n_directions, theta.size))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    V = V.astype(theta.dtype, copy=False)
    numerical = np.empty(n_directions)
    for j, v in enumerate(V):
        plus = theta + epsilon * v
        minus = theta - epsilon * v
        _check_directional_step(plus, minus, v, epsilon, theta.dtype)
        fp = cost(plus, f"theta + epsilon * direction {j}")
        fm = cost(minus, f"theta - epsilon * direction {j}")
        numerical[j] = (float(fp) - float(fm)) / (2 * epsilon)
    analytic = V.astype(np.float64) @ grad
    err = relative_error(numerical, analytic)
    return DirectionalCheck(err, bool(err < tol), numerical, analytic, V, float(epsilon),
                            float(tol))


@dataclass
class EpsilonSweep:
    """Result of :func:`epsilon_sweep`: relative error of the check for each step size.

    Attributes
    ----------
    epsilons : (k,) ndarray
    errors : (k,) ndarray
        Relative error ``norm(n - g) / norm(n + g)`` at each epsilon.
    method : str
    """

    epsilons: np.ndarray
    errors: np.ndarray
    method: str

    @property
    def best_epsilon(self) -> float:
        """The epsilon with the smallest error (the bottom of the V)."""
        return float(self.epsilons[int(np.argmin(self.errors))])

    @property
    def best_error(self) -> float:
        return float(np.min(self.errors))

    def __str__(self) -> str:
        rows = "\n".join(f"  {e:9.1e}  {r:9.2e}" for e, r in zip(self.epsilons, self.errors,
                                                                 strict=True))
        return (f"Epsilon sweep ({self.method} differences): best epsilon "
                f"{self.best_epsilon:.1e}, error {self.best_error:.2e}\n  epsilon    error\n"
                f"{rows}")


def epsilon_sweep(fun: Callable[[np.ndarray], Any], theta: ArrayLike,
                  epsilons: ArrayLike | None = None, *, method: str = "central",
                  indices: int | ArrayLike | None = None,
                  cost_only: Callable[[np.ndarray], Any] | None = None,
                  rng: np.random.Generator | int | None = None) -> EpsilonSweep:
    """Relative error of the gradient check as a function of the step ``epsilon``.

    For a correct gradient the curve is a V on log-log axes: for large epsilon the truncation
    error of the difference formula dominates (slope 2 for central differences, 1 for forward),
    for small epsilon the round-off in ``J(x + eps) - J(x - eps)`` dominates (slope -1).

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (cost, grad)``.
    theta : (n,) float ndarray
    epsilons : array of float, optional
        Default ``logspace(-10, 0, 21)``.
    method : {"central", "forward"}
    indices : int or array of int, optional
        Check only some coordinates at each epsilon (as in :func:`check_gradient`).
    cost_only : callable, optional
    rng : numpy.random.Generator, int or None

    Returns
    -------
    EpsilonSweep
    """
    method = check_choice(method, "method", ("central", "forward"))
    theta = check_theta(theta)
    if epsilons is None:
        epsilons = np.logspace(-10, 0, 21)
    epsilons = check_array(epsilons, "epsilons", ndim=1, dtype="real").astype(np.float64)
    if epsilons.size == 0 or np.any(epsilons <= 0):
        raise ValueError("epsilons must be a non-empty array of positive step sizes")
    layout = as_layout(None, theta.size)
    idx = check_indices(indices, layout, check_rng(rng))
    first = probe(fun, theta, layout)
    analytic = first["grad"][idx].astype(np.float64)
    cost = CostFunction(fun, cost_only)
    errors = np.array([
        relative_error(finite_differences(cost, theta, idx, float(eps), method, layout,
                                          f0=first["cost"]), analytic)
        for eps in epsilons
    ])
    return EpsilonSweep(epsilons, errors, method)
