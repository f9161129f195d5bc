"""The nbgrader assignments: sources pass, student versions fail clearly, nbgrader grades them.

The source notebooks (solutions in place) are executed cell by cell with nbclient. The tests that
need nbgrader (the optional ``classroom`` extra) generate the student version with
``nbgrader generate_assignment`` in a temporary course directory and skip when nbgrader is not
installed.
"""

from __future__ import annotations

import copy
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "notebooks" / "assignments"
ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir())


def _notebook_path(assignment: str) -> Path:
    (path,) = (COURSE / "source" / assignment).glob("*.ipynb")
    return path


def _nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _grade_cells(nb) -> list:
    return [c for c in nb.cells if _nbgrader_meta(c).get("grade")]


@pytest.fixture(scope="module")
def kernel_env():
    """Environment in which the kernel imports ``ufldl_helpers`` from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # nbgrader runs the `alembic` script of its environment from PATH, as in an activated venv.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _execute(nb, env, tmp_path: Path):
    """Run every cell (errors recorded, not raised) and return the executed notebook."""
    nb = copy.deepcopy(nb)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)  # passed on to the kernel manager: the kernel gets PYTHONPATH
    return nb


def _error(cell) -> str | None:
    """``"Name: message"`` of the cell's error output, or None if it ran cleanly."""
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            return f"{out.ename}: {out.evalue}"
    return None


def test_course_layout():
    assert (COURSE / "nbgrader_config.py").is_file()
    assert set(ASSIGNMENTS) >= {"backprop", "sparse_autoencoder", "bug_hunt"}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_has_nbgrader_structure(assignment):
    nb = nbformat.read(_notebook_path(assignment), as_version=4)
    solutions = [c for c in nb.cells if _nbgrader_meta(c).get("solution")]
    grades = _grade_cells(nb)
    assert solutions and grades
    for cell in solutions:
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    for cell in grades:
        meta = _nbgrader_meta(cell)
        assert meta["points"] > 0 and meta["locked"], meta["grade_id"]
        assert "grading." in cell.source, "test cells use the grading helpers"
    assert any("### BEGIN HIDDEN TESTS" in c.source for c in grades)
    ids = [_nbgrader_meta(c)["grade_id"] for c in nb.cells if _nbgrader_meta(c)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_passes_every_autograded_cell(assignment, kernel_env, tmp_path):
    nb = _execute(nbformat.read(_notebook_path(assignment), as_version=4), kernel_env, tmp_path)
    errors = {c.get("id"): _error(c) for c in nb.cells if c.cell_type == "code" and _error(c)}
    assert errors == {}
    # nbgrader reads a test cell's output value as partial credit and stderr as a failure:
    # passing test cells print nothing.
    for cell in _grade_cells(nb):
        assert cell.outputs == [], (cell.get("id"), cell.outputs)


def _break_solution(nb, grade_id: str, old: str, new: str):
    (cell,) = [c for c in nb.cells if _nbgrader_meta(c).get("grade_id") == grade_id]
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    return nb


WRONG_SOLUTIONS = {
    # Weight decay left out of W1's gradient (the cost keeps it): the doctor names it.
    "missing decay": ("sparse_autoencoder", "sparse_autoencoder_cost",
                      "W1grad = delta2 @ data.T / m + lambda_ * W1", "W1grad = delta2 @ data.T / m",
                      ["W1"], ["missing_regularization"]),
    # The sparsity term left out of delta2: wrong only once the sparsity penalty is on.
    "missing sparsity delta": ("sparse_autoencoder", "sparse_autoencoder_cost",
                               "W2.T @ delta3 + sparsity_delta[:, None]", "W2.T @ delta3",
                               ["W1", "b1"], ["goes wrong once the sparsity penalty is added"]),
    # Weight decay added to a bias gradient.
    "decayed bias": ("backprop", "two_layer_cost_and_grad",
                     "b1grad = delta2.sum(axis=1)", "b1grad = delta2.sum(axis=1) + lambda_ * b1",
                     ["b1"], ["regularized_bias"]),
}


@pytest.mark.parametrize("case", WRONG_SOLUTIONS)
def test_wrong_solution_gets_the_doctors_feedback(case, kernel_env, tmp_path):
    assignment, grade_id, old, new, wrong_blocks, expected = WRONG_SOLUTIONS[case]
    nb = _break_solution(nbformat.read(_notebook_path(assignment), as_version=4),
                         grade_id, old, new)
    nb = _execute(nb, kernel_env, tmp_path)
    by_id = {c.get("id"): c for c in nb.cells}
    assert _error(by_id["test_cost"]) is None  # the cost is still right
    message = _error(by_id["test_gradient"])
    assert message.startswith("GradingError"), message
    for fragment in expected:
        assert fragment in message, (fragment, message)
    wrong = [ln.split()[0] for ln in message.splitlines() if ln.endswith("<- wrong")]
    assert wrong == wrong_blocks, message


def test_wrong_cost_term_is_named(kernel_env, tmp_path):
    nb = nbformat.read(_notebook_path("backprop"), as_version=4)
    nb = _break_solution(nb, "two_layer_cost_and_grad",
                         "0.5 * lambda_ * (np.sum(W1**2)", "lambda_ * (np.sum(W1**2)")
    nb = _execute(nb, kernel_env, tmp_path)
    message = _error(next(c for c in nb.cells if c.get("id") == "test_cost"))
    assert "weight decay" in message and "2 times the reference" in message
    assert "cross-entropy" in message


# --- through nbgrader -----------------------------------------------------------------------

def _nbgrader(args, cwd: Path, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def released(tmp_path_factory, kernel_env):
    """A copy of the course with every assignment generated: (course dir, env)."""
    pytest.importorskip("nbgrader")
    course = tmp_path_factory.mktemp("course")
    shutil.copy(COURSE / "nbgrader_config.py", course)
    shutil.copytree(COURSE / "source", course / "source")
    for assignment in ASSIGNMENTS:
        result = _nbgrader(["generate_assignment", assignment], course, kernel_env)
        assert result.returncode == 0, result.stderr[-3000:]
    return course


def _release(course: Path, assignment: str):
    path = course / "release" / assignment / _notebook_path(assignment).name
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_has_no_solutions_or_hidden_tests(released, assignment):
    source = nbformat.read(_notebook_path(assignment), as_version=4)
    student = _release(released, assignment)
    assert len(student.cells) == len(source.cells)
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert "HIDDEN TESTS" not in text
    for src, stu in zip(source.cells, student.cells, strict=True):
        meta = _nbgrader_meta(src)
        if meta.get("solution"):
            assert "raise NotImplementedError()" in stu.source
            solution = src.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
            body = [ln.strip() for ln in solution.splitlines() if ln.strip()]
            assert not any(ln in stu.source.splitlines() for ln in body[:3])
        elif "### BEGIN HIDDEN TESTS" in src.source:
            hidden = src.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
            assert hidden.strip() not in stu.source
            assert stu.source.strip() == src.source.split("### BEGIN HIDDEN TESTS")[0].strip()
        else:
            assert stu.source == src.source
        assert not stu.get("outputs")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_fails_with_a_clear_message(released, assignment, kernel_env, tmp_path):
    nb = _execute(_release(released, assignment), kernel_env, tmp_path)
    grades = _grade_cells(nb)
    assert grades
    for cell in grades:
        message = _error(cell)
        assert message is not None, _nbgrader_meta(cell)["grade_id"]
        # Not a bare NotImplementedError or NameError: the helper says what to do.
        assert message.startswith("GradingError"), message
    messages = [_error(c) for c in grades]
    assert any("is not implemented yet" in m and "raise NotImplementedError()" in m
               for m in messages)


def _fill_in(student, source):
    """The student version with every stub replaced by the instructor's solution."""
    filled = copy.deepcopy(student)
    for cell, src in zip(filled.cells, source.cells, strict=True):
        if _nbgrader_meta(src).get("solution"):
            cell.source = "\n".join(ln for ln in src.source.splitlines()
                                    if ln.strip() not in ("### BEGIN SOLUTION",
                                                          "### END SOLUTION"))
    return filled


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_version_passes_once_filled_in(released, assignment, kernel_env, tmp_path):
    source = nbformat.read(_notebook_path(assignment), as_version=4)
    nb = _execute(_fill_in(_release(released, assignment), source), kernel_env, tmp_path)
    errors = {c.get("id"): _error(c) for c in nb.cells if c.cell_type == "code" and _error(c)}
    assert errors == {}


@pytest.mark.slow
def test_autograde_scores_and_feedback(released, kernel_env):
    """``nbgrader autograde`` (hidden tests restored): filled in gets every point, stubs none,
    and a slip in the sparse autoencoder gets the doctor's finding in its feedback."""
    for assignment in ASSIGNMENTS:
        name = _notebook_path(assignment).name
        student = _release(released, assignment)
        source = nbformat.read(_notebook_path(assignment), as_version=4)
        submissions = [("solver", _fill_in(student, source)), ("blank", student)]
        if assignment == "sparse_autoencoder":
            _, grade_id, old, new, _, _ = WRONG_SOLUTIONS["missing decay"]
            slip = _break_solution(copy.deepcopy(source), grade_id, old, new)
            submissions.append(("slip", _fill_in(student, slip)))
        for student_id, nb in submissions:
            dest = released / "submitted" / student_id / assignment
            dest.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, dest / name)
        result = _nbgrader(["autograde", assignment, "--create"], released, kernel_env)
        assert result.returncode == 0, result.stderr[-3000:]
    totals = {}
    with sqlite3.connect(released / "gradebook.db") as db:
        rows = db.execute(
            "SELECT submitted_assignment.student_id, assignment.name, "
            "SUM(grade.auto_score), SUM(grade_cells.max_score) "
            "FROM grade JOIN grade_cells ON grade.cell_id = grade_cells.id "
            "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
            "JOIN submitted_assignment ON submitted_notebook.assignment_id = "
            "submitted_assignment.id "
            "JOIN assignment ON submitted_assignment.assignment_id = assignment.id "
            "GROUP BY 1, 2").fetchall()
    for student, assignment, score, max_score in rows:
        totals[student, assignment] = (score, max_score)
    for assignment in ASSIGNMENTS:
        source = nbformat.read(_notebook_path(assignment), as_version=4)
        points = sum(_nbgrader_meta(c)["points"] for c in _grade_cells(source))
        assert totals["solver", assignment] == (points, points)
        assert totals["blank", assignment] == (0, points)
        # autograde ran the hidden tests: they are back in the graded copy
        graded = released / "autograded" / "solver" / assignment / _notebook_path(assignment).name
        assert "### BEGIN HIDDEN TESTS" in graded.read_text(encoding="utf-8")
    # the cost is right (test_cost, 2 points), the gradient is not
    assert totals["slip", "sparse_autoencoder"] == (2, 7)
    result = _nbgrader(["generate_feedback", "sparse_autoencoder"], released, kernel_env)
    assert result.returncode == 0, result.stderr[-3000:]
    feedback = (released / "feedback" / "slip" / "sparse_autoencoder" /
                "sparse_autoencoder.html").read_text(encoding="utf-8")
    assert "missing_regularization" in feedback and "lacks the weight-decay term" in feedback
