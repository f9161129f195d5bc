"""How many pixels an image or a filter really uses: its energy footprint.

A digit's ink, a pen stroke and a whole-digit template differ in how many pixels carry them.
:func:`energy_footprint` counts, for each image, the fewest pixels that hold a given fraction
of its energy (sum of squared values). Notebook 07 compares the excitatory part of MNIST
autoencoder filters (their positive weights) with the digits themselves: a unit that responds to
a pen stroke uses a fraction of the pixels a whole digit does.

The count does not depend on the image's scale or on where its pixels are; it is the size of the
support, not its shape (a compact blob and a scattered one of the same size count the same).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_scalar

__all__ = ["energy_footprint"]


def energy_footprint(images: ArrayLike, fraction: float = 0.8) -> np.ndarray:
    """Fewest pixels of each image that hold ``fraction`` of its energy.

    Parameters
    ----------
    images : array-like, shape (n_images, n_pixels)
        One image (or filter) per row, flattened; real, finite. Every row needs some non-zero
        pixel.
    fraction : float, default 0.8
        Share of the energy ``sum(images[i] ** 2)`` to cover, in (0, 1].

    Returns
    -------
    numpy.ndarray of int, shape (n_images,)
        For each row, the smallest k such that its k largest squared values sum to at least
        ``fraction`` of the row's energy.

    Examples
    --------
    >>> import numpy as np
    >>> from ufldl_helpers.footprint import energy_footprint
    >>> energy_footprint(np.array([[3.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]]))
    array([1, 4])
    """
    images = check_array(images, "images", ndim=2)
    fraction = check_scalar(fraction, "fraction", low=0.0, high=1.0, low_inclusive=False)
    cumulative = np.cumsum(-np.sort(-(images**2), axis=1), axis=1)
    total = cumulative[:, -1:]
    if np.any(total == 0):
        raise ValueError(f"images: row {int(np.argmin(total))} is all zeros; every image needs "
                         "some non-zero pixel")
    # The total is the cumsum's own last entry (not a sum in another order), so the last
    # non-zero pixel reaches exactly 1 and fraction=1 counts every non-zero pixel.
    covered = cumulative / total
    return np.argmax(covered >= fraction, axis=1) + 1
