"""Finite differences: numerical gradients, their error control, and the noise of a cost.

The bottom layer of gradient checking (``finite_differences`` <- ``gradcheck_core`` <- ``doctor``
<- ``gradcheck``). Nothing here judges a gradient; it only measures.

* :func:`numerical_gradient` -- central, forward or complex-step differences, as UFLDL's
  ``computeNumericalGradient`` does: ``(J(theta + eps e_k) - J(theta - eps e_k)) / (2 eps)``.
* :func:`richardson` -- central differences with the ``eps**2`` truncation term removed.
* :func:`estimate_cost_noise` -- the noise actually present in the cost (float32 arithmetic
  inside a float64 wrapper shows up here), measured from the scatter of nearby evaluations.
* :func:`relative_error` -- UFLDL's ``norm(n - g) / norm(n + g)``.

It also holds the safe calling of the user's function (:class:`GradientFunctionError`, clear
errors for a cost or gradient of the wrong kind), shared by every check.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_choice, check_rng, check_scalar
from ufldl_helpers.params import ParamLayout, as_layout

__all__ = [
    "DEFAULT_EPSILON",
    "METHODS",
    "GradientFunctionError",
    "estimate_cost_noise",
    "numerical_gradient",
    "relative_error",
    "richardson",
]

METHODS = ("central", "forward", "complex")
DEFAULT_EPSILON = {"central": 1e-4, "forward": 1e-4, "complex": 1e-20}
# Noise probe: the cost at theta + j * v, j = -10..10, where v moves a few random coordinates
# by NOISE_STEP relative to their size; the 4th differences of these values cancel the smooth
# part of J (to about NOISE_STEP**4 times the 4th derivative) and leave the noise.
NOISE_POINTS = 10
NOISE_COORDINATES = 8
NOISE_ORDER = 4
NOISE_STEP = 1e-4


class GradientFunctionError(RuntimeError):
    """The function under test raised an exception or returned something unusable."""


def relative_error(numerical: ArrayLike, analytic: ArrayLike) -> float:
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


def call(fun: Callable[[np.ndarray], Any], x: np.ndarray, name: str, where: str = "") -> Any:
    """``fun(x)``, with any exception re-raised as :class:`GradientFunctionError`."""
    try:
        return fun(x)
    except Exception as exc:  # re-raised with context the learner can act on
        raise GradientFunctionError(
            f"{name} raised {type(exc).__name__}: {exc}{_describe_call(where)}"
        ) from exc


def as_cost(value: object, name: str, where: str = "", allow_complex: bool = False) -> Any:
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
    # numbers.Number is not in numpy's stubs; the dtype kind was checked just above.
    if not np.isfinite(value):  # type: ignore[arg-type]
        raise ValueError(f"{name} returned a non-finite cost ({value}){_describe_call(where)}: "
                         "look for log(0), division by zero or overflow in the cost")
    return value


def split(result: object, name: str, where: str = "") -> Sequence[Any]:
    """Split a return value into ``(cost, grad or None)``."""
    if isinstance(result, (tuple, list)):
        if len(result) != 2:
            raise TypeError(f"{name} must return (cost, grad), got a tuple of length "
                            f"{len(result)}{_describe_call(where)}; if the gradient comes in "
                            "blocks, unroll them into one flat vector like theta")
        return result
    return result, None


def check_grad(grad: object, size: int, layout: ParamLayout, name: str) -> np.ndarray:
    """Validate an analytic gradient: a flat real vector of theta's size, finite."""
    if grad is None:
        raise TypeError(f"{name} must return (cost, grad) for a gradient check, "
                        "but it returned the cost alone")
    if isinstance(grad, (tuple, list)) and any(np.ndim(g) > 0 for g in grad):
        shapes = ", ".join(str(np.shape(g)) for g in grad)
        raise TypeError(
            f"the gradient returned by {name} is a {type(grad).__name__} of {len(grad)} arrays "
            f"(shapes {shapes}), expected one flat array of shape ({size},) like theta: unroll "
            "the blocks in the same order as theta, e.g. "
            "np.concatenate([g.ravel() for g in (W1grad, W2grad, b1grad, b2grad)]) or "
            "layout.unroll(...)")
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


class CostFunction:
    """Cost-only evaluation for the finite-difference loop.

    Uses ``cost_only`` when given; otherwise calls ``fun`` and keeps the first element of a
    ``(cost, grad)`` tuple. With ``copy_argument`` every call gets its own copy of theta (for a
    function that modifies its argument).
    """

    def __init__(self, fun: Callable[[np.ndarray], Any],
                 cost_only: Callable[[np.ndarray], Any] | None = None, *,
                 copy_argument: bool = False) -> None:
        self.fun = cost_only if cost_only is not None else fun
        self.name = "cost_only" if cost_only is not None else "fun"
        self.copy_argument = copy_argument

    def __call__(self, x: np.ndarray, where: str = "", allow_complex: bool = False) -> Any:
        arg = x.copy() if self.copy_argument else x
        value = call(self.fun, arg, self.name, where)
        if isinstance(value, (tuple, list)):
            value = split(value, self.name, where)[0]
        return as_cost(value, self.name, where, allow_complex=allow_complex)


def check_theta(theta: ArrayLike) -> np.ndarray:
    """theta: a non-empty flat float32/float64 array."""
    theta = check_array(theta, "theta", ndim=1)
    if theta.size == 0:
        raise ValueError("theta must have at least one entry, got an empty array: there is "
                         "nothing to check")
    return theta


def check_indices(indices: int | ArrayLike | None, layout: ParamLayout,
                  rng: np.random.Generator | int | None, *, allow_sample: bool = True
                  ) -> np.ndarray:
    """The coordinates to check: all (None), a seeded stratified sample (int), or given ones."""
    n = layout.size
    if indices is None:
        return np.arange(n)
    if isinstance(indices, numbers.Integral) and not isinstance(indices, bool):
        if not allow_sample:
            raise TypeError(
                f"indices must be an array of coordinates here, got the int {indices}: "
                "numerical_gradient returns bare numbers and could not say which random "
                "coordinates it drew. Draw them yourself, e.g. "
                "indices=np.random.default_rng(0).choice(theta.size, k, replace=False), or "
                "use check_gradient(..., indices=k), whose report lists them")
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


def resolve_epsilon(epsilon: float | None, method: str) -> float:
    if epsilon is None:
        return DEFAULT_EPSILON[method]
    return check_scalar(epsilon, "epsilon", low=0, low_inclusive=False)


# --------------------------------------------------------------------------------------------
# Finite differences


def _check_step(theta: np.ndarray, indices: np.ndarray, epsilon: float,
                layout: ParamLayout) -> None:
    t = theta[indices]
    lost = t + theta.dtype.type(epsilon) == t
    if np.any(lost):
        k = int(indices[np.flatnonzero(lost)[0]])
        raise ValueError(f"epsilon={epsilon:g} is too small for theta at {layout.label(k)} "
                         f"(= {theta[k]:g}, {theta.dtype}): theta + epsilon rounds to theta")


def finite_differences(cost: CostFunction, theta: np.ndarray, indices: np.ndarray,
                       epsilon: float, method: str, layout: ParamLayout,
                       f0: Any = None) -> np.ndarray:
    """Numerical partial derivatives at ``indices`` (one cost call per side per coordinate).

    Central and forward differences divide by ``2 * epsilon`` and ``epsilon``, as UFLDL does
    (not by the rounded step ``(theta + eps) - (theta - eps)``). One work buffer is perturbed in
    place and restored, so the loop allocates nothing per coordinate (unless the function
    mutates its argument, then each call gets a copy).

    Returns
    -------
    (len(indices),) float64 ndarray
    """
    if method != "complex":
        _check_step(theta, indices, epsilon, layout)
    out = np.empty(indices.size, dtype=np.float64)
    x = theta.astype(np.complex128) if method == "complex" else theta.copy()
    if method == "forward" and f0 is None:
        f0 = cost(theta.copy(), "the cost at theta")
    fun, copy = cost.fun, cost.copy_argument
    k = -1
    try:
        for j, k in enumerate(indices):
            t = x[k]
            if method == "central":
                x[k] = t + epsilon
                fp = fun(x.copy() if copy else x)
                x[k] = t - epsilon
                fm = fun(x.copy() if copy else x)
                x[k] = t
                if type(fp) in (tuple, list):
                    fp, fm = fp[0], fm[0]
                out[j] = (fp - fm) / (2 * epsilon)
            elif method == "forward":
                x[k] = t + epsilon
                fp = fun(x.copy() if copy else x)
                x[k] = t
                if type(fp) in (tuple, list):
                    fp = fp[0]
                out[j] = (fp - f0) / epsilon
            else:
                x[k] = t + 1j * epsilon
                fp = fun(x.copy() if copy else x)
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


def richardson(cost: CostFunction, theta: np.ndarray, indices: np.ndarray, epsilon: float,
               central: np.ndarray, layout: ParamLayout) -> np.ndarray:
    """Central differences at ``indices`` with the ``eps**2`` truncation term removed.

    ``n(eps) = J' + c eps**2 + O(eps**4)``, so ``(4 n(eps) - n(2 eps)) / 3 = J' + O(eps**4)``:
    one more central difference per coordinate, at twice the step (round-off stays about that
    of ``n(eps)``). When the cost cannot be evaluated at ``theta +- 2 eps`` (a domain edge),
    half the step is used instead: ``(4 n(eps/2) - n(eps)) / 3``.

    Parameters
    ----------
    central : (len(indices),) ndarray
        ``n(eps)`` at ``indices``, already computed.

    Returns
    -------
    (len(indices),) float64 ndarray
    """
    try:
        wide = finite_differences(cost, theta, indices, 2 * epsilon, "central", layout)
        return (4 * central - wide) / 3
    except (GradientFunctionError, ValueError):
        half = finite_differences(cost, theta, indices, epsilon / 2, "central", layout)
        return (4 * half - central) / 3


def estimate_cost_noise(cost: CostFunction, theta: np.ndarray,
                        rng: np.random.Generator | int | None = None) -> float:
    """Standard deviation of the noise in ``J`` near theta, from the scatter of nearby values.

    The cost is evaluated at ``theta + j * v``, ``j = -10..10``, where ``v`` moves a few random
    coordinates by ``1e-4`` times their size (at least ``1e-6``): far enough for ``J`` to cross
    many steps of float32's rounding grid, near enough that along the line the smooth part of
    ``J`` is a cubic to far below float32 round-off. So the 4th differences of the values are
    noise: for independent noise of standard deviation ``sigma`` each has standard deviation
    ``sigma * sqrt(70)`` (Moré and Wild, *Estimating computational noise*, SIAM J. Sci. Comput.
    33, 2011, use the same differences). ``sigma`` is estimated from the 75th percentile of
    their absolute values: a corner of the cost on the line (ReLU at 0) disturbs only the five
    differences around it (of 17), so it does not count as noise, and noise quantized to a few
    units in the last place (many differences exactly 0) is still seen. This sees what the
    dtype of theta cannot: float32 arithmetic inside a cost that returns float64, say.

    Returns
    -------
    float
        About ``1e-16 * |J|`` for a float64 cost, ``6e-8 * |J|`` for a float32 one; 0.0 if the
        values are identical.
    """
    rng = check_rng(rng)
    n_coords = min(NOISE_COORDINATES, theta.size)
    coords = rng.choice(theta.size, size=n_coords, replace=False)
    v = np.zeros_like(theta)
    scale = np.maximum(np.abs(theta[coords]), 1e-2)
    v[coords] = rng.choice([-1.0, 1.0], size=n_coords) * NOISE_STEP * scale
    values = np.array([float(cost(theta + j * v, "theta (noise probe)"))
                       for j in range(-NOISE_POINTS, NOISE_POINTS + 1)])
    diff = np.diff(values, n=NOISE_ORDER)
    # The 75th percentile of |N(0, s^2)| is 1.1503 s; the 4th difference of white noise has
    # s = sigma * sqrt(70).
    spread = math.sqrt(math.comb(2 * NOISE_ORDER, NOISE_ORDER))
    return float(np.percentile(np.abs(diff), 75)) / (1.1503 * spread)


def numerical_gradient(fun: Callable[[np.ndarray], Any], theta: ArrayLike,
                       epsilon: float | None = None, method: str = "central", *,
                       indices: ArrayLike | None = None,
                       cost_only: Callable[[np.ndarray], Any] | None = None) -> np.ndarray:
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
        Only these coordinates; the result then has ``len(indices)`` entries. An int (a random
        sample size) is refused: the result could not say which coordinates were drawn.
    cost_only : callable, optional
        ``cost_only(theta) -> cost``, used instead of ``fun`` inside the loop (faster when
        ``fun`` also computes a gradient).

    Returns
    -------
    (n,) or (len(indices),) ndarray of theta's dtype

    Notes
    -----
    The division is by ``2 * epsilon`` exactly, as in UFLDL's ``computeNumericalGradient``.
    In float32 the perturbed coordinate ``theta_k +- epsilon`` is rounded, which adds an error
    of up to ``6e-8 * |theta_k| / epsilon`` (relative): another reason to check in float64.

    Examples
    --------
    >>> import numpy as np
    >>> numerical_gradient(lambda x: np.sum(x ** 3), np.array([1.0, 2.0])).round(6)
    array([ 3., 12.])
    """
    method = check_choice(method, "method", METHODS)
    epsilon = resolve_epsilon(epsilon, method)
    theta = check_theta(theta)
    layout = as_layout(None, theta.size)
    idx = check_indices(indices, layout, None, allow_sample=False)
    cost = CostFunction(fun, cost_only)
    # The first call validates the return value, so the loop itself can stay lean.
    cost(theta.copy(), "theta")
    out = finite_differences(cost, theta, idx, epsilon, method, layout)
    return out.astype(theta.dtype, copy=False)
