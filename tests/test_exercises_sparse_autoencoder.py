"""Notebook 06's exercise checks: right answers (in several forms) pass, typical slips are
named, placeholders are "not attempted"."""

import numpy as np
import pytest

from ufldl_helpers import sparse_autoencoder as sae
from ufldl_helpers.activations import sigmoid, sigmoid_grad
from ufldl_helpers.exercises import CORRECT, NOT_ATTEMPTED, NOT_YET
from ufldl_helpers.exercises import sparse_autoencoder as ex


def kl_grad(rho, rho_hat):
    return -rho / rho_hat + (1 - rho) / (1 - rho_hat)


def deltas(p, sparsity_scale=1.0):
    X, a2, a3, rho = p["X"], p["a2"], p["a3"], p["sparsity_param"]
    delta3 = (a3 - X) * a3 * (1 - a3)
    sparse = sparsity_scale * p["beta"] * kl_grad(rho, p["rho_hat"])
    return delta3, (p["W2"].T @ delta3 + sparse[:, None]) * a2 * (1 - a2)


@pytest.mark.parametrize("seed", range(5))
def test_right_deltas_pass_in_two_forms(seed):
    p = ex.small_problem(rng=seed)
    d3, d2 = deltas(p)
    assert ex.check_deltas(d3, d2, p).correct
    # The same deltas written with z and f'(z) instead of a(1 - a).
    z2 = p["W1"] @ p["X"] + p["b1"][:, None]
    z3 = p["W2"] @ p["a2"] + p["b2"][:, None]
    d3z = -(p["X"] - sigmoid(z3)) * sigmoid_grad(z3)
    sparse = p["beta"] * sae.kl_divergence_grad(p["sparsity_param"], p["rho_hat"])
    d2z = (p["W2"].T @ d3z + sparse[:, None]) * sigmoid_grad(z2)
    assert ex.check_deltas(d3z, d2z, p).correct


@pytest.mark.parametrize(("scale", "words"), [(0.0, "misses the sparsity term"),
                                              (8.0, "8 times"), (1 / 8, "0.125 times")])
def test_sparsity_term_slips_are_named(scale, words):
    p = ex.small_problem()
    d3, d2 = deltas(p, sparsity_scale=scale)
    feedback = ex.check_deltas(d3, d2, p)
    assert feedback.status == NOT_YET and words in feedback.message


def test_delta3_slips_are_named():
    p = ex.small_problem()
    d3, d2 = deltas(p)
    m = p["X"].shape[1]
    assert "divided by m" in ex.check_deltas(d3 / m, d2, p).message
    assert "wrong sign" in ex.check_deltas(-d3, d2, p).message
    assert "shape" in ex.check_deltas(d3.T, d2, p).message
    assert ex.check_deltas(..., d2, p).status == NOT_ATTEMPTED
    assert ex.check_deltas(d3, ..., p).status == NOT_ATTEMPTED


def test_kl_grad():
    assert ex.check_kl_grad(kl_grad).correct
    assert ex.check_kl_grad(lambda r, h: (h - r) / (h * (1 - h))).correct  # same, simplified
    assert "opposite sign" in ex.check_kl_grad(lambda r, h: -kl_grad(r, h)).message
    assert "KL itself" in ex.check_kl_grad(sae.kl_divergence).message
    assert "ZeroDivisionError" in ex.check_kl_grad(lambda r, h: 1 / 0).message
    assert ex.check_kl_grad(...).status == NOT_ATTEMPTED

    def unfinished(rho, rho_hat):
        raise NotImplementedError

    assert ex.check_kl_grad(unfinished).status == NOT_ATTEMPTED


def test_sparsity_penalty():
    def penalty(W1, b1, X, rho, beta):
        rho_hat = sigmoid(W1 @ X + b1[:, None]).mean(axis=1)
        return beta * np.sum(rho * np.log(rho / rho_hat)
                             + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))

    assert ex.check_sparsity_penalty(penalty).correct
    summed = ex.check_sparsity_penalty(
        lambda W1, b1, X, rho, beta: X.shape[1] * penalty(W1, b1, X, rho, beta))
    assert "m times too large" in summed.message
    no_beta = ex.check_sparsity_penalty(
        lambda W1, b1, X, rho, beta: penalty(W1, b1, X, rho, beta) / beta)
    assert no_beta.status == NOT_YET and "beta" in no_beta.message
    per_unit = ex.check_sparsity_penalty(
        lambda W1, b1, X, rho, beta: np.full(3, penalty(W1, b1, X, rho, beta)))
    assert "one number" in per_unit.message


def test_dominant_term_matches_the_cost_terms():
    p = ex.small_problem(sparsity_param=0.01)
    terms = ex.cost_terms(p["theta"], 6, 3, 1e-4, 0.01, 3.0, p["X"])
    cost = sae.sparse_autoencoder_cost(p["theta"], 6, 3, 1e-4, 0.01, 3.0, p["X"])[0]
    assert np.isclose(sum(terms.values()), cost, rtol=1e-12)
    answers = {t: ex.check_dominant_term(t, p["theta"], p["X"]).status for t in ex.COST_TERMS}
    assert sorted(answers.values()) == sorted([CORRECT, NOT_YET, NOT_YET])
    assert answers[max(terms, key=terms.get)] == CORRECT
    assert "must be one of" in ex.check_dominant_term("sparse", p["theta"], p["X"]).message


def test_delta2_without_beta_is_named():
    p = ex.small_problem()
    d3, d2 = deltas(p, sparsity_scale=1 / p["beta"])
    assert "lacks its weight beta" in ex.check_deltas(d3, d2, p).message


def _penalty(W1, b1, X, rho, beta):
    rho_hat = sigmoid(W1 @ X + b1[:, None]).mean(axis=1)
    return beta * np.sum(rho * np.log(rho / rho_hat)
                         + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))


@pytest.mark.parametrize("penalty", [
    _penalty,
    # the same, written differently: kl_divergence of the package, a loop, float32 data
    lambda W1, b1, X, rho, beta: beta * np.sum(sae.kl_divergence(
        rho, np.mean(1 / (1 + np.exp(-(W1 @ X + b1[:, None]))), axis=1))),
    lambda W1, b1, X, rho, beta: sum(
        beta * (rho * np.log(rho / r) + (1 - rho) * np.log((1 - rho) / (1 - r)))
        for r in [sigmoid(W1[j] @ X + b1[j]).mean() for j in range(W1.shape[0])]),
    lambda W1, b1, X, rho, beta: float(_penalty(W1, b1, X, rho, beta)),
    lambda W1, b1, X, rho, beta: np.array(_penalty(W1, b1, X, rho, beta)),  # 0-d array
])
def test_sparsity_penalty_right_forms(penalty):
    assert ex.check_sparsity_penalty(penalty).status == CORRECT


def _kl(p, q):
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


@pytest.mark.parametrize(("penalty", "words"), [
    # rho_hat averaged over the units (axis 0) instead of over the examples
    (lambda W1, b1, X, rho, beta: beta * np.sum(_kl(rho, sigmoid(W1 @ X + b1[:, None])
                                                      .mean(axis=0))), "wrong axis"),
    # KL(rho_hat || rho) instead of KL(rho || rho_hat)
    (lambda W1, b1, X, rho, beta: beta * np.sum(_kl(sigmoid(W1 @ X + b1[:, None])
                                                      .mean(axis=1), rho)), "swapped"),
    # only the first term of the Bernoulli KL
    (lambda W1, b1, X, rho, beta: beta * np.sum(
        rho * np.log(rho / sigmoid(W1 @ X + b1[:, None]).mean(axis=1))), "only its first term"),
])
def test_sparsity_penalty_slips_are_named(penalty, words):
    feedback = ex.check_sparsity_penalty(penalty)
    assert feedback.status == NOT_YET and words in feedback.message, feedback
    assert "not the right value" not in feedback.message


def test_sparsity_penalty_slips_are_not_named_for_other_wrong_answers():
    feedback = ex.check_sparsity_penalty(
        lambda W1, b1, X, rho, beta: 1.01 * _penalty(W1, b1, X, rho, beta))
    assert feedback.status == NOT_YET
    for words in ("wrong axis", "swapped", "first term", "m times", "beta"):
        assert words not in feedback.message


@pytest.mark.parametrize(("fun", "words"), [
    (lambda r, h: np.log(h / r) - np.log((1 - h) / (1 - r)), "arguments swapped"),
    (lambda r, h: -r / h, "first term only"),
])
def test_kl_grad_slips_are_named(fun, words):
    feedback = ex.check_kl_grad(fun)
    assert feedback.status == NOT_YET and words in feedback.message, feedback


@pytest.mark.parametrize("fun", [
    lambda r, h: ((1 - r) * h - r * (1 - h)) / (h * (1 - h)),
    lambda r, h: (np.asarray(h, dtype=np.float64) - r) / (h - h**2),
    lambda r, h: np.array([kl_grad(r, x) for x in h]),  # one entry at a time
])
def test_kl_grad_equivalent_forms_pass(fun):
    assert ex.check_kl_grad(fun).status == CORRECT


def test_f_prime_slips_in_the_deltas_are_named():
    p = ex.small_problem()
    X, a2, a3 = p["X"], p["a2"], p["a3"]
    d3, d2 = deltas(p)
    at_a3 = (a3 - X) * sigmoid_grad(a3)
    assert "f' to a3" in ex.check_deltas(at_a3, d2, p).message
    assert "lacks the factor f'(z3)" in ex.check_deltas(a3 - X, d2, p).message
    back = p["W2"].T @ d3 + p["beta"] * kl_grad(p["sparsity_param"], p["rho_hat"])[:, None]
    assert "f' to a2" in ex.check_deltas(d3, back * sigmoid_grad(a2), p).message
    assert "lacks the factor f'(z2)" in ex.check_deltas(d3, back, p).message
    # float32 deltas are still right at the check's tolerance
    assert ex.check_deltas(d3.astype(np.float32), d2.astype(np.float32), p).status == CORRECT


def test_kl_grad_accepts_a_guard_and_float32():
    def guarded(rho, rho_hat):
        return -rho / (rho_hat + 1e-8) + (1 - rho) / (1 - rho_hat + 1e-8)

    def single(rho, rho_hat):
        return (-rho / rho_hat + (1 - rho) / (1 - rho_hat)).astype(np.float32)

    for fun in (guarded, single):
        feedback = ex.check_kl_grad(fun)
        assert feedback.correct, feedback.message


def test_kl_grad_with_respect_to_rho_is_named_with_no_coincidental_partial_credit():
    def wrt_rho(rho, rho_hat):
        return np.log(rho / rho_hat) - np.log((1 - rho) / (1 - rho_hat))

    feedback = ex.check_kl_grad(wrt_rho)
    assert feedback.status == NOT_YET and "with respect to rho, the target" in feedback.message
    assert not set(ex.KL_TEST_RHO) & set(ex.KL_TEST_RHO_HAT)


def test_sparsity_penalty_accepts_a_log_guard_and_float32():
    def guarded(W1, b1, X, rho, beta):
        rho_hat = sigmoid(W1 @ X + b1[:, None]).mean(axis=1)
        kl = (rho * np.log(rho / (rho_hat + 1e-8))
              + (1 - rho) * np.log((1 - rho) / (1 - rho_hat + 1e-8)))
        return beta * np.sum(kl)

    def single(W1, b1, X, rho, beta):
        return np.float32(guarded(W1, b1, X, rho, beta))

    for fun in (guarded, single):
        feedback = ex.check_sparsity_penalty(fun)
        assert feedback.correct, feedback.message


def test_dominant_term_reasons_quote_the_package_numbers():
    theta = sae.initialize_parameters(25, 64, rng=0)
    data = np.random.default_rng(0).uniform(0.1, 0.9, size=(64, 200))
    decay = ex.check_dominant_term("weight decay", theta, data).message
    r = np.sqrt(6 / (25 + 64 + 1))
    assert f"at most {r:.2g}" in decay or f"at most {np.abs(theta[:3200]).max():.2g}" in decay
    assert "0.2 in size" not in decay
    reconstruction = ex.check_dominant_term("reconstruction", theta, data).message
    assert "64 x 0.9^2 / 2 = 25.9" in reconstruction


def test_a_slip_made_with_a_guard_is_still_named():
    """A 1e-7 guard moves a slip's value by more than 1e-6 but far less than GUARDED_RTOL: the
    slips are identified at GUARDED_RTOL, as the right answer is accepted."""
    def first_term_only(rho, rho_hat):
        return -rho / (rho_hat + 1e-7)

    feedback = ex.check_kl_grad(first_term_only)
    assert feedback.status == NOT_YET and "first term only" in feedback.message

    def swapped(W1, b1, X, rho, beta):
        rho_hat = sigmoid(W1 @ X + b1[:, None]).mean(axis=1) + 1e-7
        return beta * np.sum(rho_hat * np.log(rho_hat / rho)
                             + (1 - rho_hat) * np.log((1 - rho_hat) / (1 - rho)))

    feedback = ex.check_sparsity_penalty(swapped)
    assert feedback.status == NOT_YET and "arguments of KL are swapped" in feedback.message


def test_small_problem_seeds_like_the_package():
    from ufldl_helpers._validation import DEFAULT_SEED
    assert np.array_equal(ex.small_problem(rng=None)["theta"],
                          ex.small_problem(rng=DEFAULT_SEED)["theta"])
    with pytest.raises(TypeError, match="rng must be"):
        ex.small_problem(rng=np.random.RandomState(0))
