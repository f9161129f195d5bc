"""Figures of the Gabor-fit filter measure: filters beside their fits, and the calibration."""

import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pytest

from ufldl_helpers.display import plot_gabor_calibration, plot_gabor_fits
from ufldl_helpers.filters import fit_gabors, gabor_calibration, gabor_patches


def test_gabor_figures_show_filters_fits_and_calibration():
    edges = gabor_patches(8, sigma_x=1.5, sigma_y=1.5, frequency=0.25, phase=np.pi / 2,
                          orientation=[0.0, 1.0, 2.0]).reshape(3, 64)
    W1 = np.concatenate([edges, np.random.default_rng(0).normal(size=(2, 64))])
    fig = plot_gabor_fits(W1, cols=2)
    try:
        shown = [ax for ax in fig.axes if ax.images]
        assert len(shown) == 10  # a filter and its fit, five times
        assert [ax.spines["top"].get_edgecolor() for ax in shown[::2]] == [
            matplotlib.colors.to_rgba(c) for c in ["tab:green"] * 3 + ["tab:red"] * 2]
        assert any("3 of 5 localized edges" in t.get_text() for t in fig.texts)
        np.testing.assert_allclose(shown[1].images[0].get_array(),
                                   (edges[0] - edges[0].mean()).reshape(8, 8)
                                   / np.abs(edges[0] - edges[0].mean()).max(), atol=1e-5)
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="fit holds 5 filters but filters has 2 rows"):
        plot_gabor_fits(W1[:2], fit_gabors(W1))
    calibration = gabor_calibration(n=4)
    fig = plot_gabor_calibration(calibration)
    try:
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert legend[0] == "Gabor edges (4 of 4 counted)"
        assert len(legend) == 4
    finally:
        plt.close(fig)
