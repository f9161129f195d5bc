"""Calibration of the localized-edge criterion on synthetic filters whose answer is known.

Before the criterion of :mod:`ufldl_helpers.filters` counts a trained layer's localized edges,
it is shown on filters of known kind: Gabor edges (all should be counted), full-field gratings,
white noise and round blobs (none should be).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ufldl_helpers._validation import check_rng, check_scalar
from ufldl_helpers.filters import GaborFit, fit_gabors, gabor_patches

__all__ = ["GaborCalibration", "gabor_calibration"]


@dataclass(repr=False)
class GaborCalibration:
    """How the localized-edge criterion classifies synthetic filters of known kind.

    Attributes
    ----------
    patches : dict kind -> (n, p, p) ndarray
        ``"Gabor edges"`` (should be counted), ``"full-field gratings"``, ``"noise"`` and
        ``"blobs"`` (should not).
    fits : dict kind -> GaborFit
    """

    patches: dict[str, np.ndarray]
    fits: dict[str, GaborFit]

    @property
    def counts(self) -> dict:
        """kind -> (number counted as localized edges, number of patches)."""
        return {k: (fit.n_localized_edges, fit.n_filters) for k, fit in self.fits.items()}

    def __repr__(self) -> str:
        return f"<GaborCalibration: {self}>"

    def __str__(self) -> str:
        return "; ".join(f"{kind}: {c} of {n} counted" for kind, (c, n) in self.counts.items())


def gabor_calibration(patch_size: int = 8, n: int = 20, *, noise: float = 0.2,
                      rng: np.random.Generator | int | None = None) -> GaborCalibration:
    """Run :func:`~ufldl_helpers.filters.fit_gabors` on synthetic filters whose answer is known.

    - *Gabor edges*: ``n_x`` in [0.3, 0.4], ``sigma_y`` in [1, 0.2 p + 0.5], frequency in
      [0.12, 0.3] cycles per pixel, any orientation and phase, centre within a pixel of the
      patch centre: all should be counted.
    - *full-field gratings*: sinusoids filling the patch, frequency in [0.08, 0.4], any
      orientation and phase: none should be (no envelope ends inside the patch).
    - *noise*: white Gaussian noise: none should be (the fit explains little).
    - *blobs*: round Gaussians, sigma in [1, 2]: none should be (no stripes).

    Gabors, gratings and blobs get white noise of ``noise`` times their standard deviation
    (0.2: R^2 about 0.96, like a well-trained filter's fit).

    Returns
    -------
    GaborCalibration
    """
    p = check_scalar(patch_size, "patch_size", low=5, integer=True)
    n = check_scalar(n, "n", low=1, integer=True)
    noise = float(check_scalar(noise, "noise", low=0))
    rng = check_rng(rng)
    centre = (p - 1) / 2
    f = rng.uniform(0.12, 0.3, n)
    gabors = gabor_patches(p, sigma_x=rng.uniform(0.3, 0.4, n) / f,
                           sigma_y=rng.uniform(1.0, 0.2 * p + 0.5, n), frequency=f,
                           orientation=rng.uniform(0, np.pi, n),
                           phase=rng.uniform(-np.pi, np.pi, n),
                           x0=centre + rng.uniform(-1, 1, n), y0=centre + rng.uniform(-1, 1, n))
    gratings = gabor_patches(p, sigma_x=1e6, sigma_y=1e6, frequency=rng.uniform(0.08, 0.4, n),
                             orientation=rng.uniform(0, np.pi, n),
                             phase=rng.uniform(-np.pi, np.pi, n))
    sigma = rng.uniform(1.0, 2.0, n)[:, None, None]
    rows, cols = np.mgrid[:p, :p]
    blob_x0, blob_y0 = (centre + rng.uniform(-1, 1, (2, n, 1, 1)))
    blobs = np.exp(-((cols - blob_x0) ** 2 + (rows - blob_y0) ** 2) / (2 * sigma**2))
    patches = {"Gabor edges": gabors, "full-field gratings": gratings,
               "noise": rng.standard_normal((n, p, p)), "blobs": blobs}
    for kind in ("Gabor edges", "full-field gratings", "blobs"):
        clean = patches[kind]
        std = clean.std(axis=(1, 2), keepdims=True)
        patches[kind] = clean + noise * std * rng.standard_normal(clean.shape)
    return GaborCalibration(patches=patches,
                            fits={kind: fit_gabors(x) for kind, x in patches.items()})

