"""Dead-leaves images: the occlusion model of natural images.

Opaque discs of random grey level fall one on top of another until the image is covered (Lee,
Mumford & Huang 2001, "Occlusion models for natural images: a statistical study of a
scale-invariant dead leaves model", IJCV 41:35-59). With radii of density ``~ r^-3`` between
``r_min`` and ``r_max`` the model is scale invariant between those sizes, and its edges are
sharp occlusion boundaries: a test bed for what a code learns from edges alone.

Discs are drawn front to back: a pixel takes the grey level of the first disc that covers it,
which is the same picture as dropping discs back to front forever, but stops once every pixel
is painted. Disc centres are uniform over the image widened by ``r_max`` on each side, so every
disc that can reach the image is drawn and the border is statistically like the interior.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.ndimage

from ufldl_helpers._validation import check_rng, check_scalar

__all__ = ["R_MIN_LOW", "dead_leaves", "disc_radii"]

_BATCH_COVER = 3.0
"""Discs drawn per batch, as expected disc area over the widened image area: one batch leaves
about ``exp(-3)`` (5%) of the pixels unpainted, each further one 5% of those."""
_MAX_BATCH = 1 << 18
"""At most this many discs per batch, to bound memory (more batches follow if needed)."""
R_MIN_LOW = 0.5
"""Smallest allowed ``r_min`` in pixels: a smaller disc often covers no pixel centre at all."""


def disc_radii(
    n: int, *, r_min: float, r_max: float, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """Radii of density ``p(r) ~ r^-3`` on ``[r_min, r_max]`` (Lee, Mumford & Huang's law).

    Parameters
    ----------
    n : int
        How many radii.
    r_min, r_max : float
        Smallest and largest radius in pixels, ``R_MIN_LOW <= r_min <= r_max``.
    rng : numpy.random.Generator, int or None
        Source of randomness (``None``: the package's fixed seed).

    Returns
    -------
    r : (n,) float64
        Drawn by inverting the distribution function
        ``F(r) = (r_min^-2 - r^-2) / (r_min^-2 - r_max^-2)``.
    """
    n = check_scalar(n, "n", low=0, integer=True)
    r_min, r_max = _check_radii(r_min, r_max)
    u = check_rng(rng).random(n)
    a, b = r_min**-2.0, r_max**-2.0
    r: np.ndarray = (a - u * (a - b)) ** -0.5
    return np.clip(r, r_min, r_max)


def dead_leaves(
    size: int,
    *,
    r_min: float,
    r_max: float,
    n_images: int | None = None,
    blur: float = 0.0,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Dead-leaves images: occluding discs with ``r^-3`` radii and uniform grey levels.

    Parameters
    ----------
    size : int
        Image side in pixels.
    r_min, r_max : float
        Smallest and largest disc radius in pixels, ``R_MIN_LOW <= r_min <= r_max`` (0.5 px).
        A pixel (centre at integer coordinates) is inside a disc if its distance to the disc's
        centre is ``<= r``. The time grows about as ``(size + 2 r_max)^2 / r_min^2``.
    n_images : int or None
        ``None``: one image; an integer: a stack of that many, independent.
    blur : float
        Standard deviation in pixels of a Gaussian blur applied to each finished image (a
        camera's point spread; it also smooths the staircase of the rasterized boundaries).
        0 leaves the discs sharp.
    rng : numpy.random.Generator, int or None
        Source of randomness (``None``: the package's fixed seed).

    Returns
    -------
    images : (size, size) float64, or (size, size, n_images) float64
        Grey levels in [0, 1) (each disc's level is uniform on [0, 1)); every pixel is painted.
        A stack has the layout of :func:`ufldl_helpers.data.load_natural_images`, ready for
        :func:`ufldl_helpers.whitening.whiten_images`.

    Examples
    --------
    >>> image = dead_leaves(64, r_min=1.0, r_max=16.0, rng=0)
    >>> image.shape, bool(image.min() >= 0), bool(image.max() < 1)
    ((64, 64), True, True)
    """
    size = check_scalar(size, "size", low=1, integer=True)
    r_min, r_max = _check_radii(r_min, r_max)
    if n_images is not None:
        n_images = check_scalar(n_images, "n_images", low=1, integer=True)
    blur = check_scalar(blur, "blur", low=0)
    rng = check_rng(rng)
    images = np.stack([_one_image(size, r_min, r_max, rng) for _ in range(n_images or 1)],
                      axis=2)
    if blur > 0:
        images = scipy.ndimage.gaussian_filter(images, sigma=(blur, blur, 0), mode="reflect")
    return images if n_images is not None else images[:, :, 0]


def _check_radii(r_min: float, r_max: float) -> tuple[float, float]:
    r_min = check_scalar(r_min, "r_min", low=R_MIN_LOW)
    r_max = check_scalar(r_max, "r_max", low=R_MIN_LOW)
    if r_max < r_min:
        raise ValueError(f"r_max must be >= r_min ({r_min}), got {r_max}")
    return float(r_min), float(r_max)


def _one_image(size: int, r_min: float, r_max: float, rng: np.random.Generator) -> np.ndarray:
    """(size, size): batches of discs, front to back, until every pixel is painted."""
    image = np.full(size * size, np.nan)
    unpainted = np.ones(size * size, dtype=bool)
    side = size + 2 * r_max
    # E[pi r^2] for p(r) ~ r^-3 on [r_min, r_max]
    mean_area = (2 * math.pi * math.log(r_max / r_min) / (r_min**-2.0 - r_max**-2.0)
                 if r_max > r_min else math.pi * r_min**2)
    batch = min(math.ceil(_BATCH_COVER * side**2 / mean_area), _MAX_BATCH)
    while unpainted.any():
        r = disc_radii(batch, r_min=r_min, r_max=r_max, rng=rng)
        cx, cy = rng.uniform(-r_max, size - 1 + r_max, (2, batch))
        grey = rng.random(batch)
        first = _first_disc(size, cx, cy, r, unpainted)
        hit = first < batch
        image[hit] = grey[first[hit]]
        unpainted[hit] = False
    return image.reshape(size, size)


def _first_disc(size: int, cx: np.ndarray, cy: np.ndarray, r: np.ndarray,
                unpainted: np.ndarray) -> np.ndarray:
    """(size * size,) int64: index of the first disc covering each unpainted pixel, or
    ``len(r)`` where none does (and at painted pixels)."""
    n = len(r)
    first = np.full(size * size, n, dtype=np.int64)
    reaches = (cx + r >= 0) & (cx - r <= size - 1) & (cy + r >= 0) & (cy - r <= size - 1)
    half = np.ceil(r).astype(np.int64)
    for h in np.unique(half[reaches]):
        # the discs with ceil(r) == h, each with the (2h + 2)^2 box of pixels that may be inside
        disc = np.flatnonzero(reaches & (half == h))
        offsets = np.arange(-h, h + 2)
        x = np.floor(cx[disc]).astype(np.int64)[:, None, None] + offsets[None, None, :]
        y = np.floor(cy[disc]).astype(np.int64)[:, None, None] + offsets[None, :, None]
        inside = ((x - cx[disc, None, None]) ** 2 + (y - cy[disc, None, None]) ** 2
                  <= r[disc, None, None] ** 2)
        inside &= (x >= 0) & (x < size) & (y >= 0) & (y < size)
        pixel = (y * size + x)[inside]
        index = np.broadcast_to(disc[:, None, None], inside.shape)[inside]
        keep = unpainted[pixel]
        np.minimum.at(first, pixel[keep], index[keep])
    return first
