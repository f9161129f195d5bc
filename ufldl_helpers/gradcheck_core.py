"""The gradient check itself: the verdict and its report, without the doctor.

Layering (arrows point down; a lower module never imports a higher one)::

    gradcheck          public API: check_gradient = run_check + the doctor; diagnose,
        |              directional_check, epsilon_sweep; re-exports the names below
    doctor             findings: examines a GradientCheck (per-block fits in
        |              doctor_signatures, on the same layers below)
    gradcheck_core     run_check -> GradientCheck (verdict, per-block errors, worst entries)
        |
    finite_differences numerical gradients, Richardson extrapolation, the cost's noise

The doctor needs a finished report to examine and the public ``check_gradient`` needs the
doctor, so the report and the verdict live here, below both.

The verdict
-----------
UFLDL's plain central difference ``n(eps)`` carries a truncation error ``eps**2 J''' / 6``: about
1e-9 relative for small tanh networks at ``eps = 1e-4``, as large as the tolerance. A check that
decides on it alone fails correct gradients. So when ``n(eps)`` misses ``tol``, the coordinates
that decide the outcome (the worst ones, until the rest could not reach ``tol / 2``) are
re-estimated by Richardson extrapolation, ``(4 n(eps) - n(2 eps)) / 3``, whose truncation error is
``O(eps**4)``, and the verdict is taken on that estimate. Coordinates are refined worst first in
growing batches; as soon as the refined ones alone miss ``tol`` the check has failed and stops,
so a real bug costs a few dozen extra evaluations and a correct gradient that passes plainly
costs nothing extra. The report keeps UFLDL's plain number (``plain_relative_error``) and a note
explains any difference.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_choice, check_rng, check_scalar
from ufldl_helpers.finite_differences import (
    METHODS,
    CostFunction,
    as_cost,
    call,
    check_grad,
    check_indices,
    check_theta,
    estimate_cost_noise,
    finite_differences,
    relative_error,
    resolve_epsilon,
    richardson,
    split,
)
from ufldl_helpers.params import ParamLayout, _Shapes, as_layout

__all__ = ["Finding", "GradientCheck", "GradientCheckFailed", "WorstEntry", "run_check"]

# Richardson batches: the worst FIRST_BATCH coordinates first, then twice as many each time.
FIRST_BATCH = 8
# Round-off of a Richardson estimate at step h: at most this many times noise(J) / h.
ROUNDOFF_SLACK = 3
# When that round-off leaves the verdict open, the step is multiplied by this, and made at
# least SMALLEST_LARGER_STEP (a too small epsilon given by the caller is not kept).
LARGER_STEP = 10
SMALLEST_LARGER_STEP = 1e-3
# A cost noisier than this many float64 units of max(|J|, 1) is not float64 round-off (float32
# arithmetic gives about 5e8): its mismatches are never excused as round-off.
LOW_NOISE_UNITS = 1e4
# The cost's noise is measured only when the mismatch is within this many float64 units of
# |J| per coordinate (over epsilon): beyond, no plausible float64 round-off explains it.
FLOAT64_NOISE_UNITS = 1e6
EPS64 = float(np.finfo(np.float64).eps)


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
    evidence: dict[str, Any] = field(default_factory=dict)
    blocks: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


class WorstEntry(NamedTuple):
    """One of the worst-matching coordinates of a gradient check."""

    # Shadows tuple.index, the method; renaming the field would break readers of reports.
    index: int  # type: ignore[assignment]
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


@dataclass(repr=False)
class GradientCheck:
    """Result of :func:`~ufldl_helpers.gradcheck.check_gradient`.

    Attributes
    ----------
    relative_error : float
        ``norm(n - g) / norm(n + g)`` over the checked coordinates, with ``n`` the numerical
        gradient the verdict uses (UFLDL's central difference, Richardson-extrapolated at the
        deciding coordinates when the plain one missed ``tol``).
    passed : bool
        ``relative_error < tol``; or, for a float64 cost and gradient, a mismatch within the
        measured round-off of the finite differences (a note then says so).
    numerical, analytic : (len(indices),) ndarray
        The two gradients at the checked coordinates (``numerical`` as used for the verdict).
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
        Observations that are not findings (e.g. why the plain number differs).
    plain_relative_error : float
        UFLDL's number: the relative error of the plain finite differences at ``epsilon``.
    plain_numerical : (len(indices),) ndarray
        The plain finite differences.
    n_refined : int
        How many coordinates were re-estimated by Richardson extrapolation (0 when the plain
        differences decided).
    """

    relative_error: float
    passed: bool
    numerical: np.ndarray
    analytic: np.ndarray
    indices: np.ndarray
    block_errors: dict[str, float]
    worst: list[WorstEntry]
    layout: ParamLayout
    epsilon: float
    tol: float
    method: str
    cost: float
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plain_relative_error: float = np.nan
    plain_numerical: np.ndarray | None = None
    n_refined: int = 0
    _context: dict[str, Any] = field(default_factory=dict, repr=False)

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
        plain = (f"; plain central difference {self.plain_relative_error:.3g}"
                 if self._refinement_shows() else "")
        return (f"Gradient check {verdict}: relative error {self.relative_error:.3g} "
                f"(tol {self.tol:g}; {coverage} coordinates, {self.method} differences, "
                f"epsilon {self.epsilon:g}{plain})")

    def _refinement_shows(self) -> bool:
        """Did the refinement change the relative error at the precision printed?"""
        return (self.n_refined > 0
                and f"{self.plain_relative_error:.3g}" != f"{self.relative_error:.3g}")

    def _block_status(self, ok: bool) -> str:
        # A block may sit slightly above tol while the whole check passes (its entries are a
        # small part of the total norm): say so rather than print FAIL under "passed".
        if ok:
            return "ok"
        return "FAIL" if not self.passed else "above tol"

    def _block_rows(self) -> Iterator[tuple[str, tuple[int, ...], float, bool]]:
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
        # Inline styles: they survive JupyterLab, nbconvert and nbgrader's feedback pages alike.
        table = '<table style="border-collapse:collapse;margin:0.4em 0">'
        pad = "padding:2px 12px;"

        def th(text: str, align: str = "left") -> str:
            return (f'<th style="{pad}border-bottom:1px solid #888;text-align:{align}">'
                    f"{text}</th>")

        def td(text: str, align: str = "right") -> str:
            font = "" if align == "left" else "font-family:monospace;"
            return (f'<td style="{pad}{font}border-bottom:1px solid #ddd;text-align:{align}">'
                    f"{text}</td>")

        parts = [f'<div><b style="color:{color}">{esc(self._headline())}</b>']
        if len(self.layout.names) > 1:
            parts.append(f"{table}<tr>{th('block')}{th('shape')}{th('relative error', 'right')}"
                         f"{th('')}</tr>")
            for name, shape, err, ok in self._block_rows():
                parts.append(f"<tr>{td(esc(name), 'left')}{td(esc(str(shape)), 'left')}"
                             f"{td(f'{err:.3g}')}{td(esc(self._block_status(ok)), 'left')}</tr>")
            parts.append("</table>")
        if not self.passed and self.worst:
            parts.append(f"{table}<tr>{th('worst entry')}{th('numerical', 'right')}"
                         f"{th('analytic', 'right')}</tr>")
            for w in self.worst:
                parts.append(f"<tr>{td(esc(w.label), 'left')}{td(f'{w.numerical:.6e}')}"
                             f"{td(f'{w.analytic:.6e}')}</tr>")
            parts.append("</table>")
        if self.findings:
            parts.append("<ul>")
            parts.extend(f"<li><b>{esc(f.name)}</b>: {esc(f.message)}</li>"
                         for f in self.findings)
            parts.append("</ul>")
        parts.extend(f"<p>note: {esc(note)}</p>" for note in self.notes)
        parts.append("</div>")
        return "".join(parts)


def _worst_entries(numerical: np.ndarray, analytic: np.ndarray, indices: np.ndarray,
                   layout: ParamLayout, n_worst: int) -> list[WorstEntry]:
    diff = np.abs(analytic - numerical)
    order = np.argsort(-diff, kind="stable")[:n_worst]
    entries = []
    for j in order:
        if diff[j] == 0:
            break
        k = int(indices[j])
        name, pos = layout.block_of(k)
        entries.append(WorstEntry(k, name, pos, float(numerical[j]), float(analytic[j])))
    return entries


def probe(fun: Callable[[np.ndarray], Any], theta: np.ndarray, layout: ParamLayout
          ) -> dict[str, Any]:
    """Call ``fun`` twice on copies of theta: validate, and record mutation and randomness.

    The gradients are copied as soon as they are returned: a function that writes every
    gradient into one reused buffer would otherwise see its first gradient overwritten by the
    later calls of the check.
    """
    first = theta.copy()
    cost1, raw1 = split(call(fun, first, "fun", "fun(theta)"), "fun")
    cost1 = as_cost(cost1, "fun", "fun(theta)")
    grad1 = check_grad(raw1, theta.size, layout, "fun").copy()
    changed = first != theta
    second = theta.copy()
    cost2, raw2 = split(call(fun, second, "fun", "fun(theta), second call"), "fun")
    cost2 = as_cost(cost2, "fun", "fun(theta), second call")
    grad2 = check_grad(raw2, theta.size, layout, "fun").copy()
    return {
        "cost": cost1,
        "grad": grad1,
        "changed": changed,
        "max_change": float(np.max(np.abs(first - theta))) if changed.any() else 0.0,
        "cost2": cost2,
        "grad2": grad2,
        "reused_buffer": isinstance(raw1, np.ndarray) and isinstance(raw2, np.ndarray)
        and np.shares_memory(raw1, raw2),
    }


def _refine(cost: CostFunction, theta: np.ndarray, idx: np.ndarray, numerical: np.ndarray,
            analytic: np.ndarray, epsilon: float, tol: float, layout: ParamLayout, f0: Any,
            rng: np.random.Generator, float64: bool) -> dict[str, Any]:
    """Richardson-extrapolate the coordinates that decide a check the plain differences fail.

    Returns ``numerical`` (with the refined coordinates replaced), ``refined`` (their mask),
    ``step`` (of the Richardson estimate) and ``within_roundoff``: the remaining mismatch is
    within the measured round-off of a float64 cost at that step, so finite differences cannot
    tell this gradient from the true one. See the module docstring.
    """
    d = np.abs(numerical - analytic)
    target = tol * float(np.linalg.norm(numerical + analytic))
    order = np.argsort(-d, kind="stable")
    # rest[j] = norm of d over order[j:], the part left plain if the first j are refined
    rest = np.sqrt(np.cumsum((d[order] ** 2)[::-1])[::-1])
    needed = int(np.count_nonzero(rest > target / 2))
    out = numerical.copy()
    done, batch = 0, FIRST_BATCH
    while done < needed:
        sel = order[done:min(needed, done + batch)]
        out[sel] = richardson(cost, theta, idx[sel], epsilon, numerical[sel], layout)
        done += sel.size
        batch *= 2
        refined = order[:done]
        if np.linalg.norm(out[refined] - analytic[refined]) >= target:
            break  # these coordinates alone fail the check: the rest cannot save it
    step, within = epsilon, False
    refined = order[:done]
    scale = EPS64 * max(abs(float(f0)), 1.0)

    def refined_mismatch() -> float:
        return float(np.linalg.norm(out[refined] - analytic[refined]))

    if (float64 and float(np.linalg.norm(out - analytic)) >= target
            and refined_mismatch() <= FLOAT64_NOISE_UNITS * scale / epsilon * np.sqrt(done)):
        # Still failing, by a mismatch that float64 round-off might explain: measure the
        # cost's noise. Within the round-off of Richardson at this step (about noise / step
        # per coordinate), a step 10 times larger (and at least 1e-3), with that much less
        # round-off, decides (Richardson keeps its truncation at O(step^4)) if it agrees with
        # the estimate at epsilon to the latter's round-off.
        noise = max(estimate_cost_noise(cost, theta, rng), EPS64 * abs(float(f0)))
        if noise <= LOW_NOISE_UNITS * scale and \
                refined_mismatch() <= ROUNDOFF_SLACK * noise / epsilon * np.sqrt(done):
            larger = max(LARGER_STEP * epsilon, SMALLEST_LARGER_STEP)
            first, refined = order[:done], order[:needed]
            wide = finite_differences(cost, theta, idx[refined], larger, "central", layout)
            estimate = richardson(cost, theta, idx[refined], larger, wide, layout)
            resolution = ROUNDOFF_SLACK * noise / epsilon
            if (np.linalg.norm(estimate[:done] - out[first])
                    <= resolution * np.sqrt(done)):
                out[refined], step = estimate, larger
                # The larger step is vouched for by its agreement with half of it: their
                # difference bounds its truncation, noise / step its round-off. Only what
                # neither explains is left to decide, so a bug that shows at the larger step
                # fails even when epsilon itself was too small to see it.
                half_step = finite_differences(cost, theta, idx[refined], larger / 2, "central",
                                               layout)
                finer = richardson(cost, theta, idx[refined], larger / 2, half_step, layout)
                truncation = float(np.linalg.norm(finer - estimate))
                resolution = min(resolution, ROUNDOFF_SLACK * 2 * noise / larger
                                 + truncation / np.sqrt(needed))
            else:
                # The larger step disagrees with the estimate at epsilon beyond the latter's
                # round-off: its own truncation error shows. Stay at epsilon.
                rest = order[done:needed]
                if rest.size:
                    out[rest] = richardson(cost, theta, idx[rest], epsilon, numerical[rest],
                                           layout)
            # Still within the resolution of the estimate kept: no finite difference here can
            # decide.
            within = refined_mismatch() <= resolution * np.sqrt(needed)
    mask = np.zeros(idx.size, dtype=bool)
    mask[refined] = True
    return {"numerical": out, "refined": mask, "step": step, "within_roundoff": within}


def _refinement_note(report: GradientCheck) -> str:
    step = report._context["richardson_step"]
    larger = ("" if step == report.epsilon else
              f" at the larger step {step:g} (at epsilon the round-off of the cost left the "
              f"verdict open)")
    text = (f"UFLDL's plain central difference at epsilon={report.epsilon:g} gives relative "
            f"error {report.plain_relative_error:.1e}, above tol={report.tol:g}, so the "
            f"{report.n_refined} deciding coordinate(s) were re-estimated by Richardson "
            f"extrapolation, (4 n(h) - n(2 h)) / 3{larger}, accurate to O(h^4) instead of "
            f"O(h^2): relative error {report.relative_error:.1e}")
    if not report.passed:
        return text + "."
    if step == report.epsilon:
        return (text + ". The plain number missed tol only by the truncation error of central "
                "differences (epsilon^2/6 times third derivatives of the cost): the gradient "
                "is right.")
    if report.relative_error < report.tol:
        return (text + ". The plain number missed tol by the round-off of the cost divided by "
                "2*epsilon (epsilon too small, or a gradient small next to the cost's "
                "rounding): the gradient is right.")
    return (text + ". That is still above tol, but within the measured round-off of the cost "
            "divided by the step: here the gradient is so small next to the cost's rounding "
            "that no finite difference can resolve it to tol. The check passes because nothing "
            "it can measure contradicts the gradient; for a sharper test, check at another "
            "theta (less saturated units, more examples).")


def run_check(fun: Callable[[np.ndarray], Any], theta: ArrayLike, *,
              epsilon: float | None = None, blocks: ParamLayout | _Shapes | None = None,
              indices: int | ArrayLike | None = None, tol: float = 1e-9,
              method: str = "central", cost_only: Callable[[np.ndarray], Any] | None = None,
              lambda_: float | None = None, bias_blocks: Iterable[str] | None = None,
              order: str = "C", rng: np.random.Generator | int | None = None,
              n_worst: int = 5) -> GradientCheck:
    """The gradient check without the doctor (``findings`` stays empty).

    Takes the arguments of :func:`ufldl_helpers.gradcheck.check_gradient` (see there) except
    ``diagnose``. The report's ``_context`` carries what the doctor needs to probe further.
    """
    theta = check_theta(theta)
    method = check_choice(method, "method", METHODS)
    epsilon = resolve_epsilon(epsilon, method)
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
    idx = check_indices(indices, layout, rng)

    first = probe(fun, theta, layout)
    cost = CostFunction(fun, cost_only, copy_argument=bool(first["changed"].any()))
    if cost_only is not None:
        c = cost(theta.copy(), "cost_only(theta)")
        if not np.isclose(float(c), float(first["cost"]), rtol=1e-8, atol=0):
            raise ValueError(f"cost_only(theta) = {float(c)!r} but fun(theta)[0] = "
                             f"{float(first['cost'])!r}: they must compute the same cost")
    plain = finite_differences(cost, theta, idx, epsilon, method, layout, f0=first["cost"])
    analytic = first["grad"][idx].astype(np.float64)
    plain_err = relative_error(plain, analytic)
    refinement: dict[str, Any] = {"numerical": plain, "refined": np.zeros(idx.size, dtype=bool),
                  "step": epsilon, "within_roundoff": False}
    if method == "central" and not plain_err < tol:
        cost_dtype = np.asarray(first["cost"]).dtype
        float64 = (theta.dtype == first["grad"].dtype == np.float64
                   and (cost_dtype == np.float64 or cost_dtype.kind in "iu"))
        refinement = _refine(cost, theta, idx, plain, analytic, epsilon, tol, layout,
                             first["cost"], rng, float64)
    numerical, refined = refinement["numerical"], refinement["refined"]
    n_refined = int(refined.sum())

    block_errors = {}
    for name in layout.names:
        sl = layout.slices[name]
        mask = (idx >= sl.start) & (idx < sl.stop)
        if mask.any():
            block_errors[name] = relative_error(numerical[mask], analytic[mask])
    err = relative_error(numerical, analytic)
    report = GradientCheck(
        relative_error=err,
        passed=bool(err < tol or refinement["within_roundoff"]),
        numerical=numerical.astype(theta.dtype, copy=False),
        analytic=first["grad"][idx],
        indices=idx,
        block_errors=block_errors,
        worst=_worst_entries(numerical, analytic, idx, layout, n_worst),
        layout=layout,
        epsilon=float(epsilon),
        tol=float(tol),
        method=method,
        cost=first["cost"],
        plain_relative_error=plain_err,
        plain_numerical=plain.astype(theta.dtype, copy=False),
        n_refined=n_refined,
        _context={"fun": fun, "cost": cost, "theta": theta.copy(), "probe": first,
                  "lambda_": lambda_, "bias": bias, "rng": rng, "refined": refined,
                  "richardson_step": refinement["step"],
                  "within_roundoff": refinement["within_roundoff"]},
    )
    if report._refinement_shows():
        report.notes.append(_refinement_note(report))
    if first["reused_buffer"]:
        report.notes.append(
            "fun returns its gradient in the same array on every call (a reused buffer). The "
            "check copied each gradient as soon as it was returned, so its numbers are valid; "
            "code that keeps a gradient while calling fun again (an optimizer's previous "
            "gradient, say) must copy it too.")
    report._context["check_notes"] = list(report.notes)
    return report
