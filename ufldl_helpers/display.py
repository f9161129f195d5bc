"""Figures for the series (matplotlib).

Every function builds and returns a :class:`matplotlib.figure.Figure` and never calls
``plt.show()``: notebooks end their plot cells with ``plt.show()`` themselves, scripts save the
figure. Nothing here computes results that are not also available from the module that owns
them; plots only draw.
"""

from __future__ import annotations

import math

import numpy as np

from ufldl_helpers._validation import check_array, check_choice, check_scalar

__all__: list[str] = ["display_network", "max_activating_inputs", "network_mosaic"]


def max_activating_inputs(W1) -> np.ndarray:
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


def network_mosaic(A, cols: int | None = None, normalize: bool = True, order: str = "C",
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


def display_network(A, cols: int | None = None, normalize: bool = True, ax=None,
                    order: str = "C", title: str | None = None):
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
    if ax is None:
        import matplotlib.pyplot as plt

        height, width = mosaic.shape
        scale = 5.0 / max(height, width)
        fig, ax = plt.subplots(figsize=(max(2.0, width * scale), max(2.0, height * scale)))
    else:
        fig = ax.figure
    ax.imshow(mosaic, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig
