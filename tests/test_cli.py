"""The command line's plumbing: --version, program names, `notebooks [DIR]`, the tour's hint,
and a wheel that hands the series out without a repository checkout."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import ufldl_helpers
from ufldl_helpers import __main__ as cli

ROOT = Path(__file__).resolve().parents[1]
SERIES = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
ASSIGNMENTS = sorted(p.relative_to(ROOT / "notebooks").as_posix()
                     for p in (ROOT / "notebooks" / "assignments" / "source").rglob("*.ipynb"))
# What an nbgrader source notebook holds and a student must never get.
SOLUTION_MARKERS = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS")


def assert_no_solutions(files):
    """No file among ``files`` (paths) is an assignment or holds a solution or hidden test."""
    files = list(files)
    assert files
    assert not [f for f in files if "assignments" in Path(f).parts]
    for f in files:
        text = Path(f).read_text(encoding="utf-8", errors="replace")
        assert not [m for m in SOLUTION_MARKERS if m in text], f


def run(*args, env=None, cwd=ROOT):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, **(env or {})})


def test_version_is_the_installed_distributions(capsys):
    assert ufldl_helpers.__version__ == importlib.metadata.version("ufldl-helpers")
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"ufldl-helpers {ufldl_helpers.__version__}\n"


def test_help_names_the_program_as_it_was_called():
    result = run(sys.executable, "-m", "ufldl_helpers", "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: python -m ufldl_helpers ")
    script = Path(sys.executable).with_name("ufldl-helpers")
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable}")
    result = run(str(script), "notebooks", "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: ufldl-helpers notebooks ")


def test_the_markers_are_what_the_assignments_sources_hold():
    # otherwise the checks below could not fail
    for a in ASSIGNMENTS:
        text = (ROOT / "notebooks" / a).read_text(encoding="utf-8")
        assert all(m in text for m in SOLUTION_MARKERS), a


def test_notebooks_copies_the_series_and_no_solutions(tmp_path, capsys):
    dest = tmp_path / "course"
    assert cli.main(["notebooks", str(dest)]) == 0
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert set(SERIES) <= set(copied)
    assert_no_solutions(dest / c for c in copied)
    assert not [c for c in copied if ".ipynb_checkpoints" in c or "__pycache__" in c]
    for name in SERIES:
        assert (dest / name).read_bytes() == (ROOT / "notebooks" / name).read_bytes()
    out = capsys.readouterr().out
    assert f"Copied {len(copied)} files into {dest}/" in out and f"jupyter lab {dest}/" in out


def test_notebooks_never_overwrites_a_learners_work_without_force(tmp_path, capsys):
    dest = tmp_path / "course"
    cli.main(["notebooks", str(dest)])
    n = sum(p.is_file() for p in dest.rglob("*"))
    edited = dest / SERIES[0]
    edited.write_text("my answers", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        cli.main(["notebooks", str(dest)])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert f"already holds {n} of the {n} files" in err
    assert "pass --force to overwrite" in err and SERIES[0] in err
    assert edited.read_text(encoding="utf-8") == "my answers"
    assert cli.main(["notebooks", str(dest), "--force"]) == 0
    assert edited.read_bytes() == (ROOT / "notebooks" / SERIES[0]).read_bytes()


def test_notebooks_into_an_empty_existing_folder_and_a_file(tmp_path, capsys):
    assert cli.main(["notebooks", str(tmp_path)]) == 0  # exists, empty: fine
    target = tmp_path / "a_file"
    target.write_text("", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        cli.main(["notebooks", str(target)])
    assert exc.value.code == 1 and "must be a folder" in capsys.readouterr().err


def test_tour_hint_for_a_checkout(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert "    jupyter lab notebooks/" in cli._next_steps()
    monkeypatch.chdir(ROOT.parent)
    assert f"    jupyter lab {ROOT.name}/notebooks/" in cli._next_steps()


def test_tour_hint_for_a_wheel_and_without_jupyterlab(monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "notebooks_source", lambda: tmp_path / "_notebooks")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "jupyterlab" else real(name, *a))
    hint = cli._next_steps()
    assert "    python -m ufldl_helpers notebooks ufldl-notebooks\n" in hint
    assert "    jupyter lab ufldl-notebooks/" in hint
    assert 'python -m pip install "ufldl-helpers[lab]"' in hint


@pytest.mark.slow
def test_the_sdist_holds_no_solutions(tmp_path):
    """The source distribution leaves out notebooks/assignments/source (solutions, hidden
    tests) but keeps the series, which its wheel force-includes."""
    pytest.importorskip("hatchling")
    build = run(sys.executable, "-c", "import sys; from hatchling.build import build_sdist; "
                "print(build_sdist(sys.argv[1]))", str(tmp_path))
    assert build.returncode == 0, build.stderr[-2000:]
    with tarfile.open(tmp_path / build.stdout.strip()) as sdist:
        names = sdist.getnames()
        root = names[0].split("/")[0]
        assert {f"{root}/notebooks/{n}" for n in SERIES} <= set(names)
        assert not [n for n in names if "assignments/source" in n]
        # tests/ and the READMEs name the markers to look for them or explain them
        for member in sdist.getmembers():
            if (member.isfile() and member.name.endswith((".ipynb", ".py"))
                    and not member.name.startswith(f"{root}/tests/")):
                text = sdist.extractfile(member).read().decode("utf-8", errors="replace")
                assert not [m for m in SOLUTION_MARKERS if m in text], member.name


@pytest.mark.slow
def test_a_wheel_hands_out_the_notebooks_without_the_repository(tmp_path):
    """Build the wheel, install it (without its dependencies, which this environment has) into
    a folder of its own, and run its console script away from the checkout."""
    wheels = tmp_path / "wheels"
    build = run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels),
                str(ROOT))
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("ufldl_helpers-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"ufldl_helpers/py.typed", "ufldl_helpers/_data/natural_images.npz",
            *(f"ufldl_helpers/_notebooks/{n}" for n in SERIES)} <= names
    shipped = tmp_path / "unzipped"
    zipfile.ZipFile(wheel).extractall(shipped)
    assert_no_solutions(p for p in shipped.rglob("*")
                        if p.is_file() and p.suffix in {".ipynb", ".py", ".md", ".cfg"})
    site = tmp_path / "site"
    install = run(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                  str(site), str(wheel))
    assert install.returncode == 0, install.stderr[-2000:]
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {"PYTHONPATH": str(site)}  # ahead of the editable checkout on sys.path
    where = run(sys.executable, "-c", "import ufldl_helpers; print(ufldl_helpers.__file__)",
                env=env, cwd=away)
    assert Path(where.stdout.strip()).is_relative_to(site), where
    result = run(str(site / "bin" / "ufldl-helpers"), "notebooks", "course", env=env, cwd=away)
    assert result.returncode == 0, result.stderr
    copied = {p.relative_to(away / "course").as_posix()
              for p in (away / "course").rglob("*.ipynb")}
    assert copied == set(SERIES)
    hint = run(sys.executable, "-c", "from ufldl_helpers.__main__ import _next_steps; "
               "print(_next_steps())", env=env, cwd=away)
    assert "python -m ufldl_helpers notebooks ufldl-notebooks" in hint.stdout, hint
