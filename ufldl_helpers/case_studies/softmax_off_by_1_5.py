"""The softmax post: an output layer whose gradient check is off by about 1.5x.

Source: "Issue with backpropagation using a 2 layer network and softmax", Data Science Stack
Exchange question 18940 (2017),
https://datascience.stackexchange.com/questions/18940/issue-with-backpropagation-using-a-2-layer-network-and-softmax;
the code quoted here is from that question, by its author, CC BY-SA 3.0.

The learner's Octave network (one hidden layer, bias columns, ``Theta1``, ``Theta2``, one-hot
``Y``, one example per *row* of ``X``) passes the gradient check with a sigmoid output, but with
a softmax output the numerical gradient is roughly 1.5 times the analytic one, varying from entry
to entry. The code as posted::

    a1 = [ones(m, 1) X];
    z2 = a1*Theta1';
    a2 = [ones(m, 1) activation(z2, activation_type)];
    z3 = a2*Theta2';
    a3 = activation(z3, 'softmax');
    h = a3;
    J = sum(sum((-Y).*log(h) - (1-Y).*log(1-h), 2))/m + lambda*p/(2*m); # sigmoid
    %J = -(sum(sum((Y).*log(h))) + lambda*p/(2*m)); # softmax
    sigma3 = a3.-Y;
    sigma2 = (sigma3*Theta2).*activationGradient([ones(m, 1) z2], 'sigmoid');
    sigma2 = sigma2(:, 2:end);
    delta_1 = (sigma2'*a1);
    delta_2 = (sigma3'*a2);

Two bugs, each switchable in :func:`nn_cost_function` through ``fixes``:

``"cost"``
    ``sigma3 = a3 - Y`` is the derivative of the *categorical* cross-entropy
    ``-sum(Y .* log(h)) / m`` with respect to softmax's inputs ``z3``, not of the binary
    cross-entropy left active. With near-uniform outputs ``h = 1/K`` the binary cost's derivative
    is ``K/(K-1) * (a3 - Y)`` (see :func:`binary_cost_delta`): 1.5 for K = 3 classes, 1.11 for
    the 10 MNIST classes. Fix: the categorical cost with a softmax output (the binary one stays
    right for a sigmoid output). ``a3 - Y`` is ``dJ/dz3`` for every *canonical-link* pair:
    sigmoid + binary cross-entropy, softmax + categorical cross-entropy, linear output + squared
    error (:func:`delta3_is_a3_minus_y`).
``"derivative"``
    the hidden layer's derivative is always the sigmoid's. With tanh or softplus hidden units the
    ``Theta1`` block disagrees while ``Theta2`` agrees. Fix: pass ``activation_type``. Each
    entry of ``sigma2`` is then ``1/r`` times the right one, ``r = f'(z2) / sigmoid'(z2)``
    (:func:`derivative_ratio`); when ``r`` is nearly constant the block's relative error
    ``|n - a| / |n + a|`` is ``(r - 1)/(r + 1)``: 0.6 for tanh (``r = 4`` at ``z = 0``), 1/3
    for softplus (``r = 2``).

``cost_line="commented"`` switches to the commented-out softmax line instead: its weight decay
sits inside the negation and it lacks the ``1/m``, so (with ``lambda_ = 0``) the numerical
gradient is exactly ``m`` times the analytic one.

The post's tables come from Coursera's ``checkNNGradients`` harness, rebuilt here by
:func:`check_nn_gradients` (3 inputs, 5 hidden units, 3 classes, ``m = 5``, weights from
:func:`debug_initialize_weights`); it reproduces the posted numbers digit for digit
(:data:`POSTED_TABLES`). The gradient completion (``Theta_grad = delta/m`` plus weight decay on
the non-bias columns) is not in the post; it is Coursera's, and the exact match of the
sigmoid/sigmoid table confirms it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import (
    check_array,
    check_choice,
    check_rng,
    check_scalar,
    check_subset,
)
from ufldl_helpers.activations import ACTIVATIONS, sigmoid, softmax
from ufldl_helpers.gradcheck import numerical_gradient
from ufldl_helpers.network import mlp_cost_and_grad, mlp_forward
from ufldl_helpers.params import ParamLayout

__all__ = [
    "COST_LINES",
    "FIXES",
    "HIDDEN_ACTIVATIONS",
    "OUTPUT_ACTIVATIONS",
    "POSTED_TABLES",
    "binary_cost_delta",
    "check_nn_gradients",
    "debug_initialize_weights",
    "delta3_is_a3_minus_y",
    "derivative_ratio",
    "format_table",
    "forward",
    "harness_function",
    "harness_problem",
    "nn_cost_function",
    "nn_layout",
]

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "softplus")
OUTPUT_ACTIVATIONS = ("sigmoid", "softmax")
COST_LINES = ("active", "commented")
FIXES = {
    "cost": "use the cost whose derivative is a3 - Y: categorical cross-entropy for softmax",
    "derivative": "call activationGradient with activation_type instead of 'sigmoid'",
}
"""The post's two bugs: ``name -> what the fix changes``."""

POSTED_TABLES = {
    ("sigmoid", "softmax"): np.array([
        [-9.4049e-04, -6.4143e-04], [-6.2623e-05, -2.5895e-05], [1.0676e-03, 6.9474e-04],
        [-2.0473e-03, -1.3471e-03], [2.9846e-03, 1.9716e-03], [4.0945e-05, 2.7627e-05],
        [-2.5102e-05, -1.7017e-05], [8.8054e-06, 6.0967e-06], [7.8509e-06, 5.0682e-06],
        [-2.4561e-05, -1.6270e-05], [5.6108e-05, 3.8449e-05], [2.0690e-05, 1.2590e-05],
        [-9.7665e-05, -6.3771e-05], [1.7235e-04, 1.1345e-04], [-2.4335e-04, -1.6071e-04],
    ]),
    ("tanh", "softmax"): np.array([
        [-3.9826e-03, -2.7402e-03], [4.6667e-05, 1.1115e-04], [3.9368e-03, 2.5504e-03],
        [-7.7824e-03, -5.1228e-03], [1.1451e-02, 7.5781e-03], [1.5897e-04, 1.0734e-04],
        [-9.6886e-05, -6.5701e-05], [3.3560e-05, 2.3153e-05], [3.3344e-05, 2.1786e-05],
        [-1.0282e-04, -6.8409e-05], [2.1185e-04, 1.4774e-04], [9.0293e-05, 5.3752e-05],
        [-4.0012e-04, -2.6047e-04], [6.9648e-04, 4.5839e-04], [-9.7518e-04, -6.4468e-04],
    ]),
    ("sigmoid", "sigmoid"): np.array([
        [-9.2783e-03, -9.2783e-03], [8.8991e-03, 8.8991e-03], [-8.3601e-03, -8.3601e-03],
        [7.6281e-03, 7.6281e-03], [-6.7480e-03, -6.7480e-03], [-3.0498e-06, -3.0498e-06],
        [1.4287e-05, 1.4287e-05], [-2.5938e-05, -2.5938e-05], [3.6988e-05, 3.6988e-05],
        [-4.6876e-05, -4.6876e-05], [-1.7506e-04, -1.7506e-04], [2.3315e-04, 2.3315e-04],
        [-2.8747e-04, -2.8747e-04], [3.3532e-04, 3.3532e-04], [-3.7622e-04, -3.7622e-04],
        [-9.6266e-05, -9.6266e-05],
    ]),
}
"""The post's tables ``(hidden, output) -> (rows, 2)``: numerical gradient, then analytic, as
printed (the first rows of ``[numgrad grad]``, 4 significant digits)."""


def _check_fixes(fixes: str | Iterable[str]) -> frozenset[str]:
    # A string is one fix's name.
    return check_subset((fixes,) if isinstance(fixes, str) else fixes, "fixes", tuple(FIXES))


def nn_layout(input_layer_size: int, hidden_layer_size: int, num_labels: int) -> ParamLayout:
    """Layout of ``nn_params = [Theta1(:); Theta2(:)]`` (column-major, as in Octave).

    Returns
    -------
    ParamLayout
        ``Theta1 : (hidden_layer_size, input_layer_size + 1)``,
        ``Theta2 : (num_labels, hidden_layer_size + 1)``, ``order="F"``.
    """
    sizes = [check_scalar(s, name, low=1, integer=True) for s, name in (
        (input_layer_size, "input_layer_size"), (hidden_layer_size, "hidden_layer_size"),
        (num_labels, "num_labels"))]
    n_in, n_hid, n_out = sizes
    return ParamLayout.from_shapes({"Theta1": (n_hid, n_in + 1), "Theta2": (n_out, n_hid + 1)},
                                   order="F")


def nn_cost_function(nn_params: ArrayLike, input_layer_size: int, hidden_layer_size: int,
                     num_labels: int, X: ArrayLike, y: ArrayLike, lambda_: float,
                     *, activation_type: str = "sigmoid", output: str = "softmax",
                     fixes: str | Iterable[str] = (), cost_line: str = "active"
                     ) -> tuple[float, np.ndarray]:
    """The posted network's cost and backprop gradient (examples as rows, Octave layout).

    Parameters
    ----------
    nn_params : (hidden*(input+1) + labels*(hidden+1),) ndarray
        ``[Theta1(:); Theta2(:)]``, column-major (see :func:`nn_layout`).
    input_layer_size, hidden_layer_size, num_labels : int
    X : (m, input_layer_size) ndarray
        One example per row, as in the post.
    y : (m,) int ndarray
        Classes ``1 .. num_labels`` (Octave's 1-based labels).
    lambda_ : float
        Weight decay; the bias columns ``Theta(:, 1)`` are not decayed.
    activation_type : {"sigmoid", "tanh", "softplus"}
        Hidden activation.
    output : {"softmax", "sigmoid"}
        Output activation.
    fixes : iterable of {"cost", "derivative"}
        Which bugs to fix (see :data:`FIXES`); empty = the code as posted.
    cost_line : {"active", "commented"}
        Without the ``"cost"`` fix: the line left active (binary cross-entropy) or the
        commented-out softmax line ``-(sum(sum(Y.*log(h))) + lambda*p/(2*m))``.

    Returns
    -------
    J : float
    grad : ndarray, shape of ``nn_params``
        ``[Theta1_grad(:); Theta2_grad(:)]``.
    """
    layout = nn_layout(input_layer_size, hidden_layer_size, num_labels)
    nn_params = check_array(nn_params, "nn_params", shape=(layout.size,))
    check_choice(activation_type, "activation_type", HIDDEN_ACTIVATIONS)
    check_choice(output, "output", OUTPUT_ACTIVATIONS)
    check_choice(cost_line, "cost_line", COST_LINES)
    fixes = _check_fixes(fixes)
    if "cost" in fixes and cost_line != "active":
        raise ValueError("cost_line='commented' selects a posted cost line; it cannot be "
                         "combined with the 'cost' fix")
    lambda_ = check_scalar(lambda_, "lambda_", low=0)
    X = check_array(X, "X", ndim=2, shape=(None, input_layer_size))
    m = X.shape[0]
    y = check_array(y, "y", shape=(m,), dtype="real")
    if m == 0 or np.any(y != np.round(y)) or y.min() < 1 or y.max() > num_labels:
        raise ValueError(f"y must hold m >= 1 integer labels in 1 .. {num_labels}")
    blocks = layout.roll(nn_params)
    Theta1, Theta2 = blocks["Theta1"], blocks["Theta2"]
    Y = np.eye(num_labels, dtype=X.dtype)[y.astype(int) - 1]
    a1, z2, a2, _, a3 = _forward(Theta1, Theta2, X, activation_type, output)
    h = a3
    ones = a1[:, :1]

    p = np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2)
    if "cost" in fixes and output == "softmax":
        J = -np.sum(Y * np.log(h)) / m + lambda_ * p / (2 * m)
    elif cost_line == "commented":
        J = -(np.sum(Y * np.log(h)) + lambda_ * p / (2 * m))
    else:
        J = np.sum(np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h), axis=1)) / m \
            + lambda_ * p / (2 * m)

    sigma3 = a3 - Y
    derivative = activation_type if "derivative" in fixes else "sigmoid"
    f_grad = ACTIVATIONS[derivative][1]
    sigma2 = (sigma3 @ Theta2) * f_grad(np.hstack([ones, z2]))
    sigma2 = sigma2[:, 1:]
    delta_1 = sigma2.T @ a1
    delta_2 = sigma3.T @ a2

    Theta1_grad = delta_1 / m
    Theta2_grad = delta_2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return float(J), layout.unroll({"Theta1": Theta1_grad, "Theta2": Theta2_grad})


def _forward(Theta1: np.ndarray, Theta2: np.ndarray, X: np.ndarray, activation_type: str,
             output: str
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    m = X.shape[0]
    ones = np.ones((m, 1), dtype=X.dtype)
    a1 = np.hstack([ones, X])
    z2 = a1 @ Theta1.T
    a2 = np.hstack([ones, ACTIVATIONS[activation_type][0](z2)])
    z3 = a2 @ Theta2.T
    # The package's softmax works column by column; examples are rows here.
    a3 = softmax(z3.T).T if output == "softmax" else sigmoid(z3)
    return a1, z2, a2, z3, a3


def forward(nn_params: ArrayLike, input_layer_size: int, hidden_layer_size: int,
            num_labels: int, X: ArrayLike, *, activation_type: str = "sigmoid",
            output: str = "softmax") -> tuple[np.ndarray, np.ndarray]:
    """The posted feedforward pass (examples as rows, bias columns of ones).

    Parameters
    ----------
    nn_params : ndarray
        ``[Theta1(:); Theta2(:)]``.
    input_layer_size, hidden_layer_size, num_labels : int
    X : (m, input_layer_size) ndarray
    activation_type : {"sigmoid", "tanh", "softplus"}
    output : {"softmax", "sigmoid"}

    Returns
    -------
    z3 : (m, num_labels) ndarray
        Output pre-activations.
    a3 : (m, num_labels) ndarray
        Outputs ``h``.
    """
    layout = nn_layout(input_layer_size, hidden_layer_size, num_labels)
    nn_params = check_array(nn_params, "nn_params", shape=(layout.size,))
    check_choice(activation_type, "activation_type", HIDDEN_ACTIVATIONS)
    check_choice(output, "output", OUTPUT_ACTIVATIONS)
    X = check_array(X, "X", ndim=2, shape=(None, input_layer_size))
    blocks = layout.roll(nn_params)
    return _forward(blocks["Theta1"], blocks["Theta2"], X, activation_type, output)[3:]


def debug_initialize_weights(fan_out: int, fan_in: int) -> np.ndarray:
    """Coursera's ``debugInitializeWeights``: ``reshape(sin(1:numel(W)), size(W)) / 10``.

    Parameters
    ----------
    fan_out, fan_in : int

    Returns
    -------
    W : (fan_out, 1 + fan_in) ndarray
        Filled column by column (Octave's ``reshape``), deterministic.
    """
    fan_out = check_scalar(fan_out, "fan_out", low=1, integer=True)
    fan_in = check_scalar(fan_in, "fan_in", low=0, integer=True)
    shape = (fan_out, 1 + fan_in)
    return np.sin(np.arange(1, shape[0] * shape[1] + 1)).reshape(shape, order="F") / 10


def harness_problem(input_layer_size: int = 3, hidden_layer_size: int = 5, num_labels: int = 3,
                    m: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The data of Coursera's ``checkNNGradients``.

    Returns
    -------
    nn_params : (hidden*(input+1) + labels*(hidden+1),) ndarray
        ``[Theta1(:); Theta2(:)]`` from :func:`debug_initialize_weights`.
    X : (m, input_layer_size) ndarray
        ``debugInitializeWeights(m, input_layer_size - 1)``.
    y : (m,) int ndarray
        ``1 + mod(1:m, num_labels)``.
    """
    layout = nn_layout(input_layer_size, hidden_layer_size, num_labels)
    m = check_scalar(m, "m", low=1, integer=True)
    nn_params = layout.unroll({
        "Theta1": debug_initialize_weights(hidden_layer_size, input_layer_size),
        "Theta2": debug_initialize_weights(num_labels, hidden_layer_size),
    })
    X = debug_initialize_weights(m, input_layer_size - 1)
    y = 1 + np.mod(np.arange(1, m + 1), num_labels)
    return nn_params, X, y


def check_nn_gradients(activation_type: str = "sigmoid", output: str = "softmax", *,
                       fixes: str | Iterable[str] = (), cost_line: str = "active",
                       lambda_: float = 0.0) -> np.ndarray:
    """Rebuild ``checkNNGradients``: numerical and analytic gradient side by side.

    Uses :func:`harness_problem` and Coursera's ``computeNumericalGradient`` (central
    differences, ``e = 1e-4``), i.e. :func:`ufldl_helpers.gradcheck.numerical_gradient`.

    Parameters
    ----------
    activation_type, output, fixes, cost_line, lambda_
        As in :func:`nn_cost_function`.

    Returns
    -------
    table : (38, 2) ndarray
        ``[numgrad grad]``, one row per parameter.
    """
    fun, theta = harness_function(activation_type, output, fixes=fixes, cost_line=cost_line,
                                  lambda_=lambda_)
    numgrad = numerical_gradient(lambda t: fun(t)[0], theta, epsilon=1e-4)
    return np.column_stack([numgrad, fun(theta)[1]])


def harness_function(activation_type: str = "sigmoid", output: str = "softmax", *,
                     fixes: str | Iterable[str] = (), cost_line: str = "active",
                     lambda_: float = 0.0
                     ) -> tuple[Callable[[np.ndarray], tuple[float, np.ndarray]], np.ndarray]:
    """``fun(theta) -> (J, grad)`` on the harness problem, and the harness's theta.

    For :func:`ufldl_helpers.gradcheck.check_gradient` (``blocks=nn_layout(3, 5, 3)``).

    Returns
    -------
    fun : callable
    theta : (38,) ndarray
    """
    theta, X, y = harness_problem()

    def fun(t: np.ndarray) -> tuple[float, np.ndarray]:
        return nn_cost_function(t, 3, 5, 3, X, y, lambda_, activation_type=activation_type,
                                output=output, fixes=fixes, cost_line=cost_line)

    fun(theta)  # validate the options now rather than inside a checker
    return fun, theta


def format_table(table: ArrayLike, rows: int | None = None) -> str:
    """Rows of ``[numgrad grad]`` as the post prints them (``%.4e``)."""
    table = check_array(table, "table", ndim=2, shape=(None, 2))
    rows = table.shape[0] if rows is None else check_scalar(rows, "rows", low=0, integer=True)
    return "\n".join(f"{a:11.4e} {b:11.4e}" for a, b in table[:rows])


def binary_cost_delta(z3: ArrayLike, Y: ArrayLike) -> np.ndarray:
    """Exact derivative of the binary cross-entropy with respect to softmax's inputs.

    With ``h = softmax(z3)`` (row by row) and ``J = -sum(Y log h + (1 - Y) log(1 - h))``, the
    chain rule through the softmax Jacobian ``dh_j/dz_k = h_j (delta_jk - h_k)`` gives
    ``dJ/dz_k = h_k (g_k - sum_j h_j g_j)`` with ``g = (h - Y) / (h (1 - h))``. At uniform
    outputs ``h = 1/K`` this is exactly ``K/(K-1) * (h - Y)``; the post's ``a3 - Y`` is the
    derivative of the categorical cost ``-sum(Y log h)`` instead.

    Parameters
    ----------
    z3 : (m, K) ndarray
        Output pre-activations, one example per row.
    Y : (m, K) ndarray
        One-hot targets.

    Returns
    -------
    (m, K) ndarray
        ``dJ/dz3`` (not divided by m).
    """
    z3 = check_array(z3, "z3", ndim=2)
    Y = check_array(Y, "Y", shape=z3.shape)
    h = softmax(z3.T).T
    g = (h - Y) / (h * (1 - h))
    return h * (g - np.sum(h * g, axis=1, keepdims=True))


def derivative_ratio(activation_type: str, z: ArrayLike | None = None) -> np.ndarray:
    """``r = f'(z) / sigmoid'(z)``: how much larger the right hidden derivative is.

    With the derivative hard-coded to ``'sigmoid'``, every entry of ``sigma2`` is ``1/r`` times
    the right one, so ``Theta1``'s analytic gradient shrinks by about ``1/r``.

    Parameters
    ----------
    activation_type : {"sigmoid", "tanh", "softplus"}
    z : array_like, optional
        Hidden pre-activations; default the harness's ``z2`` (m x hidden, examples as rows).

    Returns
    -------
    ndarray, shape of ``z``
    """
    check_choice(activation_type, "activation_type", HIDDEN_ACTIVATIONS)
    if z is None:
        theta, X, _ = harness_problem()
        Theta1 = nn_layout(3, 5, 3).roll(theta)["Theta1"]
        z = np.hstack([np.ones((X.shape[0], 1)), X]) @ Theta1.T
    z = check_array(z, "z", dtype="real")
    return ACTIVATIONS[activation_type][1](z) / ACTIVATIONS["sigmoid"][1](z)


def delta3_is_a3_minus_y(output: str, loss: str, *, K: int = 3,
                         rng: np.random.Generator | int | None = 0) -> bool:
    """Whether ``dJ/dz3 = a3 - y`` for an output activation and a loss (one example).

    Uses :func:`ufldl_helpers.network.mlp_cost_and_grad` with one example: the gradient of
    the output bias ``b2`` is then exactly ``dJ/dz3``. True for the canonical-link pairs
    (sigmoid + cross_entropy, softmax + cross_entropy, linear + squared_error), false otherwise.

    Parameters
    ----------
    output : {"sigmoid", "softmax", "linear"}
    loss : {"cross_entropy", "squared_error"}
    K : int
        Number of output units.
    rng : numpy.random.Generator, int or None
        For the random example, weights and target.

    Returns
    -------
    bool
    """
    K = check_scalar(K, "K", low=2, integer=True)
    generator = check_rng(rng)
    sizes = (4, 3, K)
    theta = generator.normal(0, 0.5, 4 * 3 + 3 * K + 3 + K)
    x = generator.normal(0, 1, (4, 1))
    if output == "linear":
        y = generator.normal(0, 1, (K, 1))              # any real targets
    elif output == "sigmoid":
        y = generator.uniform(0.1, 0.9, (K, 1))         # any targets in [0, 1]
    else:
        y = np.eye(K)[:, [int(generator.integers(K))]]  # one-hot
    b2_grad = mlp_cost_and_grad(theta, sizes, x, y, output=output, loss=loss)[1][-K:]
    a3 = mlp_forward(theta, sizes, x, output=output)[:, 0]
    return bool(np.allclose(b2_grad, a3 - y[:, 0], rtol=1e-12, atol=1e-14))
