import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ufldl_helpers.data import load_raw_natural_images
from ufldl_helpers.whitening import (
    TARGET_VARIANCE,
    principal_components,
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


# ----------------------------------------------------------------------- principal components

@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 8), m=st.integers(2, 60), seed=st.integers(0, 2**32 - 1),
       scale=st.floats(1e-3, 1e3), rank=st.integers(1, 8))
def test_principal_components_decompose_the_covariance(n, m, seed, scale, rank):
    rng = np.random.default_rng(seed)
    # rank-deficient covariances too (fewer directions than pixels, or fewer patches)
    x = scale * rng.standard_normal((n, rank)) @ rng.standard_normal((rank, m)) + 5.0
    centred, s, U = principal_components(x)
    np.testing.assert_allclose(centred, x - x.mean(axis=1, keepdims=True), rtol=0,
                               atol=1e-12 * np.abs(x).max())
    assert centred.shape == (n, m) and s.shape == (n,) and U.shape == (n, n)
    assert np.all(s >= 0) and np.all(np.diff(s) <= 0)  # variances, largest first
    np.testing.assert_allclose(U.T @ U, np.eye(n), atol=1e-12)
    cov = centred @ centred.T / m
    np.testing.assert_allclose((U * s) @ U.T, cov, rtol=0, atol=1e-12 * max(s[0], 1e-300))
    # the variances are those of the patches projected on the directions
    np.testing.assert_allclose(((U.T @ centred) ** 2).mean(axis=1), s, rtol=0,
                               atol=1e-12 * max(s[0], 1e-300))


def test_principal_components_of_float32_patches_are_float64_and_agree():
    x = np.random.default_rng(0).standard_normal((6, 200)) * np.arange(1, 7)[:, None]
    results64 = principal_components(x)
    results32 = principal_components(x.astype(np.float32))
    assert all(r.dtype == np.float64 for r in results32)
    np.testing.assert_allclose(results32[1], results64[1], rtol=1e-6)
    np.testing.assert_allclose(np.abs(results32[2]), np.abs(results64[2]), atol=1e-5)


@pytest.mark.parametrize(("patches", "error", "match"), [
    (np.ones(5), ValueError, "patches must be 2-D"),
    (np.ones((3, 1)), ValueError, "at least 2 patches"),
    (np.ones((3, 4), dtype=int), TypeError, "patches must be a float"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError, "patches must be finite"),
])
def test_principal_components_bad_input(patches, error, match):
    with pytest.raises(error, match=match):
        principal_components(patches)
