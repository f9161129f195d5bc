"""Figures for the series (matplotlib).

Every function builds and returns a :class:`matplotlib.figure.Figure` and never calls
``plt.show()``: notebooks end their plot cells with ``plt.show()`` themselves, scripts save the
figure. Nothing here computes results that are not also available from the module that owns
them; plots only draw.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast, overload

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_choice, check_scalar

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import SubFigure

    from ufldl_helpers.filters import FilterStatistics, GaborCalibration, GaborFit
    from ufldl_helpers.gradcheck import EpsilonSweep, GradientCheck
    from ufldl_helpers.training import TrainingResult

__all__ = [
    "display_network",
    "max_activating_inputs",
    "network_mosaic",
    "plot_cost_history",
    "plot_epsilon_sweep",
    "plot_filter_statistics",
    "plot_filters",
    "plot_gabor_calibration",
    "plot_gabor_fits",
    "plot_gradient_check",
    "plot_hyperparameter_sweep",
    "plot_kl_penalty",
    "plot_whitening",
]


def max_activating_inputs(W1: ArrayLike) -> np.ndarray:
    """The norm-bounded input that maximally activates each hidden unit.

    Under ``||x||^2 <= 1`` (and ignoring the bias), ``W1[i] @ x`` is largest for
    ``x_j = W1[i, j] / sqrt(sum_j W1[i, j]^2)`` (Cauchy-Schwarz), and the sigmoid is increasing.

    Parameters
    ----------
    W1 : (hidden_size, visible_size) ndarray

    Returns
    -------
    X : (hidden_size, visible_size) ndarray
        Row ``i`` is unit ``i``'s maximally activating input, of norm 1.
    """
    W1 = check_array(W1, "W1", ndim=2)
    norms = np.sqrt(np.einsum("ij,ij->i", W1, W1))
    if np.any(norms == 0):
        raise ValueError(f"W1 has all-zero rows {np.flatnonzero(norms == 0).tolist()}: no "
                         "input activates those units more than another")
    return W1 / norms[:, None]


def network_mosaic(A: ArrayLike, cols: int | None = None, normalize: bool = True,
                   order: str = "C",
                   gap: int = 1) -> np.ndarray:
    """Tile the columns of ``A`` (square images) into one array, as UFLDL's display_network.

    Like the MATLAB function: the global mean of ``A`` is subtracted, each tile is divided by
    its own largest absolute value (``normalize=True``) or all tiles by the global one, and
    tiles are separated by ``gap`` pixels of -1 (black).

    Parameters
    ----------
    A : (n_pixels, n_images) ndarray
        One image per column, ``n_pixels`` a square number (e.g. ``W1.T``).
    cols : int, optional
        Tiles per row; by default about ``sqrt(n_images)`` (UFLDL's rule).
    normalize : bool
        Per-tile contrast normalization.
    order : {"C", "F"}
        How a column unrolls an image: ``"C"`` row by row (our patches), ``"F"`` column by
        column (MATLAB).
    gap : int
        Pixels between tiles.

    Returns
    -------
    mosaic : (gap + rows * (p + gap), gap + cols * (p + gap)) float64 ndarray in [-1, 1]
    """
    A = check_array(A, "A", ndim=2)
    n_pixels, M = A.shape
    p = math.isqrt(n_pixels)
    if p * p != n_pixels or M == 0:
        raise ValueError(f"A must hold square images as columns (n_pixels a square number, at "
                         f"least one column), got shape {A.shape}")
    check_choice(order, "order", ("C", "F"))
    gap = check_scalar(gap, "gap", low=0, integer=True)
    if cols is None:
        cols = math.isqrt(M)
        if cols * cols != M:
            cols = math.ceil(math.sqrt(M))
            while M % cols and cols < 1.2 * math.sqrt(M):
                cols += 1
    else:
        cols = check_scalar(cols, "cols", low=1, integer=True)
    rows = math.ceil(M / cols)
    A = A.astype(np.float64) - A.mean()
    scale = np.abs(A).max(axis=0) if normalize else np.full(M, np.abs(A).max())
    scale[scale == 0] = 1
    tiles = (A / scale).T.reshape(M, p, p)
    if order == "F":
        tiles = tiles.transpose(0, 2, 1)
    mosaic = -np.ones((gap + rows * (p + gap), gap + cols * (p + gap)))
    for k in range(M):  # at most a few hundred tiles
        r, c = divmod(k, cols)
        top, left = gap + r * (p + gap), gap + c * (p + gap)
        mosaic[top:top + p, left:left + p] = tiles[k]
    return mosaic


@overload
def display_network(A: ArrayLike, cols: int | None = None, normalize: bool = True,
                    ax: None = None, order: str = "C", title: str | None = None
                    ) -> Figure: ...


@overload
def display_network(A: ArrayLike, cols: int | None = None, normalize: bool = True,
                    ax: Axes | None = None, order: str = "C", title: str | None = None
                    ) -> Figure | SubFigure: ...


def display_network(A: ArrayLike, cols: int | None = None, normalize: bool = True,
                    ax: Axes | None = None, order: str = "C", title: str | None = None
                    ) -> Figure | SubFigure:
    """Show the columns of ``A`` as a mosaic of gray images (UFLDL's ``display_network``).

    Parameters
    ----------
    A : (n_pixels, n_images) ndarray
        E.g. ``W1.T`` for the filters of a first layer.
    cols, normalize, order
        As in :func:`network_mosaic`, which computes the image drawn here.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes; by default a new figure.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    mosaic = network_mosaic(A, cols=cols, normalize=normalize, order=order)
    fig: Figure | SubFigure
    if ax is None:
        import matplotlib.pyplot as plt

        # at least ~1.2 screen pixels per mosaic pixel at dpi 100, so 1-pixel gaps stay visible
        height, width = mosaic.shape
        side = min(10.0, max(4.0, max(height, width) / 80))
        scale = side / max(height, width)
        fig, ax = plt.subplots(figsize=(width * scale, height * scale))
    else:
        fig = ax.figure
    ax.imshow(mosaic, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


@overload
def _figure_and_axes(ax: None, figsize: tuple[float, float]
                     ) -> tuple[Figure, Axes]: ...


@overload
def _figure_and_axes(ax: Axes, figsize: tuple[float, float]
                     ) -> tuple[Figure | SubFigure, Axes]: ...


def _figure_and_axes(ax: Axes | None, figsize: tuple[float, float]
                     ) -> tuple[Figure | SubFigure, Axes]:
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


@overload
def plot_epsilon_sweep(sweep: EpsilonSweep, *, highlight: float | None = None,
                       tol: float | None = None, ax: None = None) -> Figure: ...


@overload
def plot_epsilon_sweep(sweep: EpsilonSweep, *, highlight: float | None = None,
                       tol: float | None = None, ax: Axes | None = None) -> Figure | SubFigure: ...


def plot_epsilon_sweep(sweep: EpsilonSweep, *, highlight: float | None = None,
                       tol: float | None = None, ax: Axes | None = None) -> Figure | SubFigure:
    """Relative error of the gradient check against epsilon, on log-log axes (the V shape).

    Parameters
    ----------
    sweep : EpsilonSweep
        From :func:`ufldl_helpers.gradcheck.epsilon_sweep`.
    highlight : float, optional
        An epsilon to mark (the slider value in :func:`ufldl_helpers.widgets.epsilon_slider`);
        the nearest swept value is marked.
    tol : float, optional
        Draw the pass threshold as a horizontal line.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    eps = np.asarray(sweep.epsilons, dtype=float)
    err = np.asarray(sweep.errors, dtype=float)
    if not np.all(np.isfinite(err)):
        bad = eps[~np.isfinite(err)]
        raise ValueError(
            f"sweep has {bad.size} non-finite errors (inf or NaN, first at epsilon={bad[0]:g}): "
            "a relative error is inf when the analytic gradient is exactly minus the numerical "
            "one (norm(n + g) = 0), e.g. a sign-flipped gradient. There is no V to draw: run "
            "check_gradient to see what is wrong")
    err = np.maximum(err, np.finfo(float).tiny)
    fig, ax = _figure_and_axes(ax, (6, 4))
    ax.loglog(eps, err, "o-", color="C0", label="relative error")
    best = int(np.argmin(err))
    # Reference slopes through the best point: truncation ~ eps^p on the right, round-off
    # ~ 1/eps on the left.
    order = 2 if sweep.method == "central" else 1
    right = eps[best:]
    left = eps[: best + 1]
    ax.loglog(right, err[best] * (right / eps[best]) ** order, "--", color="C1", lw=1,
              label=f"truncation ~ eps^{order}")
    ax.loglog(left, err[best] * (eps[best] / left), ":", color="C2", lw=1,
              label="round-off ~ 1/eps")
    ax.loglog([eps[best]], [err[best]], "*", color="C3", ms=14,
              label=f"best eps = {eps[best]:.0e}")
    if highlight is not None:
        j = int(np.argmin(np.abs(np.log(eps) - np.log(highlight))))
        ax.axvline(eps[j], color="0.4", lw=1)
        ax.annotate(f"eps = {eps[j]:.0e}\nerror = {err[j]:.1e}", (eps[j], err[j]),
                    textcoords="offset points", xytext=(8, 8), fontsize=9,
                    bbox={"boxstyle": "round", "fc": "white", "ec": "0.7"})
    if tol is not None:
        ax.axhline(tol, color="C3", lw=1, ls="-.", label=f"tol = {tol:g}")
    ax.set_ylim(min(err.min(), tol or err.min()) / 10, max(err.max(), 1e-16) * 10)
    ax.set_xlabel("epsilon")
    ax.set_ylabel("norm(n - g) / norm(n + g)")
    ax.set_title(f"Gradient-check error vs epsilon ({sweep.method} differences)")
    ax.legend(fontsize=8, loc="best")
    ax.grid(True, which="major", alpha=0.3)
    return fig


def plot_gradient_check(report: GradientCheck, *, max_points: int = 5000,
                        reference_slope: float | None = None) -> Figure:
    """Two panels for a :class:`~ufldl_helpers.gradcheck.GradientCheck`.

    Left: analytic against numerical entries, one color per block, with the diagonal (a correct
    gradient lies on it; a scaled one on another line through 0; a transposed one scatters).
    Right: the relative error of each block on a log scale, with the tolerance.

    Parameters
    ----------
    report : GradientCheck
    max_points : int
        At most this many points per block are drawn (evenly spaced), so big models stay light.
    reference_slope : float, optional
        Also draw the line analytic = reference_slope x numerical (dotted), to compare the
        points with a suspected factor.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if reference_slope is not None:
        reference_slope = float(check_scalar(reference_slope, "reference_slope"))
        if not math.isfinite(reference_slope):
            raise ValueError(f"reference_slope must be finite, got {reference_slope}")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    layout, idx = report.layout, report.indices
    n, a = np.asarray(report.numerical, float), np.asarray(report.analytic, float)
    for j, name in enumerate(layout.names):
        sl = layout.slices[name]
        sel = np.flatnonzero((idx >= sl.start) & (idx < sl.stop))
        if sel.size > max_points:
            sel = sel[np.linspace(0, sel.size - 1, max_points).astype(int)]
        ax1.scatter(n[sel], a[sel], s=10, alpha=0.7, color=f"C{j % 10}", label=name)
    lim = float(max(np.max(np.abs(n), initial=0), np.max(np.abs(a), initial=0))) or 1.0
    ax1.plot([-lim, lim], [-lim, lim], color="0.3", lw=1, label="analytic = numerical")
    if reference_slope is not None:
        ax1.plot([-lim, lim], [-reference_slope * lim, reference_slope * lim], color="0.3",
                 ls=":", lw=1.5, label=f"analytic = {reference_slope:.3g} x numerical")
    ax1.set_xlabel("numerical")
    ax1.set_ylabel("analytic")
    ax1.xaxis.set_major_locator(MaxNLocator(5))  # long tick labels of small values stay apart
    ax1.set_title("Each gradient entry")
    ax1.legend(fontsize=8)
    names = [nm for nm in layout.names if nm in report.block_errors]
    errors = np.array([report.block_errors[nm] for nm in names], dtype=float)
    floor = 1e-17
    colors = ["C2" if e < report.tol else "C3" for e in errors]
    ax2.bar(names, np.maximum(errors, floor), color=colors)
    ax2.set_yscale("log")
    ax2.axhline(report.tol, color="0.3", ls="--", lw=1, label=f"tol = {report.tol:g}")
    ax2.set_ylim(floor, max(10.0, float(np.max(errors, initial=1.0)) * 10))
    ax2.set_ylabel("relative error")
    verdict = "passed" if report.passed else "FAILED"
    ax2.set_title(f"Per block ({verdict}, overall {report.relative_error:.1e})")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


@overload
def plot_kl_penalty(sparsity_params: ArrayLike = (0.01, 0.05, 0.2), ax: None = None
                    ) -> Figure: ...


@overload
def plot_kl_penalty(sparsity_params: ArrayLike = (0.01, 0.05, 0.2), ax: Axes | None = None
                    ) -> Figure | SubFigure: ...


def plot_kl_penalty(sparsity_params: ArrayLike = (0.01, 0.05, 0.2), ax: Axes | None = None
                    ) -> Figure | SubFigure:
    """``KL(rho || rho_hat)`` against ``rho_hat`` for a few targets ``rho``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ufldl_helpers.sparse_autoencoder import kl_divergence

    fig, ax = _figure_and_axes(ax, (5.5, 3.5))
    rho_hat = np.linspace(0.001, 0.999, 999)
    for rho in np.atleast_1d(sparsity_params):
        ax.plot(rho_hat, kl_divergence(float(rho), rho_hat), label=f"rho = {rho:g}")
    ax.set_ylim(0, 3)
    ax.set_xlim(0, 1)
    ax.set_xlabel("rho_hat (average activation of a hidden unit)")
    ax.set_ylabel("KL(rho || rho_hat)")
    ax.set_title("Sparsity penalty per hidden unit: zero at rho_hat = rho")
    ax.legend()
    return fig


@overload
def plot_cost_history(*histories: TrainingResult | ArrayLike,
                      labels: Sequence[str] | None = None, ax: None = None
                      ) -> Figure: ...


@overload
def plot_cost_history(*histories: TrainingResult | ArrayLike,
                      labels: Sequence[str] | None = None, ax: Axes | None = None
                      ) -> Figure | SubFigure: ...


def plot_cost_history(*histories: TrainingResult | ArrayLike,
                      labels: Sequence[str] | None = None, ax: Axes | None = None
                      ) -> Figure | SubFigure:
    """Cost per L-BFGS-B iteration (log scale) of one or more training runs.

    Parameters
    ----------
    *histories : TrainingResult or 1-D array
        Each a run's ``cost_history`` (or the result holding it).
    labels : list of str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not histories:
        raise ValueError("plot_cost_history needs at least one history")
    if labels is not None and len(labels) != len(histories):
        raise ValueError(f"labels must have one entry per history ({len(histories)}), "
                         f"got {len(labels)}")
    fig, ax = _figure_and_axes(ax, (5.5, 3.5))
    for k, h in enumerate(histories):
        h = check_array(cast("ArrayLike", getattr(h, "cost_history", h)), "history", ndim=1)
        ax.semilogy(np.arange(h.size), h, label=None if labels is None else labels[k])
    ax.set_xlabel("L-BFGS-B iteration")
    ax.set_ylabel("cost J (log scale)")
    if labels is not None:
        ax.legend()
    return fig


def plot_filter_statistics(stats: FilterStatistics) -> Figure:
    """Two panels: ``rho_hat`` per hidden unit against the target, and the Gabor-fit measures.

    The right panel places each filter by its stripes across (``n_x``) and its envelope along
    the stripes relative to the room the patch leaves (``1.18 sigma_y / reach``: at most 1 when
    the envelope falls to half its peak inside the patch); localized edges are green.

    Parameters
    ----------
    stats : ufldl_helpers.filters.FilterStatistics

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    units = np.arange(stats.n_filters)
    if stats.rho_hat is not None:
        left.bar(units, stats.rho_hat, color="tab:blue")
        if stats.sparsity_param is not None:
            left.axhline(stats.sparsity_param, color="k", ls="--",
                         label=f"target rho = {stats.sparsity_param:g}")
            left.legend(loc="lower right")
        left.set_xlabel("hidden unit")
        left.set_ylabel("rho_hat")
        left.set_title("Average activation of each hidden unit")
    else:
        left.set_axis_off()
        left.text(0.5, 0.5, "no data: rho_hat not computed", ha="center", va="center")
    _plot_gabor_measures(stats.gabor, right)
    fig.tight_layout()
    return fig


def _gabor_plane(ax: Axes, nx_max: float) -> None:
    """Axes for the localized-edge criterion: stripes across (n_x) against the envelope's
    length along the stripes relative to the patch's room (counted: lower left)."""
    ax.axvline(nx_max, color="k", ls=":")
    ax.axhline(1.0, color="k", ls=":")
    ax.set_xlim(0, 2.05)
    ax.set_ylim(0, 3.1)
    ax.set_xlabel("n_x = sigma_x f (stripes across; >= 2 drawn at 2)")
    ax.set_ylabel("envelope along stripes / room in patch")


def _gabor_plane_points(fit: GaborFit, mask: np.ndarray | slice | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of fits in :func:`_gabor_plane`; an unbounded envelope is drawn at the top."""
    mask = slice(None) if mask is None else mask
    return np.minimum(fit.n_x[mask], 2.0), np.minimum(fit.envelope_length[mask], 3.0)


def _plot_gabor_measures(fit: GaborFit, ax: Axes) -> None:
    edge = fit.localized_edge
    groups = ((edge, "tab:green", "o", "localized edge"),
              (~edge, "tab:red", "x", "not localized edge"))
    for mask, color, marker, name in groups:
        if np.any(mask):
            ax.scatter(*_gabor_plane_points(fit, mask), color=color, marker=marker,
                       label=f"{name} ({np.count_nonzero(mask)})")
    _gabor_plane(ax, fit.nx_max)
    ax.set_title(f"Gabor fits: {fit.n_localized_edges} of {fit.n_filters} localized edges")
    ax.legend(loc="upper right", fontsize="small")


def plot_gabor_fits(filters: ArrayLike | TrainingResult, fit: GaborFit | None = None,
                    cols: int = 5) -> Figure:
    """Each filter next to its fitted Gabor, labelled with R^2 and n_x; localized edges boxed
    in green, the others in red.

    Parameters
    ----------
    filters : (n_filters, p*p) ndarray or TrainingResult
        E.g. ``W1``.
    fit : ufldl_helpers.filters.GaborFit, optional
        Computed by :func:`ufldl_helpers.filters.fit_gabors` when omitted.
    cols : int
        Filter-and-fit pairs per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from ufldl_helpers.filters import fit_gabors

    filters = check_array(cast("ArrayLike", getattr(filters, "W1", filters)), "filters")
    fit = fit_gabors(filters) if fit is None else fit
    n = fit.n_filters
    p = fit.models.shape[1]
    if filters.shape[0] != n:
        raise ValueError(f"fit holds {n} filters but filters has {filters.shape[0]} rows")
    cols = min(check_scalar(cols, "cols", low=1, integer=True), n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, 2 * cols, figsize=(2.0 * cols, 1.25 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for k in range(n):
        mean = filters[k].mean()  # filter and fit on one gray scale
        image, model = filters[k].reshape(p, p) - mean, fit.models[k] - mean
        scale = np.abs(image).max() or 1.0
        color = "tab:green" if fit.localized_edge[k] else "tab:red"
        pair = axes[k // cols, 2 * (k % cols):2 * (k % cols) + 2]
        for ax, shown in zip(pair, (image, model), strict=True):
            ax.set_axis_on()
            ax.imshow(shown / scale, cmap="gray", vmin=-1, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_color(color)
                spine.set_linewidth(2)
        pair[0].set_title(f"{k}: R2 {fit.r2[k]:.2f}", fontsize=7)
        pair[1].set_title(f"n_x {fit.n_x[k]:.2f}", fontsize=7)
    fig.suptitle(f"Filters (left) and fitted Gabors (right): {fit.n_localized_edges} of {n} "
                 f"localized edges ({fit.criterion()})", fontsize=8)
    fig.tight_layout()
    return fig


def plot_gabor_calibration(calibration: GaborCalibration) -> Figure:
    """The localized-edge criterion on synthetic filters of known kind: one example of each
    kind, and where every fit falls in the plane of :func:`plot_filter_statistics`.

    Parameters
    ----------
    calibration : ufldl_helpers.filters.GaborCalibration

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    kinds = list(calibration.fits)
    fig = plt.figure(figsize=(10, 3.8))
    grid = fig.add_gridspec(len(kinds), 2, width_ratios=(1, 3.5))
    markers = ("o", "s", "x", "^", "v", "D")
    scatter = fig.add_subplot(grid[:, 1])
    for row, kind in enumerate(kinds):
        ax = fig.add_subplot(grid[row, 0])
        example = calibration.patches[kind][0]
        ax.imshow(example, cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([])
        count, total = calibration.counts[kind]
        ax.set_ylabel(f"{count}/{total}", rotation=0, ha="right", va="center", fontsize=8)
        ax.set_title(kind, fontsize=8)
        fit = calibration.fits[kind]
        scatter.scatter(*_gabor_plane_points(fit), marker=markers[row % len(markers)], s=18,
                        label=f"{kind} ({count} of {total} counted)")
    fit = calibration.fits[kinds[0]]
    _gabor_plane(scatter, fit.nx_max)
    scatter.set_title(f"Counted: lower left, R^2 >= {fit.r2_min:g} and polarity balance >= "
                      f"{fit.balance_min:g}", fontsize=9)
    scatter.legend(fontsize="small", loc="upper right")
    fig.tight_layout()
    return fig


@overload
def plot_filters(W1: ArrayLike | TrainingResult, title: str | None = None,
                 ax: None = None) -> Figure: ...


@overload
def plot_filters(W1: ArrayLike | TrainingResult, title: str | None = None,
                 ax: Axes | None = None) -> Figure | SubFigure: ...


def plot_filters(W1: ArrayLike | TrainingResult, title: str | None = None,
                 ax: Axes | None = None) -> Figure | SubFigure:
    """A first layer's filters as a mosaic, titled with what a Gabor fit finds in them.

    Parameters
    ----------
    W1 : (hidden_size, visible_size) ndarray or TrainingResult
    title : str, optional
        First line of the title; the second says "of H: G Gabor-like, L localized": how many
        filters the fit explains (``R^2 >= r2_min``) and how many are localized edges
        (:func:`ufldl_helpers.filters.fit_gabors`).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ufldl_helpers.filters import fit_gabors

    W1 = cast("ArrayLike", getattr(W1, "W1", W1))
    fit = fit_gabors(W1)
    gabor_like = int(np.count_nonzero(fit.gabor_like))
    count = (f"of {fit.n_filters}: {gabor_like} Gabor-like, {fit.n_localized_edges} "
             "localized")
    return display_network(np.asarray(W1).T, ax=ax,
                           title=count if title is None else f"{title}\n{count}")


def plot_hyperparameter_sweep(sweep: Mapping[str, Mapping[Any, TrainingResult]],
                              names: Iterable[str] | None = None) -> Figure:
    """The learned filters for each value of each swept hyperparameter, one row per name.

    Parameters
    ----------
    sweep : dict name -> dict value -> TrainingResult
        From :func:`ufldl_helpers.training.hyperparameter_sweep`.
    names : list of str, optional
        Rows to show (default: all).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    names = list(sweep) if names is None else list(names)
    if not names or any(n not in sweep for n in names):
        raise ValueError(f"names must be among {list(sweep)}, got {names}")
    cols = max(len(sweep[n]) for n in names)
    fig, axes = plt.subplots(len(names), cols, figsize=(3.2 * cols, 3.3 * len(names)),
                             squeeze=False)
    for row, name in zip(axes, names, strict=True):
        for ax in row:
            ax.set_axis_off()
        for ax, (value, result) in zip(row, sweep[name].items(), strict=False):
            plot_filters(result, title=f"{name} = {value:g}", ax=ax)
    fig.tight_layout()
    return fig


def plot_whitening(raw: ArrayLike, whitened: ArrayLike, index: int = 0) -> Figure:
    """One image before and after whitening, and the radial power spectra of all of them.

    Parameters
    ----------
    raw, whitened : (n, n, k) ndarray
        E.g. :func:`ufldl_helpers.data.load_raw_natural_images` and
        :func:`ufldl_helpers.data.load_natural_images`.
    index : int
        Which image to show.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from ufldl_helpers.whitening import radial_power_spectrum

    raw = check_array(raw, "raw", ndim=3)
    whitened = check_array(whitened, "whitened", ndim=3)
    index = check_scalar(index, "index", low=0, high=raw.shape[2] - 1, integer=True)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for ax, img, title in ((axes[0], raw, "raw"), (axes[1], whitened, "whitened")):
        im = img[:, :, index]
        lim = np.percentile(np.abs(im - im.mean()), 99.5)
        ax.imshow(im, cmap="gray", vmin=im.mean() - lim, vmax=im.mean() + lim)
        ax.set_title(f"{title} image {index}")
        ax.set_axis_off()
    for img, label in ((raw, "raw"), (whitened, "whitened")):
        f, power = radial_power_spectrum(img)
        axes[2].loglog(f, power / power[0], label=label)
    f = np.arange(1.0, raw.shape[0] // 2)
    axes[2].loglog(f, f**-2.0, "k:", lw=1, label="1/f^2")
    axes[2].set_xlabel("spatial frequency f (cycles per image)")
    axes[2].set_ylabel("power / power at f = 1")
    axes[2].set_title("Radial power spectrum, mean of all images")
    axes[2].legend()
    fig.tight_layout()
    return fig
