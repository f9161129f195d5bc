"""Interactive controls for the notebooks (ipywidgets).

This is the only module that touches ipywidgets, and it imports it lazily inside each function,
so the rest of the package works in a plain Python shell and in CI. Every widget is a thin
wrapper: the function it calls is a plain, tested function elsewhere in the package, and each
notebook cell that shows a widget also draws a static figure so the cell has output without a
front end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ufldl_helpers.gradcheck import EpsilonSweep
    from ufldl_helpers.training import TrainingResult

__all__ = ["epsilon_slider", "filter_explorer"]


def epsilon_slider(sweep: EpsilonSweep, *, tol: float | None = None,
                   value: float | None = None) -> Any | Figure:
    """A slider over the epsilons of a sweep that redraws the error curve with a marker.

    Moving the slider calls :func:`ufldl_helpers.display.plot_epsilon_sweep` with
    ``highlight=<slider value>`` (nothing is recomputed, so the slider is instant).

    Parameters
    ----------
    sweep : EpsilonSweep
        From :func:`ufldl_helpers.gradcheck.epsilon_sweep`.
    tol : float, optional
        Pass threshold drawn on the plot.
    value : float, optional
        Initial epsilon (default: the best one of the sweep).

    Returns
    -------
    ipywidgets.VBox, or matplotlib.figure.Figure
        The widget (slider above its plot). Without ipywidgets, the static figure for the
        initial value instead, so the call still shows something.
    """
    from ufldl_helpers.display import plot_epsilon_sweep

    start = sweep.best_epsilon if value is None else float(value)
    try:
        import ipywidgets as widgets
    except ImportError:
        return plot_epsilon_sweep(sweep, highlight=start, tol=tol)
    import matplotlib.pyplot as plt
    from IPython.display import display

    options = [(f"{e:.0e}", float(e)) for e in sweep.epsilons]
    nearest = min(options, key=lambda o: abs(o[1] - start))[1]
    slider = widgets.SelectionSlider(options=options, value=nearest, description="epsilon",
                                     continuous_update=False)
    out = widgets.Output()

    def redraw(change: object = None) -> None:
        with out:
            out.clear_output(wait=True)
            fig = plot_epsilon_sweep(sweep, highlight=slider.value, tol=tol)
            display(fig)
            plt.close(fig)

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, out])


def filter_explorer(sweep: dict[str, dict[float, TrainingResult]], *, name: str | None = None,
                    value: float | None = None) -> Any | Figure:
    """Buttons for a hyperparameter and a slider over its values, showing the learned filters.

    Each view is :func:`ufldl_helpers.display_filters.plot_filters` of a run that
    :func:`ufldl_helpers.training.hyperparameter_sweep` already trained, so moving
    the slider is instant.

    Parameters
    ----------
    sweep : dict name -> dict value -> TrainingResult
    name, value : optional
        Initial hyperparameter and value (default: the first of each).

    Returns
    -------
    ipywidgets.VBox, or matplotlib.figure.Figure
        The widget; without ipywidgets, the static figure of the initial choice.
    """
    from ufldl_helpers.display_filters import plot_filters

    name = next(iter(sweep)) if name is None else name
    if name not in sweep:
        raise ValueError(f"name must be one of {list(sweep)}, got {name!r}")
    values = list(sweep[name])
    value = values[0] if value is None else float(value)
    if value not in sweep[name]:
        raise ValueError(f"value must be one of {values} for {name}, got {value!r}")
    try:
        import ipywidgets as widgets
    except ImportError:
        return plot_filters(sweep[name][value], title=f"{name} = {value:g}")
    import matplotlib.pyplot as plt
    from IPython.display import display

    buttons = widgets.ToggleButtons(options=list(sweep), value=name, description="vary")
    slider = widgets.SelectionSlider(options=[(f"{v:g}", v) for v in sweep[name]], value=value,
                                     description="value", continuous_update=False)
    out = widgets.Output()

    def redraw(change: object = None) -> None:
        with out:
            out.clear_output(wait=True)
            fig = plot_filters(sweep[buttons.value][slider.value],
                               title=f"{buttons.value} = {slider.value:g}")
            display(fig)
            plt.close(fig)

    def new_name(change: dict[str, Any]) -> None:
        slider.unobserve(redraw, names="value")
        slider.options = [(f"{v:g}", v) for v in sweep[change["new"]]]
        slider.value = next(iter(sweep[change["new"]]))
        slider.observe(redraw, names="value")
        redraw()

    buttons.observe(new_name, names="value")
    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([buttons, slider, out])

