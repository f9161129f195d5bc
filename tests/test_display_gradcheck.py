import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from ufldl_helpers.display import plot_epsilon_sweep, plot_gradient_check
from ufldl_helpers.gradcheck import check_gradient, epsilon_sweep
from ufldl_helpers.network import initialize_mlp, mlp_cost_and_grad, mlp_layout


@pytest.fixture(scope="module")
def problem():
    sizes = (4, 3, 2)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(4, 6)), rng.integers(0, 2, size=6)
    theta = initialize_mlp(sizes, rng=1)

    def fun(t):
        return mlp_cost_and_grad(t, sizes, X, Y)

    return fun, theta, mlp_layout(sizes)


@pytest.fixture(scope="module")
def sweep(problem):
    fun, theta, _ = problem
    return epsilon_sweep(fun, theta, np.logspace(-10, -1, 10))


def test_plot_epsilon_sweep_draws_the_curve_and_marker(sweep):
    fig = plot_epsilon_sweep(sweep, highlight=1e-4, tol=1e-9)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), sweep.epsilons)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert any("eps = 1e-04" in t.get_text() for t in ax.texts)
    plt.close(fig)


def test_plot_epsilon_sweep_into_given_axes(sweep):
    fig, ax = plt.subplots()
    assert plot_epsilon_sweep(sweep, ax=ax) is fig
    plt.close(fig)


def test_plot_gradient_check_one_color_per_block(problem):
    fun, theta, layout = problem
    report = check_gradient(lambda t: (fun(t)[0], 2 * fun(t)[1]), theta, blocks=layout)
    fig = plot_gradient_check(report)
    ax1, ax2 = fig.axes
    assert len(ax1.collections) == len(layout.names)
    heights = [p.get_height() for p in ax2.patches]
    np.testing.assert_allclose(heights, [report.block_errors[n] for n in layout.names])
    plt.close(fig)


def test_epsilon_slider_widget_redraws_with_the_plain_plot_function(sweep, monkeypatch, capsys):
    pytest.importorskip("ipywidgets")
    import ufldl_helpers.display
    from ufldl_helpers.widgets import epsilon_slider

    calls = []

    def recording(sw, **kw):
        calls.append(kw["highlight"])
        return plot_epsilon_sweep(sw, **kw)

    monkeypatch.setattr(ufldl_helpers.display, "plot_epsilon_sweep", recording)
    box = epsilon_slider(sweep, tol=1e-9)
    slider, _ = box.children
    assert slider.value == sweep.best_epsilon and calls == [sweep.best_epsilon]
    slider.value = float(sweep.epsilons[0])
    assert calls[-1] == sweep.epsilons[0]
    assert len(slider.options) == len(sweep.epsilons)


def test_epsilon_slider_without_ipywidgets_is_a_static_figure(sweep, monkeypatch):
    from ufldl_helpers.widgets import epsilon_slider

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import now raises ImportError
    fig = epsilon_slider(sweep)
    assert isinstance(fig, Figure)
    plt.close(fig)
