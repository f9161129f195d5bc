"""The clinics' exercise checks (notebooks 03-05): right answers in several correct forms pass,
the typical wrong ones get a useful "Not yet", the placeholder is "Not attempted yet"."""

from fractions import Fraction

import numpy as np
import pytest

from ufldl_helpers.activations import sigmoid
from ufldl_helpers.case_studies import lbfgsb_iteration_zero as lb
from ufldl_helpers.exercises import CORRECT, NOT_ATTEMPTED, NOT_YET
from ufldl_helpers.exercises import clinics as ex
from ufldl_helpers.training import limit_blas_threads


@pytest.fixture(autouse=True)
def one_blas_thread():
    with limit_blas_threads(1):
        yield


def status(feedback):
    return feedback.status


# --- 03 -----------------------------------------------------------------------------------

def test_3_1_agreeing_entries():
    assert status(ex.check_agreeing_entries(...)) == NOT_ATTEMPTED
    assert status(ex.check_agreeing_entries("only the first and the last")) == CORRECT
    assert status(ex.check_agreeing_entries("all")) == NOT_YET
    assert "must be one of" in ex.check_agreeing_entries("first").message
    # A square matrix: its transpose moves nothing on the diagonal, and no listed option fits
    # but "every 200th" is never claimed for it by mistake as "all".
    assert status(ex.check_agreeing_entries("all", shape=(1, 5))) == CORRECT


@pytest.mark.parametrize("shape", [(200, 784), (5, 8), (7, 13), (1, 5), (3, 3)])
def test_3_1_every_wrong_option_gets_a_reason_that_does_not_name_the_answer(shape):
    right = [o for o in ex.AGREEING_ENTRIES if ex.check_agreeing_entries(o, shape).correct]
    assert len(right) <= 1
    for option in ex.AGREEING_ENTRIES:
        feedback = ex.check_agreeing_entries(option, shape)
        if feedback.correct:
            continue
        assert "go back over the reasoning" not in feedback.message, (option, shape)
        for other in right:
            assert repr(other) not in feedback.message


def test_3_1_reasons_for_the_posted_shape():
    assert "position 1" in ex.check_agreeing_entries("none").message
    assert "decoder(1, 201)" in ex.check_agreeing_entries("every 200th").message
    assert "r + 200 c" in ex.check_agreeing_entries("all").message


@pytest.mark.parametrize("answer", [7, 7.0, np.int64(7), np.array(7)])
def test_3_2_fixed_point_count_right(answer):
    assert status(ex.check_fixed_point_count(answer)) == CORRECT


def test_3_2_fixed_point_count_wrong():
    assert status(ex.check_fixed_point_count(...)) == NOT_ATTEMPTED
    assert "gcd" in ex.check_fixed_point_count(2).message
    assert status(ex.check_fixed_point_count(6)) == NOT_YET
    assert status(ex.check_fixed_point_count([7])) == NOT_YET
    assert status(ex.check_fixed_point_count(True)) == NOT_YET
    assert status(ex.check_fixed_point_count(2, shape=(200, 784))) == CORRECT


@pytest.mark.parametrize("answer", ["7", b"7", None, 7.5, np.array([7])])
def test_3_2_a_count_that_is_not_a_whole_number_is_told_so(answer):
    feedback = ex.check_fixed_point_count(answer)
    assert status(feedback) == NOT_YET
    assert "whole number" in feedback.message


def right_gradients(x, encoder, decoder):
    a = sigmoid(x @ encoder)
    z = sigmoid(a @ decoder)
    error_0 = (z - x) * z * (1 - z)
    error_1 = (error_0 @ decoder.T) * a * (1 - a)
    return x.T @ error_1, a.T @ error_0


def test_3_3_fixed_gradients_right_in_two_forms():
    assert status(ex.check_fixed_gradients(right_gradients)) == CORRECT

    def with_einsum(x, encoder, decoder):
        a = sigmoid(x @ encoder)
        z = sigmoid(a @ decoder)
        e0 = (z - x) * z * (1 - z)
        e1 = np.einsum("mv,hv->mh", e0, decoder) * a * (1 - a)
        return np.einsum("mv,mh->vh", x, e1), np.einsum("mh,mv->hv", a, e0)

    assert status(ex.check_fixed_gradients(with_einsum)) == CORRECT


@pytest.mark.parametrize(("hidden", "output", "words"), [
    (False, True, "error_1 lacks the hidden sigmoid's derivative"),
    (True, False, "error_0 lacks the output sigmoid's derivative"),
])
def test_3_3_missing_sigmoid_derivative_is_named(hidden, output, words):
    def fixed_gradients(x, encoder, decoder):
        a = sigmoid(x @ encoder)
        z = sigmoid(a @ decoder)
        e0 = (z - x) * (z * (1 - z) if output else 1)
        e1 = (e0 @ decoder.T) * (a * (1 - a) if hidden else 1)
        return x.T @ e1, a.T @ e0

    feedback = ex.check_fixed_gradients(fixed_gradients)
    assert status(feedback) == NOT_YET and words in feedback.message, feedback


def test_3_3_fixed_gradients_names_the_posted_bugs():
    assert status(ex.check_fixed_gradients(...)) == NOT_ATTEMPTED

    def not_yet_written(x, encoder, decoder):
        raise NotImplementedError

    assert status(ex.check_fixed_gradients(not_yet_written)) == NOT_ATTEMPTED

    def transposed(x, encoder, decoder):
        gE, gD = right_gradients(x, encoder, decoder)
        return gE, gD.T

    assert "transpose of decoder" in ex.check_fixed_gradients(transposed).message

    def through_encoder(x, encoder, decoder):
        a = sigmoid(x @ encoder)
        z = sigmoid(a @ decoder)
        e0 = (z - x) * z * (1 - z)
        return x.T @ ((e0 @ encoder) * a * (1 - a)), a.T @ e0

    assert "through encoder" in ex.check_fixed_gradients(through_encoder).message

    def halved(x, encoder, decoder):
        gE, gD = right_gradients(x, encoder, decoder)
        return gE, gD / 2

    assert "constant factor" in ex.check_fixed_gradients(halved).message

    def through_encoder_transposed(x, encoder, decoder):
        a = sigmoid(x @ encoder)
        z = sigmoid(a @ decoder)
        e0 = (z - x) * z * (1 - z)
        return x.T @ ((e0 @ encoder.T) * a * (1 - a)), a.T @ e0

    feedback = ex.check_fixed_gradients(through_encoder_transposed)
    assert status(feedback) == NOT_YET
    assert "shape mismatch" in feedback.message
    assert "(`return x.T @ ((e0 @ encoder.T)" in feedback.message  # the line, from the traceback

    def broadcast_mistake(x, encoder, decoder):
        a = sigmoid(x @ encoder)
        z = sigmoid(a @ decoder)
        return x.T @ (z * a), a.T @ z

    assert "shape mismatch" in ex.check_fixed_gradients(broadcast_mistake).message

    def other_value_error(x, encoder, decoder):
        raise ValueError("my own message")

    assert "raised ValueError at line " in \
        ex.check_fixed_gradients(other_value_error).message
    assert "must be a function" in ex.check_fixed_gradients(3).message
    assert "pair" in ex.check_fixed_gradients(lambda x, e, d: e).message
    assert "raised ZeroDivisionError" in ex.check_fixed_gradients(lambda x, e, d: 1 / 0).message


# --- 04 -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def problem():
    return lb.mnist_problem(m=20, hidden_size=10, rng=0)


def test_4_1_rejecting_test(problem):
    theta, data = problem
    assert status(ex.check_rejecting_test(..., theta, data)) == NOT_ATTEMPTED
    assert status(ex.check_rejecting_test("curvature", theta, data)) == CORRECT
    assert status(ex.check_rejecting_test("sufficient decrease", theta, data)) == NOT_YET
    assert status(ex.check_rejecting_test("wolfe", theta, data)) == NOT_YET
    for option in ("sufficient decrease", "both"):
        message = ex.check_rejecting_test(option, theta, data).message
        assert "passes" in message and "'curvature'" not in message
        # 'both' gets a reason that names no test: with the other reason it would give it away
        assert ("sufficient" not in message) == (option == "both")
        assert "rounds to f(0)" not in message  # the mechanism is the exercise's answer


@pytest.mark.parametrize("answer", [
    lb.POSTED["jac_first"][0] / lb.POSTED["x_first"][0],
    float(np.mean(np.divide(lb.POSTED["jac_first"], lb.POSTED["x_first"]))), 1e-4, 0.0001,
    10**-4, 1 / 10000, np.float32(1e-4), np.float64(1e-4), np.array(1e-4), Fraction(1, 10000),
    np.median(np.divide(lb.POSTED["jac_first"], lb.POSTED["x_first"]))])
def test_4_2_posted_lambda_right(answer):
    assert status(ex.check_posted_lambda(answer)) == CORRECT


def test_4_2_posted_lambda_wrong():
    assert status(ex.check_posted_lambda(...)) == NOT_ATTEMPTED
    assert "1/lambda" in ex.check_posted_lambda(1e4).message
    assert status(ex.check_posted_lambda(1e-3)) == NOT_YET
    three = ex.check_posted_lambda(np.divide(lb.POSTED["jac_first"], lb.POSTED["x_first"]))
    assert status(three) == NOT_YET and "single number" in three.message
    assert "number" in ex.check_posted_lambda("1e-4").message  # a string is not coerced
    assert "close to the right value" in ex.check_posted_lambda(1.0005e-4).message


def test_4_3_fixed_objective(problem):
    theta, data = problem

    def check(J):
        return ex.check_fixed_objective(J, theta, 784, 10, 1e-4, data)

    assert status(check(...)) == NOT_ATTEMPTED
    assert status(check(lambda x: lb.autoencoder_cost_and_grad(x, 784, 10, 1e-4, data))) \
        == CORRECT
    assert status(check(lb.objective(theta, 784, 10, 1e-4, data, fixed=True))) == CORRECT
    posted = lb.objective(theta, 784, 10, 1e-4, data)
    assert "ignores its argument" in check(posted).message
    assert "pair" in check(lambda x: lb.autoencoder_cost_and_grad(x, 784, 10, 1e-4, data)[0]) \
        .message
    wrong_lambda = check(lambda x: lb.autoencoder_cost_and_grad(x, 784, 10, 1e-3, data))
    assert status(wrong_lambda) == NOT_YET


# --- 05 -----------------------------------------------------------------------------------

def test_5_3_failing_block():
    assert status(ex.check_failing_block(...)) == NOT_ATTEMPTED
    assert status(ex.check_failing_block("Theta1")) == CORRECT
    assert status(ex.check_failing_block("both")) == NOT_YET
    assert status(ex.check_failing_block("neither", activation_type="sigmoid")) == CORRECT
    assert "no hidden derivative" in ex.check_failing_block("Theta2").message
    assert "block by block" in ex.check_failing_block("both").message
    assert "block by block" in ex.check_failing_block("neither").message


@pytest.mark.parametrize("activation_type", ["sigmoid", "tanh", "softplus"])
def test_5_3_every_wrong_option_gets_a_reason_that_does_not_name_the_answer(activation_type):
    right = [o for o in ex.FAILING_BLOCKS if ex.check_failing_block(o, activation_type).correct]
    assert len(right) == 1
    for option in ex.FAILING_BLOCKS:
        feedback = ex.check_failing_block(option, activation_type)
        if not feedback.correct:
            assert "go back over the reasoning" not in feedback.message, option
            assert repr(right[0]) not in feedback.message


@pytest.mark.parametrize("answer", [4 / 3, 1.3333333333, np.float64(4) / 3, Fraction(4, 3),
                                    np.array(4 / 3), 1 + 1 / 3])
def test_5_1_uniform_factor_right(answer):
    assert status(ex.check_uniform_factor(answer)) == CORRECT


def test_5_1_uniform_factor_wrong():
    assert status(ex.check_uniform_factor(...)) == NOT_ATTEMPTED
    assert "inverse" in ex.check_uniform_factor(3 / 4).message
    assert status(ex.check_uniform_factor(1.5, K=3)) == CORRECT
    k3 = ex.check_uniform_factor(1.5)
    assert status(k3) == NOT_YET and "ratio for K = 3" in k3.message
    assert "not for K = 4" in k3.message
    near = ex.check_uniform_factor(1.333)
    assert status(near) == NOT_YET and "enter it exactly" in near.message
    assert "4/3" not in near.message  # the example of an exact form must not be the answer
    assert "not the right value" in ex.check_uniform_factor(1.7).message
    assert "must be a number" in ex.check_uniform_factor("4/3").message


def right_cost(h, Y, p, lambda_):
    m = h.shape[0]
    return -np.sum(Y * np.log(h)) / m + lambda_ * p / (2 * m)


def test_5_2_categorical_cost_right_in_two_forms():
    assert status(ex.check_categorical_cost(right_cost)) == CORRECT

    def by_true_class(h, Y, p, lambda_):
        m = h.shape[0]
        return float(-np.mean(np.log(h[Y.astype(bool)])) + lambda_ * p / (2 * m))

    assert status(ex.check_categorical_cost(by_true_class)) == CORRECT


def test_5_2_categorical_cost_names_the_posted_lines():
    assert status(ex.check_categorical_cost(...)) == NOT_ATTEMPTED

    def commented(h, Y, p, lambda_):
        m = h.shape[0]
        return -(np.sum(Y * np.log(h)) + lambda_ * p / (2 * m))

    assert "commented-out" in ex.check_categorical_cost(commented).message

    def binary(h, Y, p, lambda_):
        m = h.shape[0]
        return np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h)) / m + lambda_ * p / (2 * m)

    assert "binary" in ex.check_categorical_cost(binary).message

    def no_decay_scale(h, Y, p, lambda_):
        return -np.sum(Y * np.log(h)) / h.shape[0] + lambda_ * p / 2

    assert "weight-decay" in ex.check_categorical_cost(no_decay_scale).message

    def no_mean(h, Y, p, lambda_):
        return -np.sum(Y * np.log(h)) + lambda_ * p / (2 * h.shape[0])

    assert "m times" in ex.check_categorical_cost(no_mean).message

    def negative(h, Y, p, lambda_):
        return -right_cost(h, Y, p, lambda_)

    assert "wrong sign" in ex.check_categorical_cost(negative).message
    assert "one number" in ex.check_categorical_cost(lambda h, Y, p, lam: -Y * np.log(h)).message


def test_3_3_a_function_still_returning_placeholders_is_not_attempted():
    def unsolved(x, encoder, decoder):
        error_0 = ...
        gDecoder = ...
        return ..., gDecoder if error_0 is ... else None

    assert status(ex.check_fixed_gradients(unsolved)) == NOT_ATTEMPTED


def test_5_2_and_4_3_functions_returning_the_placeholder_are_not_attempted(problem):
    assert status(ex.check_categorical_cost(lambda h, Y, p, lambda_: ...)) == NOT_ATTEMPTED
    theta, data = problem
    assert status(ex.check_fixed_objective(lambda x: ..., theta, 784, 10, 1e-4, data)) \
        == NOT_ATTEMPTED


# --- the shared rules: pairs as lists, float32, rounded decimals, no formula in a message ------

def test_3_3_and_4_3_accept_a_list_of_two_and_float32(problem):
    def as_list(x, encoder, decoder):
        return list(right_gradients(x, encoder, decoder))

    def single(x, encoder, decoder):
        return tuple(g.astype(np.float32) for g in right_gradients(x, encoder, decoder))

    for fun in (as_list, single):
        feedback = ex.check_fixed_gradients(fun)
        assert status(feedback) == CORRECT, feedback.message
    theta, data = problem

    def listed(x):
        return list(lb.autoencoder_cost_and_grad(x, 784, 10, 1e-4, data))

    def single_precision(x):
        cost, grad = lb.autoencoder_cost_and_grad(x, 784, 10, 1e-4, data)
        return np.float32(cost), grad.astype(np.float32)

    for fun in (listed, single_precision):
        feedback = ex.check_fixed_objective(fun, theta, 784, 10, 1e-4, data)
        assert status(feedback) == CORRECT, feedback.message


def test_4_3_missing_weight_decay_is_named_not_called_rounding(problem):
    theta, data = problem
    feedback = ex.check_fixed_objective(
        lambda x: lb.autoencoder_cost_and_grad(x, 784, 10, 0.0, data), theta, 784, 10, 1e-4, data)
    assert status(feedback) == NOT_YET and "leaves out the weight decay" in feedback.message
    assert "exactly" not in feedback.message


@pytest.mark.parametrize("rounded", [1.33, 1.3333, 1.3, 1.333])
def test_5_1_a_rounded_decimal_is_asked_for_exactly(rounded):
    feedback = ex.check_uniform_factor(rounded)
    assert status(feedback) == NOT_YET and "rounded value" in feedback.message
    assert "not the right value" not in feedback.message


@pytest.mark.parametrize("wrong", [1.4, 1.34, 1.2])
def test_5_1_a_wrong_decimal_is_not_called_rounded(wrong):
    assert "rounded" not in ex.check_uniform_factor(wrong).message


def test_5_2_mean_over_everything_says_what_is_wrong_without_the_formula():
    def mean_over_everything(h, Y, p, lambda_):
        m = h.shape[0]
        return -np.mean(Y * np.log(h)) + lambda_ * p / (2 * m)

    feedback = ex.check_categorical_cost(mean_over_everything)
    assert status(feedback) == NOT_YET and "3 times too small" in feedback.message
    assert "log h" not in feedback.message and "Y times" not in feedback.message
    assert status(ex.check_categorical_cost(
        lambda h, Y, p, lambda_: np.float32(right_cost(h, Y, p, lambda_)))) == CORRECT


def test_3_3_swapped_pair_is_named():
    feedback = ex.check_fixed_gradients(lambda *args: right_gradients(*args)[::-1])
    assert status(feedback) == NOT_YET and "wrong order" in feedback.message
    assert "transpose" not in feedback.message
