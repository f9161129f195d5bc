"""A student's stress test of every exercise check: correct variants pass, slips get the true
message, bad returns get one line (never a traceback), and nothing names a mistake not made."""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from ufldl_helpers import sparse_autoencoder as sae
from ufldl_helpers.activations import sigmoid, sigmoid_grad
from ufldl_helpers.case_studies import lbfgsb_iteration_zero as lb
from ufldl_helpers.exercises import CORRECT, GUARDED_RTOL, NOT_YET, RTOL
from ufldl_helpers.exercises import backpropagation as ex1
from ufldl_helpers.exercises import clinics as exc
from ufldl_helpers.exercises import features as ex7
from ufldl_helpers.exercises import gradient_checking as ex2
from ufldl_helpers.exercises import sparse_autoencoder as ex6
from ufldl_helpers.training import limit_blas_threads


@pytest.fixture(autouse=True)
def one_blas_thread():
    with limit_blas_threads(1):
        yield


GUARDS = (1e-7, 1e-6)  # Keras's default epsilon, and a common hand-written guard


def test_the_two_tiers():
    assert RTOL == 1e-6 and GUARDED_RTOL == 1e-4


# --- 6.4: delta2 with a guard ------------------------------------------------------------

def _deltas64(p, guard=0.0, sparsity=1.0):
    a2, a3, X, W2 = p["a2"], p["a3"], p["X"], p["W2"]
    rho, rho_hat, beta = p["sparsity_param"], p["rho_hat"], p["beta"]
    d3 = (a3 - X) * a3 * (1 - a3)
    kl = -rho / (rho_hat + guard) + (1 - rho) / (1 - rho_hat + guard)
    return d3, (W2.T @ d3 + sparsity * beta * kl[:, None]) * a2 * (1 - a2)


@pytest.mark.parametrize("guard", GUARDS)
def test_6_4_a_guard_is_correct(guard):
    p = ex6.small_problem()
    feedback = ex6.check_deltas(*_deltas64(p, guard), p)
    assert feedback.correct, feedback.message


def test_6_4_a_large_guard_is_no_factor_slip():
    p = ex6.small_problem()
    feedback = ex6.check_deltas(*_deltas64(p, 1e-4), p)
    assert feedback.status == NOT_YET
    assert "times what it should be" not in feedback.message
    assert "guard" in feedback.message


@pytest.mark.parametrize(("sparsity", "words"), [(0.0, "misses the sparsity term"),
                                                 (1 / 3, "lacks its weight"),
                                                 (1 / 8, "0.125 times"), (-1.0, "-1 times")])
def test_6_4_sparsity_slips_still_named_under_the_guarded_tolerance(sparsity, words):
    p = ex6.small_problem()
    feedback = ex6.check_deltas(*_deltas64(p, sparsity=sparsity), p)
    assert feedback.status == NOT_YET and words in feedback.message


def test_6_4_none_is_a_missing_value():
    p = ex6.small_problem()
    assert "without a return" in ex6.check_deltas(None, None, p).message


# --- 6.2 and 6.3 ---------------------------------------------------------------------------

def _penalty(kind="right", guard=0.0):
    def penalty(W1, b1, X, rho, beta):
        a2 = sigmoid(W1 @ X + b1[:, None])
        rho_hat = a2.sum(axis=1) if kind == "sum" else a2.mean(axis=1)
        kl = (rho * np.log(rho / (rho_hat + guard))
              + (1 - rho) * np.log((1 - rho) / (1 - rho_hat + guard)))
        if kind == "mean":
            return beta * np.mean(kl)
        if kind == "nobeta":
            return np.sum(kl)
        return beta * np.sum(kl)
    return penalty


@pytest.mark.parametrize("guard", GUARDS)
def test_6_2_and_6_3_a_guard_is_correct(guard):
    feedback = ex6.check_sparsity_penalty(_penalty(guard=guard))
    assert feedback.correct, feedback.message
    feedback = ex6.check_kl_grad(lambda rho, r: -rho / (r + guard) + (1 - rho) / (1 - r + guard))
    assert feedback.correct, feedback.message


def test_6_2_a_large_guard_is_close_and_mentions_a_guard():
    feedback = ex6.check_sparsity_penalty(_penalty(guard=1e-4))
    assert feedback.status == NOT_YET and "guard" in feedback.message


def test_6_2_mean_over_units_and_missing_beta_are_told_apart():
    mean = ex6.check_sparsity_penalty(_penalty("mean"))
    assert mean.status == NOT_YET and "averages the KL terms over the hidden units" in mean.message
    negative = ex6.check_sparsity_penalty(
        lambda *args: -_penalty()(*args))
    assert negative.status == NOT_YET and "never negative" in negative.message
    nobeta = ex6.check_sparsity_penalty(_penalty("nobeta"))
    assert nobeta.status == NOT_YET and "lacks the weight beta" in nobeta.message


def test_6_2_a_sum_instead_of_a_mean_is_explained():
    with np.errstate(invalid="ignore"):
        feedback = ex6.check_sparsity_penalty(_penalty("sum"))
    assert feedback.status == NOT_YET
    assert "above 1" in feedback.message and "NaN or infinite" not in feedback.message


def test_6_2_and_6_3_none_is_a_missing_return():
    assert "missing return" in ex6.check_sparsity_penalty(lambda *a: None).message
    assert "missing return" in ex6.check_kl_grad(lambda *a: None).message


# --- 7.1 ----------------------------------------------------------------------------------

def _trained_like_W1():
    """Rows with norms about 0.2, like a trained autoencoder's W1 (the notebook's ~0.17)."""
    return 0.05 * np.random.default_rng(0).normal(size=(25, 16))


@pytest.mark.parametrize("guard", GUARDS)
def test_7_1_a_guard_is_correct(guard):
    W1 = _trained_like_W1()
    for form in (lambda W: W / np.sqrt((W**2).sum(axis=1, keepdims=True) + guard),
                 lambda W: W / (np.linalg.norm(W, axis=1, keepdims=True) + guard)):
        feedback = ex7.check_max_input(form, W1)
        assert feedback.correct, feedback.message


def test_7_1_a_large_guard_mentions_a_guard():
    feedback = ex7.check_max_input(
        lambda W: W / np.sqrt((W**2).sum(axis=1, keepdims=True) + 1e-5), _trained_like_W1())
    assert feedback.status == NOT_YET and "guard" in feedback.message


# --- 5.x ----------------------------------------------------------------------------------

def _categorical(guard):
    return lambda h, Y, p, lambda_: (-np.sum(Y * np.log(h + guard)) / h.shape[0]
                                     + lambda_ * p / (2 * h.shape[0]))


@pytest.mark.parametrize("guard", GUARDS)
def test_5_2_a_guard_is_correct(guard):
    feedback = exc.check_categorical_cost(_categorical(guard))
    assert feedback.correct, feedback.message


def test_5_2_a_large_guard_is_close_not_a_wrong_data_term():
    feedback = exc.check_categorical_cost(_categorical(1e-4))
    assert feedback.status == NOT_YET
    assert "close to the right value" in feedback.message and "which entries" not in \
        feedback.message


def test_5_2_a_guard_does_not_hide_a_weight_decay_slip():
    guarded = _categorical(1e-6)
    feedback = exc.check_categorical_cost(lambda h, Y, p, lambda_: guarded(h, Y, p, 0.0))
    assert feedback.status == NOT_YET and "weight-decay term" in feedback.message


def test_5_2_none_is_a_missing_return():
    assert "missing return" in exc.check_categorical_cost(lambda *a: None).message


@pytest.mark.parametrize(("answer", "k"), [(1 + 1 / 4, 5), (4 / 2, None)])
def test_5_1_other_k_is_stated_without_claiming_the_student_used_it(answer, k):
    feedback = exc.check_uniform_factor(answer)
    assert feedback.status == NOT_YET
    assert "use K" not in feedback.message
    if k is not None and f"K = {k}" in feedback.message:
        assert f"ratio for K = {k}" in feedback.message and "not for K = 4" in feedback.message


@pytest.mark.parametrize(("check", "text"), [(exc.check_uniform_factor, "4/3"),
                                             (exc.check_posted_lambda, "1e-4")])
def test_text_numbers_are_told_to_drop_the_quotes(check, text):
    assert "remove the quotes" in check(text).message


@pytest.mark.parametrize(("check", "answer"), [
    (exc.check_fixed_point_count, Decimal(7)), (exc.check_uniform_factor, Fraction(4, 3)),
    (exc.check_posted_lambda, Decimal("0.0001"))])
def test_decimal_and_fraction_are_numbers(check, answer):
    feedback = check(answer)
    assert feedback.correct, feedback.message


def test_5_3_both_and_neither_do_not_give_the_answer_away():
    both = exc.check_failing_block("both").message
    neither = exc.check_failing_block("neither").message
    for message in (both, neither):
        assert "Theta1" not in message and "Theta2" not in message


# --- 3.3 ----------------------------------------------------------------------------------

def gd_at(x, encoder, decoder):
    a = sigmoid(x @ encoder)
    z = sigmoid(a @ decoder)
    error_0 = (z - x) * z * (1 - z)
    gDecoder = a @ error_0
    error_1 = (error_0 @ decoder.T) * a * (1 - a)
    return x.T @ error_1, gDecoder


def ge_at(x, encoder, decoder):
    a = sigmoid(x @ encoder)
    z = sigmoid(a @ decoder)
    error_0 = (z - x) * z * (1 - z)
    error_1 = (error_0 @ decoder.T) * a * (1 - a)
    return x @ error_1, a.T @ error_0


def elementwise(x, encoder, decoder):
    a = sigmoid(x @ encoder)
    z = sigmoid(a @ decoder)
    error_0 = (z - x) * z * (1 - z)
    error_1 = (error_0 * decoder.T) * a * (1 - a)
    return x.T @ error_1, a.T @ error_0


@pytest.mark.parametrize(("fun", "line"), [(gd_at, "gDecoder = a @ error_0"),
                                           (ge_at, "return x @ error_1, a.T @ error_0"),
                                           (elementwise, "error_1 = (error_0 * decoder.T)")])
def test_3_3_a_shape_error_names_the_line_that_raised(fun, line):
    feedback = exc.check_fixed_gradients(fun)
    assert feedback.status == NOT_YET and line in feedback.message, feedback.message
    assert "error_0 @ W must give" not in feedback.message


def test_3_3_none_values():
    assert "missing return" in exc.check_fixed_gradients(lambda *a: None).message
    assert "None as gEncoder" in exc.check_fixed_gradients(lambda *a: (None, None)).message


# --- 4.3 ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def problem():
    return lb.mnist_problem(m=20, hidden_size=10, rng=0)


def test_4_3_bad_pairs_get_one_line(problem):
    theta, data = problem

    def check(J):
        return exc.check_fixed_objective(J, theta, 784, 10, 1e-4, data)

    swapped = check(lambda x: lb.autoencoder_cost_and_grad(x, 784, 10, 1e-4, data)[::-1])
    assert swapped.status == NOT_YET and "wrong order" in swapped.message
    assert "missing return" in check(lambda x: None).message
    assert "None as the cost" in check(lambda x: (None, None)).message
    column = check(lambda x: (lb.autoencoder_cost_and_grad(x, 784, 10, 1e-4, data)[0],
                              lb.autoencoder_cost_and_grad(x, 784, 10, 1e-4, data)[1][:, None]))
    assert column.status == NOT_YET and "shape" in column.message


# --- 2.x ----------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [Fraction(1, 5), Fraction(1, 2) / Fraction(5, 2),
                                    Decimal("0.2"), np.float64(0.2)])
def test_2_3_any_real_number_type(answer):
    feedback = ex2.check_scaled_error(answer)
    assert feedback.correct, feedback.message


def test_2_3_a_type_complaint_carries_no_maths_hint():
    for answer in ("0.2", None):
        feedback = ex2.check_scaled_error(answer)
        assert feedback.status == NOT_YET and "Hint" not in feedback.message
    assert "remove the quotes" in ex2.check_scaled_error("0.2").message
    assert "Hint" in ex2.check_scaled_error(Fraction(1, 3)).message


def test_2_2_none_is_a_missing_return():
    assert "missing return" in ex2.check_central_differences(lambda c, t, e: None).message


# --- 1.3 ----------------------------------------------------------------------------------

def _backprop(kind):
    def backprop(W1, b1, W2, b2, X, Y, lambda_):
        m = len(X) if kind == "len" else X.shape[1]
        f = np.tanh if kind == "tanh" else sigmoid
        z2 = W1 @ X + b1[:, None]
        a2 = f(z2)
        z3 = W2 @ a2 + b2[:, None]
        a3 = sigmoid(z3)
        delta3 = (a3 - Y) * sigmoid_grad(z3)
        delta2 = (W2.T @ delta3) * (1 - a2**2 if kind == "tanh" else a2 * (1 - a2))
        grads = (delta2 @ X.T / m + lambda_ * W1, delta2.sum(axis=1) / m,
                 delta3 @ a2.T / m + lambda_ * W2, delta3.sum(axis=1) / m)
        return tuple(-g for g in grads) if kind == "sign" else grads
    return backprop


@pytest.mark.parametrize(("kind", "words"), [("len", "len(X) is n_features"),
                                             ("tanh", "hidden layer is tanh"),
                                             ("sign", "every gradient has the wrong sign")])
def test_1_3_slips_are_named(kind, words):
    feedback = ex1.check_backprop(_backprop(kind))
    assert feedback.status == NOT_YET and words in feedback.message, feedback.message


def test_1_3_right_passes():
    assert ex1.check_backprop(_backprop("right")).status == CORRECT


# --- the guarded tier leaves no slip within its tolerance -----------------------------------

@pytest.mark.parametrize("rho", ex6.KL_TEST_RHO)
def test_guarded_6_3_slips_are_far_from_right(rho):
    """6.3's named slips are more than 1e-3 (relative) from the right derivative at every test
    point, ten times the guarded tolerance: loosening it to 1e-4 hides none of them."""
    rho_hat = np.array(ex6.KL_TEST_RHO_HAT)
    right = sae.kl_divergence_grad(rho, rho_hat)
    for wrong in (sae.kl_divergence(rho, rho_hat), -rho / rho_hat,
                  np.log(rho_hat / rho) - np.log((1 - rho_hat) / (1 - rho)),
                  np.log(rho / rho_hat) - np.log((1 - rho) / (1 - rho_hat))):
        assert np.linalg.norm(wrong - right) > 1e-3 * np.linalg.norm(right)
        assert ex6.check_kl_grad(lambda r, h, w=wrong: w if r == rho else
                                 sae.kl_divergence_grad(r, h)).status == NOT_YET
