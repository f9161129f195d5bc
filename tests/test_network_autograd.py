"""mlp_cost_and_grad against reverse-mode automatic differentiation (the `autograd` package).

Notebook 01 cross-checks its hand computation with autograd; here the package's backprop is
compared with autograd for every hidden activation, output and loss, with weight decay.
"""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from tests.mlp_data import random_inputs_and_targets
from ufldl_helpers.network import mlp_cost_and_grad, mlp_layout

HIDDEN = {
    "sigmoid": lambda z: 1 / (1 + anp.exp(-z)),
    "tanh": anp.tanh,
    "softplus": lambda z: anp.logaddexp(0, z),
    "relu": lambda z: anp.maximum(z, 0.0),  # random inputs: no pre-activation exactly at 0
}
CASES = [("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"),
         ("sigmoid", "squared_error"), ("softmax", "squared_error"), ("linear", "squared_error")]


def _blocks(theta, sizes):
    """theta's blocks by slicing and reshaping, operations autograd can trace."""
    layout = mlp_layout(sizes)
    return {name: theta[layout.slices[name]].reshape(layout.shapes[name])
            for name in layout.names}


def _autograd_cost(theta, sizes, X, Y, hidden, output, loss, lambda_):
    P = _blocks(theta, sizes)
    a2 = HIDDEN[hidden](P["W1"] @ X + P["b1"][:, None])
    z3 = P["W2"] @ a2 + P["b2"][:, None]
    m = X.shape[1]
    if output == "softmax":
        log_p = z3 - anp.log(anp.sum(anp.exp(z3), axis=0, keepdims=True))
        a3 = anp.exp(log_p)
    elif output == "sigmoid":
        a3 = 1 / (1 + anp.exp(-z3))
    else:
        a3 = z3
    if loss == "squared_error":
        data = 0.5 * anp.sum((a3 - Y) ** 2) / m
    elif output == "softmax":
        data = -anp.sum(Y * log_p) / m
    else:
        data = -anp.sum(Y * anp.log(a3) + (1 - Y) * anp.log(1 - a3)) / m
    return data + lambda_ / 2 * (anp.sum(P["W1"] ** 2) + anp.sum(P["W2"] ** 2))


@pytest.mark.parametrize("hidden", sorted(HIDDEN))
@pytest.mark.parametrize("output, loss", CASES)
def test_backprop_matches_autograd(hidden, output, loss):
    sizes, m, lambda_ = (4, 3, 3), 5, 0.1
    rng = np.random.default_rng(0)
    X, Y = random_inputs_and_targets(sizes, m, output, rng)
    theta = rng.normal(0.0, 0.7, mlp_layout(sizes).size)
    if output == "softmax":
        onehot = np.zeros((sizes[-1], m))
        onehot[Y, np.arange(m)] = 1
        Y = onehot
    _, ours = mlp_cost_and_grad(theta, sizes, X, Y, hidden_activation=hidden, output=output,
                                loss=loss, lambda_=lambda_)
    theirs = grad(_autograd_cost)(theta, sizes, X, Y, hidden, output, loss, lambda_)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)
