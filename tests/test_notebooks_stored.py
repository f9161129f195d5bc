"""The notebooks must be stored executed: nbval compares against stored outputs, so a notebook
committed without outputs (or with an error) would make the regression test prove nothing."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SERIES = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def code_cells(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]


@pytest.mark.skipif(not SERIES, reason="no notebooks in notebooks/ yet")
@pytest.mark.parametrize("path", SERIES, ids=lambda p: p.name)
def test_notebook_is_stored_executed_without_errors(path):
    cells = code_cells(path)
    assert cells, f"{path.name} has no code cells"
    missing = [i for i, c in enumerate(cells) if c.get("execution_count") is None]
    assert not missing, f"{path.name}: code cells {missing} were never executed"
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name} was not run top to bottom on a fresh kernel (execution counts {counts})"
    )
    errors = [
        (i, o.get("ename"))
        for i, c in enumerate(cells)
        for o in c.get("outputs", [])
        if o["output_type"] == "error"
    ]
    assert not errors, f"{path.name} is stored with error outputs: {errors}"
    assert any(c.get("outputs") for c in cells), f"{path.name} is stored without outputs"
