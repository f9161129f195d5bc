import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from mlp_data import random_inputs_and_targets

from ufldl_helpers.activations import ACTIVATIONS
from ufldl_helpers.gradcheck import check_gradient
from ufldl_helpers.network import (
    initialize_mlp,
    mlp_cost,
    mlp_cost_and_grad,
    mlp_forward,
    mlp_layout,
)

COMBOS = [("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"),
          ("softmax", "squared_error"), ("sigmoid", "squared_error"), ("linear", "squared_error")]


def problem(sizes, m, output, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X, Y = random_inputs_and_targets(sizes, m, output, rng)
    theta = initialize_mlp(sizes, rng=rng) + 0.1 * rng.normal(size=mlp_layout(sizes).size)
    if dtype == np.float32:
        return theta.astype(dtype), X.astype(dtype), Y if Y.ndim == 1 else Y.astype(dtype)
    return theta, X, Y


def min_abs_relu_input(theta, sizes, X):
    """Smallest |z| entering a hidden ReLU: ReLU has a corner at 0, where the derivative the
    backward pass uses and the finite difference legitimately disagree (the doctor's `kink`)."""
    blocks = mlp_layout(sizes).roll(theta)
    A, smallest = X, np.inf
    for l in range(1, len(sizes) - 1):
        Z = blocks[f"W{l}"] @ A + blocks[f"b{l}"][:, None]
        smallest = min(smallest, np.abs(Z).min())
        A = np.maximum(Z, 0)
    return smallest


@pytest.mark.parametrize(("output", "loss"), COMBOS)
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@given(sizes=st.lists(st.integers(1, 6), min_size=3, max_size=4),
       m=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=8, deadline=None)
def test_backprop_passes_gradient_check(output, loss, activation, sizes, m, seed):
    theta, X, Y = problem(sizes, m, output, seed)
    assume(activation != "relu" or min_abs_relu_input(theta, sizes, X) > 1e-3)

    def fun(t):
        return mlp_cost_and_grad(t, sizes, X, Y, hidden_activation=activation, output=output,
                                 loss=loss, lambda_=0.01)

    # epsilon=1e-5: at UFLDL's 1e-4 the truncation error alone reaches ~4e-9 on some draws.
    report = check_gradient(fun, theta, blocks=mlp_layout(sizes), epsilon=1e-5, tol=1e-9)
    assert report.passed, report
    assert report.findings == []


@pytest.mark.parametrize("order", ["C", "F"])
def test_weight_decay_and_layout(order):
    sizes = (4, 3, 2)
    theta, X, Y = problem(sizes, 5, "softmax", 0)
    c0, g0 = mlp_cost_and_grad(theta, sizes, X, Y, order=order)
    c1, g1 = mlp_cost_and_grad(theta, sizes, X, Y, lambda_=0.5, order=order)
    layout = mlp_layout(sizes, order=order)
    W = layout.roll(theta)
    np.testing.assert_allclose(c1 - c0, 0.25 * (np.sum(W["W1"] ** 2) + np.sum(W["W2"] ** 2)))
    diff = layout.roll(g1 - g0)
    np.testing.assert_allclose(diff["W1"], 0.5 * W["W1"])
    np.testing.assert_array_equal(diff["b1"], 0.0)  # biases are never decayed
    assert layout.names == ("W1", "W2", "b1", "b2") and layout.order == order


@pytest.mark.parametrize(("output", "loss"), COMBOS)
def test_cost_only_equals_cost_of_cost_and_grad(output, loss):
    sizes = (4, 3, 3, 2)
    theta, X, Y = problem(sizes, 6, output, 5)
    kw = {"output": output, "loss": loss, "lambda_": 0.2, "hidden_activation": "tanh"}
    assert mlp_cost(theta, sizes, X, Y, **kw) == mlp_cost_and_grad(theta, sizes, X, Y, **kw)[0]


def test_softmax_cross_entropy_known_value():
    # Zero weights: every class gets probability 1/k, so the cost is log(k).
    sizes = (3, 2, 4)
    theta = np.zeros(mlp_layout(sizes).size)
    X = np.ones((3, 6))
    cost, _ = mlp_cost_and_grad(theta, sizes, X, np.arange(6) % 4)
    np.testing.assert_allclose(cost, np.log(4))
    np.testing.assert_allclose(mlp_forward(theta, sizes, X), 0.25)


def test_one_hot_targets_equal_integer_labels():
    sizes = (3, 4, 3)
    theta, X, labels = problem(sizes, 7, "softmax", 3)
    onehot = np.eye(3)[:, labels]
    a = mlp_cost_and_grad(theta, sizes, X, labels)
    b = mlp_cost_and_grad(theta, sizes, X, onehot)
    np.testing.assert_allclose(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1])


def test_float32_in_float32_out_and_no_overflow():
    sizes = (5, 4, 3)
    theta, X, Y = problem(sizes, 6, "sigmoid", 1, dtype=np.float32)
    cost, grad = mlp_cost_and_grad(1e3 * theta, sizes, 1e2 * X, Y, output="sigmoid")
    assert np.asarray(cost).dtype == np.float32 and grad.dtype == np.float32
    assert np.isfinite(cost) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("lambda_", [1e-3, np.float64(1e-3), np.logspace(-3, -1, 3)[0]])
def test_float32_cost_whatever_the_type_of_lambda(lambda_):
    sizes = (5, 4, 3)
    theta, X, Y = problem(sizes, 6, "softmax", 1, dtype=np.float32)
    for cost in (mlp_cost_and_grad(theta, sizes, X, Y, lambda_=lambda_)[0],
                 mlp_cost(theta, sizes, X, Y, lambda_=lambda_)):
        assert np.asarray(cost).dtype == np.float32


def test_complex_step_matches_backprop():
    from ufldl_helpers.gradcheck import numerical_gradient

    sizes = (4, 3, 3, 2)
    theta, X, Y = problem(sizes, 5, "softmax", 2)

    def fun(t):
        return mlp_cost_and_grad(t, sizes, X, Y, hidden_activation="tanh", lambda_=0.1)

    numerical = numerical_gradient(fun, theta, method="complex")
    np.testing.assert_allclose(numerical, fun(theta)[1], rtol=1e-12, atol=1e-15)


def test_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    sizes = (5, 4, 3, 3)
    theta, X, Y = problem(sizes, 9, "softmax", 4)
    layout = mlp_layout(sizes)
    for act, tact in [("sigmoid", torch.sigmoid), ("tanh", torch.tanh),
                      ("softplus", torch.nn.functional.softplus), ("relu", torch.relu)]:
        cost, grad = mlp_cost_and_grad(theta, sizes, X, Y, hidden_activation=act, lambda_=0.3)
        t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
        p = {n: t[layout.slices[n]].reshape(layout.shapes[n]) for n in layout.names}
        a = torch.tensor(X)
        for l in (1, 2, 3):
            z = p[f"W{l}"] @ a + p[f"b{l}"][:, None]
            a = tact(z) if l < 3 else z
        ce = torch.nn.functional.cross_entropy(a.T, torch.tensor(Y), reduction="mean")
        tcost = ce + 0.15 * sum((p[f"W{l}"] ** 2).sum() for l in (1, 2, 3))
        tcost.backward()
        np.testing.assert_allclose(cost, tcost.item(), rtol=1e-12)
        np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_bad_input_messages():
    sizes = (3, 2, 2)
    theta = np.zeros(mlp_layout(sizes).size)
    X = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"theta must have shape \(14\)"):
        mlp_cost_and_grad(theta[:-1], sizes, X, np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"X must have shape \(3, any\)"):
        mlp_cost_and_grad(theta, sizes, X.T, np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="cross_entropy' needs output"):
        mlp_cost_and_grad(theta, sizes, X, np.zeros((2, 4)), output="linear")
    with pytest.raises(ValueError, match=r"labels Y must lie in 0 \.\. 1"):
        mlp_cost_and_grad(theta, sizes, X, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match="layer_sizes must be"):
        mlp_cost_and_grad(theta, (3, 2), X, np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="hidden_activation must be one of"):
        mlp_cost_and_grad(theta, sizes, X, np.zeros(4, dtype=int), hidden_activation="elu")
    with pytest.raises(ValueError, match=r"Y must have shape \(2, 4\)"):
        mlp_cost_and_grad(theta, sizes, X, np.zeros((4, 2)), output="sigmoid")
