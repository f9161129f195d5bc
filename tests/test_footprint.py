"""energy_footprint: the fewest pixels that hold a fraction of an image's energy."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ufldl_helpers.footprint import energy_footprint


def brute_force(row: np.ndarray, fraction: float) -> int:
    """The smallest k for which some k pixels hold ``fraction`` of the energy (every subset)."""
    energy = row**2
    for k in range(1, row.size + 1):
        if any(energy[list(subset)].sum() >= fraction * energy.sum() * (1 - 1e-12)
               for subset in itertools.combinations(range(row.size), k)):
            return k
    raise AssertionError("unreachable")


def test_a_single_pixel_and_a_flat_image():
    out = energy_footprint([[0.0, 5.0, 0.0, 0.0], [1.0, -1.0, 1.0, -1.0]], fraction=0.9)
    assert out.tolist() == [1, 4]


@pytest.mark.parametrize("n_pixels", [64, 784, 4096])
def test_fraction_one_counts_every_non_zero_pixel(n_pixels):
    rng = np.random.default_rng(n_pixels)
    images = rng.normal(size=(200, n_pixels)) * (rng.random((200, n_pixels)) < 0.3)
    images[:, 0] = 1.0  # no all-zero row
    assert (energy_footprint(images, 1.0) == np.count_nonzero(images, axis=1)).all()


@given(seed=st.integers(0, 2**32 - 1), fraction=st.floats(0.05, 0.99))
def test_matches_every_subset_and_ignores_scale_sign_order_and_precision(seed, fraction):
    rng = np.random.default_rng(seed)
    images = rng.standard_t(2, size=(3, 9))
    out = energy_footprint(images, fraction)
    assert out.tolist() == [brute_force(row, fraction) for row in images]
    bigger = rng.standard_t(2, size=(5, 49))
    reference = energy_footprint(bigger, fraction)
    shuffled = bigger[:, rng.permutation(49)]
    assert (energy_footprint(-3.5 * shuffled, fraction) == reference).all()
    # float32 rounds the squares: the count may move by a pixel where a row sits at `fraction`.
    assert np.abs(energy_footprint(bigger.astype(np.float32), fraction) - reference).max() <= 1


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
