import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from ufldl_helpers.dead_leaves import dead_leaves, disc_radii


def r3_cdf(r, r_min, r_max):
    return (r_min**-2.0 - r**-2.0) / (r_min**-2.0 - r_max**-2.0)


def same_leaf_probability(d, r_min, r_max):
    """P(two points d apart lie in the same leaf) of the stationary dead-leaves model:
    E|D & (D + d)| / E|D | (D + d)| over the radius law (Matheron; Lee, Mumford & Huang, eq. 5)."""
    norm = 2.0 / (r_min**-2.0 - r_max**-2.0)

    def lens(r):  # area of the intersection of two discs of radius r, d apart
        return 2 * r**2 * np.arccos(min(d / (2 * r), 1.0)) - d / 2 * np.sqrt(max(4 * r**2 - d**2,
                                                                                0.0))

    both = scipy.integrate.quad(lambda r: lens(r) * norm * r**-3.0, r_min, r_max)[0]
    one = scipy.integrate.quad(lambda r: np.pi * r**2 * norm * r**-3.0, r_min, r_max)[0]
    return both / (2 * one - both)


def test_same_seed_same_images_other_seed_other_images():
    a = dead_leaves(48, r_min=1.0, r_max=12.0, n_images=2, blur=0.5, rng=3)
    b = dead_leaves(48, r_min=1.0, r_max=12.0, n_images=2, blur=0.5,
                    rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, dead_leaves(48, r_min=1.0, r_max=12.0, n_images=2, blur=0.5,
                                             rng=4))
    assert not np.array_equal(a[:, :, 0], a[:, :, 1])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("r_min, r_max", [(0.5, 0.5), (1.0, 40.0), (5.0, 5.0), (30.0, 200.0)])
def test_every_pixel_is_painted_with_a_level_in_0_1(seed, r_min, r_max):
    image = dead_leaves(37, r_min=r_min, r_max=r_max, rng=seed)
    assert image.shape == (37, 37) and image.dtype == np.float64
    assert np.all(np.isfinite(image))
    assert image.min() >= 0 and image.max() < 1


def test_leaves_are_flat_and_blur_smooths_them():
    sharp = dead_leaves(64, r_min=4.0, r_max=32.0, rng=0)
    # a few dozen leaves, each one grey level
    assert 5 < len(np.unique(sharp)) < 400
    blurred = dead_leaves(64, r_min=4.0, r_max=32.0, blur=1.0, rng=0)
    assert len(np.unique(blurred)) > 1000
    assert np.abs(np.diff(blurred, axis=1)).max() < np.abs(np.diff(sharp, axis=1)).max()
    assert blurred.mean() == pytest.approx(sharp.mean(), abs=0.01)
    assert blurred.min() >= 0 and blurred.max() < 1


@pytest.mark.parametrize("seed", range(3))
def test_radii_follow_the_r_minus_3_law(seed):
    r = disc_radii(20000, r_min=2.0, r_max=100.0, rng=seed)
    assert r.min() >= 2.0 and r.max() <= 100.0
    assert scipy.stats.kstest(r, lambda x: r3_cdf(x, 2.0, 100.0)).pvalue > 0.001
    # the test can fail: an r^-2 law (density ~ r^-2) is rejected
    u = np.random.default_rng(seed).random(20000)
    r2 = 1.0 / (1 / 2.0 - u * (1 / 2.0 - 1 / 100.0))
    assert scipy.stats.kstest(r2, lambda x: r3_cdf(x, 2.0, 100.0)).pvalue < 1e-6


@pytest.mark.parametrize("d", [1, 3, 8])
def test_images_have_the_models_same_leaf_probability(d):
    """Occlusion, the radius law and uniform centres together fix how often two pixels d apart
    show the same leaf; the border must look like the interior."""
    images = dead_leaves(128, r_min=2.0, r_max=32.0, n_images=8, rng=1)
    same = np.concatenate([(images[:, d:] == images[:, :-d]).ravel(),
                           (images[d:, :] == images[:-d, :]).ravel()])
    border = np.concatenate([(images[:, d:][:, :8] == images[:, :-d][:, :8]).ravel()])
    want = same_leaf_probability(d, 2.0, 32.0)
    assert same.mean() == pytest.approx(want, abs=0.03)
    assert border.mean() == pytest.approx(want, abs=0.06)


def test_one_image_or_a_stack():
    assert dead_leaves(16, r_min=1.0, r_max=4.0).shape == (16, 16)
    assert dead_leaves(16, r_min=1.0, r_max=4.0, n_images=3).shape == (16, 16, 3)
    np.testing.assert_array_equal(dead_leaves(16, r_min=1.0, r_max=4.0, n_images=1)[:, :, 0],
                                  dead_leaves(16, r_min=1.0, r_max=4.0))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"size": 0}, ValueError, "size"),
        ({"size": 8.0}, TypeError, "size"),
        ({"r_min": 0.0}, ValueError, "r_min"),
        ({"r_min": -1.0}, ValueError, "r_min"),
        ({"r_min": 0.3}, ValueError, "r_min must be >= 0.5"),
        ({"r_min": np.nan}, ValueError, "r_min"),
        ({"r_max": np.inf}, ValueError, "r_max"),
        ({"r_max": 0.5}, ValueError, "r_max must be >= r_min"),
        ({"r_max": "8"}, TypeError, "r_max"),
        ({"n_images": 0}, ValueError, "n_images"),
        ({"n_images": 2.0}, TypeError, "n_images"),
        ({"blur": -0.5}, ValueError, "blur"),
        ({"blur": None}, TypeError, "blur"),
        ({"rng": "seed"}, TypeError, "rng"),
        ({"rng": -1}, ValueError, "rng"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, message):
    args = {"size": 8, "r_min": 1.0, "r_max": 4.0, **kwargs}
    with pytest.raises(error, match=message):
        dead_leaves(**args)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [({"n": -1}, ValueError, "n must"), ({"r_min": 3.0}, ValueError, "r_max must be >= r_min")],
)
def test_disc_radii_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        disc_radii(**{"n": 5, "r_min": 1.0, "r_max": 2.0, **kwargs})
