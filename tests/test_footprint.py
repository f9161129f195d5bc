"""energy_footprint: the fewest pixels that hold a fraction of an image's energy."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ufldl_helpers.footprint import energy_footprint


def brute_force(row: np.ndarray, fraction: float) -> int:
    """The smallest k for which some k pixels hold ``fraction`` of the energy, by trying all k."""
    energy = np.sort(row**2)[::-1]
    for k in range(1, row.size + 1):
        if energy[:k].sum() >= fraction * energy.sum() * (1 - 1e-12):
            return k
    raise AssertionError("unreachable")


def test_a_single_pixel_and_a_flat_image():
    out = energy_footprint([[0.0, 5.0, 0.0, 0.0], [1.0, -1.0, 1.0, -1.0]], fraction=0.9)
    assert out.tolist() == [1, 4]


def test_fraction_one_counts_every_non_zero_pixel():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(50, 64)) * (rng.random((50, 64)) < 0.3)
    images[:, 0] = 1.0  # no all-zero row
    assert (energy_footprint(images, 1.0) == np.count_nonzero(images, axis=1)).all()


@given(seed=st.integers(0, 2**32 - 1), fraction=st.floats(0.05, 0.99))
def test_matches_brute_force_and_ignores_scale_sign_and_order(seed, fraction):
    rng = np.random.default_rng(seed)
    images = rng.standard_t(2, size=(5, 49))
    out = energy_footprint(images, fraction)
    assert out.tolist() == [brute_force(row, fraction) for row in images]
    shuffled = images[:, rng.permutation(49)]
    assert (energy_footprint(-3.5 * shuffled, fraction) == out).all()
    assert (energy_footprint(images.astype(np.float32), fraction) >= 1).all()


def test_a_stroke_uses_fewer_pixels_than_a_digit_made_of_three_strokes():
    stroke = np.zeros((28, 28))
    stroke[5:23, 13:15] = 1.0
    digit = stroke.copy()
    digit[5:7, 8:20] = 1.0
    digit[21:23, 8:20] = 1.0
    out = energy_footprint(np.stack([stroke.ravel(), digit.ravel()]))
    assert out[0] < out[1] / 2


@pytest.mark.parametrize(("images", "fraction", "error", "match"), [
    ([[0.0, 0.0], [1.0, 2.0]], 0.8, ValueError, "row 0 is all zeros"),
    ([1.0, 2.0], 0.8, ValueError, "images must be 2-D"),
    ([[1.0, np.nan]], 0.8, ValueError, "images must be finite"),
    (np.ones((2, 3), dtype=np.uint8), 0.8, TypeError, "images must be a float32 or float64"),
    ([[1.0, 2.0]], 0.0, ValueError, "fraction"),
    ([[1.0, 2.0]], 1.5, ValueError, "fraction"),
])
def test_bad_input_names_the_argument(images, fraction, error, match):
    with pytest.raises(error, match=match):
        energy_footprint(images, fraction)
