"""The Gabor-fit filter measure: recovered parameters, the localized-edge criterion on filters
whose answer is known (counted: localized Gabors; not counted: gratings, long bars, several
stripes), invariances, determinism and bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ufldl_helpers.filters import fit_gabors, gabor_patches
from ufldl_helpers.gabor_calibration import gabor_calibration


def test_fit_recovers_the_parameters_of_a_clean_gabor():
    truth = {"sigma_x": 1.3, "sigma_y": 1.8, "frequency": 0.22, "orientation": 0.6,
             "phase": 1.0, "x0": 3.2, "y0": 4.1}
    fit = fit_gabors(3.0 * gabor_patches(8, **truth) + 0.5)
    assert fit.r2[0] > 0.999999
    for name, want in truth.items():
        assert getattr(fit, name)[0] == pytest.approx(want, abs=1e-4), name
    assert fit.amplitude[0] == pytest.approx(3.0, rel=1e-4)
    assert fit.offset[0] == pytest.approx(0.5, abs=1e-4)
    assert fit.n_x[0] == pytest.approx(1.3 * 0.22, rel=1e-4)
    assert fit.n_y[0] == pytest.approx(1.8 * 0.22, rel=1e-4)
    np.testing.assert_allclose(fit.models[0], 3.0 * gabor_patches(8, **truth)[0] + 0.5,
                               atol=1e-5)


def test_orientation_is_the_direction_across_the_stripes():
    # orientation 0: the carrier varies along x (columns), so the stripes are vertical
    vertical = gabor_patches(8, sigma_x=1.2, sigma_y=1.6, frequency=0.25, phase=np.pi / 2)[0]
    assert np.allclose(vertical[0], vertical[0, ::-1] * -1, atol=1e-12)  # odd along a row
    assert np.allclose(vertical[:, 2], vertical[::-1, 2])  # even along a column
    fit = fit_gabors(np.stack([vertical, vertical.T]))
    assert fit.orientation[0] == pytest.approx(0, abs=1e-3)
    assert fit.orientation[1] == pytest.approx(np.pi / 2, abs=1e-3)
    assert np.all((fit.orientation >= 0) & (fit.orientation < np.pi))


@settings(max_examples=25, deadline=None)
@given(nx=st.floats(0.3, 0.45), f=st.floats(0.12, 0.3), sigma_y=st.floats(1.0, 2.1),
       orientation=st.floats(0, np.pi), phase=st.floats(-np.pi, np.pi),
       shift=st.tuples(st.floats(-1, 1), st.floats(-1, 1)))
def test_any_localized_gabor_is_counted(nx, f, sigma_y, orientation, phase, shift):
    patch = gabor_patches(8, sigma_x=nx / f, sigma_y=sigma_y, frequency=f,
                          orientation=orientation, phase=phase, x0=3.5 + shift[0],
                          y0=3.5 + shift[1])
    fit = fit_gabors(patch)
    assert fit.localized_edge[0], (fit.r2, fit.n_x, fit.envelope_length, fit.polarity_balance)
    assert fit.n_x[0] == pytest.approx(nx, rel=0.02)


@settings(max_examples=25, deadline=None)
@given(f=st.floats(0.08, 0.45), orientation=st.floats(0, np.pi), phase=st.floats(-np.pi, np.pi))
def test_no_full_field_grating_is_counted(f, orientation, phase):
    patch = gabor_patches(8, sigma_x=1e6, sigma_y=1e6, frequency=f, orientation=orientation,
                          phase=phase)
    fit = fit_gabors(patch)
    assert not fit.localized_edge[0], (fit.r2, fit.n_x, fit.envelope_length)


def test_long_bars_and_three_stripe_gabors_are_not_localized():
    bars = gabor_patches(8, sigma_x=1.2, sigma_y=6.0, frequency=0.2, phase=np.pi / 2,
                         orientation=[0.0, 0.5, 1.2])
    stripes = gabor_patches(8, sigma_x=4.0, sigma_y=1.8, frequency=0.25,
                            orientation=[0.0, 0.7, 2.0])
    bar_fit, stripe_fit = fit_gabors(bars), fit_gabors(stripes)
    assert not bar_fit.localized_edge.any() and not bar_fit.ends_inside.any()
    assert not stripe_fit.localized_edge.any() and np.all(stripe_fit.n_x > 0.5)


def test_fit_is_deterministic_and_ignores_scale_and_offset():
    calibration = gabor_calibration(n=5, rng=3)
    mixed = np.concatenate([calibration.patches[k] for k in calibration.patches])
    first, again = fit_gabors(mixed), fit_gabors(mixed.reshape(len(mixed), -1))
    # Not bit-identical: numpy's SIMD sums can depend on the copy's memory alignment.
    np.testing.assert_allclose(first.r2, again.r2, rtol=1e-12)
    np.testing.assert_array_equal(first.localized_edge, again.localized_edge)
    scaled = fit_gabors(-2.5 * mixed + 7.0)
    np.testing.assert_allclose(scaled.r2, first.r2, atol=1e-6)
    np.testing.assert_array_equal(scaled.localized_edge, first.localized_edge)


def test_flat_filter_fits_nothing():
    fit = fit_gabors(np.zeros((1, 64)))
    assert fit.r2[0] == 0 and not fit.localized_edge[0]


def test_thresholds_change_the_verdict():
    patch = gabor_patches(8, sigma_x=1.5, sigma_y=1.5, frequency=0.25, phase=np.pi / 2)
    assert fit_gabors(patch).localized_edge[0]  # n_x = 0.375
    assert not fit_gabors(patch, nx_max=0.3).localized_edge[0]
    assert "n_x <= 0.3" in fit_gabors(patch, nx_max=0.3).criterion()


@pytest.mark.parametrize(("args", "kwargs", "error", "match"), [
    ((np.ones((3, 10)),), {}, ValueError, "filters must be \\(n_filters, p\\*p\\)"),
    ((np.ones((3, 4, 5)),), {}, ValueError, "filters must be"),
    ((np.ones(64),), {}, ValueError, "filters must be"),
    ((np.ones((3, 64), dtype=int),), {}, TypeError, "filters must be a float32 or float64"),
    ((np.full((3, 64), np.nan),), {}, ValueError, "filters must be finite"),
    ((np.ones((3, 64)),), {"r2_min": 1.5}, ValueError, "r2_min must be in \\[0, 1\\]"),
    ((np.ones((3, 64)),), {"nx_max": 0}, ValueError, "nx_max must be > 0"),
])
def test_fit_gabors_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        fit_gabors(*args, **kwargs)


def test_gabor_patches_bad_input():
    with pytest.raises(ValueError, match="sigma_x must be positive"):
        gabor_patches(8, sigma_x=0, sigma_y=1, frequency=0.2)
    with pytest.raises(ValueError, match="one length"):
        gabor_patches(8, sigma_x=[1, 2], sigma_y=[1, 2, 3], frequency=0.2)
    with pytest.raises(ValueError, match="patch_size must be >= 3"):
        gabor_patches(2, sigma_x=1, sigma_y=1, frequency=0.2)


def test_the_criteria_nest():
    fits = gabor_calibration(rng=0).fits
    for fit in fits.values():
        assert np.all(fit.edge_or_bar <= fit.gabor_like)
        assert np.all(fit.localized_edge == (fit.edge_or_bar & fit.ends_inside))
        assert np.array_equal(fit.gabor_like, fit.r2 >= fit.r2_min)
