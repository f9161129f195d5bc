"""Checks for the exercises of notebook 01 (backpropagation).

Every reference value is computed here, at check time, by :mod:`ufldl_helpers.network`; the
messages say what is wrong (a factor, a derivative, a block), never the answer.

The series uses UFLDL's per-example delta: column ``i`` of ``delta3`` is the derivative of
example ``i``'s error ``1/2 ||a3 - y||^2`` with respect to ``z3`` (no ``1/m``); the ``1/m`` of the
average sits in the gradient formulas. For one example (``m = 1``) the gradient of ``b_l`` *is*
``delta_l``, which is how :func:`per_example_deltas` gets the reference from the package.

Examples
--------
>>> from ufldl_helpers.exercises import backpropagation as ex
>>> ex.check_duplicate_prediction(...)
Not attempted yet (Exercise 1.1): replace the ... with your prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers.activations import sigmoid, sigmoid_grad, tanh, tanh_grad
from ufldl_helpers.exercises import (
    RTOL,
    Feedback,
    check_array,
    check_choice,
    correct,
    identify_slip,
    is_placeholder,
    not_attempted,
    not_yet,
    run_student_function,
)
from ufldl_helpers.network import mlp_cost_and_grad, mlp_layout

__all__ = [
    "DUPLICATE_OPTIONS",
    "backprop_problem",
    "check_backprop",
    "check_deltas",
    "check_duplicate_prediction",
    "duplicate_effect",
    "per_example_deltas",
]

DUPLICATE_OPTIONS = ("doubles", "unchanged", "halves")
"""The answers offered in Exercise 1.1."""

_SIGMOID_SQUARED: dict[str, Any] = dict(output="sigmoid", loss="squared_error")


def duplicate_effect(theta: ArrayLike, layer_sizes: Sequence[int], X: np.ndarray,
                     Y: np.ndarray, lambda_: float = 0.0) -> str:
    """What happens to the gradient when every example is duplicated (``X -> [X, X]``).

    Computed with :func:`~ufldl_helpers.network.mlp_cost_and_grad` (sigmoid units, squared
    error). Returns one of :data:`DUPLICATE_OPTIONS`, or ``"something else"``.
    """
    _, once = mlp_cost_and_grad(theta, layer_sizes, X, Y, lambda_=lambda_, **_SIGMOID_SQUARED)
    _, twice = mlp_cost_and_grad(theta, layer_sizes, np.hstack([X, X]), np.hstack([Y, Y]),
                                 lambda_=lambda_, **_SIGMOID_SQUARED)
    for name, factor in zip(DUPLICATE_OPTIONS, (2.0, 1.0, 0.5), strict=True):
        if np.allclose(twice, factor * once, rtol=1e-12, atol=0):
            return name
    return "something else"


def check_duplicate_prediction(prediction: Any, theta: ArrayLike | None = None,
                               layer_sizes: Sequence[int] = (2, 2, 1),
                               X: np.ndarray | None = None, Y: np.ndarray | None = None,
                               lambda_: float = 0.1) -> Feedback:
    """Exercise 1.1: the gradient of J when every example appears twice.

    Parameters
    ----------
    prediction : {"doubles", "unchanged", "halves"} or ``...``
    theta, layer_sizes, X, Y, lambda_
        The network and data of the experiment; by default a seeded 2-2-1 problem.
    """
    if is_placeholder(prediction):
        return not_attempted("1.1", "prediction")
    if theta is None:
        theta, X, Y = backprop_problem(layer_sizes, m=5, rng=0)
    # The caller who passes theta passes X and Y with it.
    expected = duplicate_effect(theta, layer_sizes, X, Y, lambda_)  # type: ignore[arg-type]
    feedback = check_choice(
        "1.1", prediction, expected, DUPLICATE_OPTIONS, name="prediction",
        why=(f"the gradient is {expected}: J is an average, so duplicating every example "
             "duplicates every term of the sum and doubles m, and the 1/m cancels it; the "
             "weight decay does not depend on the data at all."),
    )
    if not feedback.correct and prediction in DUPLICATE_OPTIONS:
        return not_yet("1.1", f"{prediction!r} is not what happens. Hint: J is the *average* "
                              "of the per-example errors (plus weight decay); what does "
                              "duplicating every term do to an average?")
    return feedback


def backprop_problem(layer_sizes: Sequence[int] = (2, 2, 1), m: int = 3,
                     rng: np.random.Generator | int | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded problem for the exercises: ``theta``, inputs ``X (n, m)``, targets ``Y``.

    Targets are uniform in (0, 1), as a sigmoid output can reach them.
    """
    rng = np.random.default_rng(rng)
    layout = mlp_layout(layer_sizes)
    theta = rng.normal(0.0, 0.5, layout.size)
    X = rng.normal(0.0, 1.0, (layer_sizes[0], m))
    Y = rng.uniform(0.0, 1.0, (layer_sizes[-1], m))
    return theta, X, Y


def per_example_deltas(theta: ArrayLike, layer_sizes: Sequence[int], X: np.ndarray,
                       Y: np.ndarray, hidden_activation: str = "tanh"
                       ) -> tuple[np.ndarray, np.ndarray]:
    """UFLDL's per-example ``delta3, delta2`` (sigmoid output, squared error), from the package.

    For a single example (``m = 1``, no weight decay) the gradient of ``b2`` is ``delta3`` and
    that of ``b1`` is ``delta2``; one call per column gives the whole matrices.

    Returns
    -------
    delta3 : (n_out, m) ndarray
    delta2 : (n_hidden, m) ndarray
    """
    layout = mlp_layout(layer_sizes)
    columns = []
    for i in range(X.shape[1]):
        _, grad = mlp_cost_and_grad(theta, layer_sizes, X[:, [i]], Y[:, [i]],
                                    hidden_activation=hidden_activation, **_SIGMOID_SQUARED)
        blocks = layout.roll(grad)
        columns.append((blocks["b2"], blocks["b1"]))
    delta3 = np.column_stack([c[0] for c in columns])
    delta2 = np.column_stack([c[1] for c in columns])
    return delta3, delta2


def _forward(theta: ArrayLike, layer_sizes: Sequence[int], X: np.ndarray
             ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    P = mlp_layout(layer_sizes).roll(theta)
    z2 = P["W1"] @ X + P["b1"][:, None]
    a2 = tanh(z2)
    z3 = P["W2"] @ a2 + P["b2"][:, None]
    return P, z2, a2, z3, sigmoid(z3)


def _delta3_slip(delta3: Any, theta: ArrayLike, layer_sizes: Sequence[int], X: np.ndarray,
                 Y: np.ndarray, right: np.ndarray) -> str | None:
    """Name a typical slip in delta3, or None."""
    a3 = _forward(theta, layer_sizes, X)[-1]
    return identify_slip(delta3, right, [
        (right / X.shape[1],
         "delta3 is divided by m. In this series (as in UFLDL) delta is per example: column i is "
         "the derivative of example i's error alone; the 1/m belongs in the gradient formulas "
         "(W2grad = delta3 @ a2.T / m + ...)."),
        (a3 - Y, "delta3 is the derivative with respect to a3, not z3: the chain rule through "
                 "a3 = f(z3) multiplies by one more factor."),
        ((a3 - Y) * sigmoid_grad(a3), "f' takes the pre-activation z3, not the output a3."),
    ])


def _delta2_slip(delta2: Any, theta: ArrayLike, layer_sizes: Sequence[int], X: np.ndarray,
                 right_delta3: np.ndarray, right: np.ndarray) -> str | None:
    """Name a typical slip in delta2 (given a right delta3), or None."""
    P, z2, a2, _, _ = _forward(theta, layer_sizes, X)
    back = P["W2"].T @ right_delta3
    return identify_slip(delta2, right, [
        (right / X.shape[1],
         "delta2 is divided by m: delta is per example, the 1/m goes in the gradients."),
        (back * sigmoid_grad(z2), "delta2 uses the sigmoid's derivative, but this network's "
                                  "hidden layer is tanh: use tanh's derivative at z2."),
        (back * tanh_grad(a2), "f' takes the pre-activation z2, not the activation a2."),
        (back, "delta2 lacks the factor f'(z2) of the hidden units."),
    ])


def check_deltas(delta3: Any, delta2: Any, theta: ArrayLike, layer_sizes: Sequence[int],
                 X: np.ndarray, Y: np.ndarray) -> Feedback:
    """Exercise 1.2: ``delta3`` and ``delta2`` of a tanh-hidden, sigmoid-output network.

    Parameters
    ----------
    delta3 : (n_out, m) array_like or ``...``
    delta2 : (n_hidden, m) array_like or ``...``
    theta : (size,) ndarray
    layer_sizes : (n_in, n_hidden, n_out)
    X : (n_in, m) ndarray
    Y : (n_out, m) ndarray
    """
    if is_placeholder(delta3) or is_placeholder(delta2):
        return not_attempted("1.2", "delta3 and delta2" if is_placeholder(delta2) and
                             is_placeholder(delta3) else
                             "delta3" if is_placeholder(delta3) else "delta2")
    right3, right2 = per_example_deltas(theta, layer_sizes, X, Y)
    first = check_array("1.2", delta3, right3, name="delta3")
    if not first.correct:
        slip = _delta3_slip(delta3, theta, layer_sizes, X, Y, right3)
        return not_yet("1.2", slip) if slip else first
    second = check_array("1.2", delta2, right2, name="delta2")
    if not second.correct:
        slip = _delta2_slip(delta2, theta, layer_sizes, X, right3, right2)
        return not_yet("1.2", "delta3 is right; " + slip) if slip else not_yet(
            "1.2", "delta3 is right; " + second.message)
    return correct("1.2", "delta3 and delta2 match the package's per-example error terms "
                          f"(to {RTOL:.0e}, relative).")


_GRAD_NAMES = ("W1grad", "b1grad", "W2grad", "b2grad")


def _student_gradients(fun: Callable, P: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray,
                       lambda_: float) -> tuple[Any, Feedback | None]:
    """Call ``fun``; return ``(dict of four arrays, None)`` or ``(None, Feedback)``."""
    out, problem = run_student_function("1.3", "backprop", fun, P["W1"].copy(), P["b1"].copy(),
                                        P["W2"].copy(), P["b2"].copy(), X.copy(), Y.copy(),
                                        lambda_)
    if problem:
        return None, problem
    if is_placeholder(out):
        return None, not_attempted("1.3", "backprop")
    if not (isinstance(out, (tuple, list)) and len(out) == 4):
        return None, not_yet("1.3", "backprop must return four arrays: "
                                    "W1grad, b1grad, W2grad, b2grad (in that order).")
    return dict(zip(_GRAD_NAMES, out, strict=True)), None


def _block_slip(name: str, answer: Any, expected: np.ndarray, param: np.ndarray, m: int,
                lambda_: float) -> str | None:
    """Name a typical slip in one gradient block (``param`` is the block's value), or None."""
    no_average = (f"{name} misses the 1/m of the average: the cost averages over the m "
                  "examples, so each gradient sums over them (delta @ a.T or delta.sum(axis=1)) "
                  "and divides by m.")
    if not name.startswith("W"):
        return identify_slip(answer, expected, [
            (expected * m, no_average),
            (expected + lambda_ * param,
             f"{name} has a weight-decay term, but biases are never decayed."),
        ])
    decay = lambda_ * param
    return identify_slip(answer, expected, [
        (expected.T, f"{name} is transposed: a gradient has its weight's shape, (units out, "
                     "units in), so the delta of the layer above comes first: delta @ a.T."),
        (expected * m, no_average),
        ((expected - decay) * m + decay, no_average),
        (expected - decay,
         f"{name} lacks the weight-decay term: the derivative of (lambda_/2)||W||^2."),
        (expected - decay + decay / m,
         f"{name}: the weight-decay term is divided by m, but lambda_/2 ||W||^2 is not."),
    ])


def check_backprop(backprop: Callable) -> Feedback:
    """Exercise 1.3: a vectorized ``backprop(W1, b1, W2, b2, X, Y, lambda_)``.

    The student's function returns ``(W1grad, b1grad, W2grad, b2grad)`` for a sigmoid hidden
    layer, a sigmoid output, the squared error averaged over the examples and weight decay on
    the weights. It is compared, block by block, with
    :func:`~ufldl_helpers.network.mlp_cost_and_grad` on two seeded problems (5 examples of a
    4-3-2 network, and a single example).
    """
    if is_placeholder(backprop):
        return not_attempted("1.3", "backprop")
    sizes, lambda_ = (4, 3, 2), 0.1
    layout = mlp_layout(sizes)
    for m in (5, 1):
        theta, X, Y = backprop_problem(sizes, m=m, rng=10 + m)
        P = layout.roll(theta)
        got, problem = _student_gradients(backprop, P, X, Y, lambda_)
        if problem:
            return problem
        _, grad = mlp_cost_and_grad(theta, sizes, X, Y, lambda_=lambda_, **_SIGMOID_SQUARED)
        G = layout.roll(grad)
        in_theta_order = ("W1grad", "W2grad", "b1grad", "b2grad")
        if all(np.shape(got[n]) == G[o[:-4]].shape
               for n, o in zip(_GRAD_NAMES, in_theta_order, strict=True)) and any(
                np.shape(got[n]) != G[n[:-4]].shape for n in _GRAD_NAMES):
            return not_yet("1.3", "the four gradients come back in theta's order (W1, W2, b1, "
                                  "b2); return them as (W1grad, b1grad, W2grad, b2grad).")
        for name in _GRAD_NAMES:
            block = name[:-4]
            feedback = check_array("1.3", got[name], G[block], name=name)
            if feedback.correct:
                continue
            slip = (_block_slip(name, got[name], G[block], P[block], m, lambda_)
                    or identify_slip(got[name], G[block],
                                     _derivative_slips(P, X, Y, lambda_)[name]))
            example = "one example" if m == 1 else f"{m} examples"
            return not_yet("1.3", f"with {example}: {slip or feedback.message}")
    return correct("1.3", f"all four gradients match mlp_cost_and_grad (to {RTOL:.0e}, "
                          "relative) with 5 examples and with one.")


def _derivative_slips(P: dict, X: np.ndarray, Y: np.ndarray,
                      lambda_: float) -> dict[str, list[tuple[np.ndarray, str]]]:
    """Exercise 1.3's four gradients as they come out when f' is misplaced, per block name.

    Sigmoid units, squared error: the right delta3 is (a3 - Y) f'(z3), delta2 is
    (W2.T delta3) f'(z2). The slips apply f' to the activation (f'(a) instead of f'(z)) or leave
    the output's f' out.
    """
    m = X.shape[1]
    z2 = P["W1"] @ X + P["b1"][:, None]
    a2 = sigmoid(z2)
    z3 = P["W2"] @ a2 + P["b2"][:, None]
    a3 = sigmoid(z3)
    variants = {
        "delta3 applies f' to a3, and delta2 f' to a2: f' takes the pre-activations, "
        "f'(z) = a (1 - a) for the sigmoid.": (sigmoid_grad(a3), sigmoid_grad(a2)),
        "delta3 applies f' to a3: f' takes the pre-activation z3, "
        "f'(z3) = a3 (1 - a3) for the sigmoid.": (sigmoid_grad(a3), sigmoid_grad(z2)),
        "delta2 applies f' to a2: f' takes the pre-activation z2, "
        "f'(z2) = a2 (1 - a2) for the sigmoid.": (sigmoid_grad(z3), sigmoid_grad(a2)),
        "delta3 lacks the factor f'(z3): the squared error is taken of a3 = f(z3), so the chain "
        "from z3 passes through the output's sigmoid.": (1.0, sigmoid_grad(z2)),
    }
    slips: dict[str, list[tuple[np.ndarray, str]]] = {name: [] for name in _GRAD_NAMES}

    def add(message: str, delta3: np.ndarray, delta2: np.ndarray, hidden: np.ndarray,
            divisor: int, sign: float = 1.0) -> None:
        grads = (delta2 @ X.T / divisor, delta2.sum(axis=1) / divisor,
                 delta3 @ hidden.T / divisor, delta3.sum(axis=1) / divisor)
        decay = (lambda_ * P["W1"], 0.0, lambda_ * P["W2"], 0.0)
        for name, grad, term in zip(_GRAD_NAMES, grads, decay, strict=True):
            slips[name].append((sign * (grad + term), message))

    for message, (f3, f2) in variants.items():
        delta3 = (a3 - Y) * f3
        add(message, delta3, (P["W2"].T @ delta3) * f2, a2, m)
    delta3 = (a3 - Y) * sigmoid_grad(z3)
    delta2 = (P["W2"].T @ delta3) * sigmoid_grad(z2)
    add("the data term has the wrong sign: delta3 starts from a3 - y, the derivative of "
        "(1/2)||a3 - y||^2 with respect to a3, not y - a3.", -delta3, -delta2, a2, m)
    add("every gradient has the wrong sign: the gradient points uphill, a3 - y (not y - a3) "
        "in delta3 and + lambda_ W in the weight decay.", delta3, delta2, a2, m, sign=-1.0)
    if X.shape[0] != m:
        add(f"the gradients divide by {X.shape[0]}, the number of input features, instead of "
            f"m = {m}: X is (n_features, m), so len(X) is n_features; m is X.shape[1].",
            delta3, delta2, a2, X.shape[0])
    tanh_a2 = np.tanh(z2)
    tanh_z3 = P["W2"] @ tanh_a2 + P["b2"][:, None]
    tanh_delta3 = (sigmoid(tanh_z3) - Y) * sigmoid_grad(tanh_z3)
    add("the hidden layer is tanh (as in Exercise 1.2), but this network's hidden units are "
        "sigmoids: a2 = sigmoid(z2), f'(z2) = a2 (1 - a2).", tanh_delta3,
        (P["W2"].T @ tanh_delta3) * (1 - tanh_a2**2), tanh_a2, m)
    return slips
