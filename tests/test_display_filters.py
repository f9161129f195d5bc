"""Figures of learned filters: the Gabor fits beside the filters, the calibration, a trained
layer's statistics and sweeps of filters."""

import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np
import pytest

from ufldl_helpers.display_filters import (
    plot_filter_statistics,
    plot_gabor_calibration,
    plot_gabor_fits,
    plot_hyperparameter_sweep,
)
from ufldl_helpers.filter_statistics import filter_statistics
from ufldl_helpers.filters import fit_gabors, gabor_patches
from ufldl_helpers.gabor_calibration import gabor_calibration
from ufldl_helpers.training import hyperparameter_sweep


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


def test_filter_statistics_plot_shows_counts():
    rng = np.random.default_rng(0)
    W1 = rng.normal(size=(6, 64))
    stats = filter_statistics(W1, rng.random((64, 20)), b1=np.zeros(6), sparsity_param=0.05)
    fig = plot_filter_statistics(stats)
    try:
        left, right = fig.axes
        assert len(left.patches) == 6  # one bar per hidden unit
        assert left.get_lines()[0].get_ydata()[0] == 0.05
        labels = [t.get_text() for t in right.get_legend().get_texts()]
        assert labels == ["not localized edge (6)"]  # random filters
        assert right.get_title() == "Gabor fits: 0 of 6 localized edges"
    finally:
        plt.close(fig)


def test_hyperparameter_sweep_plot_has_a_row_per_parameter():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 0.9, (16, 50))
    sweep = hyperparameter_sweep(x, 3, {"beta": [0.0, 3.0], "sparsity_param": [0.01]},
                                 max_iter=3)
    assert sweep["beta"][3.0] is sweep["sparsity_param"][0.01]  # the same setting, trained once
    fig = plot_hyperparameter_sweep(sweep)
    try:
        assert len(fig.axes) == 4
        assert fig.axes[0].get_title().startswith("beta = 0\n")
        assert not fig.axes[3].images  # the empty cell in the second row
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="names must be among"):
        plot_hyperparameter_sweep(sweep, names=["rho"])
