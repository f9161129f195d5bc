"""A correct gradient must pass: >= 1000 random correct networks, none FAILED (issue 11).

Small networks (fast enough for CI), drawn by hypothesis (derandomized in conftest.py):
sigmoid, tanh, softplus and ReLU (away from its kink) hidden layers; softmax, sigmoid and linear
outputs; 1-2 hidden layers; weights scaled from 0.01 to 3; m from 1 to 100; with and without
weight decay; float64. Half the networks are ``network.mlp_cost_and_grad``, half an independent
implementation written here, so the property does not rest on one code path.

``HYPOTHESIS_PROFILE=explore FALSE_FAIL_EXAMPLES=5000 pytest tests/test_gradcheck_no_false_fail.py``
runs a bigger, fresh sample.
"""

import os

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ufldl_helpers.gradcheck import check_gradient
from ufldl_helpers.network import mlp_cost, mlp_cost_and_grad, mlp_layout

N_EXAMPLES = int(os.environ.get("FALSE_FAIL_EXAMPLES", "1000"))
# ReLU is differentiable only away from 0: every pre-activation at least this far from it
# (the check moves a weight by up to 2 * epsilon, times an input of at most a few units).
RELU_MARGIN = 1e-2

HIDDEN = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda a, z: a * (1 - a)),
    "tanh": (np.tanh, lambda a, z: 1 - a * a),
    "softplus": (lambda z: np.logaddexp(0, z),
                 lambda a, z: 1 / (1 + np.exp(-z))),
    "relu": (lambda z: np.maximum(z, 0), lambda a, z: (z > 0).astype(float)),
}


def independent_cost_and_grad(theta, sizes, X, Y, activation, output, lambda_):
    """Backprop written from UFLDL's notes, separately from ufldl_helpers.network.

    Same conventions: theta = W1, b1?, ... unrolled as network.mlp_layout (weights first, then
    biases), J = mean loss + lambda/2 * sum ||W||^2; squared error 1/2 ||a - y||^2 for sigmoid
    and linear outputs, cross-entropy for softmax (Y integer labels).
    """
    layout = mlp_layout(sizes)
    P = layout.roll(theta)
    L = len(sizes) - 1
    f, f_prime = HIDDEN[activation]
    m = X.shape[1]
    a, zs, acts = X, [], [X]
    for l in range(1, L + 1):
        z = P[f"W{l}"] @ a + P[f"b{l}"][:, None]
        zs.append(z)
        if l < L:
            a = f(z)
        elif output == "softmax":
            log_a = z - z.max(axis=0)
            log_a -= np.log(np.sum(np.exp(log_a), axis=0))  # log-softmax: no log(0)
            a = np.exp(log_a)
        elif output == "sigmoid":
            a = 1 / (1 + np.exp(-z))
        else:
            a = z
        acts.append(a)
    decay = 0.5 * lambda_ * sum(np.sum(P[f"W{l}"] ** 2) for l in range(1, L + 1))
    if output == "softmax":
        onehot = np.zeros_like(a)
        onehot[Y, np.arange(m)] = 1
        cost = -np.sum(log_a[Y, np.arange(m)]) / m + decay
        delta = (a - onehot) / m
    else:
        cost = 0.5 * np.sum((a - Y) ** 2) / m + decay
        delta = (a - Y) / m
        if output == "sigmoid":
            delta = delta * a * (1 - a)
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = delta @ acts[l - 1].T + lambda_ * P[f"W{l}"]
        grads[f"b{l}"] = delta.sum(axis=1)
        if l > 1:
            delta = (P[f"W{l}"].T @ delta) * f_prime(acts[l - 1], zs[l - 2])
    return float(cost), layout.unroll(grads)


def pre_activations(theta, sizes, X, activation):
    P = mlp_layout(sizes).roll(theta)
    f = HIDDEN[activation][0]
    a, out = X, []
    for l in range(1, len(sizes) - 1):
        z = P[f"W{l}"] @ a + P[f"b{l}"][:, None]
        out.append(z)
        a = f(z)
    return out


@st.composite
def correct_networks(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    activation = draw(st.sampled_from(sorted(HIDDEN)))
    output = draw(st.sampled_from(["softmax", "sigmoid", "linear"]))
    hidden = draw(st.lists(st.integers(2, 5), min_size=1, max_size=2))
    sizes = (draw(st.integers(2, 5)), *hidden, draw(st.integers(2, 4)))
    scale = 10 ** draw(st.floats(-2, np.log10(3)))
    m = draw(st.integers(1, 100))
    lambda_ = draw(st.sampled_from([0.0, 1e-4, 0.1, 1.0]))
    independent = draw(st.booleans())
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(sizes[0], m))
    Y = (rng.integers(0, sizes[-1], size=m) if output == "softmax"
         else rng.uniform(size=(sizes[-1], m)))
    theta = scale * rng.normal(size=mlp_layout(sizes).size)
    if activation == "relu":
        assume(all(np.min(np.abs(z)) > RELU_MARGIN
                   for z in pre_activations(theta, sizes, X, activation)))
    if independent:
        def fun(t):
            return independent_cost_and_grad(t, sizes, X, Y, activation, output, lambda_)

        cost_only = None
    else:
        kw = {"hidden_activation": activation, "output": output, "lambda_": lambda_,
              "loss": "cross_entropy" if output == "softmax" else "squared_error"}

        def fun(t):
            return mlp_cost_and_grad(t, sizes, X, Y, **kw)

        def cost_only(t):
            return mlp_cost(t, sizes, X, Y, **kw)
    return fun, cost_only, theta, mlp_layout(sizes), lambda_


@given(correct_networks())
@settings(max_examples=N_EXAMPLES, deadline=None)
def test_correct_gradients_never_fail(network):
    fun, cost_only, theta, layout, lambda_ = network
    report = check_gradient(fun, theta, blocks=layout, lambda_=lambda_, cost_only=cost_only)
    assert report.passed, report
    assert report.findings == [], report
    report.raise_if_failed()


def test_the_two_implementations_agree():
    # The independent code is only a second witness if it computes the same function.
    rng = np.random.default_rng(0)
    sizes = (4, 3, 5, 3)
    X = rng.normal(size=(4, 7))
    theta = rng.normal(size=mlp_layout(sizes).size)
    for output, Y in [("softmax", rng.integers(0, 3, size=7)),
                      ("sigmoid", rng.uniform(size=(3, 7))), ("linear", rng.normal(size=(3, 7)))]:
        for activation in HIDDEN:
            ours = independent_cost_and_grad(theta, sizes, X, Y, activation, output, 0.1)
            theirs = mlp_cost_and_grad(theta, sizes, X, Y, hidden_activation=activation,
                                       output=output,
                                       loss="cross_entropy" if output == "softmax"
                                       else "squared_error", lambda_=0.1)
            np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
            np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-14)
