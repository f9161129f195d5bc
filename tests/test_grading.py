"""Grading helpers: right answers pass, each kind of mistake gets a message that names it."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ufldl_helpers import grading
from ufldl_helpers.activations import sigmoid
from ufldl_helpers.gradcheck import GradientCheck, numerical_gradient
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


def _flat(message: str) -> str:
    """The message with its line wrapping undone, to search for a phrase."""
    return " ".join(message.split())


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
    assert "raise NotImplementedError()" in _flat(message)


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
    assert fragment in _flat(_message(fun, problem))


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
    assert "missing_regularization: the gradient of W1 lacks the weight-decay term" \
        in _flat(message)


def test_exception_inside_is_reported_with_the_call():
    def autoencoder_cost(theta, visible_size, hidden_size, lambda_, data):
        return np.reshape(theta, (visible_size, visible_size)), theta
    with pytest.raises(grading.GradingError) as info:
        grading.grade_autoencoder(autoencoder_cost)
    message = _flat(str(info.value))
    assert message.startswith("autoencoder_cost raised ValueError")
    assert "theta of shape (59,)" in message and "data=an array of shape (8, 10)" in message
    # the student's line is quoted; no chained traceback through the package
    assert "of your cell: return np.reshape(theta, (visible_size, visible_size)), theta" \
        in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


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
    assert "Your weight decay is 2 times the reference" in _flat(message)


def test_missing_cost_term():
    problem = grading.sparse_autoencoder_problem()

    def no_sparsity(theta, **kwargs):
        return problem.reference(theta, **{**kwargs, "beta": 0.0})
    message = _message(no_sparsity, problem)
    assert "Your sparsity penalty is missing from the cost." in _flat(message)


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
    assert "goes wrong once the sparsity penalty is added" in _flat(message)


def test_decayed_bias_is_named():
    problem = grading.two_layer_problem()

    def decay_b1(blocks, theta, kwargs):
        blocks["b1"] += kwargs["lambda_"] * problem.layout.roll(theta)["b1"]
    message = _message(_with_grad(problem, decay_b1), problem)
    assert _wrong_blocks(message) == ["b1"]
    assert "goes wrong once the weight decay is added" in _flat(message)
    assert "regularized_bias: the gradient of the bias b1 includes weight decay" in _flat(message)


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


def _in_place(cost, theta, epsilon, back=3):
    """Central differences perturbing theta in place; ``back=3`` forgets to undo exactly,
    ``back=1`` puts each entry back (up to 1 ulp)."""
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        theta[i] += epsilon
        up = cost(theta)
        theta[i] -= 2 * epsilon
        grad[i] = (up - cost(theta)) / (2 * epsilon)
        theta[i] += back * epsilon
    return grad


@pytest.mark.parametrize(("fun", "fragment"), [
    (_forward, "forward differences"),
    (lambda cost, theta, epsilon: 2 * _central(cost, theta, epsilon), "twice the central"),
    (_in_place, "changed theta"),
    (lambda cost, theta, epsilon: _central(cost, theta, epsilon)[:3], "one partial derivative"),
    (lambda cost, theta, epsilon: _central(cost, theta, epsilon) + 1e-3, "perturb one entry"),
    (lambda cost, theta, epsilon: np.full(theta.shape, (cost(theta + epsilon)
                                                        - cost(theta - epsilon)) / (2 * epsilon)),
     "all coordinates at once"),
])
def test_numerical_gradient_mistakes(fun, fragment):
    with pytest.raises(grading.GradingError) as info:
        grading.check_numerical_gradient(fun)
    assert fragment in _flat(str(info.value))


def test_numerical_gradient_generic_message_never_prints_the_expected_values():
    def shifted(cost, theta, epsilon):
        return _central(cost, theta, epsilon) + np.arange(theta.size)
    with pytest.raises(grading.GradingError) as info:
        grading.check_numerical_gradient(shifted, rng=0)
    message = _flat(str(info.value))
    theta = np.random.default_rng(0).normal(0.0, 1.0, 7)
    expected = numerical_gradient(lambda t: float(np.sum(t**3) / 3 + t[0] * t[-1]), theta,
                                  epsilon=1e-3)
    assert "perturb one entry" in message and "expected" not in message
    assert not any(f"{v:.6g}" in message for v in expected)


def test_numerical_gradient_correct():
    grading.check_numerical_gradient(_central)
    grading.check_numerical_gradient(_central, rng=3)


def test_autoencoder_reference_is_the_sparse_one_without_sparsity():
    problem = grading.autoencoder_problem()
    cost, grad = problem.reference(problem.theta, **problem.kwargs)
    kw = problem.kwargs
    cost2, grad2 = sparse_autoencoder_cost(problem.theta, kw["visible_size"], kw["hidden_size"],
                                           kw["lambda_"], 0.2, 0.0, kw["data"])
    assert cost == cost2
    np.testing.assert_array_equal(grad, grad2)


# --- problem builders: bad sizes are the caller's error, never the student's ----------------

@pytest.mark.parametrize(("make", "kwargs", "error", "match"), [
    (grading.sparse_autoencoder_problem, {"m": 0}, ValueError, "m must be >= 1, got 0"),
    (grading.sparse_autoencoder_problem, {"m": -3}, ValueError, "m must be >= 1"),
    (grading.sparse_autoencoder_problem, {"visible_size": 0}, ValueError, "visible_size must be"),
    (grading.sparse_autoencoder_problem, {"hidden_size": -1}, ValueError, "hidden_size must be"),
    (grading.sparse_autoencoder_problem, {"sparsity_param": 1.0}, ValueError,
     r"sparsity_param must be in \(0, 1\)"),
    (grading.sparse_autoencoder_problem, {"beta": -1.0}, ValueError, "beta must be >= 0"),
    (grading.sparse_autoencoder_problem, {"lambda_": -0.1}, ValueError, "lambda_ must be >= 0"),
    (grading.sparse_autoencoder_problem, {"m": 2.5}, TypeError, "m must be an integer"),
    (grading.autoencoder_problem, {"m": 0}, ValueError, "m must be >= 1"),
    (grading.autoencoder_problem, {"hidden_size": 0}, ValueError, "hidden_size must be"),
    (grading.autoencoder_problem, {"lambda_": -1.0}, ValueError, "lambda_ must be >= 0"),
    (grading.two_layer_problem, {"m": 0}, ValueError, "m must be >= 1"),
    (grading.two_layer_problem, {"layer_sizes": (5, 0, 3)}, ValueError, r"layer_sizes\[1\]"),
    (grading.two_layer_problem, {"layer_sizes": (5, 4)}, ValueError, "three sizes"),
    (grading.two_layer_problem, {"layer_sizes": "543"}, ValueError, "three sizes"),
    (grading.two_layer_problem, {"lambda_": -0.01}, ValueError, "lambda_ must be >= 0"),
])
def test_problem_builders_reject_bad_input(make, kwargs, error, match):
    with pytest.raises(error, match=match):
        make(**kwargs)


@pytest.mark.parametrize("m", [1, 2])
def test_problem_builders_accept_the_smallest_sizes(m):
    grading.grade_sparse_autoencoder(grading.sparse_autoencoder_problem().reference,
                                     grading.sparse_autoencoder_problem(2, 1, m))
    problem = grading.two_layer_problem((1, 1, 2), m)
    grading.grade_two_layer(problem.reference, problem)


# --- messages ----------------------------------------------------------------------------------

def test_long_messages_are_wrapped_and_tables_kept():
    long = "the gradient " + "is wrong in a very long sentence " * 8
    table = "  W1   2.39e-03  <- wrong"
    bullet = "  - missing_regularization: " + "lacks the weight-decay term " * 5
    lines = str(grading.GradingError("\n".join([long, table, bullet]))).splitlines()
    assert len("GradingError: " + lines[0]) <= 88 and max(map(len, lines)) <= 88
    assert table in lines
    assert " ".join(" ".join(lines).split()) == " ".join(" ".join([long, table, bullet]).split())
    continuation = lines[lines.index(table) + 2]
    assert continuation.startswith("    ") and not continuation.startswith("     ")


def test_ipython_shows_the_message_alone(capsys):
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    try:
        from ufldl_helpers.grading._feedback import _install_display
        _install_display()
        result = shell.run_cell("from ufldl_helpers import grading\n"
                                "grading.grade_autoencoder(None)")
        assert isinstance(result.error_in_exec, grading.GradingError)
        out = capsys.readouterr().out
        assert out.strip() == f"GradingError: {result.error_in_exec}"
        assert "grading.py" not in out and "Traceback" not in out
        # other errors keep IPython's usual traceback
        shell.run_cell("1 / 0")
        assert "ZeroDivisionError" in capsys.readouterr().out
    finally:
        shell.set_custom_exc((), None)
        interactiveshell.InteractiveShell.clear_instance()


# --- derivations ------------------------------------------------------------------------------

def _output_delta_loop(a3, Y):
    out = np.empty_like(a3)
    for i in range(a3.shape[1]):
        for j in range(a3.shape[0]):
            out[j, i] = sum(-Y[k, i] * ((j == k) - a3[j, i]) for k in range(a3.shape[0]))
    return out


@pytest.mark.parametrize("fun", [
    lambda a3, Y: a3 - Y,
    lambda a3, Y: -(Y - a3),
    lambda a3, Y: a3 * Y.sum(axis=0) - Y,
    _output_delta_loop,
])
@pytest.mark.parametrize("rng", [0, 1, 2])
def test_output_delta_correct_forms_pass(fun, rng):
    grading.check_output_delta(fun, rng=rng)
    grading.check_output_delta(fun, n_out=2, m=9, rng=rng)


@pytest.mark.parametrize(("fun", "fragment"), [
    (lambda a3, Y: (a3 - Y) / Y.shape[1], "1/m = 1/5 times the right one"),
    (lambda a3, Y: Y - a3, "wrong sign"),
    (lambda a3, Y: 2 * (a3 - Y), "2 times the right one"),
    (lambda a3, Y: (a3 - Y) * a3 * (1 - a3), "the softmax makes every a3[k,i] depend"),
    (lambda a3, Y: (a3 - Y) * a3 * (1 - a3), "like an elementwise sigmoid"),
    (lambda a3, Y: -Y / a3, "with respect to a3, not z3"),
    (lambda a3, Y: (a3 - Y)[:, :1], "shape (4, 5)"),
    (lambda a3, Y: a3 - Y.T, "output_delta raised ValueError"),
])
def test_output_delta_mistakes(fun, fragment):
    fun.__name__ = "output_delta"
    with pytest.raises(grading.GradingError) as info:
        grading.check_output_delta(fun)
    message = _flat(str(info.value))
    assert fragment in message
    assert "raised" in message or "a3 - Y" not in message  # never the answer


def _hidden_delta(W2, delta3, a2, sparsity_param, beta, *, scale=1.0, f_prime=True, kl=None):
    rho, rho_hat = sparsity_param, a2.mean(axis=1)
    sparsity = scale * beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
    if kl == "swapped":  # the derivative of KL(rho_hat || rho)
        sparsity = beta * (np.log(rho_hat / rho) - np.log((1 - rho_hat) / (1 - rho)))
    elif kl == "first term":
        sparsity = beta * (-rho / rho_hat)
    if not f_prime:
        return (W2.T @ delta3) * a2 * (1 - a2) + sparsity[:, None]
    return (W2.T @ delta3 + sparsity[:, None]) * a2 * (1 - a2)


def _hidden_delta_loop(W2, delta3, a2, sparsity_param, beta):
    rho = sparsity_param
    out = np.empty_like(a2)
    for j in range(a2.shape[0]):
        rho_hat = np.mean(a2[j])
        for i in range(a2.shape[1]):
            back = sum(W2[k, j] * delta3[k, i] for k in range(W2.shape[0]))
            kl = beta * ((1 - rho) / (1 - rho_hat) - rho / rho_hat)
            out[j, i] = (back + kl) * (a2[j, i] - a2[j, i] ** 2)
    return out


@pytest.mark.parametrize("fun", [_hidden_delta, _hidden_delta_loop])
@pytest.mark.parametrize("kwargs", [{}, {"rng": 3}, {"visible_size": 2, "hidden_size": 7, "m": 3,
                                                     "sparsity_param": 0.4, "beta": 0.2}])
def test_hidden_delta_correct_forms_pass(fun, kwargs):
    grading.check_hidden_delta(fun, **kwargs)


@pytest.mark.parametrize(("mistake", "fragment"), [
    ({"scale": 0.0}, "That part is zero in yours"),
    ({"scale": 0.2}, "That part is 1/m = 1/5 times the right one"),
    ({"scale": -1.0}, "That part has the wrong sign"),
    ({"f_prime": False}, "That part lacks the factor f'(z2)"),
    ({"kl": "swapped"}, "the arguments swapped"),
    ({"kl": "first term"}, "KL's first term only"),
])
def test_hidden_delta_mistakes_in_the_sparsity_part(mistake, fragment):
    def hidden_delta(*args):
        return _hidden_delta(*args, **mistake)
    with pytest.raises(grading.GradingError) as info:
        grading.check_hidden_delta(hidden_delta)
    message = _flat(str(info.value))
    assert "is right with beta=0" in message and fragment in message


def test_hidden_delta_other_mistakes():
    def folded(W2, delta3, a2, sparsity_param, beta):
        return _hidden_delta(W2, delta3, a2, sparsity_param, beta) / a2.shape[1]

    def no_f_prime(W2, delta3, a2, sparsity_param, beta):
        return W2.T @ delta3

    with pytest.raises(grading.GradingError, match=r"delta2 returned by folded is 1/m"):
        grading.check_hidden_delta(folded)
    with pytest.raises(grading.GradingError, match="wrong already with beta=0"):
        grading.check_hidden_delta(no_f_prime)


def _buggy(theta, visible_size, hidden_size, lambda_, data):
    """The reference autoencoder with weight decay on b1's gradient."""
    problem = grading.autoencoder_problem(visible_size, hidden_size, data.shape[1])
    cost, grad = problem.reference(theta, visible_size=visible_size, hidden_size=hidden_size,
                                   lambda_=lambda_, data=data)
    blocks = problem.layout.roll(grad.copy())
    blocks["b1"] += lambda_ * problem.layout.roll(theta)["b1"]
    return cost, problem.layout.unroll(blocks)


def test_mismatch():
    problem = grading.autoencoder_problem()

    def b1_mismatch(theta, visible_size, hidden_size, lambda_, data):
        return lambda_ * problem.layout.roll(theta)["b1"]
    grading.check_mismatch(b1_mismatch, _buggy, problem, "b1")

    def zero(theta, **kwargs):
        return np.zeros(3)
    with pytest.raises(grading.GradingError, match="yours is zero"):
        grading.check_mismatch(zero, _buggy, problem, "b1")
    with pytest.raises(grading.GradingError, match="wrong sign"):
        grading.check_mismatch(lambda theta, **kw: -b1_mismatch(theta, **kw), _buggy, problem,
                               "b1")
    with pytest.raises(grading.GradingError, match=r"shape \(3,\)"):
        grading.check_mismatch(lambda theta, **kw: np.zeros(4), _buggy, problem, "b1")
    with pytest.raises(ValueError, match="block must be one of"):
        grading.check_mismatch(b1_mismatch, _buggy, problem, "c1")


# --- the true slope along a posted descent direction (bug_hunt Part 3) ----------------------

def _buggy_transposed(theta, visible_size, hidden_size, lambda_, data):
    """The reference autoencoder with the decayed bias and the W2 block transposed."""
    cost, grad = _buggy(theta, visible_size, hidden_size, lambda_, data)
    hv = visible_size * hidden_size
    grad = grad.copy()
    grad[hv:2 * hv] = grad[hv:2 * hv].reshape(visible_size, hidden_size).T.ravel()
    return cost, grad


SLOPE_PROBLEMS = [grading.autoencoder_problem(),
                  grading.autoencoder_problem(5, 2, 6, lambda_=0.3, rng=3),
                  grading.autoencoder_problem(3, 2, 7, lambda_=1.0, rng=2)]


def _slope(form):
    """A descent_slope built from ``form(posted gradient, true gradient, cost, theta)``."""
    def descent_slope(theta, visible_size, hidden_size, lambda_, data):
        args = (visible_size, hidden_size, lambda_, data)
        posted = _buggy_transposed(theta, *args)[1]
        true = grading.autoencoder_problem().reference(theta, *args)[1]
        return form(posted, true, lambda t: _buggy_transposed(t, *args)[0], theta)
    return descent_slope


def _line_differences(g, t, cost, theta):
    step = 1e-6 / np.linalg.norm(g)
    return (cost(theta - step * g) - cost(theta + step * g)) / (2 * step)


@pytest.mark.parametrize("problem", SLOPE_PROBLEMS)
@pytest.mark.parametrize("form", [
    lambda g, t, cost, theta: -t @ g,
    lambda g, t, cost, theta: -np.vdot(g, t),
    lambda g, t, cost, theta: np.float32(-np.sum(t * g)),  # float32: 7 digits are enough
    lambda g, t, cost, theta: np.array(-t @ g),  # a 0-d array
    _line_differences,  # the student's own central differences along the line
])
def test_descent_slope_correct_forms_pass(problem, form):
    grading.check_descent_slope(_slope(form), _buggy_transposed, problem)


@pytest.mark.parametrize(("form", "fragment"), [
    (lambda g, t, cost, theta: t @ g, "the sign is wrong"),
    (lambda g, t, cost, theta: -g @ g, "the slope the optimizer believes"),
    (lambda g, t, cost, theta: -t @ t, "slope along minus the true gradient"),
    (lambda g, t, cost, theta: -t @ g / np.linalg.norm(g), "unit vector"),
    (lambda g, t, cost, theta: -1.1 * t @ g, "by the chain rule"),
    (lambda g, t, cost, theta: -t * g, "must return one real number"),
    (lambda g, t, cost, theta: True, "must return one real number"),
])
def test_descent_slope_mistakes(form, fragment):
    for problem in SLOPE_PROBLEMS:
        message = _flat(_message(_slope(form), problem,
                                 lambda f, p: grading.check_descent_slope(f, _buggy_transposed,
                                                                          p)))
        assert fragment in message, message
        assert "finite differences give" not in message  # never the expected value


def test_descent_slope_not_implemented_and_no_reference():
    def descent_slope(theta, **kwargs):
        raise NotImplementedError()
    problem = grading.autoencoder_problem()
    with pytest.raises(grading.GradingError, match="not implemented yet"):
        grading.check_descent_slope(descent_slope, _buggy, problem)
    from dataclasses import replace
    with pytest.raises(ValueError, match="reference"):
        grading.check_descent_slope(descent_slope, _buggy, replace(problem, reference=None))


def test_descent_slope_graded_with_the_reference_fix():
    """A slope computed through a wrong fix passes with the reference fix (Part 2 pays once)."""
    namespace = {"np": np, "buggy": _buggy_transposed, "autoencoder_cost": _buggy}
    exec(textwrap.dedent("""
        def descent_slope(theta, visible_size, hidden_size, lambda_, data):
            args = (theta, visible_size, hidden_size, lambda_, data)
            return -autoencoder_cost(*args)[1] @ buggy(*args)[1]
    """), namespace)
    problem = grading.autoencoder_problem()
    with pytest.raises(grading.GradingError):
        grading.check_descent_slope(namespace["descent_slope"], _buggy_transposed, problem)
    graded = grading.with_reference(namespace["descent_slope"], "autoencoder_cost")
    grading.check_descent_slope(graded, _buggy_transposed, problem)


def test_identify_slip_never_guesses():
    from ufldl_helpers.grading._feedback import _identify_slip
    expected = np.array([1.0, 2.0])
    assert _identify_slip(2 * expected, expected, [(2 * expected, "doubled")]) == "doubled"
    # matches the right value: no slip
    assert _identify_slip(expected, expected, [(expected * (1 + 1e-9), "same")]) is None
    # two slips with the same value and different messages: ambiguous, none is named
    assert _identify_slip(2 * expected, expected, [(2 * expected, "a"),
                                                   (2 * expected, "b")]) is None
    # a slip that makes no difference on this problem is never named
    assert _identify_slip(expected * (1 + 1e-7), expected, [(expected, "no-op")]) is None
    # near a slip, but not to the tolerance: not named
    assert _identify_slip(2.001 * expected, expected, [(2 * expected, "doubled")]) is None
    assert _identify_slip(np.array([np.nan, 1.0]), expected, [(2 * expected, "x")]) is None
    assert _identify_slip("text", expected, [(2 * expected, "x")]) is None
    assert _identify_slip(np.ones(3), expected, [(np.ones(3), "shape")]) == "shape"


# --- the student's own check, reported in one line (backprop's last cell) ------------------

def _reference_network(theta, layer_sizes, X, Y, lambda_):
    return grading.two_layer_problem().reference(theta, layer_sizes, X, Y, lambda_)


def test_report_gradient_check(capsys):
    grading.report_gradient_check(_student_check, _reference_network)
    out = capsys.readouterr().out
    assert out.startswith("relative error of your backpropagation: ") and "(correct)" in out

    def halved(theta, **kwargs):
        cost, grad = _reference_network(theta, **kwargs)
        return cost, grad / 2
    grading.report_gradient_check(_student_check, halved)
    assert "(wrong:" in capsys.readouterr().out


@pytest.mark.parametrize(("check", "fragment"), [
    (lambda cost_and_grad, theta, epsilon=1e-4: 1 / 0, "raised ZeroDivisionError: division by"),
    (lambda cost_and_grad, theta, epsilon=1e-4: np.ones(2), "must return one real number"),
    (lambda cost_and_grad, theta, epsilon=1e-4: cost_and_grad(theta[:3]), "raised"),
])
def test_report_gradient_check_problems_in_one_line(capsys, check, fragment):
    grading.report_gradient_check(check, _reference_network)
    out = capsys.readouterr().out
    assert out.startswith("no relative error: ") and fragment in out
    assert out.count("\n") == 1 and "Traceback" not in out


def test_report_gradient_check_not_implemented(capsys):
    def gradient_relative_error(cost_and_grad, theta, epsilon=1e-4):
        raise NotImplementedError()
    grading.report_gradient_check(gradient_relative_error, _reference_network)
    out = capsys.readouterr().out
    assert "gradient_relative_error is not implemented yet" in out and out.count("\n") == 1
    assert "test cell" not in out


# --- a gradient check of the student's, graded on known answers ------------------------------

def _relative(cost_and_grad, theta, epsilon, denominator):
    """||n - a|| / denominator(n, a): UFLDL's relative error with another denominator."""
    n = numerical_gradient(lambda t: cost_and_grad(t)[0], theta, epsilon=epsilon)
    a = cost_and_grad(theta)[1]
    return float(np.linalg.norm(n - a) / denominator(n, a))


def _student_check(cost_and_grad, theta, epsilon=1e-4):
    n = numerical_gradient(lambda t: cost_and_grad(t)[0], theta, epsilon=epsilon)
    a = cost_and_grad(theta)[1]
    return np.linalg.norm(n - a) / np.linalg.norm(n + a)


def test_gradient_relative_error_correct():
    grading.check_gradient_relative_error(_student_check)

    def with_sqrt(cost_and_grad, theta, epsilon=1e-4):
        n = numerical_gradient(lambda t: cost_and_grad(t)[0], theta, epsilon=epsilon)
        a = cost_and_grad(theta)[1]
        return float(np.sqrt(np.sum((n - a) ** 2) / np.sum((n + a) ** 2)))
    grading.check_gradient_relative_error(with_sqrt)


@pytest.mark.parametrize(("fun", "fragment"), [
    (lambda f, theta, epsilon: 0.0, "compares a gradient with itself"),
    (lambda f, theta, epsilon: 3e-3, "for a correct gradient"),
    (lambda f, theta, epsilon: np.array([1e-10, 1e-10]), "one real number"),
    (lambda f, theta, epsilon: 2 * _student_check(f, theta, epsilon), "norm of the difference"),
    (lambda f, theta, epsilon: min(_student_check(f, theta, epsilon), 1e-9),
     "would pass this broken gradient"),
    (lambda f, theta, epsilon: _relative(f, theta, epsilon, lambda n, a: np.linalg.norm(n)),
     "norm of the numerical gradient alone"),
    (lambda f, theta, epsilon: _relative(f, theta, epsilon, lambda n, a: np.linalg.norm(a)),
     "norm of the analytic gradient alone"),
    (lambda f, theta, epsilon: _relative(
        f, theta, epsilon, lambda n, a: np.linalg.norm(n) + np.linalg.norm(a)),
     "the sum of the norms"),
    (lambda f, theta, epsilon: _relative(f, theta, epsilon, lambda n, a: 1.0),
     "the norm of the difference alone"),
])
def test_gradient_relative_error_mistakes(fun, fragment):
    with pytest.raises(grading.GradingError) as info:
        grading.check_gradient_relative_error(fun)
    assert fragment in _flat(str(info.value))


def test_gradient_relative_error_must_not_change_theta():
    def moves_theta(cost_and_grad, theta, epsilon=1e-4):
        value = _student_check(cost_and_grad, theta, epsilon)
        theta[0] += 1.0
        return value
    with pytest.raises(grading.GradingError, match="changed theta"):
        grading.check_gradient_relative_error(moves_theta)


# --- with_reference --------------------------------------------------------------------------

def _student_namespace(source: str) -> dict:
    namespace = {"np": np, "sigmoid": sigmoid}
    exec(textwrap.dedent(source), namespace)
    return namespace


def test_with_reference_swaps_the_helper_during_the_call_only():
    ns = _student_namespace("""
        def output_delta(a3, Y):
            raise NotImplementedError()

        def uses_it(a3, Y):
            return output_delta(a3, Y)
    """)
    mine = ns["output_delta"]
    graded = grading.with_reference(ns["uses_it"], "output_delta")
    assert graded.__name__ == "uses_it"
    a3, Y = np.full((2, 1), 0.5), np.array([[1.0], [0.0]])
    np.testing.assert_array_equal(graded(a3, Y), a3 - Y)
    assert ns["output_delta"] is mine  # restored
    with pytest.raises(NotImplementedError):
        ns["uses_it"](a3, Y)
    ns2 = _student_namespace("def uses_it(x):\n    return numerical_gradient\n")
    assert callable(grading.with_reference(ns2["uses_it"], "numerical_gradient")(0))
    assert "numerical_gradient" not in ns2  # a helper the student never defined is removed again


def test_with_reference_bad_input():
    with pytest.raises(ValueError, match="names must be among"):
        grading.with_reference(len, "softmax")
    assert grading.with_reference(None, "output_delta") is None  # the check then says why
    with pytest.raises(grading.GradingError, match="must be a function"):
        grading.check_output_delta(grading.with_reference(None, "output_delta"))


def test_later_part_consistent_with_a_differently_scaled_earlier_part_passes():
    """One mistake, one penalty: 1/m folded into output_delta (Part 1 fails) and left out of the
    gradient formulas (so the network is right as written) loses Part 1's points only."""
    ns = _student_namespace("""
        from ufldl_helpers.activations import softmax
        from ufldl_helpers.network import mlp_layout

        def output_delta(a3, Y):
            return (a3 - Y) / Y.shape[1]

        def two_layer_cost_and_grad(theta, layer_sizes, X, Y, lambda_):
            layout = mlp_layout(layer_sizes)
            B = layout.roll(theta)
            W1, W2, b1, b2 = B["W1"], B["W2"], B["b1"], B["b2"]
            m = X.shape[1]
            a2 = sigmoid(W1 @ X + b1[:, None])
            a3 = softmax(W2 @ a2 + b2[:, None])
            cost = -np.sum(Y * np.log(a3)) / m + 0.5 * lambda_ * (np.sum(W1**2) + np.sum(W2**2))
            delta3 = output_delta(a3, Y)
            delta2 = (W2.T @ delta3) * a2 * (1 - a2)
            return cost, layout.unroll({"W1": delta2 @ X.T + lambda_ * W1,
                                        "W2": delta3 @ a2.T + lambda_ * W2,
                                        "b1": delta2.sum(axis=1), "b2": delta3.sum(axis=1)})
    """)
    with pytest.raises(grading.GradingError, match="1/m"):
        grading.check_output_delta(ns["output_delta"])
    graded = grading.with_reference(ns["two_layer_cost_and_grad"], "output_delta")
    grading.check_cost(graded, grading.two_layer_problem())
    grading.grade_two_layer(graded)
    # ...while a network that is wrong both ways still fails, with the reference's message
    ns["output_delta"] = lambda a3, Y: 2 * (a3 - Y)
    with pytest.raises(grading.GradingError) as info:
        grading.grade_two_layer(graded)
    assert "does not match finite differences" in _flat(str(info.value))


# --- never cry wolf: correct answers pass on every problem the checks can build ----------------

@settings(max_examples=40, deadline=None)
@given(n_out=st.integers(2, 6), m=st.integers(2, 12), seed=st.integers(0, 2**16))
def test_correct_output_delta_always_passes(n_out, m, seed):
    grading.check_output_delta(lambda a3, Y: a3 - Y, n_out=n_out, m=m, rng=seed)


@settings(max_examples=40, deadline=None)
@given(visible=st.integers(1, 8), hidden=st.integers(1, 8), m=st.integers(2, 12),
       rho=st.floats(0.01, 0.99), beta=st.floats(0.01, 10.0), seed=st.integers(0, 2**16))
def test_correct_hidden_delta_always_passes(visible, hidden, m, rho, beta, seed):
    grading.check_hidden_delta(_hidden_delta, visible_size=visible, hidden_size=hidden, m=m,
                               sparsity_param=rho, beta=beta, rng=seed)


@settings(max_examples=25, deadline=None)
@given(visible=st.integers(1, 8), hidden=st.integers(1, 8), m=st.integers(1, 12),
       lambda_=st.sampled_from([0.0, 1e-4, 0.01, 1.0]), seed=st.integers(0, 2**16))
def test_correct_functions_always_pass(visible, hidden, m, lambda_, seed):
    sparse = grading.sparse_autoencoder_problem(visible, hidden, m, lambda_=lambda_, rng=seed)
    grading.grade_sparse_autoencoder(sparse.reference, sparse)
    plain = grading.autoencoder_problem(visible, hidden, m, lambda_=lambda_, rng=seed)
    grading.grade_autoencoder(plain.reference, plain)
    grading.check_mismatch(lambda theta, **kw: kw["lambda_"] * plain.layout.roll(theta)["b1"],
                           _buggy, plain, "b1")
    two_layer = grading.two_layer_problem((visible, hidden, max(visible, 2)), m,
                                          lambda_=lambda_, rng=seed)
    grading.grade_two_layer(two_layer.reference, two_layer)


@settings(max_examples=40, deadline=None)
@given(visible=st.integers(1, 8), hidden=st.integers(1, 8), m=st.integers(1, 12),
       lambda_=st.sampled_from([0.0, 1e-4, 0.01, 1.0]), seed=st.integers(0, 2**16))
def test_correct_descent_slope_always_passes(visible, hidden, m, lambda_, seed):
    problem = grading.autoencoder_problem(visible, hidden, m, lambda_=lambda_, rng=seed)
    grading.check_descent_slope(_slope(lambda g, t, cost, theta: -t @ g), _buggy_transposed,
                                problem)


# --- guards, float32, lists: right answers written in common ways get full marks -------------

def _guarded_two_layer(guard, dtype=np.float64, as_list=False):
    """A correct two-layer network, its cost written with ``np.log(a3 + guard)``."""
    from ufldl_helpers.activations import softmax
    from ufldl_helpers.network import mlp_layout

    def two_layer_cost_and_grad(theta, layer_sizes, X, Y, lambda_):
        layout = mlp_layout(layer_sizes)
        W1, W2, b1, b2 = (layout.roll(theta)[k].astype(dtype) for k in ("W1", "W2", "b1", "b2"))
        X, Y = X.astype(dtype), Y.astype(dtype)
        m = X.shape[1]
        a2 = sigmoid(W1 @ X + b1[:, None])
        a3 = softmax(W2 @ a2 + b2[:, None])
        cost = (-np.sum(Y * np.log(a3 + guard)) / m
                + 0.5 * lambda_ * (np.sum(W1**2) + np.sum(W2**2)))
        delta3 = a3 - Y
        delta2 = (W2.T @ delta3) * a2 * (1 - a2)
        grad = layout.unroll({"W1": delta2 @ X.T / m + lambda_ * W1,
                              "W2": delta3 @ a2.T / m + lambda_ * W2,
                              "b1": delta2.sum(axis=1) / m, "b2": delta3.sum(axis=1) / m})
        return [cost, grad] if as_list else (cost, grad)
    return two_layer_cost_and_grad


def _guarded_sparse(guard):
    """The reference sparse autoencoder with ``guard`` added inside the KL's logarithms."""
    def sparse_autoencoder_cost(theta, visible_size, hidden_size, lambda_, sparsity_param,
                                beta, data):
        cost, grad = sparse_autoencoder_cost_ref(theta, visible_size, hidden_size, lambda_,
                                                 sparsity_param, beta, data)
        W1 = theta[:hidden_size * visible_size].reshape(hidden_size, visible_size)
        b1 = theta[2 * hidden_size * visible_size:2 * hidden_size * visible_size + hidden_size]
        rho, rho_hat = sparsity_param, sigmoid(W1 @ data + b1[:, None]).mean(axis=1)
        kl = (rho * np.log(rho / (rho_hat + guard))
              + (1 - rho) * np.log((1 - rho) / (1 - rho_hat + guard)))
        exact = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
        return cost + beta * np.sum(kl - exact), grad
    return sparse_autoencoder_cost


sparse_autoencoder_cost_ref = sparse_autoencoder_cost


@pytest.mark.parametrize("guard", [1e-12, 1e-10, 1e-8, 1e-7])
def test_a_guard_in_the_cost_gets_full_marks(guard):
    # the student's analytic gradient is exact; finite differences of the guarded cost are
    # off by ~guard, above GRAD_TOL: graded against the reference, it passes
    fun = _guarded_two_layer(guard)
    grading.grade_two_layer(fun)
    grading.grade_two_layer(fun, grading.two_layer_problem((3, 5, 2), 4, lambda_=0.1, rng=1))
    grading.grade_two_layer(fun, grading.two_layer_problem((6, 2, 4), 9, lambda_=0.0, rng=2))
    grading.grade_sparse_autoencoder(_guarded_sparse(guard))
    grading.grade_sparse_autoencoder(_guarded_sparse(guard), grading.sparse_autoencoder_problem(
        4, 7, 3, lambda_=0.2, sparsity_param=0.05, beta=1.5, rng=2))


def test_the_guard_is_what_finite_differences_alone_would_fail():
    problem = grading.two_layer_problem()
    assert not problem.check(_guarded_two_layer(1e-8)).passed  # the false alarm avoided


def test_a_guard_does_not_hide_a_wrong_gradient():
    problem = grading.two_layer_problem()
    guarded = _guarded_two_layer(1e-8)

    def halved(theta, **kwargs):
        cost, grad = guarded(theta, **kwargs)
        blocks = {k: v.copy() for k, v in problem.layout.roll(grad).items()}
        blocks["b2"] *= 0.5
        return cost, problem.layout.unroll(blocks)
    message = _message(halved, problem)
    assert "does not match finite differences" in message
    assert _wrong_blocks(message) == ["b2"]


def test_float32_arithmetic_and_a_list_get_full_marks():
    grading.grade_two_layer(_guarded_two_layer(0.0, dtype=np.float32))
    grading.grade_two_layer(_guarded_two_layer(0.0, as_list=True))


def test_reference_rtol_is_dtype_aware():
    assert grading.problems.reference_rtol(np.zeros(2)) == 1e-6
    assert grading.problems.reference_rtol(np.zeros(2, np.float32), 1.0) == pytest.approx(
        64 * np.finfo(np.float32).eps)
    # float16 gets no more than float32
    assert grading.problems.reference_rtol(np.zeros(2, np.float16)) == pytest.approx(
        64 * np.finfo(np.float32).eps)


@pytest.mark.parametrize("fun", [
    lambda a3, Y: (a3 - Y).astype(np.float32),
    lambda a3, Y: a3.astype(np.float32) - Y.astype(np.float32),
    lambda a3, Y: (a3 + 1e-8) - Y,
    lambda a3, Y: -Y / (a3 + 1e-8) * a3 + a3 * Y.sum(axis=0),
])
def test_output_delta_within_round_off_or_a_guard_passes(fun):
    grading.check_output_delta(fun)
    grading.check_output_delta(fun, n_out=3, m=7, rng=1)


def test_a_near_miss_is_never_called_one_times_the_right_one():
    for scale in (1 + 5e-6, 1 + 3e-5):
        message = _flat(_message(lambda a3, Y, s=scale: s * (a3 - Y), None,
                                 lambda fun, _: grading.check_output_delta(fun)))
        assert "1 times" not in message and "off from the right one by a relative" in message
    # a float16 answer is too coarse, and said so without a factor
    message = _flat(_message(lambda a3, Y: (a3 - Y).astype(np.float16), None,
                             lambda fun, _: grading.check_output_delta(fun)))
    assert "1 times" not in message and "float16" in message


def test_hidden_delta_in_float32_or_with_a_guard_passes():
    grading.check_hidden_delta(lambda *args: _hidden_delta(*args).astype(np.float32))

    def guarded(W2, delta3, a2, sparsity_param, beta):
        rho, rho_hat = sparsity_param, a2.mean(axis=1) + 1e-8
        sparsity = beta * (-rho / rho_hat + (1 - rho) / (1 - rho_hat + 1e-8))
        return (W2.T @ delta3 + sparsity[:, None]) * a2 * (1 - a2)
    grading.check_hidden_delta(guarded)


def _restored_in_place(cost, theta, epsilon):
    return _in_place(cost, theta, epsilon, back=1)


def test_numerical_gradient_restored_in_place_passes():
    for rng in range(5):
        grading.check_numerical_gradient(_restored_in_place, rng=rng)
    # the case is real: some entry is off by an ulp for one of these seeds
    offs = []
    for rng in range(5):
        theta = np.random.default_rng(rng).normal(0.0, 1.0, 7)
        moved = theta.copy()
        _restored_in_place(lambda t: 0.0, moved, 1e-3)
        offs.append(not np.array_equal(moved, theta))
    assert any(offs)


def test_float32_numerical_gradient_names_the_precision():
    def in_float32(cost, theta, epsilon):
        return _central(cost, theta, epsilon).astype(np.float32)
    with pytest.raises(grading.GradingError) as info:
        grading.check_numerical_gradient(in_float32)
    message = _flat(str(info.value))
    assert "float32" in message and "float64" in message and "perturb one" not in message
    # computed in float64, only stored in float32: no digits were lost to a difference of costs
    assert "holds about 7 digits, too few for the 1e-9 of a gradient check" in message
    assert "lose" not in message


def test_size_one_array_counts_as_a_number():
    problem = SLOPE_PROBLEMS[0]
    grading.check_descent_slope(_slope(lambda g, t, cost, theta: np.array([-t @ g])),
                                _buggy_transposed, problem)

    def as_array(cost_and_grad, theta, epsilon=1e-4):
        return np.array([_student_check(cost_and_grad, theta, epsilon)])
    grading.check_gradient_relative_error(as_array)
    with pytest.raises(grading.GradingError, match="one real number"):
        grading.check_descent_slope(_slope(lambda g, t, cost, theta: np.array([-t @ g] * 2)),
                                    _buggy_transposed, problem)


# --- findings without the fix, for the bug hunt ----------------------------------------------

def _bug_hunt_gradient(problem):
    """The reference autoencoder with W2's gradient transposed and weight decay on b1's."""
    def edit(blocks, theta, kwargs):
        blocks["W2"] = blocks["W2"].T.reshape(blocks["W2"].shape)  # (a2 @ delta3.T).ravel()
        blocks["b1"] = blocks["b1"] + kwargs["lambda_"] * problem.layout.roll(theta)["b1"]
    return _with_grad(problem, edit)


def test_without_hints_keeps_where_and_the_pattern_and_drops_the_fix():
    problem = grading.autoencoder_problem()
    fun = _bug_hunt_gradient(problem)
    full = problem.check(fun)
    bare = problem.check(fun, hints=False)
    assert {"transposed", "regularized_bias"} <= full.finding_names == bare.finding_names
    assert "drop the lambda term" in str(full) and "give W2grad the shape" in str(full)
    for text in (str(bare), bare._repr_html_()):
        assert "drop the lambda" not in text and "give W2grad" not in text
        assert "order='C'" not in text and "order=&#x27;C&#x27;" not in text
    assert "gradient of W2 holds the right numbers in the wrong places" in str(bare)
    assert "gradient of b1 differs from the numerical gradient by a multiple" in str(bare)
    assert bare.block_errors == full.block_errors and not bare.passed
    message = _flat(_message(fun, problem, lambda f, p: grading.grade_autoencoder(
        f, p, hints=False)))
    assert "regularized_bias" in message and "drop the lambda" not in message
    assert "W2grad" not in message


def test_without_hints_leaves_a_correct_check_and_other_findings_alone():
    problem = grading.autoencoder_problem()
    assert problem.check(problem.reference, hints=False).passed
    check = problem.check(problem.reference)
    assert grading.without_hints(check).findings == check.findings
