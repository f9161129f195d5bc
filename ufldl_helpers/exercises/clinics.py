"""Checks for the exercises of the clinics, notebooks 03 (MATLAB autoencoder), 04 (L-BFGS-B at
iteration 0) and 05 (softmax off by 1.5).

Every reference value comes from the clinic's own module in :mod:`ufldl_helpers.case_studies`
at check time: the posted code with its fixes switched on or off. So a check can recognize a
student's answer as one of the posted bugs and say which, without a second implementation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ufldl_helpers.activations import sigmoid
from ufldl_helpers.case_studies import lbfgsb_iteration_zero as lb
from ufldl_helpers.case_studies import matlab_autoencoder as ma
from ufldl_helpers.case_studies import softmax_off_by_1_5 as s
from ufldl_helpers.exercises import (
    GUARDED_RTOL,
    RTOL,
    Feedback,
    _as_real,
    answer_rtol,
    check_array,
    check_choice,
    check_number,
    correct,
    identify_slip,
    is_placeholder,
    not_attempted,
    not_yet,
    raising_line,
    run_student_function,
)
from ufldl_helpers.gradcheck import check_gradient

__all__ = [
    "AGREEING_ENTRIES",
    "FAILING_BLOCKS",
    "REJECTING_TESTS",
    "check_agreeing_entries",
    "check_categorical_cost",
    "check_failing_block",
    "check_fixed_gradients",
    "check_fixed_objective",
    "check_fixed_point_count",
    "check_posted_lambda",
    "check_rejecting_test",
    "check_uniform_factor",
]

# ------------------------------------------------------------------------------------------
# Notebook 03: the MATLAB autoencoder

AGREEING_ENTRIES = ("all", "none", "only the first and the last", "every 200th")


def _agreeing_reasons(shape: tuple[int, int], fixed: np.ndarray) -> dict[str, str]:
    """Why each option of Exercise 3.1 fails for ``shape``, without naming the right one."""
    p, q = shape
    reasons = {
        "all": f"counting from 0 and column by column, decoder(:) holds decoder(r, c) at "
               f"position r + {p} c, and gDecoder(:), the transpose, holds its derivative at "
               f"c + {q} r: wherever those differ, the line compares two different weights' "
               "derivatives",
        "none": "position 1 holds decoder(1, 1) in decoder(:) and its derivative in gDecoder(:): "
                "a transpose leaves that corner where it is",
    }
    if fixed.size > 2:
        reasons["only the first and the last"] = (
            f"count the solutions (r, c) of r + {p} c = c + {q} r (0-based): (0, 0) and "
            f"({p - 1}, {q - 1}) are not the only ones")
    elif fixed.size == p * q:
        reasons["only the first and the last"] = (
            "a matrix with one row or one column unrolls in the same order as its transpose")
    k = 200  # 0-based position 200: the 201st entry, "200 further on" from the first
    if k >= p * q:
        reasons["every 200th"] = f"a {p} x {q} matrix has only {p * q} entries"
    elif (k % p, k // p) != (k // q, k % q):
        reasons["every 200th"] = (
            f"position {k + 1} holds decoder({k % p + 1}, {k // p + 1}) in decoder(:), but in "
            f"gDecoder(:) the derivative of decoder({k // q + 1}, {k % q + 1}) (1-based)")
    return reasons


def check_agreeing_entries(prediction: Any, shape: tuple[int, int] = (200, 784)) -> Feedback:
    """Exercise 3.1: which entries of ``decoder(:)`` does the post's check find in agreement?

    Computed from :func:`~ufldl_helpers.case_studies.matlab_autoencoder.transpose_fixed_points`
    for the decoder's shape; a wrong option gets a reason computed for that shape.
    """
    fixed = ma.transpose_fixed_points(shape)
    size = int(np.prod(shape))
    if fixed.size == size:
        expected = "all"
    elif fixed.size == 0:
        expected = "none"
    elif fixed.tolist() == [0, size - 1]:
        expected = "only the first and the last"
    else:
        expected = "every 200th"
    return check_choice(
        "3.1", prediction, expected, AGREEING_ENTRIES, name="prediction",
        why=f"{expected!r}: gDecoder(:) unrolls the transpose, and only "
            f"{fixed.size} of the {size} positions name the same weight in both orders.",
        reasons=_agreeing_reasons(shape, fixed))


def check_fixed_point_count(count: Any, shape: tuple[int, int] = (7, 13)) -> Feedback:
    """Exercise 3.2: how many entries does ``G(:)`` share with ``G'(:)`` for a p x q matrix?"""
    p, q = shape
    expected = ma.transpose_fixed_points(shape).size
    if is_placeholder(count):
        return not_attempted("3.2", "count")
    value = _as_real(count)
    if value is None:
        return not_yet("3.2", f"count must be a single whole number such as 3, got {count!r} "
                              f"(a {type(count).__name__}).")
    if not value.is_integer():
        return not_yet("3.2", f"count is a number of positions, a whole number; got {count!r}.")
    if value == expected:
        return correct("3.2", f"a {p} x {q} matrix has {expected} positions where G(:) and "
                              "G'(:) name the same entry, as transpose_fixed_points finds.")
    if value == 2:
        return not_yet("3.2", "2 (the first and the last) is the count when gcd(p - 1, q - 1) "
                              "= 1; here p - 1 and q - 1 share a factor: count every solution "
                              "(r, c) of r + p c = c + q r.")
    return not_yet("3.2", "count the pairs (r, c), 0 <= r < p, 0 <= c < q, with "
                          "r + p c = c + q r, i.e. (p - 1) c = (q - 1) r.")


def _small_autoencoder(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    encoder, decoder = ma.initialize_weights(6, 4, rng=rng)
    return rng.random((m, 6)), encoder, decoder


# numpy's words for operands whose shapes do not fit (matmul, dot, broadcasting)
_SHAPE_ERROR = re.compile(r"mismatch in its core dimension|not aligned|could not be broadcast")


def _shape_help(m: int, encoder: np.ndarray, decoder: np.ndarray, err: ValueError) -> str:
    """The shapes at hand for a shape error; the line is named only from the traceback."""
    v, h = encoder.shape
    return (f"shape mismatch in fixed_gradients{raising_line(err)} (numpy: {err}). Here m = {m} "
            f"image(s), visible = {v}, hidden = {h}: x, z and error_0 are (m, visible) = "
            f"({m}, {v}), a and error_1 are (m, hidden) = ({m}, {h}), encoder is "
            f"{encoder.shape}, decoder {decoder.shape}, and each gradient has its matrix's "
            "shape. The usual causes: * where @ was meant (MATLAB's * is a matrix product, "
            "numpy's is elementwise), or a missing or extra transpose; write each array's "
            "shape next to the line.")


def _recording_shape_errors(fun: Callable, errors: list) -> Callable:
    """``fun``, appending to ``errors`` any numpy shape error it raises (then re-raised)."""
    def call(*args: Any) -> Any:
        try:
            return fun(*args)
        except ValueError as err:
            if _SHAPE_ERROR.search(str(err)):
                errors.append(err)
            raise
    return call


def check_fixed_gradients(fixed_gradients: Callable) -> Feedback:
    """Exercise 3.3: ``fixed_gradients(x, encoder, decoder) -> (gEncoder, gDecoder)``.

    Compared with the post's backprop with fixes A, B and C on a 6-visible, 4-hidden net, for
    one image and for a batch of three (examples as rows). A product whose shapes do not fit is
    explained with the shapes at hand rather than numpy's message alone.
    """
    if is_placeholder(fixed_gradients):
        return not_attempted("3.3", "fixed_gradients")
    for m in (1, 3):
        x, encoder, decoder = _small_autoencoder(m)
        shape_errors: list[ValueError] = []
        fun = (_recording_shape_errors(fixed_gradients, shape_errors)
               if callable(fixed_gradients) else fixed_gradients)
        value, problem = run_student_function("3.3", "fixed_gradients", fun, x, encoder, decoder)
        if shape_errors:
            return not_yet("3.3", _shape_help(m, encoder, decoder, shape_errors[0]))
        if problem:
            return problem
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return not_yet("3.3", "fixed_gradients must return a pair (gEncoder, gDecoder), "
                                  "a tuple or a list of two.")
        if any(is_placeholder(v) for v in value):
            return not_attempted("3.3", "fixed_gradients (it still returns ...)")
        right = ma.gradients(x, encoder, decoder, "ABC")
        for name, answer in zip(("gEncoder", "gDecoder"), value, strict=True):
            if answer is None:
                return not_yet("3.3", f"fixed_gradients returns None as {name} (the result "
                                      "of a function without a return statement?).")
        if (np.shape(value[0]) == right[1].shape and np.shape(value[1]) == right[0].shape
                and check_array("3.3", value[0], right[1], name="gDecoder").correct
                and check_array("3.3", value[1], right[0], name="gEncoder").correct):
            return not_yet("3.3", "both gradients are right but come back in the wrong order: "
                                  "return (gEncoder, gDecoder).")
        for name, answer, expected, weights in (("gEncoder", value[0], right[0], "encoder"),
                                                ("gDecoder", value[1], right[1], "decoder")):
            shape = np.shape(answer)
            if shape == expected.shape[::-1] and shape != expected.shape:
                return not_yet("3.3", f"{name} has shape {shape}, the transpose of {weights}'s "
                                      f"{expected.shape}: a gradient has its parameter's shape.")
            feedback = check_array("3.3", answer, expected, name=name)
            if feedback.correct:
                continue
            if name == "gEncoder" and np.allclose(answer, ma.gradients(x, encoder, decoder,
                                                                       "AC")[0]):
                return not_yet("3.3", "gEncoder sends the error back through encoder; it came "
                                      "forward through decoder, so it goes back through that "
                                      "matrix, transposed.")
            slip = identify_slip(answer, expected, _derivative_slips(x, encoder, decoder)[name])
            return not_yet("3.3", slip) if slip else feedback
    return correct("3.3", "both gradients have their parameters' shapes and match the fixed "
                          "backprop for one image and for a batch of three.")


# ------------------------------------------------------------------------------------------
# Notebook 04: L-BFGS-B stops at iteration 0

REJECTING_TESTS = ("sufficient decrease", "curvature", "both")


# Said of "both" whichever test passes: naming it would give the answer away.
_NOT_BOTH = ("'both' needs each test to fail at the last trial, and one of them passes there: "
             "check each test's inequality with the last trial's numbers")


def _rejecting_reasons(trials: dict[str, Any], expected: str) -> dict[str, str]:
    """Why each wrong option of Exercise 4.1 fails, from the recorded trials.

    Each reason says which test passes at the last trial and gives the number to think about,
    not the mechanism: explaining why would be the exercise's answer.
    """
    ulps = trials["required"][-1] / trials["ulp"]
    flatter = abs(trials["slope"][-1]) / abs(trials["slope0"])
    if expected == "curvature":
        passes = (f"the sufficient-decrease test passes at the last trial, although the cost "
                  f"did not change: its required decrease is {ulps:.2g} ulps of f(0); work out how "
                  "an unchanged cost can pass it")
        return {"sufficient decrease": passes, "both": _NOT_BOTH}
    if expected == "sufficient decrease":
        passes = (f"the curvature test passes at the last trial: |g(t)'d| is {flatter:.3g} times "
                  "|g(0)'d|")
        return {"curvature": passes, "both": _NOT_BOTH}
    return {"sufficient decrease": f"it fails, but not alone: |g(t)'d| is {flatter:.3g} times "
                                   "|g(0)'d| at the last trial, more than 0.9",
            "curvature": f"it fails, but not alone: the last trial's required decrease is "
                         f"{ulps:.2g} ulps of f(0), enough to survive rounding, and the cost "
                         "did not drop by it"}


def check_rejecting_test(prediction: Any, theta: np.ndarray, data: np.ndarray,
                         lambda_: float = 1e-4, hidden_size: int = 10) -> Feedback:
    """Exercise 4.1: which of the line search's two tests rejects its *last* trial step?

    Computed by :func:`~ufldl_helpers.case_studies.lbfgsb_iteration_zero.line_search_trials`
    on the notebook's problem; a wrong option gets a reason computed from the same trials.
    """
    if is_placeholder(prediction):
        return not_attempted("4.1", "prediction")
    trials = lb.line_search_trials(theta, data.shape[0], hidden_size, lambda_, data)
    armijo, curvature = trials["sufficient_decrease"][-1], trials["curvature"][-1]
    if armijo and curvature:
        raise RuntimeError("the posted objective's last trial passed both tests")
    expected = ("both" if not (armijo or curvature)
                else "sufficient decrease" if not armijo else "curvature")
    return check_choice(
        "4.1", prediction, expected, REJECTING_TESTS, name="prediction",
        why=f"{expected!r}: the table below shows both tests for every trial.",
        reasons=_rejecting_reasons(trials, expected))


def _check_ratio(exercise: str, answer: Any, expected: float, *, name: str, rtol: float,
                 inverted: str, hint: str, verified: str,
                 others: Sequence[tuple[float, str]] = ()) -> Feedback:
    """A number that is a ratio: recognize the inverted ratio and ``others``, a sequence of
    ``(value, message)`` for known wrong values; else :func:`check_number` says whether it is
    the right value rounded, close, or wrong (with ``hint``)."""
    value = _as_real(answer)
    if value is None:  # the placeholder, a string, an array: the shared check words it
        return check_number(exercise, answer, expected, name=name, rtol=rtol)
    if np.isclose(value, expected, rtol=rtol, atol=0):
        return correct(exercise, verified)
    if np.isclose(value, 1 / expected, rtol=1e-3, atol=0):
        return not_yet(exercise, inverted)
    for other, message in others:
        if np.isclose(value, other, rtol=1e-3, atol=0):
            return not_yet(exercise, message)
    return check_number(exercise, value, expected, name=name, rtol=rtol, hint=hint)


def check_posted_lambda(lambda_post: Any) -> Feedback:
    """Exercise 4.2: the weight decay the post used, from its printed ``jac`` and ``x``.

    One number; any typed form of it (``1e-4``, ``0.0001``, ``10**-4``, a numpy scalar, the
    mean of the three ratios) passes.
    """
    ratio = lb.weight_decay_ratio(lb.POSTED["jac_first"], lb.POSTED["x_first"])
    return _check_ratio(
        "4.2", lambda_post, float(np.mean(ratio)), name="lambda_post", rtol=1e-4,
        inverted="that is 1/lambda: on a blank pixel the gradient is lambda times the weight, "
                 "so divide the gradient by the weight.",
        hint="On a blank pixel W1's data gradient is 0: what is left of W1's gradient, and how "
             "does it relate to W1?",
        verified="lambda_post matches the post's three jac/x ratios (to the digits the post "
                 "printed).")


def check_fixed_objective(J: Callable, theta: np.ndarray, visible_size: int, hidden_size: int,
                          lambda_: float, data: np.ndarray) -> Feedback:
    """Exercise 4.3: the objective for ``minimize(..., jac=True)`` that reads its argument.

    It must return ``(cost, gradient)`` (any pair: a tuple or a list of two, as scipy takes
    either) at the point it is given; checked at ``theta`` and at a moved point.
    """
    if is_placeholder(J):
        return not_attempted("4.3", "J_fixed")
    rng = np.random.default_rng(0)
    moved = theta + 1e-3 * rng.standard_normal(theta.shape)
    for point in (theta, moved):
        value, problem = run_student_function("4.3", "J_fixed", J, point.copy())
        if problem:
            return problem
        if is_placeholder(value):
            return not_attempted("4.3", "J_fixed (it still returns ...)")
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return not_yet("4.3", "with jac=True the objective must return a pair (cost, "
                                  "gradient), a tuple or a list of two.")
        cost, grad = lb.autoencoder_cost_and_grad(point, visible_size, hidden_size, lambda_,
                                                  data)
        order = _pair_problem(value, grad.shape)
        if order:
            return not_yet("4.3", order)
        if point is moved and value[0] == J(theta.copy())[0] and cost != value[0]:
            return not_yet("4.3", "J_fixed returns the same cost at two different points: it "
                                  "still ignores its argument.")
        feedback = check_number("4.3", value[0], cost, name="the cost J_fixed returns",
                                typed=False)
        if feedback.correct:
            feedback = check_array("4.3", value[1], grad, name="the gradient J_fixed returns")
        if feedback.correct:
            continue
        undecayed = lb.autoencoder_cost_and_grad(point, visible_size, hidden_size, 0.0, data)
        if lambda_ != 0 and np.isclose(float(value[0]), undecayed[0], rtol=RTOL, atol=0):
            return not_yet("4.3", f"J_fixed leaves out the weight decay: its cost is the "
                                  f"objective's with lambda_ = 0, not {lambda_:g}.")
        return feedback
    return correct("4.3", "J_fixed returns the cost and gradient at the point it is given "
                          "(checked at theta and at a moved point).")


def _pair_problem(value: Sequence[Any], grad_shape: tuple[int, ...]) -> str | None:
    """What is wrong with the types and shapes of the pair ``(cost, gradient)``, or None."""
    for what, item in zip(("cost", "gradient"), value, strict=True):
        if item is None:
            return (f"J_fixed returns None as the {what} (the result of a function without "
                    "a return statement?).")
    if np.ndim(value[1]) == 0 and np.shape(value[0]) == grad_shape:
        return ("J_fixed returns (gradient, cost), the wrong order: with jac=True scipy expects "
                "(cost, gradient).")
    if _as_real(value[0]) is None:
        return (f"the cost J_fixed returns must be a single number, got "
                f"{type(value[0]).__name__} of shape {np.shape(value[0])}.")
    if np.shape(value[1]) != grad_shape:
        return (f"the gradient J_fixed returns has shape {np.shape(value[1])}; it should have "
                f"theta's shape {grad_shape}.")
    return None


# ------------------------------------------------------------------------------------------
# Notebook 05: softmax off by 1.5

FAILING_BLOCKS = ("Theta1", "Theta2", "both", "neither")


def _failing_reasons(wrong: list[str], activation_type: str) -> dict[str, str]:
    """Why each wrong option of Exercise 5.3 fails, given the blocks that do fail."""
    r0 = float(s.derivative_ratio(activation_type, np.zeros(1))[0])
    theta2 = ("Theta2's gradient, sigma3'*a2, uses no hidden derivative: with the cost fixed, "
              "sigma3 = a3 - Y is right, and a2 comes from the forward pass")
    theta1 = (f"Theta1's gradient, sigma2'*a1, goes through the hidden derivative, and "
              f"{activation_type}'s derivative is {r0:.3g} times the sigmoid's at z = 0, not "
              "the same function")
    if activation_type == "sigmoid":
        theta1 = "with sigmoid hidden units the hard-coded 'sigmoid' derivative is the right one"
    # "both" and "neither" get reasons that name no block: with the single-block reasons
    # they would give the answer away.
    reasons = {
        "both": "'both' needs each block's gradient to be wrong: check, block by block, "
                "whether its formula goes through the hard-coded derivative",
        "neither": "'neither' needs each block's gradient to be right: check, block by block, "
                   "whether its formula goes through the hard-coded derivative",
    }
    if "Theta2" not in wrong:
        reasons["Theta2"] = theta2
    if "Theta1" not in wrong:
        reasons["Theta1"] = theta1
    return reasons


def check_failing_block(prediction: Any, activation_type: str = "tanh") -> Feedback:
    """Exercise 5.3: with the cost fixed and tanh hidden units, which block fails the check?"""
    fun, theta = s.harness_function(activation_type, "softmax", fixes=("cost",))
    errors = check_gradient(fun, theta, blocks=s.nn_layout(3, 5, 3)).block_errors
    wrong = [name for name in ("Theta1", "Theta2") if errors[name] > 1e-6]
    expected = "both" if len(wrong) == 2 else wrong[0] if wrong else "neither"
    return check_choice(
        "5.3", prediction, expected, FAILING_BLOCKS, name="prediction",
        why=f"{expected!r}: only gradients computed through sigma2 use the hidden derivative.",
        reasons=_failing_reasons(wrong, activation_type))


def _uniform_factor(K: int) -> float:
    Y = np.eye(K)[[0]]
    return float(np.mean(s.binary_cost_delta(np.zeros((1, K)), Y) / (1 / K - Y)))


def check_uniform_factor(factor: Any, K: int = 4) -> Feedback:
    """Exercise 5.1: true ``dJ/dz3`` over the posted ``a3 - Y`` at uniform outputs, K classes."""
    return _check_ratio(
        "5.1", factor, _uniform_factor(K), name="factor", rtol=1e-6,
        inverted="that is the inverse ratio (a3 - Y over the true derivative); the question "
                 "asks true over posted.",
        hint="Put h_j = 1/K in g_j and in sum_j h_j g_j; remember that one-hot y sums to 1.",
        verified=f"factor matches binary_cost_delta / (a3 - Y) at uniform outputs for K = {K}.",
        others=[(_uniform_factor(k), f"your value is the ratio for K = {k} classes"
                                     f"{' (the harness of the post)' if k == 3 else ''}, not for "
                                     f"K = {K}: put h_j = 1/K with K = {K}.")
                for k in range(2, 11) if k != K])


def check_categorical_cost(categorical_cost: Callable) -> Feedback:
    """Exercise 5.2: ``categorical_cost(h, Y, p, lambda_) -> J`` for a softmax output.

    ``h`` and ``Y`` are (m, K), examples as rows; ``p`` is the sum of the squared non-bias
    weights. Compared with the fixed cost of the posted network on the harness, with
    ``lambda_`` 0 and 1.
    """
    if is_placeholder(categorical_cost):
        return not_attempted("5.2", "categorical_cost")
    theta, X, y = s.harness_problem()
    _, h = s.forward(theta, 3, 5, 3, X)
    Y = np.eye(3)[y - 1]
    blocks = s.nn_layout(3, 5, 3).roll(theta)
    p = float(np.sum(blocks["Theta1"][:, 1:] ** 2) + np.sum(blocks["Theta2"][:, 1:] ** 2))
    m = X.shape[0]
    values = {}
    for lambda_ in (0.0, 1.0):
        value, problem = run_student_function("5.2", "categorical_cost", categorical_cost,
                                              h.copy(), Y.copy(), p, lambda_)
        if problem:
            return problem
        if is_placeholder(value):
            return not_attempted("5.2", "categorical_cost (it still returns ...)")
        if np.ndim(value) != 0 or _as_real(value) is None:
            return not_yet("5.2", f"categorical_cost must return one number, got "
                                  f"{type(value).__name__} of shape {np.shape(value)}.")
        values[lambda_] = value

    def cost(lambda_: float, **options: Any) -> float:
        return s.nn_cost_function(theta, 3, 5, 3, X, y, lambda_, **options)[0]

    def matches(**options: Any) -> bool:
        return all(np.isclose(float(v), cost(lam, **options),
                              rtol=answer_rtol(v, GUARDED_RTOL), atol=0)
                   for lam, v in values.items())

    if matches(fixes=("cost",)):
        return correct("5.2", "categorical_cost matches the fixed cost on the harness with "
                              "lambda_ = 0 and 1.")
    if matches(cost_line="commented"):
        return not_yet("5.2", "this is the post's commented-out line: check the 1/m and the "
                              "sign of the weight decay.")
    if matches():
        return not_yet("5.2", "this is the binary cross-entropy (one sigmoid per class), the "
                              "cost whose derivative is not a3 - Y through a softmax.")
    right = cost(0.0, fixes=("cost",))
    if np.isclose(float(values[0.0]), m * right, rtol=GUARDED_RTOL):
        return not_yet("5.2", "the data term is m times too large: the cost is an average over "
                              "the m examples.")
    if np.isclose(float(values[0.0]), -right, rtol=GUARDED_RTOL):
        return not_yet("5.2", "the cost has the wrong sign: log h is negative, and the cost "
                              "must be positive.")
    if np.isclose(float(values[0.0]), right, rtol=GUARDED_RTOL):
        return not_yet("5.2", "right without weight decay, wrong with lambda_ = 1: check the "
                              "weight-decay term (its sign and its 1/(2m)).")
    K = Y.shape[1]
    if np.isclose(float(values[0.0]) * K, right, rtol=GUARDED_RTOL):
        return not_yet("5.2", f"the data term is {K} times too small, K = {K} being the number "
                              "of classes: it averages over the classes as well as over the "
                              "examples (np.mean over everything?); only the examples are "
                              "averaged.")
    close = check_number("5.2", values[0.0], right, name="categorical_cost with lambda_ = 0",
                         rtol=GUARDED_RTOL, typed=False)
    if "close to the right value" in close.message:
        return close
    return not_yet("5.2", "the data term is wrong: check which entries of log h enter the "
                          "cost, their sign, and what is summed and what averaged.")


def _derivative_slips(x: np.ndarray, encoder: np.ndarray,
                      decoder: np.ndarray) -> dict[str, list[tuple[np.ndarray, str]]]:
    """Exercise 3.3's gradients with a sigmoid's derivative left out, per gradient name."""
    a = sigmoid(x @ encoder)
    z = sigmoid(a @ decoder)
    slips: dict[str, list[tuple[np.ndarray, str]]] = {"gEncoder": [], "gDecoder": []}
    for error_0, f_a, message in (
            ((z - x) * z * (1 - z), 1.0,
             "error_1 lacks the hidden sigmoid's derivative a .* (1 - a): the error passes "
             "back through the hidden units' sigmoid too."),
            (z - x, a * (1 - a),
             "error_0 lacks the output sigmoid's derivative z .* (1 - z), which the posted "
             "error_0 has: the squared error is taken of z = sigmoid(a * decoder).")):
        error_1 = (error_0 @ decoder.T) * f_a
        slips["gEncoder"].append((x.T @ error_1, message))
        slips["gDecoder"].append((a.T @ error_0, message))
    return slips
