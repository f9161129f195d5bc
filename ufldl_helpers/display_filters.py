"""Figures of learned filters: what a Gabor fit finds in them, its calibration, and sweeps.

Each filter is shown beside its fitted Gabor (:func:`plot_gabor_fits`), the localized-edge
criterion of :mod:`ufldl_helpers.filters` on synthetic filters of known kind
(:func:`plot_gabor_calibration`) and on a trained layer (:func:`plot_filter_statistics`), and
the filters of many runs as mosaics titled with their counts (:func:`plot_filters`,
:func:`plot_hyperparameter_sweep`). As in :mod:`ufldl_helpers.display`, every function returns
a :class:`matplotlib.figure.Figure` and never calls ``plt.show()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast, overload

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_scalar
from ufldl_helpers.display import display_network
from ufldl_helpers.filters import fit_gabors

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import SubFigure

    from ufldl_helpers.filter_statistics import FilterStatistics
    from ufldl_helpers.filters import GaborFit
    from ufldl_helpers.gabor_calibration import GaborCalibration
    from ufldl_helpers.training import TrainingResult

__all__ = [
    "plot_filter_statistics",
    "plot_filters",
    "plot_gabor_calibration",
    "plot_gabor_fits",
    "plot_hyperparameter_sweep",
]


def plot_filter_statistics(stats: FilterStatistics) -> Figure:
    """Two panels: ``rho_hat`` per hidden unit against the target, and the Gabor-fit measures.

    The right panel places each filter by its stripes across (``n_x``) and its envelope along
    the stripes relative to the room the patch leaves (``1.18 sigma_y / reach``: at most 1 when
    the envelope falls to half its peak inside the patch); localized edges are green.

    Parameters
    ----------
    stats : ufldl_helpers.filter_statistics.FilterStatistics

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
    calibration : ufldl_helpers.gabor_calibration.GaborCalibration

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
