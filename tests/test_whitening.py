import numpy as np
import pytest

from ufldl_helpers.data import load_raw_natural_images
from ufldl_helpers.whitening import (
    TARGET_VARIANCE,
    radial_power_spectrum,
    whiten_images,
    whitening_filter,
)


def pink_noise(n, k, rng):
    """Random images with a 1/f amplitude spectrum, the textbook model of natural images."""
    freqs = np.fft.fftfreq(n, d=1.0 / n)
    f = np.hypot(freqs[:, None], freqs[None, :])
    f[0, 0] = 1.0
    white = rng.standard_normal((n, n, k))
    return np.fft.ifft2(np.fft.fft2(white, axes=(0, 1)) / f[:, :, None], axes=(0, 1)).real


def band_flatness(images, lo, hi):
    f, power = radial_power_spectrum(images)
    band = power[(f >= lo) & (f <= hi)]
    return band.max() / band.min()


def test_filter_matches_olshausen_formula():
    n = 64
    filt = whitening_filter(n)
    assert filt[0, 0] == 0
    f = 10.0
    assert filt[10, 0] == pytest.approx(f * np.exp(-((f / (0.4 * n)) ** 4)))
    np.testing.assert_allclose(filt, filt.T)
    # the response peaks at f = f0 / 4**(1/4) and is symmetric under f -> -f
    assert filt[3, 4] == pytest.approx(filt[-3, -4])


def test_whitening_flattens_a_one_over_f_spectrum():
    images = pink_noise(128, 4, np.random.default_rng(0))
    assert band_flatness(images, 4, 20) > 10
    assert band_flatness(whiten_images(images), 4, 20) < 1.5


def test_whitened_natural_images_are_flat_at_mid_frequencies():
    raw, _ = load_raw_natural_images()
    assert band_flatness(raw, 10, 100) > 100
    assert band_flatness(whiten_images(raw), 10, 100) < 4


def test_whitened_images_have_sparsenet_scale_and_no_mean():
    images = pink_noise(64, 3, np.random.default_rng(1)) + 5.0
    white = whiten_images(images)
    assert white.reshape(-1, 3).var(axis=0, ddof=1).mean() == pytest.approx(TARGET_VARIANCE)
    np.testing.assert_allclose(white.mean(axis=(0, 1)), 0, atol=1e-12)


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((8, 9, 2)), "must be square"),
        (np.zeros((8, 8)), "must be 3-D"),
        (np.zeros((8, 8, 2)), "constant"),
        (np.full((8, 8, 1), np.nan), "must be finite"),
    ],
)
def test_whiten_images_rejects_bad_input(images, message):
    with pytest.raises(ValueError, match=message):
        whiten_images(images)
