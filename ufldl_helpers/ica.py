"""Independent component analysis of image patches: the reference for "localized edges".

Bell & Sejnowski (1997, "The 'independent components' of natural scenes are edge filters",
Vision Research 37:3327-3338) and van Hateren & van der Schaaf (1998, Proc R Soc B
265:359-366) found that ICA of natural-image patches gives oriented, localized edge filters like
V1 simple cells. It is a yardstick for the sparse autoencoder: what ICA gets from a set of
images, at a patch size, bounds what one can expect of the images.

:func:`fast_ica` is symmetric FastICA with the ``log cosh`` contrast (Hyvarinen 1999, "Fast and
robust fixed-point algorithms for independent component analysis", IEEE Trans Neural Netw
10:626-634; Hyvarinen, Hurri & Hoyer 2009, *Natural Image Statistics*, ch. 7-8): PCA whitening
to ``n_components`` dimensions (:func:`ufldl_helpers.whitening.principal_components`), then
the fixed-point update ``W <- E[g(W z) z^T] - diag(E[g'(W z)]) W`` with ``g = tanh``, each step
followed by symmetric orthogonalization ``W <- (W W^T)^(-1/2) W``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ufldl_helpers._validation import check_array, check_rng, check_scalar
from ufldl_helpers.whitening import principal_components

__all__ = ["IcaResult", "fast_ica"]


@dataclass(frozen=True)
class IcaResult:
    """What :func:`fast_ica` found.

    Attributes
    ----------
    filters : (n_components, n_pixels) ndarray
        Rows ``w_i``: ``s = filters @ (x - mean)`` are the independent components of a patch.
    basis : (n_pixels, n_components) ndarray
        Columns ``a_i``, the basis functions (mixing matrix): ``x - mean ~ basis @ s``. These
        are what Bell & Sejnowski and van Hateren show as the "ICA filters" of images.
    n_iter : int
        Fixed-point iterations run.
    converged : bool
        Whether every ``|w_i . w_i_previous|`` came within ``tol`` of 1.
    """

    filters: np.ndarray
    basis: np.ndarray
    n_iter: int
    converged: bool


def fast_ica(patches: np.ndarray, n_components: int, *,
             rng: np.random.Generator | int | None = None, max_iter: int = 300,
             tol: float = 1e-5) -> IcaResult:
    """Symmetric FastICA (``tanh`` nonlinearity) of patches, after PCA whitening.

    Parameters
    ----------
    patches : (n_pixels, m) float array
        One patch per column; each pixel's mean over the patches is removed.
    n_components : int
        Components kept, at most ``n_pixels`` (fewer: the leading principal components; a
        patch with its DC removed has ``n_pixels - 1`` of nonzero variance).
    rng : numpy.random.Generator, int or None
        Random orthogonal starting point (``None``: the package's fixed seed).
    max_iter : int
    tol : float > 0

    Returns
    -------
    IcaResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sources = rng.laplace(size=(2, 5000))
    >>> mixed = np.array([[1.0, 0.5], [0.3, 1.0]]) @ sources
    >>> result = fast_ica(mixed, 2, rng=0)
    >>> recovered = result.filters @ (mixed - mixed.mean(axis=1, keepdims=True))
    >>> bool(np.all(np.abs(np.corrcoef(recovered, sources)[:2, 2:]).max(axis=1) > 0.99))
    True
    """
    patches = check_array(patches, "patches", ndim=2)
    n, m = patches.shape
    n_components = int(check_scalar(n_components, "n_components", low=1, high=n, integer=True))
    max_iter = int(check_scalar(max_iter, "max_iter", low=1, integer=True))
    tol = float(check_scalar(tol, "tol", low=0, low_inclusive=False))
    rng = check_rng(rng)
    if m <= n_components:
        raise ValueError(f"patches must hold more patches (columns) than n_components = "
                         f"{n_components}; got shape {patches.shape}")
    centred, s, U = principal_components(patches)
    s, U = s[:n_components], U[:, :n_components]
    if s.min() <= s.max() * 1e-12:
        raise ValueError(f"patches have fewer than n_components = {n_components} directions of "
                         f"nonzero variance: lower n_components")
    whitening = (U / np.sqrt(s)).T
    z = whitening @ centred
    W = _symmetric_orthogonalization(rng.standard_normal((n_components, n_components)))
    converged, n_iter = False, 0
    while not converged and n_iter < max_iter:
        g = np.tanh(W @ z)
        W_new = _symmetric_orthogonalization(g @ z.T / m - (1 - g**2).mean(axis=1)[:, None] * W)
        converged = bool(np.max(np.abs(np.abs(np.sum(W_new * W, axis=1)) - 1)) < tol)
        W, n_iter = W_new, n_iter + 1
    return IcaResult(filters=W @ whitening, basis=(U * np.sqrt(s)) @ W.T,
                     n_iter=n_iter, converged=converged)


def _symmetric_orthogonalization(W: np.ndarray) -> np.ndarray:
    """``(W W^T)^(-1/2) W``, the orthogonal matrix nearest ``W`` (via its SVD)."""
    u, _, vt = np.linalg.svd(W)
    return u @ vt
