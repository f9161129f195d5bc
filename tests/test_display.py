"""display_network (UFLDL's mosaic) and the maximally activating inputs."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from ufldl_helpers.display import (
    display_network,
    max_activating_inputs,
    network_mosaic,
    plot_cost_history,
    plot_kl_penalty,
    plot_whitening,
)


def tile(mosaic, k, cols, p=8, gap=1):
    r, c = divmod(k, cols)
    top, left = gap + r * (p + gap), gap + c * (p + gap)
    return mosaic[top:top + p, left:left + p]


def test_mosaic_shape_gaps_and_per_tile_normalization():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(64, 25)) * np.arange(1, 26)  # very different contrasts
    mosaic = network_mosaic(A)
    assert mosaic.shape == (1 + 5 * 9, 1 + 5 * 9)
    gaps = np.ones(mosaic.shape, bool)
    for k in range(25):
        t = tile(mosaic, k, 5)
        assert np.abs(t).max() == pytest.approx(1.0)  # each tile uses the full gray range
        r, c = divmod(k, 5)
        gaps[1 + r * 9:9 + r * 9, 1 + c * 9:9 + c * 9] = False
    assert np.all(mosaic[gaps] == -1)
    # tile k is column k (minus the global mean) as an 8x8 image, row by row, rescaled
    centered = A - A.mean()
    np.testing.assert_allclose(tile(mosaic, 7, 5),
                               centered[:, 7].reshape(8, 8) / np.abs(centered[:, 7]).max())


def test_mosaic_without_normalization_keeps_relative_contrast():
    A = np.outer(np.linspace(-1, 1, 16), [1.0, 0.5])
    mosaic = network_mosaic(A, normalize=False, cols=2)
    assert mosaic.shape == (1 + 4 + 1, 1 + 2 * 5)
    assert np.abs(tile(mosaic, 0, 2, p=4)).max() == pytest.approx(1.0)
    assert np.abs(tile(mosaic, 1, 2, p=4)).max() == pytest.approx(0.5)


def test_matlab_order_transposes_each_tile():
    A = np.arange(16.0)[:, None] - 7.5
    np.testing.assert_allclose(tile(network_mosaic(A, order="F"), 0, 1, p=4),
                               tile(network_mosaic(A), 0, 1, p=4).T)


@pytest.mark.parametrize(("M", "shape"), [(196, (14, 14)), (10, (3, 4)), (7, (2, 4)),
                                          (100, (10, 10))])
def test_layout_follows_ufldl(M, shape):
    rows, cols = shape
    mosaic = network_mosaic(np.random.default_rng(0).normal(size=(16, M)))
    assert mosaic.shape == (1 + rows * 5, 1 + cols * 5)


def test_display_network_draws_the_mosaic():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(64, 10))
    fig = display_network(A, title="W1")
    try:
        image = fig.axes[0].images[0]
        np.testing.assert_array_equal(image.get_array(), network_mosaic(A))
        assert image.get_clim() == (-1, 1)
        assert fig.axes[0].get_title() == "W1"
    finally:
        plt.close(fig)
    fig, ax = plt.subplots()
    try:
        assert display_network(A, ax=ax) is fig
    finally:
        plt.close(fig)


def test_max_activating_inputs_are_unit_norm_and_maximize_the_activation():
    rng = np.random.default_rng(2)
    W1 = rng.normal(size=(5, 64))
    X = max_activating_inputs(W1)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0)
    best = np.einsum("ij,ij->i", W1, X)  # W1[i] . x_i = ||W1[i]||
    others = W1 @ (lambda v: v / np.linalg.norm(v, axis=0))(rng.normal(size=(64, 1000)))
    assert np.all(best[:, None] >= others)


@pytest.mark.parametrize(("args", "error", "match"), [
    ((np.ones((10, 3)),), ValueError, "A must hold square images"),
    ((np.ones(16),), ValueError, "A must be 2-D"),
    ((np.ones((16, 0)),), ValueError, "A must hold square images"),
    ((np.full((16, 2), np.nan),), ValueError, "A must be finite"),
    ((np.ones((16, 2), dtype=int),), TypeError, "A must be a float32 or float64 array"),
])
def test_network_mosaic_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        network_mosaic(*args)
    with pytest.raises(ValueError, match="cols must be >= 1"):
        network_mosaic(np.ones((16, 2)), cols=0)


def test_max_activating_inputs_bad_input():
    with pytest.raises(ValueError, match="W1 has all-zero rows \\[1\\]"):
        max_activating_inputs(np.array([[1.0, 2.0], [0.0, 0.0]]))


def test_kl_penalty_plot_has_one_curve_per_target_with_its_minimum_at_rho():
    fig = plot_kl_penalty((0.01, 0.2))
    try:
        lines = fig.axes[0].get_lines()
        assert [ln.get_label() for ln in lines] == ["rho = 0.01", "rho = 0.2"]
        for line, rho in zip(lines, (0.01, 0.2), strict=True):
            x, y = line.get_data()
            assert x[np.argmin(y)] == pytest.approx(rho, abs=1e-3) and y.min() < 1e-6
    finally:
        plt.close(fig)


def test_cost_history_plot_and_bad_labels():
    fig = plot_cost_history(np.array([50.0, 1.0, 0.4]), np.array([40.0, 0.5]),
                            labels=["a", "b"])
    try:
        ax = fig.axes[0]
        assert ax.get_yscale() == "log" and len(ax.get_lines()) == 2
        np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [50.0, 1.0, 0.4])
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="labels must have one entry per history"):
        plot_cost_history(np.ones(3), labels=["a", "b"])
    with pytest.raises(ValueError, match="at least one history"):
        plot_cost_history()


def test_whitening_plot_shows_both_images_and_spectra():
    rng = np.random.default_rng(0)
    raw = np.cumsum(np.cumsum(rng.normal(size=(32, 32, 2)), axis=0), axis=1)  # ~1/f^2 power
    white = rng.normal(size=(32, 32, 2))
    fig = plot_whitening(raw, white, index=1)
    try:
        left, middle, right = fig.axes
        assert left.get_title() == "raw image 1" and middle.get_title() == "whitened image 1"
        raw_line, white_line, _ = right.get_lines()
        assert raw_line.get_ydata()[-1] < 1e-2 < white_line.get_ydata()[-1]  # flattened
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="index must be in \\[0, 1\\]"):
        plot_whitening(raw, white, index=2)
