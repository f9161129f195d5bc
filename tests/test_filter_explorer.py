"""The hyperparameter widget of notebook 07 and the plot behind it."""

import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import ufldl_helpers.display_filters
from ufldl_helpers.display_filters import plot_filters
from ufldl_helpers.filters import fit_gabors
from ufldl_helpers.training import hyperparameter_sweep
from ufldl_helpers.widgets import filter_explorer


@pytest.fixture(scope="module")
def sweep():
    x = np.random.default_rng(0).uniform(0.1, 0.9, (16, 40))
    return hyperparameter_sweep(x, 4, {"beta": [0.0, 3.0], "lambda_": [0.0, 1e-4, 1e-2]},
                                max_iter=3)


def test_plot_filters_titles_the_edge_count(sweep):
    result = sweep["beta"][0.0]
    fig = plot_filters(result, title="beta = 0")
    try:
        fit = fit_gabors(result.W1)
        gabor_like = int((fit.r2 >= fit.r2_min).sum())
        assert fig.axes[0].get_title() == (f"beta = 0\nof 4: {gabor_like} Gabor-like, "
                                           f"{fit.n_localized_edges} localized")
        assert fig.axes[0].images[0].get_array().shape == (1 + 2 * 5, 1 + 2 * 5)
    finally:
        plt.close(fig)


def test_filter_explorer_redraws_the_chosen_run(sweep, monkeypatch):
    pytest.importorskip("ipywidgets")
    calls = []

    def recording(result, title=None, ax=None):
        calls.append((result, title))
        return plot_filters(result, title=title, ax=ax)

    monkeypatch.setattr(ufldl_helpers.display_filters, "plot_filters", recording)
    box = filter_explorer(sweep)
    buttons, slider, _ = box.children
    assert calls[-1] == (sweep["beta"][0.0], "beta = 0")
    slider.value = 3.0
    assert calls[-1] == (sweep["beta"][3.0], "beta = 3")
    buttons.value = "lambda_"
    assert len(slider.options) == 3 and slider.value == 0.0
    assert calls[-1] == (sweep["lambda_"][0.0], "lambda_ = 0")
    slider.value = 1e-2
    assert calls[-1] == (sweep["lambda_"][1e-2], "lambda_ = 0.01")
    plt.close("all")


def test_filter_explorer_static_without_ipywidgets_and_bad_choice(sweep, monkeypatch):
    with pytest.raises(ValueError, match="name must be one of"):
        filter_explorer(sweep, name="rho")
    with pytest.raises(ValueError, match="value must be one of"):
        filter_explorer(sweep, name="beta", value=7)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    fig = filter_explorer(sweep, name="lambda_", value=1e-4)
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_title().startswith("lambda_ = 0.0001\n")
    plt.close(fig)
