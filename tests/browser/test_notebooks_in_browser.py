"""The series in a real browser: every notebook runs in JupyterLab with live widgets.

Small fixture notebooks prove the harness itself, whatever ``notebooks/`` holds: sliders that
drive a figure and a line, and the package's own epsilon slider, must pass; a widget callback
that raises once a slider moves (a failure nbval cannot see: no widget front end runs there), a
widget left unrendered or shown as text, a cell that raises, and a dying kernel must be
reported. Then every ``notebooks/*.ipynb`` is run
the same way.

Run with ``python -m pytest -m browser tests/browser -q``; screenshots and report.json land in
``build/browser/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))

_IMPORTS = """\
import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display

import ufldl_helpers  # the kernel must import the package from the repository root
"""

_SLIDER = """\
n_slider = widgets.IntSlider(value=3, min=1, max=9, description="n")
# Updates only on release: the harness's key press must still reach the kernel.
scale_slider = widgets.FloatSlider(value=1.0, min=0.5, max=2.0, step=0.5, description="scale",
                                   continuous_update=False)

def show(n, scale):
{check}    fig, ax = plt.subplots(figsize=(4, 2.2))
    ax.plot(range(n + 1), [scale * k * k for k in range(n + 1)], marker="o")
    ax.set_title(f"{{scale}} k^2 for k <= {{n}}")
    plt.show()
    print(f"sum up to {{n}}: {{scale * sum(k * k for k in range(n + 1))}}")

display(n_slider, scale_slider,
        widgets.interactive_output(show, {{"n": n_slider, "scale": scale_slider}}))
"""

_BROKEN_CHECK = """\
    if n != 3:
        raise ValueError(f"broken callback on purpose (n={n})")
"""


def _notebook(about: str, *sources: str) -> dict:
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": src} for src in sources]
    cells.insert(0, {"cell_type": "markdown", "metadata": {},
                     "source": f"# Browser-harness fixture\n{about}"})
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"},
                         "language_info": {"name": "python"}}}


def test_fixture_slider_drives_figure_and_text(lab):
    nb = lab.add_notebook("fixtures/slider_ok.ipynb",
                          _notebook("Two sliders drive a figure and a line.", _IMPORTS,
                                    _SLIDER.format(check="")))
    run = lab.check(nb)
    assert run.executed_cells == run.expected_cells == 2
    assert run.widget_outputs == 3  # two sliders and the Output widget they drive
    assert run.controls["slider"] == 2 and run.controls["output"] == 1
    moves = [(m.label, m.value_before, m.value_after) for m in run.slider_moves]
    assert moves == [("n", "3", "4"), ("scale", "1.00", "1.50")]
    assert all(m.changed_output and not m.errors for m in run.slider_moves)
    assert run.screenshot.stat().st_size > 10_000


def test_fixture_broken_widget_callback_fails(lab):
    nb = lab.add_notebook("fixtures/slider_broken.ipynb",
                          _notebook("The callback raises once a slider moves.", _IMPORTS,
                                    _SLIDER.format(check=_BROKEN_CHECK)))
    with pytest.raises(AssertionError) as info:
        lab.check(nb)
    message = str(info.value)
    assert "after moving slider 'n' (3 -> 4)" in message
    assert "ValueError: broken callback on purpose (n=4)" in message


def test_fixture_cell_error_fails(lab):
    nb = lab.add_notebook("fixtures/cell_error.ipynb",
                          _notebook("A cell raises.", _IMPORTS, "1 / 0",
                                    "print('never reached')"))
    with pytest.raises(AssertionError, match=r"cell \d+: ZeroDivisionError: division by zero"):
        lab.check(nb)


def test_fixture_widget_without_front_end_fails(lab):
    # What a learner sees when the widget model is missing, and when no widget renderer exists.
    nb = lab.add_notebook("fixtures/widget_not_rendered.ipynb", _notebook(
        "A widget whose model does not exist, and one shown only as text.",
        "from IPython.display import display\n"
        "view = {'model_id': '0' * 32, 'version_major': 2, 'version_minor': 0}\n"
        "display({'application/vnd.jupyter.widget-view+json': view,\n"
        "         'text/plain': 'IntSlider(value=3)'}, raw=True)",
        "display({'text/plain': \"IntSlider(value=3, description='n')\"}, raw=True)"))
    with pytest.raises(AssertionError) as info:
        lab.check(nb)
    message = str(info.value)
    assert "widget not rendered: Error displaying widget: model not found" in message
    assert "widget shown as text, no live control: IntSlider(value=3, description='n')" in message


def test_package_epsilon_slider_redraws_its_plot(lab):
    # The series' own widget (a SelectionSlider over an Output), before the notebooks use it.
    nb = lab.add_notebook("fixtures/epsilon_slider.ipynb", _notebook(
        "The package's epsilon slider over a gradient-check sweep.",
        "import numpy as np\n"
        "from IPython.display import display\n"
        "from ufldl_helpers.gradcheck import epsilon_sweep\n"
        "from ufldl_helpers.widgets import epsilon_slider\n"
        "\n"
        "def cost(theta):\n"
        "    return float(np.sum(np.sin(theta))), np.cos(theta)\n"
        "\n"
        "sweep = epsilon_sweep(cost, np.linspace(-1.0, 1.0, 5), np.logspace(-8, -2, 7))\n"
        "display(epsilon_slider(sweep, value=1e-5))"))
    run = lab.check(nb)
    assert run.controls["slider"] == 1 and run.controls["output"] == 1
    [move] = run.slider_moves
    assert (move.value_before, move.value_after) == ("1e-05", "1e-04")
    assert move.changed_output and not move.errors


def test_fixture_kernel_crash_fails_fast(lab):
    nb = lab.add_notebook("fixtures/kernel_crash.ipynb",
                          _notebook("The kernel dies.", "import os\nos._exit(1)",
                                    "print('never reached')"))
    with pytest.raises(AssertionError, match=r"appears to have died|kernel is (gone|dead|"
                                             r"restarting|autorestarting)") as info:
        lab.check(nb)
    assert lab.runs[-1].seconds < 60, info.value


@pytest.mark.skipif(not NOTEBOOKS, reason=f"no notebooks in {NOTEBOOKS_DIR} yet")
@pytest.mark.parametrize("path", NOTEBOOKS or [None], ids=[p.name for p in NOTEBOOKS] or ["none"])
def test_notebook_runs_in_jupyterlab(lab, path):
    stored = json.loads(path.read_text(encoding="utf-8"))
    run = lab.check(f"notebooks/{path.name}", stored=stored)
    assert run.executed_cells == run.expected_cells
    assert run.screenshot.is_file()
