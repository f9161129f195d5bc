"""The localized-edge criterion on synthetic filters of known kind: Gabor edges counted;
full-field gratings, noise and blobs not; bad input."""

import numpy as np
import pytest

from ufldl_helpers.gabor_calibration import GaborCalibration, gabor_calibration


def test_calibration_counts_gabors_and_nothing_else():
    calibration = gabor_calibration()
    assert calibration.counts == {"Gabor edges": (20, 20), "full-field gratings": (0, 20),
                                  "noise": (0, 20), "blobs": (0, 20)}
    assert str(calibration).startswith("Gabor edges: 20 of 20 counted; full-field gratings: 0")
    fits = calibration.fits
    assert np.all(fits["noise"].r2 < 0.6)  # what r2_min = 0.8 stands on
    assert np.all(fits["full-field gratings"].r2 > 0.9)  # fitted well, rejected for its extent
    assert not fits["full-field gratings"].ends_inside.any()
    assert np.all(fits["blobs"].polarity_balance < 0.3)


def test_calibration_is_seeded_and_sized():
    calibration = gabor_calibration(patch_size=6, n=3, rng=1)
    assert isinstance(calibration, GaborCalibration)
    assert {k: x.shape for k, x in calibration.patches.items()} == dict.fromkeys(
        ("Gabor edges", "full-field gratings", "noise", "blobs"), (3, 6, 6))
    again = gabor_calibration(patch_size=6, n=3, rng=1)
    for kind, patches in calibration.patches.items():
        np.testing.assert_array_equal(patches, again.patches[kind])
    assert repr(calibration).startswith("<GaborCalibration: Gabor edges: ")


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"patch_size": 4}, ValueError, "patch_size"),
    ({"n": 0}, ValueError, "n must"),
    ({"noise": -0.1}, ValueError, "noise"),
    ({"rng": "seed"}, TypeError, "rng must be"),
])
def test_gabor_calibration_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        gabor_calibration(**kwargs)
