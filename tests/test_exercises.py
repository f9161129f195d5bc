"""The notebooks' exercises: stored unsolved, and every revealed solution passes its own check.

An exercise is a code cell tagged ``exercise`` under a markdown heading containing "Exercise",
followed (before the next code cell) by a markdown cell with a collapsed ``<summary>Solution``
holding a fenced python block. The stored notebook shows "Not attempted yet" for every exercise
(nbval runs the series unsolved); here each notebook is run with every exercise cell replaced by
its solution, and each check must answer "Correct".
"""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from ufldl_helpers.exercises import CORRECT, NOT_ATTEMPTED

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SERIES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
WITH_EXERCISES = [p for p in SERIES if not p.name.startswith("00_")]
SOLUTION = re.compile(r"<summary>\s*Solution.*?```python\n(.*?)```", re.DOTALL | re.IGNORECASE)


def _text(cell) -> str:
    return "".join(cell.source) if isinstance(cell.source, list) else cell.source


def exercises(nb):
    """Yield ``(index, heading, solution_code)`` for each exercise cell of ``nb``."""
    heading = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for line in _text(cell).splitlines():
                if line.startswith("#"):
                    heading = line
        if cell.cell_type == "code" and "exercise" in cell.metadata.get("tags", []):
            solution = None
            for later in nb.cells[i + 1:]:
                if later.cell_type == "code":
                    break
                found = SOLUTION.search(_text(later))
                if found:
                    solution = found.group(1)
                    break
            yield i, heading, solution


def _outputs_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            parts.append(out["text"])
        parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.name)
def test_exercises_are_well_formed_and_stored_unsolved(path):
    nb = nbformat.read(path, as_version=4)
    found = list(exercises(nb))
    assert len(found) >= 3, f"{path.name} has {len(found)} exercises; at least 3 expected"
    for i, heading, solution in found:
        assert heading and "exercise" in heading.lower(), (
            f"{path.name} cell {i}: an exercise cell must sit under a heading with 'Exercise'"
        )
        assert solution, f"{path.name} cell {i}: no collapsed <summary>Solution with python code"
        assert NOT_ATTEMPTED in _outputs_text(nb.cells[i]), (
            f"{path.name} cell {i}: stored output should show '{NOT_ATTEMPTED}'"
        )


@pytest.mark.slow
@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.name)
def test_every_solution_passes_its_check(path):
    nb = nbformat.read(path, as_version=4)
    solved = list(exercises(nb))
    for i, _, solution in solved:
        nb.cells[i].source = solution
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    for i, heading, _ in solved:
        text = _outputs_text(nb.cells[i])
        assert CORRECT in text and "Not yet" not in text, (
            f"{path.name} cell {i} ({heading}): the solution's check says {text!r}"
        )
