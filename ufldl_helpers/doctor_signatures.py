"""Bug signatures the gradient doctor fits to one parameter block.

Each function takes a block's numbers (numerical ``n``, analytic ``a``, parameters ``p``, as
gathered by :mod:`ufldl_helpers.doctor`) and returns a finding only for a tight fit:

* :func:`transposed` -- ``a`` equals ``n`` unrolled in the other order (probing the numerical
  gradient at the transposed positions of a sampled block);
* :func:`regularization` -- ``n - a = k p``: weight decay missing or misplaced;
* ``scale_fit`` and :func:`scale_findings` -- ``a = c n`` (``scaled``, ``sign_flipped``);
* :func:`kinks` -- corners of the cost at the worst coordinates (ReLU or abs at 0).

Split from :mod:`ufldl_helpers.doctor`, which decides which blocks to examine and in which
order; this module imports only the layers below the doctor.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ufldl_helpers.finite_differences import finite_differences, relative_error
from ufldl_helpers.gradcheck_core import Finding, GradientCheck

# Relative residual below which "analytic = transform(numerical)" counts as an exact fit in
# float64. A correct central difference is good to ~1e-10; a real bug leaves residuals ~1.
FIT_TOL = 1e-6
# Regularization is tested on the *difference* n - a, which can be small next to n, so its
# residual is noisier. With lambda_ given, the coefficient must also match lambda (to 1e-3) in
# one of REG_RATIOS; without it the fit alone decides, so it must be tighter.
REG_RESIDUAL_TOL = 1e-3
REG_RESIDUAL_TOL_UNTOLD = 1e-4
REG_RATIOS = (1.0, 0.5, 2.0, -1.0, -0.5, -2.0)
MAX_KINK_PROBES = 10
# A one-parameter fit through a single entry always "fits": demand at least this many entries.
MIN_FIT_ENTRIES = 2
# A sampled matrix block is tested for transposition against the numerical gradient at the
# partners of at most this many of its entries (2 cost evaluations each, central differences).
MAX_PARTNER_PROBES = 50
EPS64 = float(np.finfo(np.float64).eps)


def transposed(b: dict[str, Any], report: GradientCheck, theta: np.ndarray, fit_tol: float
               ) -> Finding | None:
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
    other: Literal["C", "F"] = "F" if layout.order == "C" else "C"
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
        known[partner[probe]] = finite_differences(
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


def regularization(b: dict[str, Any], lambda_: float | None, bias: set[str], fit_tol: float,
                   scale_fits: bool) -> Finding | None:
    """Is numerical - analytic = k * (the block itself)? Then weight decay is misplaced.

    The coefficient k is inferred by least squares. With ``lambda_`` given, k must be one of
    ``REG_RATIOS`` times lambda (the finding then confirms it); without, the fit must be
    tighter and the block must not also fit ``analytic = c * numerical`` (a plain scale).
    """
    d, p = b["n"] - b["a"], b["p"]
    if np.count_nonzero(p) < MIN_FIT_ENTRIES or not np.any(d):
        return None
    k = float(d @ p) / float(p @ p)
    resid = float(np.linalg.norm(d - k * p) / np.linalg.norm(d))
    ratio = k / lambda_ if lambda_ else None
    match = None
    if ratio is not None:
        match = next((r for r in REG_RATIOS if abs(ratio - r) < 1e-3 * abs(r)), None)
    confirmed = match is not None and resid < max(REG_RESIDUAL_TOL, fit_tol)
    inferred = resid < max(REG_RESIDUAL_TOL_UNTOLD, fit_tol) and not scale_fits
    if not (confirmed or inferred):
        return None
    name = b["name"]
    evidence = {"coefficient": k, "residual": resid}
    if ratio is not None and lambda_:  # ratio is None unless lambda_ is given and nonzero
        evidence.update(lambda_=float(lambda_), ratio_to_lambda=ratio)
    if confirmed and match is not None:  # confirmed implies a match
        source = (f"fitted numerical - analytic = k*{name} with k = {k:.4g} = "
                  f"{_times(match)}lambda_, as given")
    elif ratio is not None:
        source = (f"fitted numerical - analytic = k*{name} with k = {k:.4g}, inferred from "
                  f"the mismatch; that is {ratio:.3g} x the lambda_={lambda_:g} given")
    else:
        source = (f"fitted numerical - analytic = k*{name} with k = {k:.4g}, inferred from "
                  "the mismatch (pass lambda_= to confirm it)")
    if name in bias:
        if k > 0:
            message = (f"the cost applies weight decay to the bias {name}: numerical - "
                       f"analytic = k*{name} ({source}), but biases are never decayed: sum "
                       f"only the weight matrices in the decay term.")
        else:
            message = (f"the gradient of the bias {name} includes weight decay: analytic - "
                       f"numerical = {_abs_k(k)}*{name} ({source}), but biases are never "
                       f"decayed: drop the lambda term from the {name} gradient.")
        return Finding("regularized_bias", message, evidence, (name,))
    if confirmed and match == 1.0:
        message = (f"the gradient of {name} lacks the weight-decay term lambda*{name} "
                   f"({source}), the derivative of (lambda/2)*||{name}||^2 in the cost.")
    elif confirmed and match == 0.5:
        message = (f"the gradient of {name} has only half the weight-decay term ({source}): "
                   f"the derivative of (lambda/2)*||{name}||^2 is lambda*{name}, not "
                   f"(lambda/2)*{name}.")
    elif k > 0:
        message = (f"the gradient of {name} lacks a weight-decay term: numerical - analytic = "
                   f"k*{name} ({source}), the derivative of (k/2)*||{name}||^2 in the cost; "
                   f"add k*{name} to the gradient of {name}, or, if k is a multiple of your "
                   f"lambda, fix the factor.")
    else:
        message = (f"the gradient of {name} has more weight decay than the cost: analytic - "
                   f"numerical = {_abs_k(k)}*{name} ({source}); either the cost lacks the "
                   f"decay term of {name} or the gradient adds it twice.")
    return Finding("missing_regularization", message, evidence, (name,))


def _abs_k(k: float) -> str:
    return f"{abs(k):.4g}"


def _times(r: float) -> str:
    return "" if r == 1 else f"{r:g}*"


def scale_fit(b: dict[str, Any], fit_tol: float) -> float | None:
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


def scale_findings(fits: dict[str, float], blocks: dict[str, dict[str, Any]]) -> list[Finding]:
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
        verb = "have" if len(names) > 1 and which.startswith(names[0]) else "has"
        if abs(c + 1) < FIT_TOL:
            findings.append(Finding(
                "sign_flipped",
                f"{which} {verb} the wrong sign: analytic = -1 x numerical. Look for a flipped "
                "difference (y - h instead of h - y) or a gradient of -J (ascent instead of "
                "descent).",
                evidence, tuple(names)))
        else:
            findings.append(Finding(
                "scaled",
                f"{which} is analytic = c x numerical with c = {c:.6g}: {_scale_hint(c)}.",
                evidence, tuple(names)))
    return findings


def ratio_spread(b: dict[str, Any]) -> tuple[float, float, float] | None:
    n, a = b["n"], b["a"]
    if not np.any(n):
        return None
    keep = np.abs(n) > 1e-3 * np.max(np.abs(n))
    r = a[keep] / n[keep]
    return float(r.min()), float(np.median(r)), float(r.max())


# --------------------------------------------------------------------------------------------
# Kinks


def kinks(report: GradientCheck, failing: list[dict[str, Any]], theta: np.ndarray,
          cost_noise: float) -> tuple[list[Finding], set[str]]:
    """Probe the worst coordinates of each failing block for a corner in the cost.

    At a smooth point the second difference ``(J(x+h) - 2J(x) + J(x-h)) / h`` shrinks in
    proportion to h; at a corner it stays near the jump of the slope. Comparing h and h/10
    separates the two, when the difference exceeds the cost's measured noise. A block whose
    worst coordinates are mostly corners is explained by them.
    """
    if not failing:
        return [], set()
    cost = report._context["cost"]
    h = report.epsilon if report.method != "complex" else 1e-4
    x = theta.copy()
    f0 = float(cost(x.copy(), "theta (kink probe)"))
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
            # The measured noise of the cost, not theta's dtype, bounds what is round-off.
            noise = 4 * max(cost_noise, EPS64 * max(abs(f0), abs(fp1), abs(fm1))) / (h / 10)
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
