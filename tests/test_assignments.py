"""The nbgrader assignments: sources pass, student versions fail clearly, nbgrader grades them.

The source notebooks (solutions in place) are executed cell by cell with nbclient. The tests that
need nbgrader (the optional ``classroom`` extra) generate the student version with
``nbgrader generate_assignment`` in a temporary course directory and skip when nbgrader is not
installed.
"""

from __future__ import annotations

import copy
import html
import os
import re
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
if not (COURSE / "source").is_dir():
    if (ROOT / ".git").exists():  # a checkout must have them; only the sdist leaves them out
        raise FileNotFoundError(f"{COURSE / 'source'} is missing from the repository checkout")
    pytest.skip("the assignments' sources are in the repository checkout only",
                allow_module_level=True)
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


def _run_broken(assignment, grade_id, old, new, env, tmp_path: Path):
    """The source notebook with one solution line replaced, executed."""
    nb = nbformat.read(_notebook_path(assignment), as_version=4)
    return _execute(_break_solution(nb, grade_id, old, new), env, tmp_path)


WRONG_SOLUTIONS = {
    # Weight decay left out of W1's gradient (the cost keeps it): the doctor names it.
    "missing decay": ("sparse_autoencoder", "sparse_autoencoder_cost",
                      "W1grad = delta2 @ data.T / m + lambda_ * W1", "W1grad = delta2 @ data.T / m",
                      ["W1"], ["missing_regularization"]),
    # Weight decay added to a bias gradient.
    "decayed bias": ("backprop", "two_layer_cost_and_grad",
                     "b1grad = delta2.sum(axis=1) / m",
                     "b1grad = delta2.sum(axis=1) / m + lambda_ * b1",
                     ["b1"], ["regularized_bias"]),
}


@pytest.mark.parametrize("case", WRONG_SOLUTIONS)
def test_wrong_solution_gets_the_doctors_feedback(case, kernel_env, tmp_path):
    *edit, wrong_blocks, expected = WRONG_SOLUTIONS[case]
    nb = _run_broken(*edit, kernel_env, tmp_path)
    by_id = {c.get("id"): c for c in nb.cells}
    assert _error(by_id["test_cost"]) is None  # the cost is still right
    message = _error(by_id["test_gradient"])
    assert message.startswith("GradingError"), message
    for fragment in expected:
        assert fragment in message, (fragment, message)
    wrong = [ln.split()[0] for ln in message.splitlines() if ln.endswith("<- wrong")]
    assert wrong == wrong_blocks, message


def test_wrong_cost_term_is_named(kernel_env, tmp_path):
    nb = _run_broken("backprop", "two_layer_cost_and_grad", "0.5 * lambda_ * (np.sum(W1**2)",
                     "lambda_ * (np.sum(W1**2)", kernel_env, tmp_path)
    message = _error(next(c for c in nb.cells if c.get("id") == "test_cost"))
    assert "weight decay" in message and "2 times the reference" in message
    assert "cross-entropy" in message


# One mistake, one part: a later part that calls an earlier part's function is graded with the
# reference version of it. (assignment, grade_id, old, new, failing test cells, message fragment)
ONE_MISTAKE = {
    "delta3 with 1/m": ("backprop", "output_delta", "delta3 = a3 - Y",
                        "delta3 = (a3 - Y) / Y.shape[1]",
                        {"test_output_delta"}, "1/m = 1/5 times the right one"),
    "softmax treated elementwise": ("backprop", "output_delta", "delta3 = a3 - Y",
                                    "delta3 = (a3 - Y) * a3 * (1 - a3)",
                                    {"test_output_delta"}, "every a3[k,i] depend on"),
    "W1 gradient without 1/m": ("backprop", "two_layer_cost_and_grad",
                                "W1grad = delta2 @ X.T / m + lambda_ * W1",
                                "W1grad = delta2 @ X.T + lambda_ * W1",
                                {"test_gradient", "test_other_sizes"}, "W1"),
    "forward differences": ("backprop", "numerical_gradient",
                            "(cost(theta + step) - cost(theta - step)) / (2 * epsilon)",
                            "(cost(theta + step) - cost(theta)) / epsilon",
                            {"test_numerical_gradient"}, "forward differences"),
    "no sparsity in delta2": ("sparse_autoencoder", "hidden_delta",
                              "W2.T @ delta3 + sparsity_delta[:, None]", "W2.T @ delta3",
                              {"test_hidden_delta"}, "That part is zero in yours"),
    "sparsity term over m": ("sparse_autoencoder", "hidden_delta",
                             "sparsity_delta[:, None]", "sparsity_delta[:, None] / a2.shape[1]",
                             {"test_hidden_delta"}, "That part is 1/m"),
    "slope with the wrong sign": ("bug_hunt", "descent_slope", "slope = -true @ posted",
                                  "slope = true @ posted", {"test_descent_slope"},
                                  "the sign is wrong"),
    "slope the optimizer believes": ("bug_hunt", "descent_slope", "slope = -true @ posted",
                                     "slope = -posted @ posted", {"test_descent_slope"},
                                     "the slope the optimizer believes"),
    "fix leaves W2 transposed": ("bug_hunt", "autoencoder_cost",
                                 "W2grad = delta3 @ a2.T / m + lambda_ * W2",
                                 "W2grad = a2 @ delta3.T / m + lambda_ * W2.T",
                                 {"test_fixed", "test_other_sizes"}, "transposed"),
    # Part 3's slope calls the fix of Part 2: graded with the reference fix, it still passes.
    "fix keeps the decayed bias": ("bug_hunt", "autoencoder_cost",
                                   "b1grad = delta2.sum(axis=1) / m",
                                   "b1grad = delta2.sum(axis=1) / m + lambda_ * b1",
                                   {"test_fixed", "test_other_sizes"}, "regularized_bias"),
}


@pytest.mark.parametrize("case", ONE_MISTAKE)
def test_one_mistake_costs_points_in_one_part(case, kernel_env, tmp_path):
    *edit, failing, fragment = ONE_MISTAKE[case]
    nb = _run_broken(*edit, kernel_env, tmp_path)
    errors = {_nbgrader_meta(c)["grade_id"]: _error(c) for c in _grade_cells(nb) if _error(c)}
    assert set(errors) == failing, errors
    for message in errors.values():
        assert message.startswith("GradingError"), message
    assert any(fragment in " ".join(m.split()) for m in errors.values()), errors  # unwrapped
    if case == "W1 gradient without 1/m":
        # Part 4's own check, run on the broken backpropagation, spots it.
        (own,) = [c for c in nb.cells if c.get("id") == "own-check"]
        assert "(wrong:" in own.outputs[0]["text"], own.outputs


# Correct answers in the forms students commonly write: a guard against log(0), float32, a list
# for the pair, theta restored in place, a slope as a 1-element array. Each must get every point
# (never cry wolf). (assignment, [(grade_id, old, new), ...])
COMMON_CORRECT = {
    "guard in the cross-entropy": ("backprop", [
        ("two_layer_cost_and_grad", "np.log(a3)", "np.log(a3 + 1e-8)")]),
    "guard in the KL": ("sparse_autoencoder", [
        ("sparse_autoencoder_cost", "np.log(rho / rho_hat)", "np.log(rho / (rho_hat + 1e-8))"),
        ("sparse_autoencoder_cost", "np.log((1 - rho) / (1 - rho_hat))",
         "np.log((1 - rho) / (1 - rho_hat + 1e-8))")]),
    "float32 delta, list, in-place restore": ("backprop", [
        ("output_delta", "delta3 = a3 - Y", "delta3 = (a3 - Y).astype(np.float32)"),
        ("two_layer_cost_and_grad", "return cost, grad", "return [cost, grad]"),
        ("numerical_gradient", """        step = np.zeros_like(theta)
        step[i] = epsilon
        grad[i] = (cost(theta + step) - cost(theta - step)) / (2 * epsilon)""",
         """        theta[i] += epsilon
        up = cost(theta)
        theta[i] -= 2 * epsilon
        down = cost(theta)
        theta[i] += epsilon
        grad[i] = (up - down) / (2 * epsilon)""")]),
    "slope as an array": ("bug_hunt", [
        ("descent_slope", "slope = -true @ posted", "slope = np.array([-true @ posted])")]),
}


@pytest.mark.parametrize("case", COMMON_CORRECT)
def test_common_correct_forms_get_every_point(case, kernel_env, tmp_path):
    assignment, edits = COMMON_CORRECT[case]
    nb = nbformat.read(_notebook_path(assignment), as_version=4)
    for edit in edits:
        nb = _break_solution(nb, *edit)
    nb = _execute(nb, kernel_env, tmp_path)
    errors = {_nbgrader_meta(c)["grade_id"]: _error(c) for c in _grade_cells(nb) if _error(c)}
    assert errors == {}


# Correct answers written differently from the instructor's: loops instead of matrix products,
# equivalent formulas. Each must get every point.
ALTERNATIVES = {
    "backprop": {
        "output_delta": """
def output_delta(a3, Y):
    delta3 = np.empty_like(a3)
    for i in range(a3.shape[1]):  # one example at a time; a one-hot column sums to 1
        delta3[:, i] = a3[:, i] * Y[:, i].sum() - Y[:, i]
    return delta3
""",
        "two_layer_cost_and_grad": """
def two_layer_cost_and_grad(theta, layer_sizes, X, Y, lambda_):
    layout = mlp_layout(layer_sizes)
    W = layout.roll(theta)
    W1, W2, b1, b2 = W["W1"], W["W2"], W["b1"], W["b2"]
    m = X.shape[1]
    grads = {name: np.zeros_like(block) for name, block in W.items()}
    cost = 0.0
    for i in range(m):  # per-example deltas, accumulated
        x, y = X[:, i], Y[:, i]
        a2 = 1 / (1 + np.exp(-(W1 @ x + b1)))
        z3 = W2 @ a2 + b2
        a3 = np.exp(z3 - z3.max()) / np.exp(z3 - z3.max()).sum()
        cost += -np.dot(y, np.log(a3))
        delta3 = output_delta(a3[:, None], y[:, None])[:, 0]
        delta2 = (W2.T @ delta3) * (a2 - a2**2)
        grads["W2"] += np.outer(delta3, a2)
        grads["b2"] += delta3
        grads["W1"] += np.outer(delta2, x)
        grads["b1"] += delta2
    cost = cost / m + lambda_ / 2 * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {k: v / m for k, v in grads.items()}
    grads["W1"] += lambda_ * W1
    grads["W2"] += lambda_ * W2
    return cost, layout.unroll(grads)
""",
        "numerical_gradient": """
def numerical_gradient(cost, theta, epsilon=1e-4):
    grad = np.zeros_like(theta)
    for i in range(theta.size):  # perturb in place, then restore
        old = theta[i]
        theta[i] = old + epsilon
        up = cost(theta)
        theta[i] = old - epsilon
        down = cost(theta)
        theta[i] = old
        grad[i] = (up - down) / (2 * epsilon)
    return grad
""",
        "gradient_relative_error": """
def gradient_relative_error(cost_and_grad, theta, epsilon=1e-4):
    analytic = cost_and_grad(theta)[1]
    numerical = numerical_gradient(lambda t: cost_and_grad(t)[0], theta.copy(), epsilon)
    return np.sqrt(np.sum((analytic - numerical)**2)) / np.sqrt(np.sum((analytic + numerical)**2))
""",
    },
    "sparse_autoencoder": {
        "hidden_delta": """
def hidden_delta(W2, delta3, a2, sparsity_param, beta):
    rho, m = sparsity_param, a2.shape[1]
    rho_hat = np.sum(a2, axis=1) / m
    kl_prime = beta * ((1 - rho) / (1 - rho_hat) - rho / rho_hat)
    delta2 = np.empty_like(a2)
    for i in range(m):
        delta2[:, i] = (W2.T @ delta3[:, i] + kl_prime) * (a2[:, i] - a2[:, i]**2)
    return delta2
""",
        "sparse_autoencoder_cost": """
def sparse_autoencoder_cost(theta, visible_size, hidden_size, lambda_, sparsity_param, beta, data):
    W1, W2, b1, b2 = unpack(theta, visible_size, hidden_size)
    m = data.shape[1]
    rho = sparsity_param
    a2 = sigmoid(np.einsum("hv,vm->hm", W1, data) + b1[:, None])
    a3 = sigmoid(W2 @ a2 + b2[:, None])
    rho_hat = a2.mean(axis=1)
    cost = (0.5 * np.mean(np.sum((data - a3)**2, axis=0))
            + lambda_ / 2 * (np.vdot(W1, W1) + np.vdot(W2, W2))
            + beta * np.sum(rho * (np.log(rho) - np.log(rho_hat))
                            + (1 - rho) * (np.log(1 - rho) - np.log(1 - rho_hat))))
    delta3 = (a3 - data) * a3 * (1 - a3)
    delta2 = hidden_delta(W2, delta3, a2, sparsity_param, beta)
    W1grad = (data @ delta2.T).T / m + lambda_ * W1
    W2grad = np.einsum("vm,hm->vh", delta3, a2) / m + lambda_ * W2
    b1grad = delta2 @ np.ones(m) / m
    b2grad = delta3.mean(axis=1)
    return cost, layout(visible_size, hidden_size).unroll(
        {"W1": W1grad, "W2": W2grad, "b1": b1grad, "b2": b2grad})
""",
    },
    "bug_hunt": {
        "descent_slope": """
def descent_slope(theta, visible_size, hidden_size, lambda_, data):
    # the true gradient derived afresh, block by block, not through autoencoder_cost
    hv = hidden_size * visible_size
    W1 = theta[:hv].reshape(hidden_size, visible_size)
    W2 = theta[hv:2 * hv].reshape(visible_size, hidden_size)
    b1, b2 = theta[2 * hv:2 * hv + hidden_size], theta[2 * hv + hidden_size:]
    m = data.shape[1]
    a2 = sigmoid(W1 @ data + b1[:, None])
    a3 = sigmoid(W2 @ a2 + b2[:, None])
    d3 = (a3 - data) * a3 * (1 - a3)
    d2 = (W2.T @ d3) * a2 * (1 - a2)
    true = [d2 @ data.T / m + lambda_ * W1, d3 @ a2.T / m + lambda_ * W2,
            d2.mean(axis=1), d3.mean(axis=1)]
    d = -buggy_autoencoder_cost(theta, visible_size, hidden_size, lambda_, data)[1]
    return float(sum(np.vdot(block, d_block) for block, d_block in
                     zip(true, np.split(d, [hv, 2 * hv, 2 * hv + hidden_size]))))
""",
        "autoencoder_cost": """
def autoencoder_cost(theta, visible_size, hidden_size, lambda_, data):
    cost, grad = buggy_autoencoder_cost(theta, visible_size, hidden_size, lambda_, data)
    hv = hidden_size * visible_size
    W2 = theta[hv:2 * hv].reshape(visible_size, hidden_size)
    b1 = theta[2 * hv:2 * hv + hidden_size]
    grad = grad.copy()
    # the posted W2 block is the transpose of the right one (decay term included)
    grad[hv:2 * hv] = (grad[hv:2 * hv].reshape(hidden_size, visible_size).T
                       - lambda_ * W2 + lambda_ * W2).ravel()
    grad[2 * hv:2 * hv + hidden_size] -= lambda_ * b1
    return cost, grad
""",
    },
}


def _alternative_source(assignment: str):
    nb = nbformat.read(_notebook_path(assignment), as_version=4)
    alternatives = ALTERNATIVES[assignment]
    for cell in nb.cells:
        grade_id = _nbgrader_meta(cell).get("grade_id")
        if grade_id in alternatives:
            cell.source = alternatives[grade_id].strip()
    assert {_nbgrader_meta(c).get("grade_id") for c in nb.cells} >= set(alternatives)
    return nb


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_alternative_correct_solutions_pass(assignment, kernel_env, tmp_path):
    nb = _execute(_alternative_source(assignment), kernel_env, tmp_path)
    errors = {c.get("id"): _error(c) for c in nb.cells if c.cell_type == "code" and _error(c)}
    assert errors == {}


# The series' delta convention (issue 13): UFLDL's per-example delta, the 1/m in the gradient
# formulas; subscripts for layers (notebook 00's notation table).
FOLDED_DELTA = re.compile(r"^\s*delta\w*\s*=.*/\s*(m\b|\w+\.shape)")
GRADIENT_LINE = re.compile(r"^\s*[Wb]\dgrad\s*=.*delta")
FOLDED_DELTA_MATH = re.compile(r"\\delta_\{?\d\}?\s*=\s*\\frac\{1\}\{m\}")


def test_bug_hunt_prose_does_not_name_the_buggy_blocks():
    """hints=False leaves finding the bugs to the gradient check: the instructions must not
    name the blocks that are wrong (W2 and b1) nor ask which terms depend on b1."""
    nb = nbformat.read(_notebook_path("bug_hunt"), as_version=4)
    prose = " ".join(" ".join(c.source.split()) for c in nb.cells if c.cell_type == "markdown")
    for hint in (r"\nabla_{W_2} J", r"\nabla_{b_1} J", "depend on $b_1$"):
        assert hint not in prose


def test_convention_scan_finds_the_other_convention():
    assert FOLDED_DELTA.search("    delta3 = (a3 - Y) / m")
    assert not FOLDED_DELTA.search("    delta3 = a3 - Y")
    assert FOLDED_DELTA_MATH.search(r"$$\delta_3 = \frac{1}{m} (a_3 - Y)$$")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_one_delta_convention(assignment):
    nb = nbformat.read(_notebook_path(assignment), as_version=4)
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if cell.cell_type == "code":
                assert not FOLDED_DELTA.search(line), line
                if GRADIENT_LINE.search(line):
                    assert "/ m" in line, line  # the 1/m sits in the gradient formula
            else:
                assert not FOLDED_DELTA_MATH.search(line), line
                assert "folded" not in line, line
                assert not re.search(r"[Wbza]\^\{\(\d\)\}", line), line  # W_1, not W^{(1)}


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
    messages = [" ".join(_error(c).split()) for c in grades]  # line wrapping undone
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


CHECKSUM_WARNING = re.compile(r"Attribute 'checksum' for cell (\S+) has changed")


@pytest.mark.slow
def test_autograde_scores_and_feedback(released, kernel_env):
    """``nbgrader autograde`` (hidden tests restored): filled in and written differently get every
    point, stubs none, a slip loses only its part; the feedback shows the grading message with no
    traceback through the package."""
    warned = {}
    for assignment in ASSIGNMENTS:
        name = _notebook_path(assignment).name
        student = _release(released, assignment)
        source = nbformat.read(_notebook_path(assignment), as_version=4)
        submissions = [("solver", _fill_in(student, source)), ("blank", student),
                       ("other", _fill_in(student, _alternative_source(assignment)))]
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
        warned[assignment] = set(CHECKSUM_WARNING.findall(result.stderr))
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
        assert totals["other", assignment] == (points, points)
        assert totals["blank", assignment] == (0, points)
        # autograde ran the hidden tests: they are back in the graded copy
        graded = released / "autograded" / "solver" / assignment / _notebook_path(assignment).name
        assert "### BEGIN HIDDEN TESTS" in graded.read_text(encoding="utf-8")
        # nbgrader #1961, documented in the README: the warning names exactly the cells with
        # hidden tests (restored from the gradebook), never another cell.
        hidden = {_nbgrader_meta(c)["grade_id"] for c in _grade_cells(source)
                  if "### BEGIN HIDDEN TESTS" in c.source}
        assert warned[assignment] == hidden, (assignment, warned[assignment])
    # the cost is right (test_hidden_delta 2 + test_cost 2 points), the gradient is not
    assert totals["slip", "sparse_autoencoder"] == (4, 9)

    result = _nbgrader(["generate_feedback", "sparse_autoencoder"], released, kernel_env)
    assert result.returncode == 0, result.stderr[-3000:]
    feedback = (released / "feedback" / "slip" / "sparse_autoencoder" /
                "sparse_autoencoder.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", feedback)).split())
    assert "GradingError: the gradient returned by sparse_autoencoder_cost does not match" in text
    assert "missing_regularization: the gradient of W1 lacks the weight-decay term" in text
    # No instructor paths anywhere, and each error output is the message alone: no frames.
    for absent in ("grading.py", "gradcheck.py", "site-packages", str(ROOT)):
        assert absent not in feedback, absent
    errors = re.findall(r'<div class="output_subarea output_text output_error">\s*<pre>(.*?)</pre>',
                        feedback, flags=re.S)
    assert len(errors) == 2  # test_gradient, test_other_sizes
    for error in errors:
        lines = html.unescape(re.sub(r"<[^>]+>", "", error)).strip().splitlines()
        assert lines[0].startswith("GradingError: "), lines
        assert not any(s in error for s in ("Traceback", "Cell In", "File ")), error
        # wrapped, so that no viewer cuts a line off
        assert max(len(ln) for ln in lines) <= 88, lines
    # A blank or broken notebook's ungraded cells (the student's own checks) raise too: their
    # tracebacks go through the student's cells only.
    for assignment in ASSIGNMENTS:
        result = _nbgrader(["generate_feedback", assignment], released, kernel_env)
        assert result.returncode == 0, result.stderr[-3000:]
        for student in ("blank", "solver", "other", "slip"):
            path = released / "feedback" / student / assignment / _notebook_path(assignment).name
            path = path.with_suffix(".html")
            if path.exists() or student != "slip":
                page = path.read_text(encoding="utf-8")
                for absent in ("grading.py", "gradcheck.py", "site-packages", str(ROOT)):
                    assert absent not in page, (student, assignment, absent)
