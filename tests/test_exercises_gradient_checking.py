"""The checks of notebook 02's exercises: right answers pass, typical slips are named."""

import numpy as np
import pytest

from ufldl_helpers.case_studies import what_gets_backpropagated as doc002
from ufldl_helpers.exercises import CORRECT, NOT_ATTEMPTED, NOT_YET
from ufldl_helpers.exercises import gradient_checking as ex
from ufldl_helpers.gradcheck import numerical_gradient
from ufldl_helpers.grading import GradingError, check_numerical_gradient
from ufldl_helpers.network import mlp_forward


def test_step_prediction():
    assert ex.check_step_prediction(...).status == NOT_ATTEMPTED
    assert ex.check_step_prediction(100).status == CORRECT
    wrong = ex.check_step_prediction(10)
    assert wrong.status == NOT_YET and "power of epsilon" in wrong.message
    assert "must be one of" in ex.check_step_prediction("100x").message


@pytest.mark.parametrize("epsilon", [1e-1, 1e-2, 1e-3])
def test_step_effect_is_measured(epsilon):
    assert ex.step_effect(epsilon) == 100


def test_scaled_error():
    assert ex.check_scaled_error(...).status == NOT_ATTEMPTED
    for right in (0.2, 1 / 5, (1.5 - 1) / (1.5 + 1), np.float64(0.2)):
        assert ex.check_scaled_error(right).status == CORRECT
    assert ex.check_scaled_error(1 / 3, c=2).status == CORRECT  # 1/3 for c = 2
    wrong = ex.check_scaled_error(0.5)  # c - 1: divided by |n| instead of |n + g|
    assert wrong.status == NOT_YET and "sum" in wrong.message
    assert ex.check_scaled_error(0.3).status == NOT_YET
    assert "c = 2" in ex.check_scaled_error(1 / 3).message
    assert ex.check_scaled_error("0.2").status == NOT_YET
    assert ex.check_scaled_error(np.array([0.2, 0.2])).status == NOT_YET


def _central(cost, theta, epsilon):
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = epsilon
        grad[i] = (cost(theta + step) - cost(theta - step)) / (2 * epsilon)
    return grad


def _forward(cost, theta, epsilon):
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = epsilon
        grad[i] = (cost(theta + step) - cost(theta)) / epsilon
    return grad


def test_central_differences():
    assert ex.check_central_differences(...).status == NOT_ATTEMPTED

    def stub(cost, theta, epsilon):
        return ...
    assert ex.check_central_differences(stub).status == NOT_ATTEMPTED
    assert ex.check_central_differences(_central).status == CORRECT
    forward = ex.check_central_differences(_forward)
    assert forward.status == NOT_YET and "forward differences" in forward.message
    halved = ex.check_central_differences(lambda c, t, e: 2 * _central(c, t, e))
    assert halved.status == NOT_YET and "2 * epsilon" in halved.message
    at_once = ex.check_central_differences(
        lambda c, t, e: np.full(t.shape, (c(t + e) - c(t - e)) / (2 * e)))
    assert at_once.status == NOT_YET and "all coordinates at once" in at_once.message
    # an equivalent form: one unit vector at a time
    assert ex.check_central_differences(lambda c, t, e: np.array(
        [(c(t + e * u) - c(t - e * u)) / (2 * e) for u in np.eye(t.size)])).status == CORRECT

    def mutates(cost, theta, epsilon):
        out = _central(cost, theta, epsilon)
        theta += epsilon
        return out
    assert "changed theta" in ex.check_central_differences(mutates).message

    def restores_by_subtraction(cost, theta, epsilon):
        grad = np.zeros_like(theta)
        for i in range(theta.size):
            theta[i] += epsilon
            plus = cost(theta)
            theta[i] -= 2 * epsilon
            minus = cost(theta)
            theta[i] += epsilon
            grad[i] = (plus - minus) / (2 * epsilon)
        return grad
    # may leave an entry 1 ulp off, which the grader's rule (4 ulps) accepts: so does 2.2
    assert ex.check_central_differences(restores_by_subtraction).status == CORRECT

    def restores_by_subtraction_badly(cost, theta, epsilon):
        grad = restores_by_subtraction(cost, theta, epsilon)
        theta += 6 * np.spacing(np.abs(theta))  # beyond the grader's 4 ulps
        return grad
    slip = ex.check_central_differences(restores_by_subtraction_badly)
    assert slip.status == NOT_YET and "last bits" in slip.message

    def restores_exactly(cost, theta, epsilon):
        grad = np.zeros_like(theta)
        for i in range(theta.size):
            old = theta[i]
            theta[i] = old + epsilon
            plus = cost(theta)
            theta[i] = old - epsilon
            minus = cost(theta)
            theta[i] = old
            grad[i] = (plus - minus) / (2 * epsilon)
        return grad
    assert ex.check_central_differences(restores_exactly).status == CORRECT
    broken = ex.check_central_differences(lambda c, t, e: c(t)[0])
    assert broken.status == NOT_YET


def test_seeded_backprop_matches_the_two_numerical_gradients():
    theta, X, Y = doc002.tiny_problem(rng=0)
    seeds = ex._output_seeds(theta, doc002.LAYER_SIZES, X, Y)
    cost_grad = ex.seeded_backprop(theta, doc002.LAYER_SIZES, X, seeds["(a3 - y) * f'(z3)"])
    np.testing.assert_allclose(cost_grad, doc002.cost_and_grad(theta, X, Y)[1], rtol=1e-12)
    mean_output = numerical_gradient(lambda t: float(_mean_output(t, X)), theta)
    np.testing.assert_allclose(ex.seeded_backprop(theta, doc002.LAYER_SIZES, X, seeds["f'(z3)"]),
                               mean_output, rtol=1e-6)


def _mean_output(t, X):
    return mlp_forward(t, doc002.LAYER_SIZES, X, hidden_activation="sigmoid",
                       output="sigmoid").mean()


@pytest.mark.parametrize("seed", range(4))
def test_seed_prediction(seed):
    theta, X, Y = doc002.tiny_problem(rng=seed)
    assert ex.output_seed_that_matches(theta, doc002.LAYER_SIZES, X, Y) == "f'(z3)"
    args = (theta, doc002.LAYER_SIZES, X, Y)
    assert ex.check_seed_prediction(..., *args).status == NOT_ATTEMPTED
    assert ex.check_seed_prediction("f'(z3)", *args).status == CORRECT
    wrong = ex.check_seed_prediction("(a3 - y) * f'(z3)", *args)
    assert wrong.status == NOT_YET and "output a3" in wrong.message


def test_scaled_error_names_no_uncertain_cause():
    third = ex.check_scaled_error(1 / 3)  # dividing by ||g|| at c = 1.5, or c = 2's answer
    assert third.status == NOT_YET
    assert "norm of g" in third.message and "c = 2" in third.message
    assert "redo the computation" not in third.message
    negative = ex.check_scaled_error(-0.2)
    assert negative.status == NOT_YET and "never negative" in negative.message
    rounded = ex.check_scaled_error(0.20001)
    assert rounded.status == NOT_YET and "close to the right value" in rounded.message


def _flipped(cost, theta, epsilon):
    return -_central(cost, theta, epsilon)


def _precedence(cost, theta, epsilon):
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = epsilon
        grad[i] = (cost(theta + step) - cost(theta - step)) / 2 * epsilon
    return grad


def test_central_differences_sign_and_precedence_slips_are_named_without_the_values():
    flipped = ex.check_central_differences(_flipped)
    assert flipped.status == NOT_YET and "wrong sign" in flipped.message
    precedence = ex.check_central_differences(_precedence)
    assert precedence.status == NOT_YET and "(2 * epsilon)" in precedence.message
    for feedback in (flipped, precedence):
        assert "expected" not in feedback.message and "perturb one entry" not in feedback.message
    other = ex.check_central_differences(lambda c, t, e: _central(c, t, e) + np.arange(7.0))
    assert other.status == NOT_YET and "expected" not in other.message


def test_central_differences_float32_result_agrees_with_the_grader():
    """Computed in float64 but stored in float32: Not yet, as in Assignment 1's grader."""
    def stored_in_float32(cost, theta, epsilon):
        return _central(cost, theta, epsilon).astype(np.float32)
    feedback = ex.check_central_differences(stored_in_float32)
    message = " ".join(feedback.message.split())
    assert feedback.status == NOT_YET and "float32 array holds about 7 digits" in message
    assert "lose" not in message
    with pytest.raises(GradingError, match=r"float32 array holds about 7\s+digits"):
        check_numerical_gradient(stored_in_float32, rng=0)


@pytest.mark.parametrize("spelling", ["(a3-y)*f'(z3)", "F'(Z3)", " f' (z3) "])
def test_seed_prediction_ignores_whitespace_and_case(spelling):
    theta, X, Y = doc002.tiny_problem(rng=0)
    feedback = ex.check_seed_prediction(spelling, theta, doc002.LAYER_SIZES, X, Y)
    assert "not one of" not in feedback.message and "must be one of" not in feedback.message


def test_step_prediction_as_text_is_told_to_be_a_number():
    feedback = ex.check_step_prediction("100")
    assert feedback.status == NOT_YET and "must be a number" in feedback.message


def test_central_differences_computed_in_float32_is_named():
    """theta +- epsilon rounded to float32 is off by ~1e-4: rejected, and float32 named."""
    feedback = ex.check_central_differences(
        lambda cost, theta, epsilon: _central(cost, theta.astype(np.float32), epsilon))
    assert feedback.status == NOT_YET and "float32" in feedback.message
