"""The L-BFGS-B post: L-BFGS-B stops at iteration 0 because the objective ignores its argument."""

import numpy as np
import pytest

from ufldl_helpers.case_studies import lbfgsb_iteration_zero as lb
from ufldl_helpers.gradcheck import check_gradient
from ufldl_helpers.sparse_autoencoder import layout
from ufldl_helpers.training import limit_blas_threads

LAMBDA = 1e-4


@pytest.fixture(autouse=True)
def one_blas_thread():
    with limit_blas_threads(1):
        yield


@pytest.fixture(scope="module")
def problem():
    """The post's size: 784 visible, 10 hidden, on 100 bundled MNIST digits."""
    return lb.mnist_problem(m=100, hidden_size=10, rng=0)


@pytest.fixture(scope="module")
def small():
    """784 visible, 2 hidden (3922 parameters) on 10 digits: for the 1-per-coordinate runs."""
    return lb.mnist_problem(m=10, hidden_size=2, rng=0)


def test_posted_size(problem):
    theta, data = problem
    assert theta.size == lb.POSTED["n_parameters"] == 16474
    assert data.shape == (784, 100)


def test_as_posted_line_search_fails_at_iteration_zero(problem):
    theta, data = problem
    cost0 = lb.autoencoder_cost_and_grad(theta, 784, 10, LAMBDA, data)[0]
    res = lb.train(theta, 784, 10, LAMBDA, data)
    assert res.status == lb.POSTED["status"] == 2
    assert not res.success
    assert str(res.message).startswith("ABNORMAL")
    assert res.nit == lb.POSTED["nit"] == 0
    assert res.nfev == lb.POSTED["nfev"] == 21
    assert res.fun == cost0  # the line search never found a lower cost
    assert 80 < res.fun < 100  # the post: 90.8
    np.testing.assert_array_equal(res.x, theta)
    # b2's gradient at the start, as in the post's jac: about 0.125 on background pixels
    b2_grad = res.jac[-784:]
    background = data.max(axis=1) == 0
    assert abs(b2_grad[background].mean() - 0.125) < 0.003
    np.testing.assert_allclose(b2_grad[background], 0.125, rtol=0.15)
    np.testing.assert_allclose(res.jac[-3:], lb.POSTED["jac_last"], rtol=0.05)


def test_nfev_is_one_plus_the_line_search_limit(problem):
    theta, data = problem
    assert lb.train(theta, 784, 10, LAMBDA, data, maxls=5).nfev == 6


def test_doctor_flags_ignores_argument(problem):
    theta, data = problem
    J = lb.objective(theta, 784, 10, LAMBDA, data)
    report = check_gradient(J, theta, blocks=layout(784, 10), indices=60, rng=0)
    assert not report.passed
    assert "ignores_argument" in report.finding_names
    assert not np.any(report.numerical)


def test_the_cost_function_itself_passes_the_doctors_check(problem):
    theta, data = problem
    J = lb.objective(theta, 784, 10, LAMBDA, data, fixed=True)
    report = check_gradient(J, theta, blocks=layout(784, 10), indices=60, rng=0,
                            lambda_=LAMBDA)
    assert report.relative_error < 1e-8
    assert "ignores_argument" not in report.finding_names


def test_why_the_authors_check_passed():
    theta, data = lb.mnist_problem(m=10, hidden_size=2, rng=1)
    data = data[300:320]  # 20 central pixels: a tiny net for the author's full loop
    theta = theta[: 2 * 2 * 20 + 2 + 20]

    def cost(x):
        return lb.autoencoder_cost_and_grad(x, 20, 2, LAMBDA, data)

    grad = cost(theta)[1]
    # Given the cost function itself (which reads its argument), the author's check agrees.
    estimate = lb.compute_gradient_numerical_estimate(cost, theta)
    assert np.linalg.norm(estimate - grad) < 1e-8  # the post: 6.9e-09
    # Given the J handed to minimize, the same check sees a constant function.
    J = lb.objective(theta, 20, 2, LAMBDA, data)
    assert not np.any(lb.compute_gradient_numerical_estimate(J, theta))


def test_without_jac_it_converges_at_once_at_the_unchanged_cost(small):
    theta, data = small
    cost0 = lb.autoencoder_cost_and_grad(theta, 784, 2, LAMBDA, data)[0]
    res = lb.train(theta, 784, 2, LAMBDA, data, jac=False)
    assert res.success and res.status == 0
    assert res.nit == 0
    assert res.nfev == theta.size + 1  # one finite-difference gradient, exactly zero
    assert not np.any(res.jac)
    assert res.fun == cost0


def test_check_grad_number_is_round_off_of_forward_differences(small):
    theta, data = small
    info = lb.check_grad_in_context(theta, 784, 2, LAMBDA, data)
    assert info["n"] == theta.size
    assert 80 < info["cost"] < 100
    # Absolute and of the post's order (9.6e-05 for 16474 entries), but tiny next to the
    # gradient, and explained by eps * |J| / step per entry.
    assert 1e-6 < info["check_grad"] < 1e-3
    assert info["relative"] < 1e-4
    assert 0.1 * info["roundoff_bound"] < info["check_grad"] < 2 * info["roundoff_bound"]


def test_fixed_objective_trains_and_the_cost_falls(problem):
    theta, data = problem
    cost0 = lb.autoencoder_cost_and_grad(theta, 784, 10, LAMBDA, data)[0]
    res = lb.train(theta, 784, 10, LAMBDA, data, fixed=True, maxiter=100)
    assert res.nit == 100 and res.status == 1  # stopped by maxiter, no line-search failure
    assert res.fun < 0.3 * cost0


def test_bad_input_is_refused(problem):
    theta, data = problem
    with pytest.raises(ValueError, match="theta"):
        lb.objective(theta[:-1], 784, 10, LAMBDA, data)
    with pytest.raises(ValueError, match="data"):
        lb.objective(theta, 784, 10, LAMBDA, data[:-1])
    with pytest.raises(ValueError, match="maxls"):
        lb.train(theta, 784, 10, LAMBDA, data, maxls=0)


def test_line_search_trials_pass_sufficient_decrease_late_and_curvature_never(problem):
    theta, data = problem
    tr = lb.line_search_trials(theta, 784, 10, LAMBDA, data)
    assert tr["result"].nfev == 21 and tr["t"].size == 20
    g0 = lb.autoencoder_cost_and_grad(theta, 784, 10, LAMBDA, data)[1]
    assert tr["t"][0] == pytest.approx(1 / np.linalg.norm(g0), rel=1e-12)  # first step 1/|d|
    assert tr["t"].min() < 1e-12
    np.testing.assert_array_equal(tr["f"], tr["f0"])  # J ignores its argument
    np.testing.assert_array_equal(tr["slope"], tr["slope0"])  # so g(t)'d = g(0)'d exactly
    assert not tr["curvature"].any()
    # Sufficient decrease passes exactly where the required decrease is below half an ulp.
    np.testing.assert_array_equal(tr["sufficient_decrease"], tr["required"] < tr["ulp"] / 2)
    assert tr["sufficient_decrease"][-1] and not tr["sufficient_decrease"][0]


def test_line_search_of_the_fixed_objective_accepts_its_first_trial(problem):
    theta, data = problem
    tr = lb.line_search_trials(theta, 784, 10, LAMBDA, data, fixed=True)
    assert tr["t"].size >= 1
    assert tr["sufficient_decrease"][-1] and tr["curvature"][-1]
    assert tr["f"][-1] < tr["f0"]


def test_the_posts_numbers_give_lambda_and_ours_do_too(problem):
    np.testing.assert_allclose(
        lb.weight_decay_ratio(lb.POSTED["jac_first"], lb.POSTED["x_first"]), 1e-4, rtol=1e-6)
    theta, data = problem
    assert not data[:3].any()  # the top-left pixels are blank in every digit
    g = lb.autoencoder_cost_and_grad(theta, 784, 10, LAMBDA, data)[1]
    np.testing.assert_allclose(lb.weight_decay_ratio(g[:3], theta[:3]), LAMBDA, rtol=1e-12)
    assert not theta[-3:].any()  # the initial biases are 0, as the post's x ends
    with pytest.raises(ValueError, match="nonzero"):
        lb.weight_decay_ratio([1.0], [0.0])


@pytest.mark.parametrize("message, reason", [
    (b"ABNORMAL_TERMINATION_IN_LNSRCH", "ABNORMAL"), ("ABNORMAL: ", "ABNORMAL"),
    ("CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL", "CONVERGENCE"),
    ("CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", "CONVERGENCE"),
    ("STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT", "STOP")])
def test_stop_reason_is_stable_across_scipy_wordings(message, reason):
    import scipy.optimize
    assert lb.stop_reason(scipy.optimize.OptimizeResult(message=message)) == reason
