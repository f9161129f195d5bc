"""scripts/nbval_tags.py: nbval's marker comments become cell tags, and nbval honours the tags."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("nbval_tags", ROOT / "scripts" / "nbval_tags.py")
nbval_tags = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nbval_tags)


def notebook(source: list[str], stored: str = "stored-0000\n") -> dict:
    """One code cell printing a fresh UUID, with a stored output it can never reproduce."""
    return {"cells": [{"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {},
                       "outputs": [{"name": "stdout", "output_type": "stream", "text": [stored]}],
                       "source": source},
                      {"cell_type": "markdown", "id": "m1", "metadata": {},
                       "source": ["# NBVAL_SKIP in prose is not a marker"]}],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def write(path: Path, nb: dict) -> Path:
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_markers_become_tags_and_the_rest_is_untouched(tmp_path):
    path = write(tmp_path / "a.ipynb", notebook(
        ["# NBVAL_IGNORE_OUTPUT\n", "import uuid\n", "  #  NBVAL_SKIP \n", "print(uuid.uuid4())"]))
    assert nbval_tags.convert(path) == 2
    nb = json.loads(path.read_text(encoding="utf-8"))
    code, prose = nb["cells"]
    assert code["source"] == ["import uuid\n", "print(uuid.uuid4())"]
    assert code["metadata"]["tags"] == ["nbval-ignore-output", "nbval-skip"]
    assert prose == notebook([])["cells"][1]
    assert nbval_tags.convert(path) == 0  # idempotent
    assert nbval_tags.main(["--check", str(path)]) == 0


def test_check_mode_reports_and_changes_nothing(tmp_path, capsys):
    path = write(tmp_path / "a.ipynb", notebook(["# NBVAL_IGNORE_OUTPUT\n", "print(1)"]))
    before = path.read_bytes()
    assert nbval_tags.main(["--check", str(path)]) == 1
    assert path.read_bytes() == before
    assert "1 nbval marker comment(s) left" in capsys.readouterr().out


def test_a_notebook_without_markers_is_not_rewritten(tmp_path):
    path = write(tmp_path / "a.ipynb", notebook(["print(1)"]))
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # any bytes: must stay as they are
    before = path.read_bytes()
    assert nbval_tags.convert(path) == 0 and path.read_bytes() == before


@pytest.mark.slow
def test_nbval_honours_the_tag(tmp_path):
    tagged = write(tmp_path / "tagged.ipynb", notebook(
        ["# NBVAL_IGNORE_OUTPUT\n", "import uuid\n", "print(uuid.uuid4())"]))
    plain = write(tmp_path / "plain.ipynb", notebook(["import uuid\n", "print(uuid.uuid4())"]))
    nbval_tags.convert(tagged)
    assert "NBVAL" not in "".join(json.loads(tagged.read_text())["cells"][0]["source"])

    def nbval(path):
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "-o", "addopts=", "--nbval", "--nbval-current-env", str(path)],
                              capture_output=True, text=True, cwd=tmp_path, timeout=120)

    assert nbval(tagged).returncode == 0
    assert nbval(plain).returncode == 1  # the control: the same cell untagged fails
