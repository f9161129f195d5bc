"""The gradient doctor: name the kind of bug behind a failed gradient check.

A failed check says *that* backprop is wrong; the pattern of the mismatch usually says *how*.
:func:`examine` looks at a :class:`~ufldl_helpers.gradcheck.GradientCheck` block by block and
recognizes:

``low_precision``
    theta, the cost or the gradient is float32: finite differences cannot reach 1e-9.
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
    the difference is a multiple of lambda*W (weight block) or lambda*b (bias block).
``kink``
    the mismatching coordinates sit on a corner of the cost (ReLU or abs at 0), where the left
    and right slopes differ.
``localized``
    some blocks pass and others fail without one of the explanations above: the message says
    where to look (e.g. the hidden activation's derivative).

Every finding must be backed by a tight numerical fit, so that a correct gradient gets no
finding at all (tested over many seeds).

This module is used through :func:`ufldl_helpers.gradcheck.check_gradient` and
:func:`ufldl_helpers.gradcheck.diagnose`.
"""

from __future__ import annotations

import re

import numpy as np

from ufldl_helpers.gradcheck import Finding, GradientCheck, _finite_differences, relative_error

__all__ = ["examine"]

# Relative residual below which "analytic = transform(numerical)" counts as an exact fit in
# float64. A correct central difference is good to ~1e-10; a real bug leaves residuals ~1.
FIT_TOL = 1e-6
# Regularization is tested on the *difference* n - a, which can be small next to n, so its
# residual is noisier; the coefficient must then also match lambda to 1e-3.
REG_RESIDUAL_TOL = 1e-3
REG_RATIOS = (1.0, 0.5, 2.0, -1.0, -0.5, -2.0)
MAX_KINK_PROBES = 10
# A one-parameter fit through a single entry always "fits": demand at least this many entries.
MIN_FIT_ENTRIES = 2
# A block error below this may be the truncation error of central differences at eps = 1e-4;
# above it the formula's error is implausible and no extra evaluations are spent on it. The
# truncation error grows as eps**2, so the threshold does too for larger steps.
TRUNCATION_SUSPECT = 1e-6
# A sampled matrix block is tested for transposition against the numerical gradient at the
# partners of at most this many of its entries (2 cost evaluations each, central differences).
MAX_PARTNER_PROBES = 50
# Rounding J(theta +- eps) costs about eps_machine * |J| each; a central difference divides the
# difference by 2 eps. A mismatch within this many times eps_machine * |J| / eps per entry is
# round-off, not a bug.
ROUNDOFF_FACTOR = 20


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
    low = _low_precision(report, theta, probe)
    findings += low
    findings += _mutates_theta(report, probe)
    nondet = _nondeterministic(probe)
    findings += nondet
    if report.passed:
        return findings, notes
    if nondet:
        notes.append("the numerical gradient of a nondeterministic cost is meaningless: make "
                     "the cost deterministic before reading the rest of this report")
        return findings, notes

    # float32 differences are only good to ~1e-3, so judge blocks and fits at that level.
    block_tol = max(report.tol, 1e-2) if low else report.tol
    fit_tol = max(FIT_TOL, min(0.05, 100 * block_tol)) if low else FIT_TOL
    blocks = _block_data(report, theta)
    failing = [b for b in blocks.values() if not b["error"] < block_tol]
    passing = [b for b in blocks.values() if b["error"] < block_tol]
    if not low and report.method == "central":
        # Too small an epsilon first: otherwise round-off noise can pass for a (tiny) constant
        # factor in a block, or for truncation error with the advice to shrink epsilon further.
        roundoff = _roundoff_only(report, failing)
        if roundoff:
            failing = [b for b in failing if b["name"] not in roundoff]
            passing += [blocks[name] for name in roundoff]
            notes.append(
                f"{_names_verb(roundoff, 'misses', 'miss')} the tolerance by no more than the "
                f"round-off of the cost: J(theta +- epsilon) are rounded to about "
                f"{np.finfo(np.float64).eps * abs(float(report.cost)):.0e}, and the central "
                f"difference divides that by 2*epsilon = {2 * report.epsilon:g}. epsilon is too "
                f"small to judge this gradient: use a larger one (UFLDL's 1e-4, or the bottom "
                f"of epsilon_sweep's V).")
        truncation = _truncation_only(report, failing, theta, block_tol)
        if truncation:
            failing = [b for b in failing if b["name"] not in truncation]
            passing += [blocks[name] for name in truncation]
            worst = max(blocks[name]["error"] for name in truncation)
            # The truncation error shrinks as epsilon**2: a power of 10 that brings it below tol.
            smaller = 10.0 ** np.floor(np.log10(report.epsilon * np.sqrt(block_tol / worst)))
            notes.append(
                f"{_names_verb(truncation, 'misses', 'miss')} the tolerance only by the "
                f"truncation error of central differences at epsilon={report.epsilon:g}: the "
                f"Richardson-extrapolated numerical gradient agrees to "
                f"{max(truncation.values()):.1e}. The gradient is right; epsilon={smaller:g} "
                f"(the error shrinks as epsilon^2) or a slightly looser tol would pass.")
    if not failing:
        return findings, notes

    found, explained = _ignores_argument(report, failing)
    findings += found
    if found and len(explained) == len(failing) and not passing:
        return findings, notes

    kink, kink_explained = _kinks(report, [b for b in failing if b["name"] not in explained],
                                  theta)
    findings += kink
    explained |= kink_explained

    per_block: list[Finding] = []
    scale_fits: dict[str, float] = {}
    for b in failing:
        if b["name"] in explained:
            continue
        finding = (_transposed(b, report, theta, fit_tol)
                   or _regularization(b, ctx["lambda_"], ctx["bias"]))
        if finding is None:
            c = _scale_fit(b, fit_tol)
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
    findings += _scale_findings(scale_fits, blocks)

    unexplained = [b for b in failing if b["name"] not in explained]

    if unexplained and passing:
        findings.append(_localized(unexplained, passing))
    for b in unexplained:
        spread = _ratio_spread(b)
        if spread is not None and spread[2] - spread[0] > 1e-3 * abs(spread[1]):
            lo, med, hi = spread
            notes.append(f"{b['name']}: the ratio analytic/numerical varies from {lo:.3g} to "
                         f"{hi:.3g} (median {med:.3g}), so the mismatch is not a constant "
                         "factor")
    return findings, notes


# --------------------------------------------------------------------------------------------
# Whole-function findings


def _low_precision(report, theta, probe) -> list[Finding]:
    parts = []
    if theta.dtype == np.float32:
        parts.append("theta")
    if np.asarray(probe["cost"]).dtype == np.float32:
        parts.append("the cost")
    if np.asarray(probe["grad"]).dtype == np.float32:
        parts.append("the gradient")
    if not parts or report.method == "complex":
        return []
    eps32 = float(np.finfo(np.float32).eps)
    expected = eps32 / report.epsilon
    what = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return [Finding(
        "low_precision",
        f"{what} {'is' if len(parts) == 1 else 'are'} float32 (about 7 significant digits): "
        f"with epsilon={report.epsilon:g} the finite differences carry round-off errors near "
        f"{expected:.0e}, so even a correct gradient cannot reach tol={report.tol:g}; "
        "cast theta and the data to float64 for the check (astype(np.float64)).",
        {"machine_epsilon": eps32, "epsilon": report.epsilon, "expected_error": expected,
         "relative_error": report.relative_error},
    )]


def _mutates_theta(report, probe) -> list[Finding]:
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


def _nondeterministic(probe) -> list[Finding]:
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


def _block_data(report, theta) -> dict[str, dict]:
    layout, idx = report.layout, report.indices
    n_all = report.numerical.astype(np.float64)
    a_all = report.analytic.astype(np.float64)
    out = {}
    for name, error in report.block_errors.items():
        sl = layout.slices[name]
        mask = (idx >= sl.start) & (idx < sl.stop)
        out[name] = {
            "name": name,
            "error": error,
            "n": n_all[mask],
            "a": a_all[mask],
            "p": theta[idx[mask]].astype(np.float64),
            "indices": idx[mask],
            "full": int(mask.sum()) == sl.stop - sl.start,
            "shape": layout.shapes[name],
        }
    return out


def _names_verb(names, singular: str, plural: str) -> str:
    return f"{', '.join(names)} {singular if len(names) == 1 else plural}"


def _roundoff_only(report, failing) -> list[str]:
    """Blocks whose mismatch is within the round-off of the central differences themselves."""
    per_entry = (ROUNDOFF_FACTOR * np.finfo(np.float64).eps * abs(float(report.cost))
                 / report.epsilon)
    return [b["name"] for b in failing
            if np.linalg.norm(b["n"] - b["a"]) <= per_entry * np.sqrt(b["n"].size)]


def _truncation_only(report, failing, theta, block_tol) -> dict[str, float]:
    """Blocks whose small mismatch vanishes under Richardson extrapolation.

    Central differences err by ``eps**2 / 6`` times the third derivative (1e-9 relative is
    common at eps = 1e-4); ``(4 n(eps/2) - n(eps)) / 3`` cancels that term. If the extrapolated
    numbers match the analytic gradient, the "failure" is the finite-difference formula, not
    the gradient.
    """
    out = {}
    suspect = TRUNCATION_SUSPECT * max(1.0, (report.epsilon / 1e-4) ** 2)
    for b in failing:
        if not b["error"] < suspect:
            continue
        half = _finite_differences(report._context["cost"], theta, b["indices"],
                                   report.epsilon / 2, "central", report.layout)
        extrapolated = (4 * half - b["n"]) / 3
        err = relative_error(extrapolated, b["a"])
        # What is left must be round-off: about eps_machine * |J| / h per entry.
        roundoff = 20 * np.finfo(np.float64).eps * abs(float(report.cost)) / (report.epsilon / 2)
        residual = float(np.linalg.norm(extrapolated - b["a"]))
        if err < max(block_tol, b["error"] / 20) or residual <= roundoff * np.sqrt(b["n"].size):
            out[b["name"]] = err
    return out


def _ignores_argument(report, failing) -> tuple[list[Finding], set[str]]:
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


def _transposed(b, report, theta, fit_tol) -> Finding | None:
    """Does the block's analytic gradient equal the numerical one transposed?

    Transposing and unrolling in the other order are one test: ``N.ravel("F") ==
    N.T.ravel("C")``. So analytic entry k must equal the numerical entry at its *partner*, the
    position that k takes in the other unrolling order. A whole block has every partner at hand;
    a sampled block gets the numerical gradient at up to ``MAX_PARTNER_PROBES`` missing
    partners (those of its worst-matching entries), so the test costs at most that many extra
    coordinates per failing matrix block, and nothing for a block checked whole.
    """
    shape = b["shape"]
    if not (len(shape) == 2 and min(shape) > 1):
        return None
    layout = report.layout
    other = "F" if layout.order == "C" else "C"
    size = shape[0] * shape[1]
    start = layout.slices[b["name"]].start
    local = b["indices"] - start
    partner = np.arange(size).reshape(shape, order=layout.order).ravel(order=other)[local]
    known = np.full(size, np.nan)
    known[local] = b["n"]
    use = ~np.isnan(known[partner])  # diagonal entries and partners checked anyway
    missing = np.flatnonzero(~use)
    n_extra = 0
    if missing.size:
        worst = np.argsort(-np.abs(b["a"][missing] - b["n"][missing]), kind="stable")
        probe = missing[worst[:MAX_PARTNER_PROBES]]
        known[partner[probe]] = _finite_differences(
            report._context["cost"], theta, start + partner[probe], report.epsilon,
            report.method, layout, f0=report.cost)
        use[probe] = True
        n_extra = probe.size
    moved = use & (partner != local)
    if np.count_nonzero(moved) < MIN_FIT_ENTRIES:
        return None
    a = b["a"][use]
    err = relative_error(known[partner[use]], a)
    # The reordering must explain the mismatch, not merely stay within fit_tol of a nearly
    # right gradient (a symmetric gradient with a small bug is the same in both orders).
    as_is = relative_error(b["n"][use], a)
    if not (err < fit_tol and err < 1e-2 * as_is):
        return None
    name = b["name"]
    where = ("" if b["full"] else
             f" (at the {int(use.sum())} sampled entries tested against their transposed "
             f"positions)")
    return Finding(
        "transposed",
        f"the analytic gradient of {name} {shape} holds the right numbers in the wrong places: "
        f"it equals the numerical gradient unrolled in the other order, i.e. transposed"
        f"{where}. This is the MATLAB (:) trap (column-major) or a {name}grad.T: unroll the "
        f"gradient exactly like theta (order={layout.order!r}) and give {name}grad the shape "
        f"of {name}.",
        {"error_as_is": b["error"], "error_reordered": err, "n_tested": int(use.sum()),
         "extra_coordinates": n_extra},
        (name,),
    )


def _regularization(b, lambda_, bias) -> Finding | None:
    if not lambda_:
        return None
    d, p = b["n"] - b["a"], b["p"]
    pp = float(p @ p)
    if np.count_nonzero(p) < MIN_FIT_ENTRIES:
        return None
    k = float(d @ p) / pp
    resid = float(np.linalg.norm(d - k * p) / np.linalg.norm(d))
    ratio = k / lambda_
    match = next((r for r in REG_RATIOS if abs(ratio - r) < 1e-3 * abs(r)), None)
    if not (resid < REG_RESIDUAL_TOL and match is not None):
        return None
    name = b["name"]
    evidence = {"lambda_": float(lambda_), "coefficient": k, "ratio_to_lambda": ratio,
                "residual": resid}
    if name in bias:
        if match > 0:
            message = (f"the cost applies weight decay to the bias {name} (the numerical "
                       f"gradient contains {_times(match)}lambda*{name}) but biases are never "
                       f"decayed: sum only the weight matrices in the decay term.")
        else:
            message = (f"the gradient of the bias {name} includes weight decay "
                       f"({_times(-match)}lambda*{name}) but biases are never decayed: drop the "
                       f"lambda term from the {name} gradient.")
        return Finding("regularized_bias", message, evidence, (name,))
    if match == 1.0:
        message = (f"the gradient of {name} lacks the weight-decay term lambda*{name}, the "
                   f"derivative of (lambda/2)*||{name}||^2 in the cost.")
    elif match == 0.5:
        message = (f"the gradient of {name} has only half the weight-decay term: the derivative "
                   f"of (lambda/2)*||{name}||^2 is lambda*{name}, not (lambda/2)*{name}.")
    elif match == -1.0:
        message = (f"the gradient of {name} has lambda*{name} more weight decay than the cost: "
                   f"either the cost lacks (lambda/2)*||{name}||^2 or the gradient adds "
                   f"lambda*{name} twice.")
    else:
        message = (f"the weight-decay terms of cost and gradient disagree for {name}: they "
                   f"differ by {match:g}*lambda*{name}; the cost's (lambda/2)*||{name}||^2 has "
                   f"the gradient lambda*{name}.")
    return Finding("missing_regularization", message, evidence, (name,))


def _times(r: float) -> str:
    return "" if r == 1 else f"{r:g}*"


def _scale_fit(b, fit_tol) -> float | None:
    n, a = b["n"], b["a"]
    nn = float(n @ n)
    if np.count_nonzero(n) < MIN_FIT_ENTRIES or not np.any(a):
        return None
    c = float(a @ n) / nn
    resid = float(np.linalg.norm(a - c * n) / np.linalg.norm(a))
    if resid < fit_tol and abs(c - 1) > fit_tol:
        return c
    return None


def _scale_hint(c: float) -> str:
    mag = abs(c)
    near = round(mag)
    inv = round(1 / mag) if mag > 0 else 0
    if near >= 2 and abs(mag - near) < 1e-6 * mag:
        if near == 2:
            hint = ("twice the true gradient: a factor 2 too many, e.g. from differentiating "
                    "(1/2)||h - y||^2 into 2(h - y), or a term counted twice")
        else:
            hint = (f"{near} times the true gradient: if {near} is your number of examples m, "
                    "the gradient is missing the 1/m average (or the cost divides by m twice)")
    elif inv >= 2 and abs(1 / mag - inv) < 1e-6 / mag:
        if inv == 2:
            hint = ("half the true gradient: a factor 1/2 too many, e.g. the 1/2 of squared "
                    "error applied to the gradient again, or a factor 2 missing")
        else:
            hint = (f"1/{inv} of the true gradient: if {inv} is your number of examples m, the "
                    "gradient divides by m twice (or the cost forgets to)")
    else:
        hint = ("off by a constant factor: look for a missing or extra 1/m, the 1/2 of "
                "squared error, a factor 2, or a constant such as a learning rate")
    if c < 0:
        hint += ", and its sign is flipped"
    return hint


def _scale_findings(fits: dict[str, float], blocks: dict) -> list[Finding]:
    """Group blocks that share one constant c into a single finding."""
    groups: list[tuple[float, list[str]]] = []
    for name, c in fits.items():
        for group in groups:
            if abs(group[0] - c) <= 1e-6 * abs(c):
                group[1].append(name)
                break
        else:
            groups.append((c, [name]))
    findings = []
    for c, names in groups:
        which = "the whole gradient" if len(names) == len(blocks) else ", ".join(names)
        if len(names) == 1 and len(blocks) == 1:
            which = "the gradient"
        evidence = {"c": c, "n_blocks": len(names)}
        if abs(c + 1) < FIT_TOL:
            findings.append(Finding(
                "sign_flipped",
                f"{which} has the wrong sign: analytic = -1 x numerical. Look for a flipped "
                "difference (y - h instead of h - y) or a gradient of -J (ascent instead of "
                "descent).",
                evidence, tuple(names)))
        else:
            findings.append(Finding(
                "scaled",
                f"{which} is analytic = c x numerical with c = {c:.6g}: {_scale_hint(c)}.",
                evidence, tuple(names)))
    return findings


def _ratio_spread(b):
    n, a = b["n"], b["a"]
    if not np.any(n):
        return None
    keep = np.abs(n) > 1e-3 * np.max(np.abs(n))
    r = a[keep] / n[keep]
    return float(r.min()), float(np.median(r)), float(r.max())


# --------------------------------------------------------------------------------------------
# Kinks


def _kinks(report, failing, theta) -> tuple[list[Finding], set[str]]:
    """Probe the worst coordinates of each failing block for a corner in the cost.

    At a smooth point the second difference ``(J(x+h) - 2J(x) + J(x-h)) / h`` shrinks in
    proportion to h; at a corner it stays near the jump of the slope. Comparing h and h/10
    separates the two. A block whose worst coordinates are mostly corners is explained by them.
    """
    if not failing:
        return [], set()
    cost = report._context["cost"]
    h = report.epsilon if report.method != "complex" else 1e-4
    x = theta.copy()
    f0 = float(cost(x.copy(), "theta (kink probe)"))
    dtype_eps = float(np.finfo(theta.dtype).eps)
    kinks, explained, n_probed = [], set(), 0
    for b in failing:
        diff = np.abs(b["n"] - b["a"])
        order = np.argsort(-diff, kind="stable")
        order = order[diff[order] >= 0.1 * diff[order[0]]][:MAX_KINK_PROBES]
        found = 0
        for j in order:
            k = int(b["indices"][j])
            t = x[k]
            vals = []
            for step in (h, -h, h / 10, -h / 10):
                x[k] = t + step
                vals.append(float(cost(x.copy(),
                                       f"theta perturbed at {report.layout.label(k)}")))
            x[k] = t
            fp1, fm1, fp2, fm2 = vals
            d1 = (fp1 - 2 * f0 + fm1) / h
            d2 = (fp2 - 2 * f0 + fm2) / (h / 10)
            noise = 4 * dtype_eps * max(abs(f0), abs(fp1), abs(fm1)) / (h / 10)
            nonlinear = abs(d2 - d1 / 10)
            # A corner: the second difference does not shrink with h, and the jump in slope is
            # large enough to matter for this coordinate's mismatch.
            if nonlinear > 0.05 * abs(d1) and nonlinear > 10 * noise and abs(d1) >= 0.1 * diff[j]:
                kinks.append((k, (f0 - fm2) / (h / 10), (fp2 - f0) / (h / 10)))
                found += 1
        n_probed += len(order)
        if 2 * found >= len(order):
            explained.add(b["name"])
    if not kinks:
        return [], set()
    k, left, right = kinks[0]
    where = ", ".join(report.layout.label(k) for k, *_ in kinks[:3])
    if len(kinks) > 3:
        where += f" and {len(kinks) - 3} more"
    names = tuple(dict.fromkeys(report.layout.block_of(k)[0] for k, *_ in kinks))
    return [Finding(
        "kink",
        f"the cost has a corner (a kink, like ReLU or abs at 0) at {where}: the slope left of "
        f"theta ({left:.4g}) differs from the slope right of it ({right:.4g}), so the central "
        "difference averages the two while the analytic gradient can only follow a convention "
        "at the corner (such as relu'(0) = 0). The gradient may well be right: check again at "
        "a theta away from the kink (e.g. another random initialization, nonzero biases).",
        {"n_kinks": len(kinks), "n_probed": n_probed, "left_slope": left,
         "right_slope": right},
        names,
    )], explained


# --------------------------------------------------------------------------------------------
# Localized


def _layer(name: str) -> int | None:
    m = re.search(r"(\d+)$", name)
    return int(m.group(1)) if m else None


def _localized(unexplained, passing) -> Finding:
    bad = [b["name"] for b in unexplained]
    good = [b["name"] for b in passing]
    bad_layers = {_layer(n) for n in bad}
    good_layers = {_layer(n) for n in good}
    biases = {n for n in bad + good if n.startswith("b")}
    if set(bad) <= biases:
        hint = ("only bias gradients are wrong: the bias gradient of layer l is delta_l summed "
                "over the examples (axis=1), averaged like the weights")
    elif not (set(bad) & biases) and (bad_layers & good_layers) and None not in bad_layers:
        hint = ("the weight gradients are wrong while the biases of the same layers are right, "
                "so delta is right: look at delta_l @ a_{l-1}.T (the previous layer's "
                "activations, the transpose, the 1/m)")
    elif None not in bad_layers | good_layers and max(bad_layers) < min(good_layers):
        hint = ("the later layers are right and the earlier ones wrong, so the error is in the "
                "backward step delta_{l-1} = (W_l.T @ delta_l) * f'(z_{l-1}): most often the "
                "hidden activation's derivative (f(z) instead of f'(z), or f' applied to a "
                "instead of z), or a term that enters delta_{l-1} only, such as the sparsity "
                "penalty")
    elif None not in bad_layers | good_layers and min(bad_layers) > max(good_layers):
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
