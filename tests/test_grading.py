"""Grading helpers: right answers pass, each kind of mistake gets a message that names it."""

from __future__ import annotations

import numpy as np
import pytest

from ufldl_helpers import grading
from ufldl_helpers.gradcheck import GradientCheck, check_gradient
from ufldl_helpers.sparse_autoencoder import sparse_autoencoder_cost

PROBLEMS = {
    "sparse_autoencoder": (grading.sparse_autoencoder_problem, grading.grade_sparse_autoencoder),
    "autoencoder": (grading.autoencoder_problem, grading.grade_autoencoder),
    "two_layer": (grading.two_layer_problem, grading.grade_two_layer),
}


def _with_grad(problem, edit):
    """The reference function with its gradient blocks edited by ``edit(blocks, kwargs)``."""
    def fun(theta, **kwargs):
        cost, grad = problem.reference(theta, **kwargs)
        blocks = {k: v.copy() for k, v in problem.layout.roll(grad).items()}
        edit(blocks, theta, kwargs)
        return cost, problem.layout.unroll(blocks)
    return fun


def _message(fun, problem, grader=grading.check_cost_and_grad) -> str:
    with pytest.raises(grading.GradingError) as info:
        grader(fun, problem)
    return str(info.value)


def _wrong_blocks(message: str) -> list[str]:
    return [ln.split()[0] for ln in message.splitlines() if ln.endswith("<- wrong")]


@pytest.mark.parametrize("name", PROBLEMS)
def test_reference_passes(name):
    make, grade = PROBLEMS[name]
    problem = make()
    assert grade(problem.reference) is None  # no output in an nbgrader test cell
    assert grading.check_cost(problem.reference, problem) is None
    check = problem.check(problem.reference)
    assert isinstance(check, GradientCheck) and check.passed
    assert check.relative_error < grading.GRAD_TOL
    assert not check.findings


@pytest.mark.parametrize("name", PROBLEMS)
def test_problems_are_seeded_and_sized(name):
    make, _ = PROBLEMS[name]
    a, b, c = make(), make(), make(rng=5)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert not np.allclose(a.theta, c.theta)
    assert a.theta.shape == (a.layout.size,)
    assert set(a.layout.names) == {"W1", "W2", "b1", "b2"}
    # Biases are non-zero, so a decayed bias shows up in the gradient.
    assert np.all(a.layout.roll(a.theta)["b1"] != 0)


def test_not_implemented_says_what_to_do():
    def sparse_autoencoder_cost(theta, **kwargs):
        raise NotImplementedError()
    message = _message(sparse_autoencoder_cost, grading.sparse_autoencoder_problem())
    assert message.startswith("sparse_autoencoder_cost is not implemented yet")
    assert "raise NotImplementedError()" in message


def test_not_a_function():
    with pytest.raises(grading.GradingError, match="must be a function"):
        grading.check_cost(None, grading.autoencoder_problem())


@pytest.mark.parametrize(("output", "fragment"), [
    (lambda cost, grad: cost, "must return a pair (cost, grad)"),
    (lambda cost, grad: (grad, grad), "must be a real scalar"),
    (lambda cost, grad: (cost, grad[:-1]), "unroll the blocks (W1, W2, b1, b2)"),
    (lambda cost, grad: (cost, grad.reshape(1, -1)), "has shape (1, 59)"),
    (lambda cost, grad: (np.nan, grad), "NaN or infinite"),
])
def test_malformed_output(output, fragment):
    problem = grading.autoencoder_problem()

    def fun(theta, **kwargs):
        return output(*problem.reference(theta, **kwargs))
    assert fragment in _message(fun, problem)


def test_renamed_parameter_is_reported():
    def autoencoder_cost(theta, visible, hidden, lambda_, data):
        raise AssertionError("never called with these names")
    with pytest.raises(grading.GradingError, match="keep the parameter names"):
        grading.grade_autoencoder(autoencoder_cost)


def test_missing_decay_is_named_by_the_doctor():
    problem = grading.sparse_autoencoder_problem()

    def no_decay_w1(blocks, theta, kwargs):
        blocks["W1"] -= kwargs["lambda_"] * problem.layout.roll(theta)["W1"]
    message = _message(_with_grad(problem, no_decay_w1), problem)
    assert _wrong_blocks(message) == ["W1"]
    assert "missing_regularization: the gradient of W1 lacks the weight-decay term" in message


def test_exception_inside_is_reported_with_the_call():
    def autoencoder_cost(theta, visible_size, hidden_size, lambda_, data):
        return np.reshape(theta, (visible_size, visible_size)), theta
    with pytest.raises(grading.GradingError) as info:
        grading.grade_autoencoder(autoencoder_cost)
    message = str(info.value)
    assert message.startswith("autoencoder_cost raised ValueError")
    assert "theta of shape (59,)" in message and "data=an array of shape (8, 10)" in message
    assert isinstance(info.value.__cause__, ValueError)


def test_wrong_cost_is_reported_term_by_term():
    problem = grading.sparse_autoencoder_problem()

    def doubled_decay(theta, **kwargs):
        cost, grad = problem.reference(theta, **kwargs)
        W = problem.layout.roll(theta)
        return cost + 0.5 * kwargs["lambda_"] * (np.sum(W["W1"]**2) + np.sum(W["W2"]**2)), grad
    message = _message(doubled_decay, problem)
    lines = message.splitlines()
    assert "differs" not in next(ln for ln in lines if ln.strip().startswith("squared error"))
    assert "differs" in next(ln for ln in lines if ln.strip().startswith("weight decay"))
    assert "differs" not in next(ln for ln in lines if ln.strip().startswith("sparsity"))
    assert "Your weight decay is 2 times the reference" in message


def test_missing_cost_term():
    problem = grading.sparse_autoencoder_problem()

    def no_sparsity(theta, **kwargs):
        return problem.reference(theta, **{**kwargs, "beta": 0.0})
    message = _message(no_sparsity, problem)
    assert "Your sparsity penalty is missing from the cost." in message


def test_transposed_block_is_named_with_the_doctors_finding():
    problem = grading.autoencoder_problem()

    def transpose_w2(blocks, theta, kwargs):
        blocks["W2"] = np.ascontiguousarray(blocks["W2"].T).reshape(blocks["W2"].shape)
    message = _message(_with_grad(problem, transpose_w2), problem)
    assert _wrong_blocks(message) == ["W2"]
    assert "already wrong with the squared error term alone" in message
    assert "The gradient doctor found:" in message and "transposed" in message


def test_gradient_wrong_only_in_one_term_names_the_term():
    problem = grading.sparse_autoencoder_problem()

    def off_by_beta(blocks, theta, kwargs):
        blocks["b1"] += 0.1 * kwargs["beta"]
    message = _message(_with_grad(problem, off_by_beta), problem)
    assert _wrong_blocks(message) == ["b1"]
    assert "goes wrong once the sparsity penalty is added" in message


def test_decayed_bias_is_named():
    problem = grading.two_layer_problem()

    def decay_b1(blocks, theta, kwargs):
        blocks["b1"] += kwargs["lambda_"] * problem.layout.roll(theta)["b1"]
    message = _message(_with_grad(problem, decay_b1), problem)
    assert _wrong_blocks(message) == ["b1"]
    assert "goes wrong once the weight decay is added" in message
    assert "regularized_bias: the gradient of the bias b1 includes weight decay" in message


def test_diagnosis():
    problem = grading.autoencoder_problem()

    def transpose_w2(blocks, theta, kwargs):
        blocks["W2"] = np.ascontiguousarray(blocks["W2"].T).reshape(blocks["W2"].shape)
    buggy = _with_grad(problem, transpose_w2)
    # The same report as the package's own check_gradient, told the weight decay:
    check = check_gradient(problem.bind(buggy), problem.theta, blocks=problem.layout,
                           lambda_=problem.kwargs["lambda_"], tol=grading.GRAD_TOL)
    assert check.finding_names == problem.check(buggy).finding_names == {"transposed"}
    findings = check.finding_names
    grading.check_diagnosis(buggy, problem, blocks={"W2"}, findings=findings)
    grading.check_diagnosis(buggy, problem, blocks=["W2"], findings=("transposed",))

    with pytest.raises(grading.GradingError, match=r"blocks: \['b2'\] is not in the report"):
        grading.check_diagnosis(buggy, problem, blocks={"W2", "b2"}, findings=findings)
    with pytest.raises(grading.GradingError, match="findings: the report has 1 more"):
        grading.check_diagnosis(buggy, problem, blocks={"W2"}, findings=findings - {"transposed"})
    with pytest.raises(grading.GradingError, match="as a set of names"):
        grading.check_diagnosis(buggy, problem, blocks="W2", findings=findings)


def _differences(cost, theta, epsilon, forward=False):
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = epsilon
        low = cost(theta) if forward else cost(theta - step)
        grad[i] = (cost(theta + step) - low) / (epsilon if forward else 2 * epsilon)
    return grad


def _central(cost, theta, epsilon):
    return _differences(cost, theta, epsilon)


def _forward(cost, theta, epsilon):
    return _differences(cost, theta, epsilon, forward=True)


def _in_place(cost, theta, epsilon):
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        theta[i] += epsilon
        up = cost(theta)
        theta[i] -= 2 * epsilon
        grad[i] = (up - cost(theta)) / (2 * epsilon)
        theta[i] += 3 * epsilon  # forgets to undo exactly
    return grad


@pytest.mark.parametrize(("fun", "fragment"), [
    (_forward, "forward differences"),
    (lambda cost, theta, epsilon: 2 * _central(cost, theta, epsilon), "twice the central"),
    (_in_place, "changed theta"),
    (lambda cost, theta, epsilon: _central(cost, theta, epsilon)[:3], "one partial derivative"),
    (lambda cost, theta, epsilon: _central(cost, theta, epsilon) + 1e-3, "perturb one entry"),
])
def test_numerical_gradient_mistakes(fun, fragment):
    with pytest.raises(grading.GradingError, match=fragment):
        grading.check_numerical_gradient(fun)


def test_numerical_gradient_correct():
    grading.check_numerical_gradient(_central)
    grading.check_numerical_gradient(_central, rng=3)


def test_relative_error():
    problem = grading.two_layer_problem()
    ref = problem.reference
    grading.check_relative_error(3e-11, ref, problem)
    for value, fragment in [(None, "still None"), (0.0, "compared a gradient with itself"),
                            (1e-5, "check your numerical gradient"), ("1e-11", "one real number")]:
        with pytest.raises(grading.GradingError, match=fragment):
            grading.check_relative_error(value, ref, problem)

    def decay_b1(blocks, theta, kwargs):
        blocks["b1"] += 1.0
    with pytest.raises(grading.GradingError, match="fix the gradient first"):
        grading.check_relative_error(1e-11, _with_grad(problem, decay_b1), problem)


def test_autoencoder_reference_is_the_sparse_one_without_sparsity():
    problem = grading.autoencoder_problem()
    cost, grad = problem.reference(problem.theta, **problem.kwargs)
    kw = problem.kwargs
    cost2, grad2 = sparse_autoencoder_cost(problem.theta, kw["visible_size"], kw["hidden_size"],
                                           kw["lambda_"], 0.2, 0.0, kw["data"])
    assert cost == cost2
    np.testing.assert_array_equal(grad, grad2)
