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
* :func:`directional_check` -- a few random directions instead of every coordinate, for big
  models: compares ``g . v`` with a central difference along ``v``.
* :func:`epsilon_sweep` -- the error as a function of ``eps``: truncation error on the right,
  round-off on the left (the V shape).

``fun(theta)`` returns ``(cost, grad)``; for :func:`numerical_gradient` it may return the cost
alone. Inside the finite-difference loop only the cost is needed: pass ``cost_only=`` (a function
returning just the cost) and the check roughly halves its time.

Examples
--------
UFLDL's own sanity check, ``h(x) = x1^2 + 3 x1 x2`` at ``x = [4, 10]``:

>>> import numpy as np
>>> def h(x):
...     return x[0] ** 2 + 3 * x[0] * x[1], np.array([2 * x[0] + 3 * x[1], 3 * x[0]])
>>> report = check_gradient(h, np.array([4.0, 10.0]))
>>> report.passed, report.relative_error < 1e-10
(True, True)
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ufldl_helpers._validation import check_array, check_choice, check_rng, check_scalar
from ufldl_helpers.params import ParamLayout, as_layout

__all__ = [
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

METHODS = ("central", "forward", "complex")
DEFAULT_EPSILON = {"central": 1e-4, "forward": 1e-4, "complex": 1e-20}


class GradientFunctionError(RuntimeError):
    """The function under test raised an exception or returned something unusable."""


class GradientCheckFailed(AssertionError):
    """Raised by :meth:`GradientCheck.raise_if_failed`; the message is the full report."""


@dataclass(frozen=True)
class Finding:
    """One diagnosis from the gradient doctor.

    Attributes
    ----------
    name : str
        Short name: ``transposed``, ``scaled``, ``sign_flipped``, ``ignores_argument``,
        ``localized``, ``missing_regularization``, ``regularized_bias``, ``nondeterministic``,
        ``mutates_theta``, ``kink`` or ``low_precision``.
    message : str
        One or two sentences for the learner: what is wrong and what usually causes it.
    evidence : dict
        The numbers behind the diagnosis (e.g. ``{"c": 2.0, "residual": 3e-11}``).
    blocks : tuple of str
        The parameter blocks concerned (empty when the finding is about the whole function).
    """

    name: str
    message: str
    evidence: dict = field(default_factory=dict)
    blocks: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


class WorstEntry(NamedTuple):
    """One of the worst-matching coordinates of a gradient check."""

    index: int
    block: str
    position: tuple[int, ...]
    numerical: float
    analytic: float

    @property
    def label(self) -> str:
        return f"{self.block}[{', '.join(map(str, self.position))}]"

    @property
    def difference(self) -> float:
        return self.analytic - self.numerical


def relative_error(numerical, analytic) -> float:
    """UFLDL's relative error ``norm(n - g) / norm(n + g)``.

    Two zero vectors agree (0.0). If ``n + g`` is zero but ``n - g`` is not (``g = -n``), the
    result is ``inf``.
    """
    n = np.asarray(numerical, dtype=np.float64)
    g = np.asarray(analytic, dtype=np.float64)
    diff = float(np.linalg.norm(n - g))
    total = float(np.linalg.norm(n + g))
    if diff == 0.0:
        return 0.0
    if total == 0.0:
        return math.inf
    return diff / total


# --------------------------------------------------------------------------------------------
# Calling the user's function safely


def _describe_call(where: str) -> str:
    return f" (while evaluating {where})" if where else ""


def _call(fun, x, name: str, where: str = ""):
    try:
        return fun(x)
    except Exception as exc:  # re-raised with context the learner can act on
        raise GradientFunctionError(
            f"{name} raised {type(exc).__name__}: {exc}{_describe_call(where)}"
        ) from exc


def _as_cost(value, name: str, where: str = "", allow_complex: bool = False):
    """Return the cost as a numpy scalar, refusing arrays, strings and non-finite values."""
    if isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must return the cost alone here, got a {type(value).__name__}")
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise ValueError(f"{name} must return a scalar cost, got an array of shape "
                             f"{value.shape}{_describe_call(where)}; return float(cost)")
        value = value[()]
    kinds = "iufc" if allow_complex else "iuf"
    if isinstance(value, bool) or not isinstance(value, (numbers.Number, np.generic)) \
            or np.asarray(value).dtype.kind not in kinds:
        raise TypeError(f"{name} must return a real number as the cost, got "
                        f"{type(value).__name__}{_describe_call(where)}")
    if not np.isfinite(value):
        raise ValueError(f"{name} returned a non-finite cost ({value}){_describe_call(where)}: "
                         "look for log(0), division by zero or overflow in the cost")
    return value


def _split(result, name: str, where: str = ""):
    """Split a return value into ``(cost, grad or None)``."""
    if isinstance(result, (tuple, list)):
        if len(result) != 2:
            raise TypeError(f"{name} must return (cost, grad), got a tuple of length "
                            f"{len(result)}{_describe_call(where)}")
        return result
    return result, None


def _check_grad(grad, size: int, layout: ParamLayout, name: str) -> np.ndarray:
    if grad is None:
        raise TypeError(f"{name} must return (cost, grad) for a gradient check, "
                        "but it returned the cost alone")
    grad = np.asarray(grad)
    if grad.dtype.kind not in "iuf":
        raise TypeError(f"the gradient returned by {name} must be real numbers, "
                        f"got dtype {grad.dtype}")
    if grad.shape != (size,):
        hint = ""
        if grad.size == size:
            hint = "; unroll it into a flat vector (grad.ravel()) in the same order as theta"
        elif len(layout.names) > 1:
            blocks = ", ".join(f"{n}{layout.shapes[n]}" for n in layout.names)
            hint = f"; theta holds {blocks}: is a block missing from the gradient?"
        raise ValueError(f"the gradient returned by {name} has shape {grad.shape}, "
                         f"expected ({size},) like theta{hint}")
    bad = ~np.isfinite(grad)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"the gradient returned by {name} has {int(bad.sum())} NaN or inf "
                         f"entries (first at {layout.label(first)}): fix the gradient before "
                         "checking it")
    return grad


class _CostFunction:
    """Cost-only evaluation for the finite-difference loop.

    Uses ``cost_only`` when given; otherwise calls ``fun`` and keeps the first element of a
    ``(cost, grad)`` tuple.
    """

    def __init__(self, fun, cost_only=None, *, copy_argument: bool = False):
        self.fun = cost_only if cost_only is not None else fun
        self.name = "cost_only" if cost_only is not None else "fun"
        self.copy_argument = copy_argument

    def __call__(self, x, where: str = "", allow_complex: bool = False):
        arg = x.copy() if self.copy_argument else x
        value = _call(self.fun, arg, self.name, where)
        if isinstance(value, (tuple, list)):
            value = _split(value, self.name, where)[0]
        return _as_cost(value, self.name, where, allow_complex=allow_complex)


def _check_theta(theta) -> np.ndarray:
    return check_array(theta, "theta", ndim=1)


def _check_indices(indices, layout: ParamLayout, rng) -> np.ndarray:
    n = layout.size
    if indices is None:
        return np.arange(n)
    if isinstance(indices, numbers.Integral) and not isinstance(indices, bool):
        k = check_scalar(indices, "indices", low=1, integer=True)
        if k >= n:
            return np.arange(n)
        return _stratified_sample(layout, k, check_rng(rng))
    idx = check_array(indices, "indices", ndim=1, dtype="real")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"indices must be an int (a sample size) or an array of ints, "
                        f"got dtype {idx.dtype}")
    if idx.size == 0:
        raise ValueError("indices must not be empty")
    if idx.min() < 0 or idx.max() >= n:
        raise ValueError(f"indices must lie in 0 .. {n - 1}, got values from {idx.min()} "
                         f"to {idx.max()}")
    if np.unique(idx).size != idx.size:
        raise ValueError("indices must not repeat a coordinate")
    return idx.astype(np.intp)


def _stratified_sample(layout: ParamLayout, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` distinct coordinates, spread over the blocks in proportion to their sizes but with
    at least one per non-empty block, so a small bias block is never skipped."""
    picks = []
    for name in layout.names:
        sl = layout.slices[name]
        size = sl.stop - sl.start
        if size == 0:
            continue
        take = min(size, max(1, round(k * size / layout.size)))
        picks.append(sl.start + rng.choice(size, size=take, replace=False))
    return np.sort(np.concatenate(picks))


# --------------------------------------------------------------------------------------------
# Finite differences


def _finite_differences(cost: _CostFunction, theta: np.ndarray, indices: np.ndarray,
                        epsilon: float, method: str, layout: ParamLayout,
                        f0=None) -> np.ndarray:
    """Numerical partial derivatives at ``indices`` (one cost call per side per coordinate).

    One work buffer is perturbed in place and restored, so the loop allocates nothing per
    coordinate (unless the function mutates its argument, then each call gets a copy).
    """
    if method != "complex":
        t = theta[indices]
        if np.any(t + theta.dtype.type(epsilon) == t):
            k = int(indices[np.flatnonzero(t + theta.dtype.type(epsilon) == t)[0]])
            raise ValueError(f"epsilon={epsilon:g} is too small for theta at {layout.label(k)} "
                             f"(= {theta[k]:g}, {theta.dtype}): theta + epsilon rounds to theta")
    out = np.empty(indices.size, dtype=np.float64)
    if method == "complex":
        x = theta.astype(np.complex128)
    else:
        x = theta.copy()
    if method == "forward" and f0 is None:
        f0 = cost(theta.copy(), "the cost at theta")
    k = -1
    try:
        for j, k in enumerate(indices):
            t = x[k]
            if method == "central":
                x[k] = t + epsilon
                hi = x[k]
                fp = cost.fun(x.copy() if cost.copy_argument else x)
                x[k] = t - epsilon
                lo = x[k]
                fm = cost.fun(x.copy() if cost.copy_argument else x)
                x[k] = t
                if type(fp) in (tuple, list):
                    fp, fm = fp[0], fm[0]
                out[j] = (fp - fm) / (hi - lo)
            elif method == "forward":
                x[k] = t + epsilon
                hi = x[k]
                fp = cost.fun(x.copy() if cost.copy_argument else x)
                x[k] = t
                if type(fp) in (tuple, list):
                    fp = fp[0]
                out[j] = (fp - f0) / (hi - t)
            else:
                x[k] = t + 1j * epsilon
                fp = cost.fun(x.copy() if cost.copy_argument else x)
                x[k] = t
                if type(fp) in (tuple, list):
                    fp = fp[0]
                if not np.iscomplexobj(fp):
                    raise TypeError("the cost came back real for a complex theta, so the "
                                    "complex step was lost")
                out[j] = np.imag(fp) / epsilon
    except Exception as exc:
        where = f"theta perturbed at {layout.label(k)}" if k >= 0 else "theta"
        if isinstance(exc, (TypeError, ValueError)) and method == "complex":
            raise GradientFunctionError(
                f"{cost.name} failed on a complex theta ({type(exc).__name__}: {exc}); the "
                "complex-step method needs a cost written with complex-safe operations (no "
                "abs, max or real-only functions): use method='central'") from exc
        raise GradientFunctionError(
            f"{cost.name} raised {type(exc).__name__}: {exc} (while evaluating {where})"
        ) from exc
    bad = ~np.isfinite(out)
    if bad.any():
        k = int(indices[np.flatnonzero(bad)[0]])
        raise ValueError(f"{cost.name} returned a non-finite cost at theta +- epsilon in "
                         f"coordinate {layout.label(k)}: look for log(0), division by zero or "
                         "overflow in the cost near theta")
    return out


def _resolve_epsilon(epsilon, method):
    if epsilon is None:
        return DEFAULT_EPSILON[method]
    return check_scalar(epsilon, "epsilon", low=0, low_inclusive=False)


def numerical_gradient(fun, theta, epsilon=None, method="central", *, indices=None,
                       cost_only=None):
    """Finite-difference gradient of a scalar function.

    Parameters
    ----------
    fun : callable
        ``fun(theta)`` returns the cost, or ``(cost, grad)`` (the gradient is ignored).
    theta : (n,) float ndarray
        Point at which to differentiate. It is never modified.
    epsilon : float, optional
        Step; default 1e-4 for ``"central"`` and ``"forward"`` (UFLDL's choice) and 1e-20 for
        ``"complex"``.
    method : {"central", "forward", "complex"}
        ``"central"``: ``(J(x + eps e_k) - J(x - eps e_k)) / (2 eps)``, error O(eps^2).
        ``"forward"``: ``(J(x + eps e_k) - J(x)) / eps``, error O(eps), one call per coordinate.
        ``"complex"``: ``Im J(x + i eps e_k) / eps``: no subtraction, so no round-off; exact to
        machine precision, but ``fun`` must accept complex input (smooth, no ``abs``/``max``).
    indices : array of int, optional
        Only these coordinates; the result then has ``len(indices)`` entries.
    cost_only : callable, optional
        ``cost_only(theta) -> cost``, used instead of ``fun`` inside the loop (faster when
        ``fun`` also computes a gradient).

    Returns
    -------
    (n,) or (len(indices),) ndarray of theta's dtype

    Examples
    --------
    >>> import numpy as np
    >>> numerical_gradient(lambda x: np.sum(x ** 3), np.array([1.0, 2.0])).round(6)
    array([ 3., 12.])
    """
    method = check_choice(method, "method", METHODS)
    epsilon = _resolve_epsilon(epsilon, method)
    theta = _check_theta(theta)
    layout = as_layout(None, theta.size)
    idx = _check_indices(indices, layout, None)
    cost = _CostFunction(fun, cost_only)
    # The first call validates the return value, so the loop itself can stay lean.
    cost(theta.copy(), "theta")
    out = _finite_differences(cost, theta, idx, epsilon, method, layout)
    return out.astype(theta.dtype, copy=False)


# --------------------------------------------------------------------------------------------
# The report


@dataclass(repr=False)
class GradientCheck:
    """Result of :func:`check_gradient`.

    Attributes
    ----------
    relative_error : float
        ``norm(n - g) / norm(n + g)`` over the checked coordinates.
    passed : bool
        ``relative_error < tol``.
    numerical, analytic : (len(indices),) ndarray
        The two gradients at the checked coordinates.
    indices : (k,) ndarray of int
        The checked coordinates of theta (all of them unless ``indices=`` sampled some).
    block_errors : dict name -> float
        Relative error within each block (blocks with no checked coordinate are left out).
    worst : list of WorstEntry
        The coordinates with the largest ``|analytic - numerical|``, worst first.
    findings : list of Finding
        What the doctor recognized (empty for a clean pass).
    layout : ParamLayout
    epsilon, tol : float
    method : str
    cost : float
        The cost at theta.
    notes : list of str
        Extra observations that are not findings (e.g. a ratio analytic/numerical that varies).
    """

    relative_error: float
    passed: bool
    numerical: np.ndarray
    analytic: np.ndarray
    indices: np.ndarray
    block_errors: dict
    worst: list
    layout: ParamLayout
    epsilon: float
    tol: float
    method: str
    cost: float
    findings: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    _context: dict = field(default_factory=dict, repr=False)

    @property
    def finding_names(self) -> set[str]:
        """Names of the findings, e.g. ``{"scaled"}``."""
        return {f.name for f in self.findings}

    @property
    def n_checked(self) -> int:
        return int(self.indices.size)

    def raise_if_failed(self) -> GradientCheck:
        """Raise :class:`GradientCheckFailed` (an AssertionError) with the report if failed.

        Returns the report itself when it passed, so it can be chained.
        """
        if not self.passed:
            raise GradientCheckFailed(str(self))
        return self

    def __repr__(self) -> str:
        names = ", ".join(sorted(self.finding_names)) or "none"
        return f"<{self._headline()}; findings: {names}>"

    def _headline(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        coverage = (f"all {self.n_checked}" if self.n_checked == self.layout.size
                    else f"{self.n_checked} of {self.layout.size}")
        return (f"Gradient check {verdict}: relative error {self.relative_error:.3g} "
                f"(tol {self.tol:g}; {coverage} coordinates, {self.method} differences, "
                f"epsilon {self.epsilon:g})")

    def _block_status(self, ok: bool) -> str:
        # A block may sit slightly above tol while the whole check passes (its entries are a
        # small part of the total norm): say so rather than print FAIL under "passed".
        if ok:
            return "ok"
        return "FAIL" if not self.passed else "above tol"

    def _block_rows(self):
        for name in self.layout.names:
            if name in self.block_errors:
                err = self.block_errors[name]
                yield name, self.layout.shapes[name], err, err < self.tol

    def __str__(self) -> str:
        lines = [self._headline()]
        if len(self.layout.names) > 1:
            width = max(len(n) for n in self.layout.names)
            lines.append("  per block:")
            for name, shape, err, ok in self._block_rows():
                lines.append(f"    {name:<{width}}  {shape!s:<12} {err:10.3g}  "
                             f"{self._block_status(ok)}")
        if not self.passed and self.worst:
            lines.append("  worst entries (numerical vs analytic):")
            width = max(len(w.label) for w in self.worst)
            for w in self.worst:
                lines.append(f"    {w.label:<{width}}  {w.numerical: .6e}  {w.analytic: .6e}")
        if self.findings:
            lines.append("  findings:")
            lines.extend(f"    - {f}" for f in self.findings)
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        color = "#1a7f37" if self.passed else "#cf222e"
        parts = [f'<div><b style="color:{color}">{esc(self._headline())}</b>']
        if len(self.layout.names) > 1:
            parts.append('<table><tr><th>block</th><th>shape</th><th>relative error</th>'
                         '<th></th></tr>')
            for name, shape, err, ok in self._block_rows():
                parts.append(f"<tr><td>{esc(name)}</td><td>{esc(str(shape))}</td>"
                             f"<td>{err:.3g}</td><td>{esc(self._block_status(ok))}</td></tr>")
            parts.append("</table>")
        if not self.passed and self.worst:
            parts.append("<table><tr><th>worst entry</th><th>numerical</th><th>analytic</th>"
                         "</tr>")
            for w in self.worst:
                parts.append(f"<tr><td>{esc(w.label)}</td><td>{w.numerical:.6e}</td>"
                             f"<td>{w.analytic:.6e}</td></tr>")
            parts.append("</table>")
        if self.findings:
            parts.append("<ul>")
            parts.extend(f"<li><b>{esc(f.name)}</b>: {esc(f.message)}</li>"
                         for f in self.findings)
            parts.append("</ul>")
        parts.extend(f"<p>note: {esc(note)}</p>" for note in self.notes)
        parts.append("</div>")
        return "".join(parts)


def _worst_entries(report_numerical, report_analytic, indices, layout, n_worst):
    diff = np.abs(report_analytic - report_numerical)
    order = np.argsort(-diff, kind="stable")[:n_worst]
    entries = []
    for j in order:
        if diff[j] == 0:
            break
        k = int(indices[j])
        name, pos = layout.block_of(k)
        entries.append(WorstEntry(k, name, pos, float(report_numerical[j]),
                                  float(report_analytic[j])))
    return entries


def _probe(fun, theta, layout):
    """Call ``fun`` twice on copies of theta: validate, and record mutation and randomness."""
    first = theta.copy()
    cost1, grad1 = _split(_call(fun, first, "fun", "fun(theta)"), "fun")
    cost1 = _as_cost(cost1, "fun", "fun(theta)")
    grad1 = _check_grad(grad1, theta.size, layout, "fun")
    changed = first != theta
    second = theta.copy()
    cost2, grad2 = _split(_call(fun, second, "fun", "fun(theta), second call"), "fun")
    cost2 = _as_cost(cost2, "fun", "fun(theta), second call")
    grad2 = _check_grad(grad2, theta.size, layout, "fun")
    return {
        "cost": cost1,
        "grad": grad1,
        "changed": changed,
        "max_change": float(np.max(np.abs(first - theta))) if changed.any() else 0.0,
        "cost2": cost2,
        "grad2": grad2,
    }


def check_gradient(fun, theta, *, epsilon=None, blocks=None, indices=None, tol=1e-9,
                   method="central", cost_only=None, lambda_=None, bias_blocks=None,
                   order="C", rng=None, n_worst=5, diagnose=True) -> GradientCheck:
    """Compare ``fun``'s analytic gradient with finite differences; explain any mismatch.

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (cost, grad)`` with ``grad`` of theta's shape. It never sees the
        caller's array, only copies; if the first call modifies its argument, every later call
        gets a fresh copy, so the check stays valid (and the doctor reports ``mutates_theta``).
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
        Pass when the relative error is below ``tol`` (UFLDL: about 1e-9).
    method : {"central", "forward", "complex"}
        See :func:`numerical_gradient`.
    cost_only : callable, optional
        ``cost_only(theta) -> cost``; used in the finite-difference loop instead of ``fun``.
    lambda_ : float, optional
        The weight-decay strength used by ``fun``; lets the doctor recognize a missing
        weight-decay term (``missing_regularization``) or decayed biases
        (``regularized_bias``).
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
    two cost evaluations per checked coordinate (one for ``"forward"`` and ``"complex"``). Only
    when the check fails does the doctor evaluate more: up to 40 costs per failing block to
    look for kinks, two per coordinate of failing blocks whose error is below 1e-6, to
    tell truncation error from a bug, and, for a failing matrix block checked only at sampled
    coordinates, two per coordinate at the transposed positions of up to 50 of them, to
    recognize ``transposed`` without the whole block (none when the block was checked whole).

    Raises
    ------
    GradientFunctionError
        ``fun`` raised (the message names the exception and where it happened).
    ValueError, TypeError
        ``fun`` returned a gradient of the wrong shape, NaN/inf, or no gradient; bad arguments.
    """
    theta = _check_theta(theta)
    method = check_choice(method, "method", METHODS)
    epsilon = _resolve_epsilon(epsilon, method)
    tol = check_scalar(tol, "tol", low=0, low_inclusive=False)
    if lambda_ is not None:
        lambda_ = check_scalar(lambda_, "lambda_", low=0)
    n_worst = check_scalar(n_worst, "n_worst", low=0, integer=True)
    layout = as_layout(blocks, theta.size, order)
    if bias_blocks is None:
        bias = {n for n in layout.names if n.startswith("b")}
    else:
        bias = set(bias_blocks)
        unknown = bias - set(layout.names)
        if unknown:
            raise ValueError(f"bias_blocks names unknown blocks {sorted(unknown)}; "
                             f"the blocks are {list(layout.names)}")
    rng = check_rng(rng)
    idx = _check_indices(indices, layout, rng)

    probe = _probe(fun, theta, layout)
    cost = _CostFunction(fun, cost_only, copy_argument=bool(probe["changed"].any()))
    if cost_only is not None:
        c = cost(theta.copy(), "cost_only(theta)")
        if not np.isclose(float(c), float(probe["cost"]), rtol=1e-8, atol=0):
            raise ValueError(f"cost_only(theta) = {float(c)!r} but fun(theta)[0] = "
                             f"{float(probe['cost'])!r}: they must compute the same cost")
    numerical = _finite_differences(cost, theta, idx, epsilon, method, layout,
                                    f0=probe["cost"])
    analytic = probe["grad"][idx].astype(np.float64)

    block_errors = {}
    for name in layout.names:
        sl = layout.slices[name]
        mask = (idx >= sl.start) & (idx < sl.stop)
        if mask.any():
            block_errors[name] = relative_error(numerical[mask], analytic[mask])
    err = relative_error(numerical, analytic)
    report = GradientCheck(
        relative_error=err,
        passed=bool(err < tol),
        numerical=numerical.astype(theta.dtype, copy=False),
        analytic=probe["grad"][idx],
        indices=idx,
        block_errors=block_errors,
        worst=_worst_entries(numerical, analytic, idx, layout, n_worst),
        layout=layout,
        epsilon=float(epsilon),
        tol=float(tol),
        method=method,
        cost=probe["cost"],
        _context={"fun": fun, "cost": cost, "theta": theta.copy(), "probe": probe,
                  "lambda_": lambda_, "bias": bias, "rng": rng},
    )
    if diagnose:
        _doctor(report)
    return report


def _doctor(report: GradientCheck) -> None:
    from ufldl_helpers.doctor import examine

    report.findings, report.notes = examine(report)


def diagnose(report_or_fun, theta=None, **kwargs) -> list[Finding]:
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


def directional_check(fun, theta, n_directions=5, *, epsilon=1e-4, tol=1e-9, cost_only=None,
                      rng=None) -> DirectionalCheck:
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
    theta = _check_theta(theta)
    n_directions = check_scalar(n_directions, "n_directions", low=1, integer=True)
    epsilon = check_scalar(epsilon, "epsilon", low=0, low_inclusive=False)
    tol = check_scalar(tol, "tol", low=0, low_inclusive=False)
    rng = check_rng(rng)
    layout = as_layout(None, theta.size)
    cost0, grad = _split(_call(fun, theta.copy(), "fun", "fun(theta)"), "fun")
    _as_cost(cost0, "fun", "fun(theta)")
    grad = _check_grad(grad, theta.size, layout, "fun").astype(np.float64)
    cost = _CostFunction(fun, cost_only)
    V = rng.standard_normal((n_directions, theta.size))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    V = V.astype(theta.dtype, copy=False)
    numerical = np.empty(n_directions)
    for j, v in enumerate(V):
        plus = theta + epsilon * v
        minus = theta - epsilon * v
        step = (plus - minus).astype(np.float64) @ v.astype(np.float64)
        fp = cost(plus, f"theta + epsilon * direction {j}")
        fm = cost(minus, f"theta - epsilon * direction {j}")
        numerical[j] = (float(fp) - float(fm)) / step
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


def epsilon_sweep(fun, theta, epsilons=None, *, method="central", indices=None, cost_only=None,
                  rng=None) -> EpsilonSweep:
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
    theta = _check_theta(theta)
    if epsilons is None:
        epsilons = np.logspace(-10, 0, 21)
    epsilons = check_array(epsilons, "epsilons", ndim=1, dtype="real").astype(np.float64)
    if epsilons.size == 0 or np.any(epsilons <= 0):
        raise ValueError("epsilons must be a non-empty array of positive step sizes")
    layout = as_layout(None, theta.size)
    idx = _check_indices(indices, layout, check_rng(rng))
    probe = _probe(fun, theta, layout)
    analytic = probe["grad"][idx].astype(np.float64)
    cost = _CostFunction(fun, cost_only)
    errors = np.array([
        relative_error(_finite_differences(cost, theta, idx, float(eps), method, layout,
                                           f0=probe["cost"]), analytic)
        for eps in epsilons
    ])
    return EpsilonSweep(epsilons, errors, method)
