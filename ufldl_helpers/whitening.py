"""Whitening natural images the way Olshausen & Field's ``sparsenet`` made ``IMAGES.mat``.

Natural images have an amplitude spectrum that falls roughly as ``1/f``. Multiplying the
spectrum by ``f`` flattens it ("whitens" it), and the factor ``exp(-(f/f0)^4)`` rolls off the
highest frequencies, where the image is mostly noise and aliasing. With ``f0 = 0.4 N`` this is the
filter of sparsenet's ``make-your-own-images`` recipe; the result is scaled so that the mean
per-image variance is 0.1, as there.

Whitening patches instead (UFLDL's PCA and ZCA whitening) starts from their principal
components, :func:`principal_components`: the eigendecomposition of the patches' covariance.
:func:`ufldl_helpers.linear_decoder.zca_whitening_matrix` and :func:`ufldl_helpers.ica.fast_ica`
build on it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_scalar

TARGET_VARIANCE = 0.1
"""Mean per-image variance after whitening (sparsenet: ``sqrt(0.1) * IMAGES / sqrt(mean(var))``)."""


def whitening_filter(n: int, f0_fraction: float = 0.4) -> np.ndarray:
    """Frequency response ``f * exp(-(f / f0)^4)`` on an ``n x n`` FFT grid.

    Parameters
    ----------
    n : int
        Image side in pixels.
    f0_fraction : float
        Roll-off frequency as a fraction of ``n`` (sparsenet: 0.4).

    Returns
    -------
    filt : (n, n) float64
        Laid out like ``numpy.fft.fft2`` output (zero frequency at ``[0, 0]``), in cycles per
        image; ``filt[0, 0] == 0``, so whitening also removes each image's mean.
    """
    n = check_scalar(n, "n", low=2, integer=True)
    f0_fraction = check_scalar(f0_fraction, "f0_fraction", low=0, low_inclusive=False)
    freqs = np.fft.fftfreq(n, d=1.0 / n)
    f = np.hypot(freqs[:, None], freqs[None, :])
    f0 = f0_fraction * n
    return f * np.exp(-((f / f0) ** 4))


def whiten_images(images: np.ndarray, f0_fraction: float = 0.4) -> np.ndarray:
    """Whiten a stack of square images with Olshausen's filter.

    Parameters
    ----------
    images : (n, n, k) float array
        ``k`` square grayscale images (any scale; the filter removes each image's mean).
    f0_fraction : float
        Roll-off frequency as a fraction of ``n``.

    Returns
    -------
    whitened : (n, n, k) float64
        Filtered images scaled so the mean of their variances is ``TARGET_VARIANCE``.
    """
    images = check_array(images, "images", ndim=3)
    n, n2, k = images.shape
    if n != n2:
        raise ValueError(f"images must be square, (n, n, k); got shape {images.shape}")
    if n < 2 or k < 1:
        raise ValueError(f"images must hold at least one 2x2 image; got shape {images.shape}")
    filt = whitening_filter(n, f0_fraction)
    spectrum = np.fft.fft2(images.astype(np.float64, copy=False), axes=(0, 1))
    whitened = np.fft.ifft2(spectrum * filt[:, :, None], axes=(0, 1)).real
    mean_variance = whitened.reshape(n * n, k).var(axis=0, ddof=1).mean()
    if mean_variance == 0:
        raise ValueError("images are constant: nothing is left after whitening")
    whitened *= np.sqrt(TARGET_VARIANCE / mean_variance)
    return whitened


def radial_power_spectrum(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Power spectrum averaged over rings of equal spatial frequency and over images.

    Parameters
    ----------
    images : (n, n) or (n, n, k) float array

    Returns
    -------
    frequency : (n // 2 - 1,) float64
        Ring centres, in cycles per image (1 .. n/2 - 1; the DC term is left out).
    power : (n // 2 - 1,) float64
        Mean ``|FFT|^2`` on each ring, averaged over the images.
    """
    images = check_array(images, "images")
    if images.ndim == 2:
        images = images[:, :, None]
    if images.ndim != 3 or images.shape[0] != images.shape[1]:
        raise ValueError(f"images must be (n, n) or (n, n, k); got shape {images.shape}")
    n = images.shape[0]
    power = (np.abs(np.fft.fft2(images, axes=(0, 1))) ** 2).mean(axis=2)
    freqs = np.fft.fftfreq(n, d=1.0 / n)
    ring = np.rint(np.hypot(freqs[:, None], freqs[None, :])).astype(np.int64)
    sums = np.bincount(ring.ravel(), weights=power.ravel())
    counts = np.bincount(ring.ravel())
    frequency = np.arange(1, n // 2)
    return frequency.astype(np.float64), sums[frequency] / counts[frequency]


def principal_components(patches: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre patches and eigendecompose their covariance: the first step of PCA and ZCA whitening.

    Each pixel's mean over the patches is removed, and the covariance
    ``centred @ centred.T / m`` is decomposed as ``U diag(s) U^T`` (UFLDL's PCA exercise
    computes the same ``U`` with ``svd(sigma)``).

    Parameters
    ----------
    patches : (n_pixels, m) float array
        One patch per column, ``m >= 2``. Computed in float64 whatever the input's precision.

    Returns
    -------
    centred : (n_pixels, m) float64 ndarray
        The patches minus each pixel's mean over the patches.
    s : (n_pixels,) float64 ndarray
        Variances along the principal directions (the covariance's eigenvalues), largest first;
        the tiny negative values round-off can leave are set to 0.
    U : (n_pixels, n_pixels) float64 ndarray
        Orthonormal principal directions as columns, ``U[:, k]`` with variance ``s[k]``.

    Examples
    --------
    >>> x = np.array([[1.0, 3.0, 1.0, 3.0], [2.0, 2.0, 2.0, 2.0]])
    >>> centred, s, U = principal_components(x)
    >>> s.tolist(), np.abs(U[:, 0]).tolist()
    ([1.0, 0.0], [1.0, 0.0])
    """
    patches = check_array(patches, "patches", ndim=2).astype(np.float64, copy=False)
    m = patches.shape[1]
    if m < 2:
        raise ValueError(f"patches must hold at least 2 patches (columns); got shape "
                         f"{patches.shape}")
    centred = patches - patches.mean(axis=1, keepdims=True)
    s, U = np.linalg.eigh(centred @ centred.T / m)
    return centred, np.maximum(s[::-1], 0.0), U[:, ::-1]
