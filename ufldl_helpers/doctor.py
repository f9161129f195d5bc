"""The gradient doctor: name the kind of bug behind a failed gradient check.

A failed check says *that* backprop is wrong; the pattern of the mismatch usually says *how*.
:func:`examine` looks at a :class:`~ufldl_helpers.gradcheck_core.GradientCheck` block by block
and recognizes:

``low_precision``
    the noise measured in the cost (float32 arithmetic, even behind a float64 wrapper) or the
    precision of the gradient (float32, float16) keeps even a correct gradient from ``tol``.
    Mismatches within that noise are never given another name.
``mutates_theta``
    the function changed its argument in place.
``nondeterministic``
    two calls at the same theta disagree (dropout, random minibatch, unseeded generator).
``ignores_argument``
    the numerical gradient is exactly zero (everywhere, or in whole blocks) while the analytic
    one is not: the cost does not read those entries of theta.
``transposed``
    a matrix block holds the right numbers in the wrong places: unrolled in the other order
    (MATLAB's ``(:)`` is column-major) or transposed. A sampled check (``indices=``) is
    enough: the numerical gradient is taken at the transposed positions of the sample.
``scaled`` / ``sign_flipped``
    analytic = c x numerical with one constant c (1/m, the 1/2 of squared error, a factor 2;
    c = -1 for a flipped sign).
``missing_regularization`` / ``regularized_bias``
    the difference numerical - analytic is k times the block itself: a weight-decay term
    missing (weight block) or one that should not be there (bias block). The coefficient k is
    inferred from the fit; ``lambda_``, when given, confirms it.
``kink``
    the mismatching coordinates sit on a corner of the cost (ReLU or abs at 0), where the left
    and right slopes differ.
``localized``
    some blocks pass and others fail without one of the explanations above: the message says
    where to look (e.g. the hidden activation's derivative).

Every finding must be backed by a tight numerical fit, so that a correct gradient gets no
finding at all (tested over many seeds).

The doctor sits above the check: it imports :mod:`ufldl_helpers.gradcheck_core` and
:mod:`ufldl_helpers.finite_differences` (and its per-block fits from
:mod:`ufldl_helpers.doctor_signatures`), never :mod:`ufldl_helpers.gradcheck`, which runs it
from :func:`~ufldl_helpers.gradcheck.check_gradient` and
:func:`~ufldl_helpers.gradcheck.diagnose`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, cast

import numpy as np

from ufldl_helpers.doctor_signatures import (
    FIT_TOL,
    MIN_FIT_ENTRIES,
    kinks,
    ratio_spread,
    regularization,
    scale_findings,
    scale_fit,
    transposed,
)
from ufldl_helpers.finite_differences import (
    estimate_cost_noise,
    relative_error,
    richardson,
)
from ufldl_helpers.gradcheck_core import LOW_NOISE_UNITS, Finding, GradientCheck

__all__ = ["examine"]

# A mismatch within this many times its expected round-off is round-off, not a bug.
ROUNDOFF_FACTOR = 20
# A block fails beyond the noise when its mismatch exceeds this many times the expected one.
NOISE_MARGIN = 10
# Richardson must have cut a block's error by this factor for the rest to count as truncation.
TRUNCATION_GAIN = 10

EPS64 = float(np.finfo(np.float64).eps)


def examine(report: GradientCheck) -> tuple[list[Finding], list[str]]:
    """Diagnose a gradient check.

    Parameters
    ----------
    report : GradientCheck
        Made by :func:`~ufldl_helpers.gradcheck.check_gradient` (it carries the function and
        theta, which some probes call again).

    Returns
    -------
    findings : list of Finding
    notes : list of str
        Observations that are not findings, e.g. a varying ratio analytic/numerical.
    """
    ctx = report._context
    theta, probe = ctx["theta"], ctx["probe"]
    findings: list[Finding] = []
    notes: list[str] = []
    findings += _mutates_theta(report, probe)
    nondet = _nondeterministic(probe)
    findings += nondet
    if report.passed:
        return findings, notes
    if nondet:
        notes.append("the numerical gradient of a nondeterministic cost is meaningless: make "
                     "the cost deterministic before reading the rest of this report")
        return findings, notes

    precision = _precision(report, theta, probe)
    blocks = _block_data(report, theta, precision)
    low = _low_precision(report, precision, blocks)
    findings[:0] = low
    if low:
        # Mismatches within the noise are no evidence of anything: judge only what exceeds it.
        failing = [b for b in blocks.values() if b["beyond_noise"]]
        fit_tol = max(FIT_TOL, min(0.05, NOISE_MARGIN * precision["relative"]))
    else:
        failing = [b for b in blocks.values() if not b["error"] < report.tol]
        fit_tol = FIT_TOL
    failing_names = {b["name"] for b in failing}
    passing = [b for b in blocks.values() if b["name"] not in failing_names]
    if not low and report.method == "central":
        # Too small an epsilon: round-off noise could pass for a (tiny) constant factor.
        roundoff = [b["name"] for b in failing if not b["beyond_roundoff"]]
        if roundoff:
            failing = [b for b in failing if b["name"] not in roundoff]
            passing += [blocks[name] for name in roundoff]
            notes.append(
                f"{_names_verb(roundoff, 'misses', 'miss')} the tolerance by no more than the "
                f"round-off of the cost: J(theta +- epsilon) carry noise of about "
                f"{precision['noise']:.0e}, and the central difference divides that by "
                f"2*epsilon = {2 * report.epsilon:g}. epsilon is too small to judge this "
                f"gradient: use a larger one (UFLDL's 1e-4, or the bottom of epsilon_sweep's V).")
        truncation = _truncation_only(report, failing)
        if truncation:
            failing = [b for b in failing if b["name"] not in truncation]
            passing += [blocks[name] for name in truncation]
            worst = max(truncation.values())
            # What Richardson leaves shrinks as epsilon**4: a power of 10 that brings it below.
            smaller = 10.0 ** np.floor(np.log10(report.epsilon * (report.tol / worst) ** 0.25))
            notes.append(
                f"{_names_verb(truncation, 'misses', 'miss')} the tolerance only by the "
                f"truncation error of finite differences at epsilon={report.epsilon:g}: "
                f"Richardson extrapolation cut the error from "
                f"{report.plain_relative_error:.1e} to {worst:.1e} and what is left shrinks "
                f"as epsilon^4. The gradient is right; epsilon={smaller:g} would pass.")
    if not failing:
        return findings, notes

    found, explained = _ignores_argument(report, failing)
    findings += found
    if found and len(explained) == len(failing) and not passing:
        return findings, notes

    kink, kink_explained = kinks(report, [b for b in failing if b["name"] not in explained],
                                  theta, precision["noise"])
    findings += kink
    explained |= kink_explained

    per_block: list[Finding] = []
    scale_fits: dict[str, float] = {}
    for b in failing:
        if b["name"] in explained:
            continue
        c = scale_fit(b, fit_tol)
        finding = (transposed(b, report, theta, fit_tol)
                   or regularization(b, ctx["lambda_"], ctx["bias"], fit_tol, c is not None))
        if finding is None:
            if c is not None:
                scale_fits[b["name"]] = c
                explained.add(b["name"])
            continue
        per_block.append(finding)
        explained.add(b["name"])
    findings += per_block
    # Blocks too small for a fit of their own join a constant found elsewhere if they agree.
    for b in failing:
        if b["name"] not in explained and b["n"].size < MIN_FIT_ENTRIES and np.any(b["n"]):
            for c in dict.fromkeys(scale_fits.values()):
                if relative_error(c * b["n"], b["a"]) < fit_tol:
                    scale_fits[b["name"]] = c
                    explained.add(b["name"])
                    break
    findings += scale_findings(scale_fits, blocks)

    unexplained = [b for b in failing if b["name"] not in explained]

    if unexplained and passing:
        findings.append(_localized(unexplained, passing))
    for b in unexplained:
        spread = ratio_spread(b)
        if spread is not None and spread[2] - spread[0] > 1e-3 * abs(spread[1]):
            lo, med, hi = spread
            notes.append(f"{b['name']}: the ratio analytic/numerical varies from {lo:.3g} to "
                         f"{hi:.3g} (median {med:.3g}), so the mismatch is not a constant "
                         "factor")
    return findings, notes


# --------------------------------------------------------------------------------------------
# Precision


def _precision(report: GradientCheck, theta: np.ndarray, probe: dict[str, Any]
               ) -> dict[str, Any]:
    """The noise actually present: in the cost (measured), in theta's steps, in the gradient.

    Returns the cost's noise (standard deviation, at least float64 round-off of |J|), the
    gradient's unit round-off (from its dtype), and per-coordinate expected absolute errors of
    ``numerical - analytic`` that are round-off alone.
    """
    f0 = abs(float(report.cost))
    measured = 0.0
    if report.method != "complex":
        measured = estimate_cost_noise(report._context["cost"], theta, report._context["rng"])
    # A cost returned in float32 (or float16) is at least rounded to that dtype once.
    cost_dtype = np.asarray(report.cost).dtype
    cost_unit = float(np.finfo(cost_dtype).eps) if cost_dtype.kind == "f" else EPS64
    measured = max(measured, cost_unit * f0 / 4 if cost_unit > EPS64 else 0.0)
    noise = max(measured, EPS64 * f0)
    grad_unit = float(np.finfo(probe["grad"].dtype).eps) if probe["grad"].dtype.kind == "f" \
        else EPS64
    theta_unit = float(np.finfo(theta.dtype).eps)
    n = report.numerical.astype(np.float64)
    a = report.analytic.astype(np.float64)
    if report.method == "complex":
        fd = np.zeros_like(n)
    else:
        # central: two noisy values over 2 eps; a rounded step theta_k +- eps adds its share.
        fd = (noise / report.epsilon
              + theta_unit * np.abs(theta[report.indices]) / report.epsilon * np.abs(n))
    expected = np.hypot(fd, grad_unit * np.abs(a))
    total = float(np.linalg.norm(n + a))
    return {
        "noise": noise,
        "measured_noise": measured,
        "relative_noise": measured / f0 if f0 else measured,
        "grad_unit": grad_unit,
        "expected": expected,
        "relative": float(np.linalg.norm(expected)) / total if total else np.inf,
        "cost_low": measured > LOW_NOISE_UNITS * EPS64 * max(f0, 1.0),
        "grad_low": grad_unit > 1e3 * EPS64,
    }


def _low_precision(report: GradientCheck, precision: dict[str, Any],
                   blocks: dict[str, dict[str, Any]]) -> list[Finding]:
    """Name low precision when it alone can make a correct gradient miss tol."""
    if report.method == "complex" or not (precision["cost_low"] or precision["grad_low"]):
        return []
    if not NOISE_MARGIN * precision["relative"] > report.tol:
        return []
    parts = []
    if precision["cost_low"]:
        parts.append(f"the cost carries noise of about {precision['relative_noise']:.0e} of "
                     f"its value (measured; float32 arithmetic gives 1e-8 to 1e-7, float64 "
                     f"1e-16), which the central difference divides by 2*epsilon = "
                     f"{2 * report.epsilon:g}")
    if precision["grad_low"]:
        dtype = report._context["probe"]["grad"].dtype
        parts.append(f"the gradient is {dtype} (relative precision "
                     f"{precision['grad_unit']:.0e})")
    beyond = [b["name"] for b in blocks.values() if b["beyond_noise"]]
    tail = (f"; the mismatch in {', '.join(beyond)} exceeds that noise and is examined below"
            if beyond else "; the whole mismatch is within that noise")
    return [Finding(
        "low_precision",
        f"{'; '.join(parts)}: even a correct gradient would show a relative error near "
        f"{precision['relative']:.0e}, so tol={report.tol:g} cannot be reached{tail}. Check in "
        "float64: cast theta and the data to float64 (astype(np.float64)) and compute the cost "
        "and gradient in float64.",
        {"cost_noise": precision["measured_noise"], "relative_noise": precision["relative_noise"],
         "gradient_precision": precision["grad_unit"], "epsilon": report.epsilon,
         "expected_error": precision["relative"], "relative_error": report.relative_error},
    )]


def _mutates_theta(report: GradientCheck, probe: dict[str, Any]) -> list[Finding]:
    changed = probe["changed"]
    if not changed.any():
        return []
    first = report.layout.label(int(np.flatnonzero(changed)[0]))
    return [Finding(
        "mutates_theta",
        f"fun changed its argument theta in place ({int(changed.sum())} entries, first "
        f"{first}): an optimizer would see its parameters change behind its back. Work on a "
        "copy (theta = theta.copy()) or avoid in-place updates such as W -= ... on views of "
        "theta. The check itself passed copies, so its numbers are still valid.",
        {"n_changed": int(changed.sum()), "max_change": probe["max_change"]},
    )]


def _nondeterministic(probe: dict[str, Any]) -> list[Finding]:
    c1, c2 = float(probe["cost"]), float(probe["cost2"])
    g1, g2 = probe["grad"].astype(np.float64), probe["grad2"].astype(np.float64)
    cost_diff = abs(c1 - c2)
    grad_diff = float(np.max(np.abs(g1 - g2))) if g1.size else 0.0
    # Same input, same code: only true randomness (or threading races) changes the result.
    cost_scale = max(abs(c1), np.finfo(np.float64).tiny)
    grad_scale = max(float(np.max(np.abs(g1))) if g1.size else 0.0, np.finfo(np.float64).tiny)
    if cost_diff <= 1e-12 * cost_scale and grad_diff <= 1e-12 * grad_scale:
        return []
    return [Finding(
        "nondeterministic",
        f"two calls of fun at the same theta gave different results (costs {c1:.10g} and "
        f"{c2:.10g}): the cost uses randomness (dropout, a random minibatch, an unseeded "
        "generator). Fix the random seed or the sample inside fun while checking gradients.",
        {"cost_difference": cost_diff, "grad_max_difference": grad_diff},
    )]


# --------------------------------------------------------------------------------------------
# Per-block findings


def _block_data(report: GradientCheck, theta: np.ndarray, precision: dict[str, Any]
                ) -> dict[str, dict[str, Any]]:
    layout, idx = report.layout, report.indices
    n_all = report.numerical.astype(np.float64)
    a_all = report.analytic.astype(np.float64)
    # run_check always sets plain_numerical; None is only the dataclass's default.
    plain_all = cast(np.ndarray, report.plain_numerical).astype(np.float64)
    out = {}
    for name, error in report.block_errors.items():
        sl = layout.slices[name]
        mask = (idx >= sl.start) & (idx < sl.stop)
        mismatch = float(np.linalg.norm(n_all[mask] - a_all[mask]))
        expected = float(np.linalg.norm(precision["expected"][mask]))
        out[name] = {
            "name": name,
            "error": error,
            "n": n_all[mask],
            "a": a_all[mask],
            "plain": plain_all[mask],
            "p": theta[idx[mask]].astype(np.float64),
            "indices": idx[mask],
            "refined": report._context["refined"][mask],
            "full": int(mask.sum()) == sl.stop - sl.start,
            "shape": layout.shapes[name],
            "beyond_noise": mismatch > NOISE_MARGIN * expected,
            "beyond_roundoff": mismatch > ROUNDOFF_FACTOR * expected,
        }
    return out


def _names_verb(names: Collection[str], singular: str, plural: str) -> str:
    return f"{', '.join(names)} {singular if len(names) == 1 else plural}"


def _truncation_only(report: GradientCheck, failing: list[dict[str, Any]]) -> dict[str, float]:
    """Blocks whose mismatch Richardson extrapolation removes: truncation error, not a bug.

    The check refines only until its verdict is decided; here every coordinate of a failing
    block with a small error (below 1e-6, scaled by ``(epsilon / 1e-4)**2``: larger errors are
    implausible as truncation) gets the extrapolated estimate. A block counts as truncation
    when that estimate cuts its error below ``tol`` or by ``TRUNCATION_GAIN``.
    """
    out = {}
    suspect = 1e-6 * max(1.0, (report.epsilon / 1e-4) ** 2)
    ctx = report._context
    for b in failing:
        plain_error = relative_error(b["plain"], b["a"])
        if not plain_error < suspect:
            continue
        n = b["n"].copy()
        todo = ~b["refined"]
        if todo.any():
            n[todo] = richardson(ctx["cost"], ctx["theta"], b["indices"][todo],
                                  report.epsilon, b["plain"][todo], report.layout)
        err = relative_error(n, b["a"])
        if err < report.tol or TRUNCATION_GAIN * err < plain_error:
            out[b["name"]] = err
    return out


def _ignores_argument(report: GradientCheck, failing: list[dict[str, Any]]
                      ) -> tuple[list[Finding], set[str]]:
    zero = [b for b in failing if not np.any(b["n"]) and np.any(b["a"])]
    if not zero:
        return [], set()
    names = tuple(b["name"] for b in zero)
    norm_a = float(np.sqrt(sum(np.sum(b["a"] ** 2) for b in zero)))
    evidence = {"max_abs_numerical": 0.0, "norm_analytic": norm_a, "n_blocks": len(zero)}
    if not np.any(report.numerical):
        message = ("the cost does not change at all when theta changes (the numerical gradient "
                   "is exactly 0) while the analytic gradient is not 0: fun ignores its "
                   "argument, typically a closure over a fixed theta such as "
                   "lambda x: cost(theta, data) instead of lambda x: cost(x, data).")
        names = ()
    else:
        which = ", ".join(names)
        message = (f"the cost does not change when {which} change (numerical gradient exactly "
                   "0 there) but the analytic gradient is not 0: fun reads these parameters "
                   "from somewhere other than its argument (a global, an outer variable, a "
                   "stale copy).")
    return [Finding("ignores_argument", message, evidence, names)], {b["name"] for b in zero}


# --------------------------------------------------------------------------------------------
# Localized


def _layer(name: str) -> int | None:
    m = re.search(r"(\d+)$", name)
    return int(m.group(1)) if m else None


def _localized(unexplained: list[dict[str, Any]], passing: list[dict[str, Any]]) -> Finding:
    bad = [b["name"] for b in unexplained]
    good = [b["name"] for b in passing]
    bad_layers = {_layer(n) for n in bad}
    good_layers = {_layer(n) for n in good}
    # The layer numbers, when every block has one (the same sets then).
    numbered = None not in bad_layers | good_layers
    bad_nums = {n for n in bad_layers if n is not None}
    good_nums = {n for n in good_layers if n is not None}
    biases = {n for n in bad + good if n.startswith("b")}
    if set(bad) <= biases:
        hint = ("only bias gradients are wrong: b_l's gradient is delta_{l+1} summed over the "
                "examples (axis=1) and divided by m, like the weights' (b1 from delta2)")
    elif not (set(bad) & biases) and (bad_layers & good_layers) and None not in bad_layers:
        hint = ("the weight gradients are wrong while the biases of the same layers are right, "
                "so delta is right: look at W_l's gradient delta_{l+1} @ a_l.T / m (the "
                "previous layer's activations, the transpose, the 1/m)")
    elif numbered and max(bad_nums) < min(good_nums):
        hint = ("the later layers are right and the earlier ones wrong, so the error is in the "
                "backward step delta_l = (W_l.T @ delta_{l+1}) * f'(z_l) (delta2 from "
                "delta3): most often the hidden activation's derivative (f(z) instead of "
                "f'(z), or f' applied to a instead of z), or a term that enters the hidden "
                "delta only, such as the sparsity penalty")
    elif numbered and min(bad_nums) > max(good_nums):
        hint = ("the earlier layers are right but the last ones wrong: look at terms that only "
                "the last layers have, such as their weight decay or an output-only constant")
    else:
        hint = "compare the formulas for these blocks with their derivation, term by term"
    evidence = {f"error_{b['name']}": b["error"] for b in unexplained + passing}
    return Finding(
        "localized",
        f"the mismatch sits in {', '.join(bad)} while {', '.join(good)} "
        f"{'is' if len(good) == 1 else 'are'} right: {hint}.",
        evidence,
        tuple(bad),
    )
