"""One notation and one delta convention across the series (notebook 00's table rules).

* delta is UFLDL's per-example error: no assignment to ``delta2``/``delta3`` divides by ``m``
  (the 1/m of the average belongs to the gradient formulas);
* math uses the code's names with subscripts (``W_1``, ``a_2``, ``\\delta_3``), not UFLDL's layer
  superscripts (``W^{(1)}``), except where a notebook explains how the two map onto each other.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(ROOT.glob("[0-9][0-9]_*.ipynb")) + sorted(
    (ROOT / "assignments" / "source").glob("*/*.ipynb"))
DELTA_OVER_M = re.compile(r"^\s*delta[23]\s*=.*(/\s*m\b|/\s*X\.shape\[1\]|\.mean\(axis=1\))",
                          re.MULTILINE)
SUPERSCRIPT = re.compile(r"(W|b|a|z|\\delta)\^\{?\((\d|l|l\+1)\)")


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_delta_is_per_example(path):
    for i, cell in enumerate(cells(path)):
        if cell["cell_type"] != "code":
            continue
        found = DELTA_OVER_M.search("".join(cell["source"]))
        assert not found, (
            f"{path.name} cell {i}: {found.group(0).strip()!r} folds the 1/m into delta; "
            "this series uses UFLDL's per-example delta (the 1/m is in the gradient formulas)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_math_uses_subscripts(path):
    for i, cell in enumerate(cells(path)):
        if cell["cell_type"] != "markdown":
            continue
        for line in "".join(cell["source"]).splitlines():
            if "UFLDL" in line:  # a sentence mapping UFLDL's notation onto ours
                continue
            found = SUPERSCRIPT.search(line)
            assert not found, (
                f"{path.name} cell {i}: {found.group(0)!r} is UFLDL's superscript notation; "
                f"write it as notebook 00's table does (e.g. W_1): {line.strip()[:80]!r}")
