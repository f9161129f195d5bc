"""Measuring learned filters the way vision science measures receptive fields: a 2-D Gabor fit.

Each filter (a ``p x p`` patch) is fitted by least squares with a Gabor function, as simple-cell
receptive fields are in Ringach (2002), "Spatial structure and symmetry of simple-cell
receptive fields in macaque primary visual cortex", J Neurophysiol 88:455-463::

    G(x, y) = A exp(-x'^2 / (2 sigma_x^2) - y'^2 / (2 sigma_y^2)) cos(2 pi f x' + phase) + c
    x' =  (x - x0) cos(theta) + (y - y0) sin(theta)      across the stripes
    y' = -(x - x0) sin(theta) + (y - y0) cos(theta)      along the stripes

``x`` is the column and ``y`` the row of a pixel (0-based, rows downwards, as ``imshow`` draws
them), ``f`` is in cycles per pixel and ``theta`` is the direction across the stripes.
Ringach's dimensionless widths ``n_x = sigma_x f`` and ``n_y = sigma_y f`` count the stripes
under the envelope: V1 simple cells mostly have ``n_x <= 0.5`` (at most about one and a half
stripes across, an edge or a bar), a full-field grating has ``n_x`` and ``n_y`` without bound.

A filter is a *localized edge* when all of these hold (:class:`GaborFit`):

1. the fit explains the filter: ``R^2 >= r2_min`` (0.8; fits of white noise stay below 0.6);
2. few stripes across: ``n_x <= nx_max`` (0.5, Ringach's simple cells);
3. it ends inside the patch: along the stripes, on both sides of its centre, the envelope falls
   to half its peak before the border (a bar across the whole patch does not);
4. it has both polarities, as an edge (a light and a dark side) or a bar with flanks has and a
   blob has not: across the stripes, the weaker lobe's peak is at least 0.3 of the stronger's
   (``polarity_balance``: 1 for an odd edge, 0.33 for an even bar with ``n_x = 0.3``, near 0
   for a round blob).

:func:`~ufldl_helpers.gabor_calibration.gabor_calibration` shows the criterion on synthetic
filters whose answer is known; :func:`~ufldl_helpers.filter_statistics.filter_statistics`
measures a trained first layer with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_scalar

__all__ = ["GaborFit", "fit_gabors", "gabor_patches"]

_HWHM = math.sqrt(2 * math.log(2))
"""Half width at half maximum of a Gaussian, in units of its sigma."""

_N_PARAMS = 9  # x0, y0, theta, log f, log sigma_x, log sigma_y, a, b, c


# --------------------------------------------------------------------------- the Gabor model

def _grid(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Column (x) and row (y) coordinates of the p*p pixels, flattened row by row."""
    y, x = np.mgrid[:p, :p]
    return x.ravel().astype(np.float64), y.ravel().astype(np.float64)


@overload
def _model(params: np.ndarray, x: np.ndarray, y: np.ndarray,
           jacobian: Literal[False] = False) -> np.ndarray: ...


@overload
def _model(params: np.ndarray, x: np.ndarray, y: np.ndarray,
           jacobian: Literal[True]) -> tuple[np.ndarray, np.ndarray]: ...


def _model(params: np.ndarray, x: np.ndarray, y: np.ndarray, jacobian: bool = False
           ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Gabor values (B, N) at pixels (x, y) for B parameter rows, and optionally the Jacobian.

    ``params[:, :] = x0, y0, theta, log f, log sigma_x, log sigma_y, a, b, c`` with
    ``a cos(2 pi f x') + b sin(2 pi f x')`` as the carrier (linear in ``a, b, c``).
    Returns ``g`` or ``(g, J)`` with ``J : (B, N, 9)``.
    """
    x0, y0, theta, log_f, log_sx, log_sy, a, b, c = (params[:, k, None] for k in range(9))
    f, sx, sy = np.exp(log_f), np.exp(log_sx), np.exp(log_sy)
    cos, sin = np.cos(theta), np.sin(theta)
    dx, dy = x - x0, y - y0
    u = dx * cos + dy * sin
    w = -dx * sin + dy * cos
    envelope = np.exp(-0.5 * ((u / sx) ** 2 + (w / sy) ** 2))
    phase = 2 * np.pi * f * u
    carrier_cos, carrier_sin = np.cos(phase), np.sin(phase)
    carrier = a * carrier_cos + b * carrier_sin
    g = envelope * carrier + c
    if not jacobian:
        return g
    carrier_d = -a * carrier_sin + b * carrier_cos  # d carrier / d phase
    ek = envelope * carrier
    dg_du = -ek * u / sx**2 + envelope * carrier_d * 2 * np.pi * f
    dg_dw = -ek * w / sy**2
    jac = np.empty((*g.shape, _N_PARAMS))
    jac[..., 0] = -dg_du * cos + dg_dw * sin
    jac[..., 1] = -dg_du * sin - dg_dw * cos
    jac[..., 2] = dg_du * w - dg_dw * u
    jac[..., 3] = envelope * carrier_d * phase
    jac[..., 4] = ek * (u / sx) ** 2
    jac[..., 5] = ek * (w / sy) ** 2
    jac[..., 6] = envelope * carrier_cos
    jac[..., 7] = envelope * carrier_sin
    jac[..., 8] = 1.0
    return g, jac


def _bounds(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Box for the parameters: centre within a pixel of the patch, f from half a cycle per
    patch to Nyquist, widths from half a pixel to twice the patch."""
    inf = np.inf
    low = np.array([-1.0, -1.0, -inf, math.log(0.5 / p), math.log(0.5), math.log(0.5),
                    -inf, -inf, -inf])
    high = np.array([p, p, inf, math.log(0.5), math.log(2.0 * p), math.log(2.0 * p),
                     inf, inf, inf])
    return low, high


def _linear_part(params: np.ndarray, targets: np.ndarray, x: np.ndarray, y: np.ndarray
                 ) -> np.ndarray:
    """Set ``a, b, c`` of each row to their least-squares values for its nonlinear part."""
    probe = params.copy()
    basis = np.empty((*targets.shape, 3))
    for k, (a, b) in enumerate(((1.0, 0.0), (0.0, 1.0))):
        probe[:, 6], probe[:, 7], probe[:, 8] = a, b, 0.0
        basis[..., k] = _model(probe, x, y)
    basis[..., 2] = 1.0
    gram = np.einsum("bnk,bnl->bkl", basis, basis) + 1e-9 * np.eye(3)
    rhs = np.einsum("bnk,bn->bk", basis, targets)
    params[:, 6:] = np.linalg.solve(gram, rhs[..., None])[..., 0]
    return params


def _starts(patches: np.ndarray, pad: int = 4) -> np.ndarray:
    """Eight starting points per patch: the two strongest orientations of the zero-padded
    power spectrum, each with two centres (energy centroid, energy peak) and two envelopes
    (edge-like: n_x = 0.4; grating-like: half the patch). Returns (n * 8, 9)."""
    n, p, _ = patches.shape
    size = pad * p
    power = np.abs(np.fft.fft2(patches, s=(size, size))) ** 2
    freqs = np.fft.fftfreq(size)
    fy, fx = np.meshgrid(freqs, freqs, indexing="ij")
    radius = np.hypot(fx, fy)
    angle = np.arctan2(fy, fx)
    power[:, radius < 0.5 / p] = 0  # DC and below the lowest frequency the model allows
    flat = power.reshape(n, -1)
    first = flat.argmax(axis=1)
    # the second orientation: the strongest peak at least 30 degrees away from the first
    doubled_gap = np.abs(np.angle(np.exp(2j * (angle.ravel()[None, :]
                                                - angle.ravel()[first][:, None]))))
    second = np.where(doubled_gap > np.pi / 3, flat, 0).argmax(axis=1)
    energy = patches**2
    total = energy.sum(axis=(1, 2))
    total = np.where(total > 0, total, 1)
    x, y = _grid(p)
    flat_energy = energy.reshape(n, -1)
    centroid = np.stack([flat_energy @ x, flat_energy @ y], axis=1) / total[:, None]
    peak_index = flat_energy.argmax(axis=1)
    peak = np.stack([x[peak_index], y[peak_index]], axis=1)
    rows = []
    for peak_freq in (first, second):
        f = np.clip(radius.ravel()[peak_freq], 0.5 / p, 0.5)
        theta = angle.ravel()[peak_freq]
        for centre in (centroid, peak):
            for sx, sy in ((0.4 / f, np.full(n, p / 4)), (np.full(n, p / 2), np.full(n, p / 2))):
                start = np.zeros((n, _N_PARAMS))
                start[:, 0:2] = centre
                start[:, 2] = theta
                start[:, 3] = np.log(f)
                start[:, 4] = np.log(np.clip(sx, 0.5, 2.0 * p))
                start[:, 5] = np.log(sy)
                rows.append(start)
    return np.stack(rows, axis=1).reshape(-1, _N_PARAMS)


def _levenberg_marquardt(params: np.ndarray, targets: np.ndarray, x: np.ndarray, y: np.ndarray,
                         low: np.ndarray, high: np.ndarray, max_iter: int = 100,
                         tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Batched, box-projected Levenberg-Marquardt on B independent least-squares problems.

    Every problem has its own damping; a step is kept only if it lowers that problem's sum of
    squares. Deterministic: no randomness, a fixed iteration budget and tolerance.
    Returns ``(params, sse)``.
    """
    params = np.clip(params, low, high)
    residual = _model(params, x, y) - targets
    sse = np.einsum("bn,bn->b", residual, residual)
    damping = np.full(params.shape[0], 1e-3)
    active = np.ones(params.shape[0], bool)
    eye = np.eye(_N_PARAMS)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        g, jac = _model(params[idx], x, y, jacobian=True)
        r = g - targets[idx]
        jtj = np.einsum("bnk,bnl->bkl", jac, jac)
        jtr = np.einsum("bnk,bn->bk", jac, r)
        diag = np.einsum("bkk->bk", jtj)
        lhs = jtj + damping[idx, None, None] * (diag[:, :, None] * eye + 1e-12 * eye)
        step = np.linalg.solve(lhs, -jtr[..., None])[..., 0]
        trial = np.clip(params[idx] + step, low, high)
        r_trial = _model(trial, x, y) - targets[idx]
        sse_trial = np.einsum("bn,bn->b", r_trial, r_trial)
        better = sse_trial < sse[idx]
        gain = (sse[idx] - sse_trial) / np.maximum(sse[idx], 1e-300)
        params[idx[better]] = trial[better]
        sse[idx[better]] = sse_trial[better]
        damping[idx] = np.where(better, np.maximum(damping[idx] / 3, 1e-9),
                                damping[idx] * 4)
        converged = (better & (gain < tol)) | (damping[idx] > 1e8)
        active[idx[converged]] = False
    return params, sse


# --------------------------------------------------------------------------- fits

@dataclass(repr=False)
class GaborFit:
    """Least-squares Gabor fits of a set of square filters, and which are localized edges.

    All per-filter attributes are ``(n_filters,)`` arrays; positions and widths are in pixels,
    ``frequency`` in cycles per pixel, angles in radians.

    Attributes
    ----------
    r2 : fraction of each filter's variance (about its mean) that the fit explains
    x0, y0 : centre of the envelope (column, row)
    orientation : direction across the stripes (of the frequency vector), in [0, pi); the
        stripes run at ``orientation + pi / 2``. Rows point down, as drawn by ``imshow``.
    frequency : f
    phase : carrier phase in (-pi, pi]; 0 or pi an even (bar) profile, +-pi/2 an odd (edge)
    amplitude, offset : A and c
    sigma_x, sigma_y : envelope widths across and along the stripes
    n_x, n_y : ``sigma_x * f`` and ``sigma_y * f`` (Ringach 2002)
    polarity_balance : peak of the weaker lobe over that of the stronger, across the stripes
        (the profile ``exp(-t^2 / 2) cos(2 pi n_x t + phase)``); near 0 for a blob
    envelope_length : half width at half maximum of the envelope along the stripes
        (``1.18 sigma_y``) over the distance from the centre to the patch border along the
        stripes, the nearer side (inf for a centre outside the patch)
    ends_inside : ``envelope_length <= 1``: the envelope along the stripes falls to half its
        peak inside the patch on both sides of the centre
    gabor_like : bool, the fit explains the filter (criterion 1)
    edge_or_bar : bool, also few stripes across and both polarities (criteria 1, 2 and 4)
    localized_edge : bool, all four criteria of the module docstring
    models : (n_filters, p, p) the fitted Gabors
    r2_min, nx_max, balance_min : the thresholds used
    """

    r2: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    orientation: np.ndarray
    frequency: np.ndarray
    phase: np.ndarray
    amplitude: np.ndarray
    offset: np.ndarray
    sigma_x: np.ndarray
    sigma_y: np.ndarray
    models: np.ndarray
    r2_min: float
    nx_max: float
    balance_min: float
    n_x: np.ndarray = field(init=False)
    n_y: np.ndarray = field(init=False)
    polarity_balance: np.ndarray = field(init=False)
    envelope_length: np.ndarray = field(init=False)
    ends_inside: np.ndarray = field(init=False)
    gabor_like: np.ndarray = field(init=False)
    edge_or_bar: np.ndarray = field(init=False)
    localized_edge: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.n_x = self.sigma_x * self.frequency
        self.n_y = self.sigma_y * self.frequency
        self.polarity_balance = _polarity_balance(self.n_x, self.phase)
        p = self.models.shape[1]
        reach = _reach_along_stripes(self.x0, self.y0, self.orientation, p)
        with np.errstate(divide="ignore"):
            self.envelope_length = np.where(reach > 0, _HWHM * self.sigma_y / reach, np.inf)
        self.ends_inside = self.envelope_length <= 1
        self.gabor_like = self.r2 >= self.r2_min
        self.edge_or_bar = (self.gabor_like & (self.n_x <= self.nx_max)
                            & (self.polarity_balance >= self.balance_min))
        self.localized_edge = self.edge_or_bar & self.ends_inside

    @property
    def n_filters(self) -> int:
        return int(self.r2.shape[0])

    @property
    def n_localized_edges(self) -> int:
        return int(np.count_nonzero(self.localized_edge))

    def criterion(self) -> str:
        """The thresholds in words, e.g. for a figure caption."""
        return (f"R^2 >= {self.r2_min:g}, n_x <= {self.nx_max:g}, envelope ends inside the "
                f"patch, polarity balance >= {self.balance_min:g}")

    def __repr__(self) -> str:
        return f"<GaborFit: {self.n_localized_edges} of {self.n_filters} localized edges>"

    def __str__(self) -> str:
        return (f"{self.n_localized_edges} of {self.n_filters} filters are localized edges "
                f"(Gabor fit: {self.criterion()}; median R^2 {np.median(self.r2):.2f}, "
                f"median n_x {np.median(self.n_x):.2f})")


def _polarity_balance(n_x: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Weaker over stronger lobe peak of ``exp(-t^2 / 2) cos(2 pi n_x t + phase)``, the Gabor's
    profile across the stripes in units of sigma_x (sampled finely enough for 3 digits)."""
    t = np.linspace(-5, 5, 2001)
    profile = np.exp(-0.5 * t**2) * np.cos(2 * np.pi * np.asarray(n_x)[:, None] * t
                                           + np.asarray(phase)[:, None])
    positive, negative = profile.max(axis=1), -profile.min(axis=1)
    return np.clip(np.minimum(positive, negative) / np.maximum(positive, negative), 0, 1)


def _reach_along_stripes(x0: np.ndarray, y0: np.ndarray, orientation: np.ndarray, p: int
                         ) -> np.ndarray:
    """Distance from the centre to the patch border along the stripes, the shorter of the two
    directions; 0 for a centre outside the patch."""
    lo, hi = -0.5, p - 0.5
    dx, dy = -np.sin(orientation), np.cos(orientation)
    reach = np.full(np.shape(x0), np.inf)
    for sign in (1.0, -1.0):
        for pos, d in ((x0, sign * dx), (y0, sign * dy)):
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.where(d > 0, (hi - pos) / d, np.where(d < 0, (lo - pos) / d, np.inf))
            reach = np.minimum(reach, t)
    inside = (x0 >= lo) & (x0 <= hi) & (y0 >= lo) & (y0 <= hi)
    return np.where(inside, np.maximum(reach, 0.0), 0.0)


def _as_patches(filters: ArrayLike) -> np.ndarray:
    filters = check_array(filters, "filters")
    if filters.ndim == 2:
        n, v = filters.shape
        p = math.isqrt(v)
        if p * p != v or p < 3:
            raise ValueError(f"filters must be (n_filters, p*p) rows of square patches with p >= "
                             f"3, or (n_filters, p, p); got shape {filters.shape}")
        return filters.reshape(n, p, p).astype(np.float64)
    if filters.ndim == 3 and filters.shape[1] == filters.shape[2] and filters.shape[1] >= 3:
        return filters.astype(np.float64)
    raise ValueError(f"filters must be (n_filters, p*p) or (n_filters, p, p) with p >= 3, got "
                     f"shape {filters.shape}")


def fit_gabors(filters: ArrayLike, *, r2_min: float = 0.8, nx_max: float = 0.5,
               balance_min: float = 0.3) -> GaborFit:
    """Fit a 2-D Gabor to each square filter by least squares; flag the localized edges.

    Eight starts per filter (the two strongest orientations of its power spectrum, two centres,
    two envelope widths), each refined by Levenberg-Marquardt within bounds; the best fit wins.
    Deterministic. 0.1-0.6 s for 25 filters of 8x8 (shared 2-core machine, busy).

    Parameters
    ----------
    filters : (n_filters, p*p) or (n_filters, p, p) ndarray
        E.g. ``W1`` of a trained autoencoder, one filter per row. Each is fitted as it is
        (the fit has its own amplitude and offset), so scale and mean do not matter.
    r2_min, nx_max, balance_min : float
        Thresholds of the localized-edge criterion (module docstring).

    Returns
    -------
    GaborFit

    Examples
    --------
    >>> edges = gabor_patches(8, sigma_x=1.2, sigma_y=1.5, frequency=0.25, phase=np.pi / 2,
    ...                       orientation=[0.0, 1.0])
    >>> fit_gabors(edges).n_localized_edges
    2
    """
    patches = _as_patches(filters)
    r2_min = float(check_scalar(r2_min, "r2_min", low=0, high=1))
    nx_max = float(check_scalar(nx_max, "nx_max", low=0, low_inclusive=False))
    balance_min = float(check_scalar(balance_min, "balance_min", low=0, high=1))
    n, p, _ = patches.shape
    centred = patches - patches.mean(axis=(1, 2), keepdims=True)
    scale = np.sqrt((centred**2).sum(axis=(1, 2)))
    scale = np.where(scale > 0, scale, 1.0)
    targets = (centred / scale[:, None, None]).reshape(n, -1)
    x, y = _grid(p)
    starts = _starts(targets.reshape(n, p, p))
    per_filter = starts.shape[0] // n
    repeated = np.repeat(targets, per_filter, axis=0)
    low, high = _bounds(p)
    params = _linear_part(np.clip(starts, low, high), repeated, x, y)
    params, sse = _levenberg_marquardt(params, repeated, x, y, low, high)
    best = sse.reshape(n, per_filter).argmin(axis=1)
    params = params.reshape(n, per_filter, _N_PARAMS)[np.arange(n), best]
    sse = sse.reshape(n, per_filter)[np.arange(n), best]
    total = (targets**2).sum(axis=1)  # the targets have zero mean
    r2 = np.where(total > 0, 1 - sse / np.where(total > 0, total, 1), 0.0)
    return _fit_from_params(params, r2, scale, patches.mean(axis=(1, 2)), p,
                            r2_min, nx_max, balance_min)


def _fit_from_params(params: np.ndarray, r2: np.ndarray, scale: np.ndarray, mean: np.ndarray,
                     p: int, r2_min: float, nx_max: float, balance_min: float) -> GaborFit:
    """Canonical parameters (orientation in [0, pi), A >= 0) in the filters' own units."""
    theta = params[:, 2]
    turns = np.floor(theta / np.pi)
    turns += theta - turns * np.pi >= np.pi  # round-off can leave exactly pi
    b = np.where(turns % 2 == 1, -params[:, 7], params[:, 7])  # theta + pi mirrors x'
    a = params[:, 6]
    x, y = _grid(p)
    models = _model(params, x, y) * scale[:, None] + mean[:, None]
    return GaborFit(r2=np.clip(r2, 0.0, 1.0), x0=params[:, 0], y0=params[:, 1],
                    orientation=np.maximum(theta - turns * np.pi, 0.0),
                    frequency=np.exp(params[:, 3]),
                    phase=np.arctan2(-b, a), amplitude=np.hypot(a, b) * scale,
                    offset=params[:, 8] * scale + mean, sigma_x=np.exp(params[:, 4]),
                    sigma_y=np.exp(params[:, 5]), models=models.reshape(-1, p, p),
                    r2_min=r2_min, nx_max=nx_max, balance_min=balance_min)


def gabor_patches(patch_size: int, *, sigma_x: ArrayLike, sigma_y: ArrayLike,
                  frequency: ArrayLike, orientation: ArrayLike = 0.0, phase: ArrayLike = 0.0,
                  x0: ArrayLike | None = None, y0: ArrayLike | None = None) -> np.ndarray:
    """Gabor patches (the model of the module docstring, ``A = 1``, ``c = 0``).

    Every keyword takes a scalar or a 1-D array; arrays broadcast to ``n`` patches.
    ``x0, y0`` default to the patch centre.

    Returns
    -------
    (n, patch_size, patch_size) ndarray
    """
    p = check_scalar(patch_size, "patch_size", low=3, integer=True)
    centre = (p - 1) / 2
    values = {"sigma_x": sigma_x, "sigma_y": sigma_y, "frequency": frequency,
              "orientation": orientation, "phase": phase,
              "x0": centre if x0 is None else x0, "y0": centre if y0 is None else y0}
    arrays = {}
    for name, value in values.items():
        arr = check_array(np.atleast_1d(np.asarray(value, dtype=np.float64)), name)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be a scalar or a 1-D array, got shape {arr.shape}")
        arrays[name] = arr
    for name in ("sigma_x", "sigma_y", "frequency"):
        if np.any(arrays[name] <= 0):
            raise ValueError(f"{name} must be positive")
    try:
        cols = np.broadcast_arrays(*arrays.values())
    except ValueError as exc:
        raise ValueError("the array arguments of gabor_patches must have one length (or 1), "
                         f"got {[a.size for a in arrays.values()]}") from exc
    sx, sy, f, theta, phase_, x0_, y0_ = cols
    params = np.stack([x0_, y0_, theta, np.log(f), np.log(sx), np.log(sy), np.cos(phase_),
                       -np.sin(phase_), np.zeros_like(f)], axis=1)
    x, y = _grid(p)
    return _model(params, x, y).reshape(-1, p, p)

