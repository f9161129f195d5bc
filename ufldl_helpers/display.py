"""Figures for the series (matplotlib): filter mosaics, gradient checks, training, whitening.

The figures that measure learned filters (Gabor fits, their calibration, sweeps of filters) are
in :mod:`ufldl_helpers.display_filters`.

Every function builds and returns a :class:`matplotlib.figure.Figure` and never calls
``plt.show()``: notebooks end their plot cells with ``plt.show()`` themselves, scripts save the
figure. Nothing here computes results that are not also available from the module that owns
them; plots only draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast, overload

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_choice, check_scalar

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import SubFigure

    from ufldl_helpers.gradcheck import EpsilonSweep, GradientCheck
    from ufldl_helpers.training import TrainingResult

__all__ = [
    "display_network",
    "max_activating_inputs",
    "network_mosaic",
    "plot_cost_history",
    "plot_epsilon_sweep",
    "plot_gradient_check",
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
