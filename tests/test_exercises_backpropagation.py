"""The checks of notebook 01's exercises: right answers pass, typical slips are named."""

import numpy as np
import pytest

from ufldl_helpers.activations import sigmoid, sigmoid_grad, tanh, tanh_grad
from ufldl_helpers.exercises import CORRECT, NOT_ATTEMPTED, NOT_YET
from ufldl_helpers.exercises import backpropagation as ex
from ufldl_helpers.network import mlp_layout

SIZES = (2, 2, 1)


def test_duplicate_prediction():
    assert ex.check_duplicate_prediction(...).status == NOT_ATTEMPTED
    assert ex.check_duplicate_prediction("unchanged").status == CORRECT
    wrong = ex.check_duplicate_prediction("doubles")
    assert wrong.status == NOT_YET and "average" in wrong.message
    assert "must be one of" in ex.check_duplicate_prediction("same").message


def test_duplicate_effect_is_measured_not_stored():
    theta, X, Y = ex.backprop_problem(SIZES, m=4, rng=3)
    for lambda_ in (0.0, 0.1):
        assert ex.duplicate_effect(theta, SIZES, X, Y, lambda_) == "unchanged"


def _output(theta, X):
    """(blocks of theta, a3) of the tanh-hidden, sigmoid-output network."""
    P = mlp_layout(SIZES).roll(theta)
    return P, sigmoid(P["W2"] @ tanh(P["W1"] @ X + P["b1"][:, None]) + P["b2"][:, None])


def _deltas(theta, X, Y, *, hidden_grad=tanh_grad, at_a=False, over_m=False):
    P = mlp_layout(SIZES).roll(theta)
    z2 = P["W1"] @ X + P["b1"][:, None]
    a2 = tanh(z2)
    z3 = P["W2"] @ a2 + P["b2"][:, None]
    a3 = sigmoid(z3)
    delta3 = -(Y - a3) * sigmoid_grad(z3)
    delta2 = (P["W2"].T @ delta3) * hidden_grad(a2 if at_a else z2)
    m = X.shape[1] if over_m else 1
    return delta3 / m, delta2 / m


@pytest.mark.parametrize("seed", range(5))
def test_right_deltas_pass(seed):
    theta, X, Y = ex.backprop_problem(SIZES, m=3, rng=seed)
    d3, d2 = _deltas(theta, X, Y)
    assert ex.check_deltas(d3, d2, theta, SIZES, X, Y).status == CORRECT
    # an equivalent form: 1 - a2**2 for tanh's derivative
    P = mlp_layout(SIZES).roll(theta)
    a2 = np.tanh(P["W1"] @ X + P["b1"][:, None])
    assert ex.check_deltas(d3, (P["W2"].T @ d3) * (1 - a2**2), theta, SIZES, X, Y).correct


def test_delta_slips_are_named():
    theta, X, Y = ex.backprop_problem(SIZES, m=3, rng=0)
    d3, d2 = _deltas(theta, X, Y)
    assert ex.check_deltas(..., ..., theta, SIZES, X, Y).status == NOT_ATTEMPTED
    assert ex.check_deltas(d3, ..., theta, SIZES, X, Y).status == NOT_ATTEMPTED
    over_m = ex.check_deltas(*_deltas(theta, X, Y, over_m=True), theta, SIZES, X, Y)
    assert over_m.status == NOT_YET and "per example" in over_m.message
    sig = ex.check_deltas(d3, _deltas(theta, X, Y, hidden_grad=sigmoid_grad)[1],
                          theta, SIZES, X, Y)
    assert sig.status == NOT_YET and "tanh" in sig.message
    at_a = ex.check_deltas(d3, _deltas(theta, X, Y, at_a=True)[1], theta, SIZES, X, Y)
    assert at_a.status == NOT_YET and "not the activation" in at_a.message
    flipped = ex.check_deltas(-d3, d2, theta, SIZES, X, Y)
    assert flipped.status == NOT_YET and "opposite sign" in flipped.message
    wrong_shape = ex.check_deltas(d3.T, d2, theta, SIZES, X, Y)
    assert wrong_shape.status == NOT_YET and "shape" in wrong_shape.message


def test_delta3_slips_and_a_missing_factor_are_named():
    theta, X, Y = ex.backprop_problem(SIZES, m=3, rng=1)
    P, a3 = _output(theta, X)
    d3, _ = _deltas(theta, X, Y)
    cases = [((a3 - Y), "with respect to a3"), ((a3 - Y) * sigmoid_grad(a3), "not the output a3")]
    for delta3, words in cases:
        feedback = ex.check_deltas(delta3, _deltas(theta, X, Y)[1], theta, SIZES, X, Y)
        assert feedback.status == NOT_YET and words in feedback.message, feedback
    only_m3 = ex.check_deltas(d3 / 3, _deltas(theta, X, Y)[1], theta, SIZES, X, Y)
    assert "delta3 is divided by m" in only_m3.message
    no_factor = ex.check_deltas(d3, P["W2"].T @ d3, theta, SIZES, X, Y)
    assert "lacks the factor f'(z2)" in no_factor.message


@pytest.mark.parametrize("seed", range(20))
def test_a_wrong_delta_no_slip_explains_is_never_given_a_slips_name(seed):
    theta, X, Y = ex.backprop_problem(SIZES, m=3, rng=seed)
    d3, d2 = _deltas(theta, X, Y)
    noise = np.random.default_rng(seed).normal(size=d3.shape)
    feedback = ex.check_deltas(d3 * (1 + 0.3 * noise), d2, theta, SIZES, X, Y)
    assert feedback.status == NOT_YET
    for slip_words in ("divided by m", "with respect to a3", "not the output a3"):
        assert slip_words not in feedback.message


@pytest.mark.parametrize("seed", range(10))
def test_a_near_miss_of_a_slip_is_not_named(seed):
    """1e-3 away from a slip's value is another mistake: the generic message, no slip's name."""
    theta, X, Y = ex.backprop_problem(SIZES, m=3, rng=seed)
    P, a3 = _output(theta, X)
    d3, _ = _deltas(theta, X, Y)
    noise = np.random.default_rng(seed).normal(size=d3.shape)
    for delta3 in ((a3 - Y) * (1 + 1e-3 * noise), d3 / 3 * (1 + 1e-3 * noise)):
        feedback = ex.check_deltas(delta3, _deltas(theta, X, Y)[1], theta, SIZES, X, Y)
        assert feedback.status == NOT_YET
        assert not any(w in feedback.message for w in ("divided by m", "with respect to a3"))
    back = P["W2"].T @ d3
    wobble = np.random.default_rng(seed + 100).normal(size=back.shape)
    feedback = ex.check_deltas(d3, back * (1 + 1e-3 * wobble), theta, SIZES, X, Y)
    assert feedback.status == NOT_YET and "lacks the factor" not in feedback.message


def test_a_near_miss_of_a_gradient_slip_is_not_named():
    def near_no_decay(*args):
        W1grad, b1grad, W2grad, b2grad = _backprop(*args, slip="no decay")
        return W1grad * (1 + 1e-3), b1grad, W2grad, b2grad  # W1grad is checked first

    feedback = ex.check_backprop(near_no_decay)
    assert feedback.status == NOT_YET and "weight-decay" not in feedback.message


def _backprop(W1, b1, W2, b2, X, Y, lambda_, slip=None):
    m = X.shape[1]
    z2 = W1 @ X + b1[:, None]
    a2 = sigmoid(z2)
    z3 = W2 @ a2 + b2[:, None]
    a3 = sigmoid(z3)
    delta3 = -(Y - a3) * a3 * (1 - a3)
    delta2 = (W2.T @ delta3) * a2 * (1 - a2)
    scale = 1 if slip == "no 1/m" else m
    decay = 0 if slip == "no decay" else lambda_
    W2grad = delta3 @ a2.T / scale + decay * W2
    W1grad = delta2 @ X.T / scale + decay * W1
    b1grad = delta2.sum(axis=1) / scale
    b2grad = delta3.sum(axis=1) / scale
    if slip == "transposed":
        W1grad = W1grad.T
    if slip == "decayed bias":
        b1grad = b1grad + lambda_ * b1
    if slip == "decay over m":
        W2grad = W2grad - lambda_ * W2 + lambda_ * W2 / m
    return W1grad, b1grad, W2grad, b2grad


def test_right_backprop_passes():
    assert ex.check_backprop(_backprop).status == CORRECT
    # the student's own loop over examples is as right as the vectorized version
    def looped(W1, b1, W2, b2, X, Y, lambda_):
        m = X.shape[1]
        parts = [_backprop(W1, b1, W2, b2, X[:, [i]], Y[:, [i]], 0.0) for i in range(m)]
        W1g, b1g, W2g, b2g = (sum(p[k] for p in parts) / m for k in range(4))
        return W1g + lambda_ * W1, b1g, W2g + lambda_ * W2, b2g
    assert ex.check_backprop(looped).status == CORRECT


@pytest.mark.parametrize("slip, words", [("no 1/m", "1/m"), ("no decay", "weight-decay"),
                                         ("transposed", "W1grad is transposed"),
                                         ("decayed bias", "biases are never decayed"),
                                         ("decay over m", "W2grad: the weight-decay term is "
                                                          "divided by m")])
def test_backprop_slips_are_named(slip, words):
    feedback = ex.check_backprop(lambda *a: _backprop(*a, slip=slip))
    assert feedback.status == NOT_YET and words in feedback.message


def test_backprop_in_theta_order_is_named():
    def theta_order(*args):
        W1grad, b1grad, W2grad, b2grad = _backprop(*args)
        return W1grad, W2grad, b1grad, b2grad

    assert "theta's order" in ex.check_backprop(theta_order).message


def test_backprop_placeholders_and_errors():
    assert ex.check_backprop(...).status == NOT_ATTEMPTED

    def stub(W1, b1, W2, b2, X, Y, lambda_):
        return ...
    assert ex.check_backprop(stub).status == NOT_ATTEMPTED

    def raises(W1, b1, W2, b2, X, Y, lambda_):
        return W1 @ X.T
    feedback = ex.check_backprop(raises)
    assert feedback.status == NOT_YET and "ValueError" in feedback.message
    feedback = ex.check_backprop(lambda *a: _backprop(*a)[:3])
    assert feedback.status == NOT_YET and "four arrays" in feedback.message


def _backprop_f(W1, b1, W2, b2, X, Y, lambda_, f3="z", f2="z"):
    """_backprop with the output's and the hidden layer's f' taken at z, at a, or left out."""
    m = X.shape[1]
    z2 = W1 @ X + b1[:, None]
    a2 = sigmoid(z2)
    z3 = W2 @ a2 + b2[:, None]
    a3 = sigmoid(z3)
    at = {"z": (sigmoid_grad(z3), sigmoid_grad(z2)), "a": (sigmoid_grad(a3), sigmoid_grad(a2))}
    g3 = 1.0 if f3 is None else at[f3][0]
    delta3 = (a3 - Y) * g3
    delta2 = (W2.T @ delta3) * at[f2][1]
    return (delta2 @ X.T / m + lambda_ * W1, delta2.sum(axis=1) / m,
            delta3 @ a2.T / m + lambda_ * W2, delta3.sum(axis=1) / m)


@pytest.mark.parametrize(("f3", "f2", "words"), [
    ("a", "z", "delta3 applies f' to a3"), ("z", "a", "delta2 applies f' to a2"),
    ("a", "a", "delta3 applies f' to a3, and delta2 f' to a2"),
    (None, "z", "delta3 lacks the factor f'(z3)"),
])
def test_backprop_f_prime_slips_are_named(f3, f2, words):
    feedback = ex.check_backprop(lambda *a: _backprop_f(*a, f3=f3, f2=f2))
    assert feedback.status == NOT_YET and words in feedback.message, feedback


def test_backprop_equivalent_forms_pass():
    assert ex.check_backprop(_backprop_f).status == CORRECT

    def einsum_form(W1, b1, W2, b2, X, Y, lambda_):
        m = X.shape[1]
        a2 = 1 / (1 + np.exp(-(np.einsum("hi,im->hm", W1, X) + b1[:, None])))
        a3 = 1 / (1 + np.exp(-(W2 @ a2 + b2[:, None])))
        delta3 = (a3 - Y) * (a3 - a3**2)
        delta2 = np.einsum("oh,om->hm", W2, delta3) * (a2 - a2**2)
        return ((X @ delta2.T).T / m + lambda_ * W1, delta2.mean(axis=1),
                np.einsum("om,hm->oh", delta3, a2) / m + lambda_ * W2, delta3.mean(axis=1))
    assert ex.check_backprop(einsum_form).status == CORRECT


def test_backprop_broadcast_error_gets_one_helpful_line():
    def elementwise(W1, b1, W2, b2, X, Y, lambda_):
        m = X.shape[1]
        a2 = sigmoid(W1 @ X + b1[:, None])
        a3 = sigmoid(W2 @ a2 + b2[:, None])
        delta3 = (a3 - Y) * a3 * (1 - a3)
        delta2 = (W2.T * delta3) * a2 * (1 - a2)   # * where @ was meant
        return (delta2 @ X.T / m + lambda_ * W1, delta2.sum(axis=1) / m,
                delta3 @ a2.T / m + lambda_ * W2, delta3.sum(axis=1) / m)

    feedback = ex.check_backprop(elementwise)
    assert feedback.status == NOT_YET
    assert "* where @ was meant" in feedback.message and "(3,2)" in feedback.message
    assert "\n" not in feedback.message


def test_deltas_with_two_output_units_catch_elementwise_for_matrix_product():
    sizes = (2, 3, 2)
    theta, X, Y = ex.backprop_problem(sizes, m=4, rng=0)
    right3, right2 = ex.per_example_deltas(theta, sizes, X, Y)
    assert ex.check_deltas(right3, right2, theta, sizes, X, Y).correct
    P = mlp_layout(sizes).roll(theta)
    with pytest.raises(ValueError, match="broadcast"):  # the student's own line fails
        _ = P["W2"].T * right3
