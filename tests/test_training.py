"""Training (L-BFGS-B): cost history, progress output, callbacks, line-search failures decided by
status code, BLAS threads chosen by measurement, hyperparameter sweeps."""

import time

import numpy as np
import pytest
import scipy.optimize

from ufldl_helpers import sparse_autoencoder as sae
from ufldl_helpers.data import load_natural_images, sample_patches
from ufldl_helpers.filter_statistics import filter_statistics
from ufldl_helpers.sparse_autoencoder import (
    initialize_parameters,
    sparse_autoencoder_cost,
    unpack,
)
from ufldl_helpers.training import (
    FastestBlasThreads,
    LineSearchFailure,
    LineSearchWarning,
    TrainingResult,
    _blas_pools,
    hyperparameter_sweep,
    limit_blas_threads,
    train_sparse_autoencoder,
    with_blas_threads,
)


@pytest.fixture(scope="module")
def patches():
    return sample_patches(load_natural_images(), patch_size=8, num_patches=2000, rng=0)


@pytest.fixture(scope="module")
def trained(patches):
    # Reduced but real: 2000 of UFLDL's 10000 patches, UFLDL's hyperparameters and iterations.
    return train_sparse_autoencoder(patches, 25, max_iter=400, rng=0, progress=False)


def test_training_lowers_the_cost_and_reaches_the_target_sparsity(trained, patches):
    history = trained.cost_history
    assert trained.status in (0, 1) and not trained.line_search_failed
    assert len(history) == trained.optimize_result.nit + 1
    assert history[-1] < 0.02 * history[0]  # ~56 -> ~0.36
    assert np.all(np.diff(history) <= 1e-12)  # L-BFGS-B only accepts decreasing steps
    final, _ = sparse_autoencoder_cost(trained.theta, 64, 25, 1e-4, 0.01, 3.0, patches)
    assert final == pytest.approx(history[-1], rel=1e-10)
    stats = filter_statistics(trained, patches)
    assert stats.rho_hat.mean() == pytest.approx(0.01, rel=0.2)
    assert stats.rho_hat.std() < 0.2 * 0.01


def test_trained_filters_are_gabor_like_and_initial_ones_are_not(trained):
    fit = filter_statistics(trained.W1).gabor
    assert np.median(fit.r2) > 0.8, str(fit)  # learned: oriented stripes a Gabor explains
    initial = filter_statistics(unpack(initialize_parameters(25, 64, rng=0), 64, 25)[0]).gabor
    assert np.median(initial.r2) < 0.5 and initial.n_localized_edges == 0, str(initial)


def test_float32_training_matches_float64(patches):
    x = patches[:, :500]
    r64 = train_sparse_autoencoder(x, 10, max_iter=30, progress=False)
    r32 = train_sparse_autoencoder(x.astype(np.float32), 10, max_iter=30, progress=False)
    assert r32.hyperparameters["dtype"] == "float32"
    assert r32.cost_history[-1] == pytest.approx(r64.cost_history[-1], rel=0.05)


def test_progress_bar_shown_or_silent(patches, capsys):
    train_sparse_autoencoder(patches[:, :100], 4, max_iter=3, progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    result = train_sparse_autoencoder(patches[:, :100], 4, max_iter=3, progress=True)
    out, err = capsys.readouterr()
    assert "L-BFGS-B" in err  # the bar
    # and a line that says training ran, for output read without a kernel (frozen widget)
    assert out == result.summary() + "\n"
    assert out.startswith("L-BFGS-B: 3 iterations, cost ") and "(iteration limit)" in out


def test_callback_sees_each_iteration_and_can_stop(patches):
    seen = []

    def callback(iteration, cost, theta):
        seen.append((iteration, cost, theta.shape))
        return iteration == 4

    result = train_sparse_autoencoder(patches[:, :200], 4, max_iter=50, progress=False,
                                      callback=callback)
    assert [s[0] for s in seen] == [1, 2, 3, 4]
    assert result.n_iterations == 4
    assert result.stopped_by_callback and not result.line_search_failed
    assert result.summary().endswith("(stopped by the callback)")
    assert seen[-1][1] == result.cost_history[-1]


def _broken_kernel(kernel):
    # A sign error in dJ/dW1 only: the line search finds no decrease on every scipy version.
    # (A fully negated gradient does not do: scipy >= 1.16 calls that "CONVERGENCE" after one
    # iteration.)
    def wrong_sign_in_W1(theta, lay, *args):
        cost, grad = kernel(theta, lay, *args)
        grad = grad.copy()
        grad[lay.slices["W1"]] *= -1
        return cost, grad
    return wrong_sign_in_W1


def test_line_search_failure_is_reported_with_a_hint(patches, monkeypatch):
    monkeypatch.setattr(sae, "_cost_grad", _broken_kernel(sae._cost_grad))
    with pytest.warns(LineSearchWarning, match="line search failed.*check_gradient"):
        result = train_sparse_autoencoder(patches[:, :100], 4, max_iter=20, progress=False)
    assert result.line_search_failed and result.status == 2
    assert result.message.upper().startswith("ABNORMAL")
    with pytest.raises(LineSearchFailure, match="status 2"):
        train_sparse_autoencoder(patches[:, :100], 4, max_iter=20, progress=False,
                                 on_line_search_failure="raise")


def test_training_bad_input(patches):
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        train_sparse_autoencoder(patches, 4, max_iter=0)
    with pytest.raises(ValueError, match="on_line_search_failure must be one of"):
        train_sparse_autoencoder(patches, 4, on_line_search_failure="ignore")
    with pytest.raises(TypeError, match="callback must be callable"):
        train_sparse_autoencoder(patches, 4, callback=3)
    with pytest.raises(ValueError, match="theta0 must have 2\\*h\\*v \\+ h \\+ v = 580"):
        train_sparse_autoencoder(patches, 4, theta0=np.zeros(5))
    with pytest.raises(ValueError, match="blas_threads must be >= 1"):
        train_sparse_autoencoder(patches, 4, blas_threads=0)
    with pytest.raises(ValueError, match="data must lie in \\[0, 1\\]"):
        train_sparse_autoencoder(patches * 2, 4)


def test_blas_hygiene_limits_scipys_pool_and_restores_it():
    from threadpoolctl import threadpool_info

    scipy_pools, numpy_pools = _blas_pools()
    if scipy_pools is None or numpy_pools is None:
        pytest.skip("scipy shares numpy's BLAS here")
    scipy_paths = {info["filepath"] for info in scipy_pools.info()}
    numpy_paths = {info["filepath"] for info in numpy_pools.info()}
    assert scipy_paths and numpy_paths and not scipy_paths & numpy_paths
    before = {i["filepath"]: i["num_threads"] for i in threadpool_info()}
    with limit_blas_threads():
        inside = {i["filepath"]: i["num_threads"] for i in threadpool_info()}
        assert all(inside[p] == 1 for p in scipy_paths)
        assert all(inside[p] == before[p] for p in numpy_paths)
    with limit_blas_threads(1):
        assert all(i["num_threads"] == 1 for i in threadpool_info() if i["filepath"] in
                   scipy_paths | numpy_paths)
    assert {i["filepath"]: i["num_threads"] for i in threadpool_info()} == before
    with pytest.raises(ValueError, match="numpy_threads must be >= 1"), \
            limit_blas_threads(0):
        pass


def test_hyperparameter_sweep_bad_names(patches):
    with pytest.raises(ValueError, match="hyperparameters must be among"):
        hyperparameter_sweep(patches[:, :20], 3, {"rho": [0.1]}, max_iter=2)


def test_training_in_matlab_order_learns_the_same_weights(patches):
    x = patches[:, :300]
    c = train_sparse_autoencoder(x, 5, max_iter=10, progress=False)
    f = train_sparse_autoencoder(x, 5, max_iter=10, progress=False, order="F")
    assert f.order == "F" and f.theta.shape == c.theta.shape
    assert not np.array_equal(f.theta, c.theta)  # a different unrolling...
    np.testing.assert_allclose(f.W1, c.W1, rtol=1e-6, atol=1e-9)  # ...of the same network
    np.testing.assert_allclose(f.cost_history, c.cost_history, rtol=1e-8)


def test_results_have_short_reprs(trained):
    assert repr(trained).startswith("<TrainingResult: sparse autoencoder 64 -> 25: cost ")
    assert len(repr(trained)) < 200
    stats = filter_statistics(trained.W1)
    assert repr(stats) == f"<FilterStatistics: {stats.n_localized_edges} of 25 localized edges>"


def test_float32_training_does_not_stop_early_on_a_plateau(patches):
    # A float32 sum of squares moved in steps of ~1e-6 relative, so L-BFGS-B saw steps that
    # changed nothing and declared convergence after 30 iterations on the cost's plateau.
    result = train_sparse_autoencoder(patches.astype(np.float32), 25, beta=10.0, max_iter=100,
                                      rng=0, progress=False)
    assert result.n_iterations == 100, result.message


def _result(status, message, callback=False):
    res = scipy.optimize.OptimizeResult(status=status, message=message, x=np.zeros(9), nit=3)
    return TrainingResult(theta=np.zeros(2 * 2 * 2 + 2 + 2), visible_size=2, hidden_size=2,
                          cost_history=np.array([2.0, 1.0]), optimize_result=res,
                          wall_time=0.0, hyperparameters={}, stopped_by_callback=callback)


@pytest.mark.parametrize(("status", "message", "callback", "failed"), [
    (2, "ABNORMAL_TERMINATION_IN_LNSRCH", False, True),  # scipy < 1.15
    (2, "ABNORMAL: ", False, True),  # scipy >= 1.15
    (2, "any future wording", False, True),  # the status decides, not the words
    (2, "STOP: CALLBACK REQUESTED HALT", True, False),  # scipy < 1.11: a halt was status 2
    (99, "`callback` raised `StopIteration`.", True, False),
    (0, "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH", False, False),
    (1, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT", False, False),
])
def test_line_search_failure_is_decided_by_status_code(status, message, callback, failed):
    result = _result(status, message, callback)
    assert result.line_search_failed is failed
    why = result.summary().rsplit("(", 1)[1]
    assert why == {True: "line search failed)", False: why}[failed]


def test_summary_prints_costs_to_two_significant_digits():
    result = _result(1, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT")
    result.cost_history = np.array([52.61, 0.37521])
    assert result.summary() == "L-BFGS-B: 1 iterations, cost 53 -> 0.38 (iteration limit)"


def _sleepy(slow_threads):
    """fun(theta) that takes 50 ms when numpy's BLAS has ``slow_threads`` threads, else ~0."""
    _, pools = _blas_pools()

    def fun(theta):
        if max(info["num_threads"] for info in pools.info()) == slow_threads:
            time.sleep(0.05)
        return 0.0, theta
    return fun


@pytest.mark.parametrize("slow", [1, 2])
def test_fastest_blas_threads_settles_on_the_faster_count_and_keeps_probing(slow):
    if _blas_pools()[1] is None:
        pytest.skip("numpy's BLAS is not controllable here")
    timed = FastestBlasThreads(_sleepy(slow), candidates=[1, 2], probe_every=4)
    for _ in range(64):
        timed(np.zeros(3))
    fast = 3 - slow
    assert timed.best == fast
    # timed once at the start, probed again after 4, 8, 16 and 32 more calls: not stuck, and
    # a losing candidate costs a handful of calls
    assert timed.counts[slow] == 5 and timed.counts[fast] == 59
    with pytest.raises(TypeError, match="fun must be callable"):
        FastestBlasThreads(3)
    with pytest.raises(ValueError, match="candidates must be >= 1"):
        FastestBlasThreads(_sleepy(1), candidates=[0])


def test_training_records_its_blas_threads(patches):
    result = train_sparse_autoencoder(patches[:, :200], 4, max_iter=3, progress=False,
                                      blas_threads=1)
    if _blas_pools()[1] is not None:
        assert result.blas_threads == 1


def test_thread_policy_one_thread_for_small_problems_measured_for_large():
    small = sae.objective(np.full((64, 100), 0.5), 25, lambda_=0, sparsity_param=0.1, beta=0)
    assert with_blas_threads(small).candidates == [1]
    assert with_blas_threads(small, blas_threads=2).candidates == [2]
    large = sae.objective(np.full((784, 2000), 0.5), 196, lambda_=0, sparsity_param=0.1,
                          beta=0)  # 10 h v m = 3.1e9 flops per evaluation
    pools = _blas_pools()[1]
    if pools is not None:
        numpy_threads = max(info["num_threads"] for info in pools.info())
        assert with_blas_threads(large).candidates == sorted({1, numpy_threads})
    with pytest.raises(ValueError, match="blas_threads must be >= 1"):
        with_blas_threads(small, blas_threads=0)


def test_a_gradient_pointing_uphill_is_reported_on_every_scipy(patches, monkeypatch):
    # scipy <= 1.15 ends this in a failed line search, scipy >= 1.16 in "CONVERGENCE" after one
    # iteration that did not lower the cost: both are reported with the same hint.
    kernel = sae._cost_grad

    def negated(theta, lay, *args):
        cost, grad = kernel(theta, lay, *args)
        return cost, -grad

    monkeypatch.setattr(sae, "_cost_grad", negated)
    with pytest.warns(LineSearchWarning, match="check_gradient"):
        result = train_sparse_autoencoder(patches[:, :100], 4, max_iter=20, progress=False)
    assert result.cost_history[-1] >= result.cost_history[0]
