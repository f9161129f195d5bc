"""The UFLDL sparse autoencoder: formula, gradient (UFLDL's staged checks), training, filters."""

import numpy as np
import pytest

from ufldl_helpers import sparse_autoencoder as sae
from ufldl_helpers.data import load_natural_images, sample_patches
from ufldl_helpers.gradcheck import check_gradient
from ufldl_helpers.sparse_autoencoder import (
    LineSearchFailure,
    LineSearchWarning,
    encode,
    filter_statistics,
    initialize_parameters,
    reconstruct,
    sparse_autoencoder_cost,
    train_sparse_autoencoder,
    unpack,
)

V, H = 64, 5  # UFLDL's advice for the check: the real input size, a few hidden units


@pytest.fixture(scope="module")
def patches():
    return sample_patches(load_natural_images(), patch_size=8, num_patches=2000, rng=0)


def reference_cost(W1, W2, b1, b2, x, lambda_, rho, beta):
    """The UFLDL cost written example by example, independently of the vectorized kernel."""
    m = x.shape[1]
    sq, a2_sum = 0.0, np.zeros(W1.shape[0])
    for i in range(m):
        a2 = 1 / (1 + np.exp(-(W1 @ x[:, i] + b1)))
        a3 = 1 / (1 + np.exp(-(W2 @ a2 + b2)))
        sq += 0.5 * np.sum((a3 - x[:, i]) ** 2)
        a2_sum += a2
    rho_hat = a2_sum / m
    kl = np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))
    return sq / m + lambda_ / 2 * (np.sum(W1**2) + np.sum(W2**2)) + beta * kl


def random_theta(rng, order="C", h=H, v=V):
    theta = initialize_parameters(h, v, rng=rng, order=order)
    theta[2 * h * v:] = rng.normal(0, 0.1, h + v)  # nonzero biases so their gradient is tested
    return theta


# ---------------------------------------------------------------------------------------- init

def test_initialize_parameters_follows_ufldl():
    theta = initialize_parameters(25, 64, rng=3)
    assert theta.shape == (2 * 25 * 64 + 25 + 64,) and theta.dtype == np.float64
    W1, W2, b1, b2 = unpack(theta, 64, 25)
    r = np.sqrt(6) / np.sqrt(25 + 64 + 1)
    for W in (W1, W2):
        assert np.abs(W).max() <= r and np.abs(W).max() > 0.95 * r
        assert abs(W.mean()) < 0.05 * r
    assert not b1.any() and not b2.any()
    np.testing.assert_array_equal(theta, initialize_parameters(25, 64, rng=3))
    assert not np.array_equal(theta, initialize_parameters(25, 64, rng=4))


def test_matlab_order_unrolls_columns_first():
    theta_c = initialize_parameters(3, 4, rng=0, order="C")
    theta_f = initialize_parameters(3, 4, rng=0, order="F")
    W1 = unpack(theta_c, 4, 3)[0]
    np.testing.assert_array_equal(theta_f[:12], W1.ravel(order="F"))
    np.testing.assert_array_equal(unpack(theta_f, 4, 3, order="F")[0], W1)


def test_float32_initialization():
    assert initialize_parameters(5, 16, dtype=np.float32).dtype == np.float32


# -------------------------------------------------------------------------------- cost formula

@pytest.mark.parametrize("order", ["C", "F"])
def test_cost_matches_the_example_by_example_formula(order):
    rng = np.random.default_rng(1)
    x = rng.random((V, 7))
    theta = random_theta(rng, order)
    cost, _ = sparse_autoencoder_cost(theta, V, H, 1e-2, 0.1, 3.0, x, order=order)
    want = reference_cost(*unpack(theta, V, H, order), x, 1e-2, 0.1, 3.0)
    assert cost == pytest.approx(want, rel=1e-12)


def test_encode_and_reconstruct_give_the_cost():
    rng = np.random.default_rng(2)
    x = rng.random((V, 30))
    theta = random_theta(rng)
    a2, a3 = encode(theta, x), reconstruct(theta, x)
    assert a2.shape == (H, 30) and a3.shape == (V, 30)
    W1, W2, _, _ = unpack(theta, V, H)
    rho_hat = a2.mean(axis=1)
    kl = np.sum(0.2 * np.log(0.2 / rho_hat) + 0.8 * np.log(0.8 / (1 - rho_hat)))
    want = (0.5 * np.sum((a3 - x) ** 2) / 30 + 0.5 * 1e-3 * (np.sum(W1**2) + np.sum(W2**2))
            + 2.0 * kl)
    assert sparse_autoencoder_cost(theta, V, H, 1e-3, 0.2, 2.0, x)[0] == pytest.approx(want)


def test_float32_in_float32_out_and_close_to_float64():
    rng = np.random.default_rng(3)
    x = rng.random((V, 500))
    theta = random_theta(rng)
    c64, g64 = sparse_autoencoder_cost(theta, V, H, 1e-4, 0.01, 3.0, x)
    c32, g32 = sparse_autoencoder_cost(theta.astype(np.float32), V, H, 1e-4, 0.01, 3.0,
                                       x.astype(np.float32))
    assert g32.dtype == np.float32 and np.asarray(c32).dtype == np.float32
    assert c32 == pytest.approx(c64, rel=1e-5)
    assert np.linalg.norm(g32 - g64) / np.linalg.norm(g64) < 1e-5
    # mixed precision promotes, as numpy does
    assert sparse_autoencoder_cost(theta, V, H, 1e-4, 0.01, 3.0,
                                   x.astype(np.float32))[1].dtype == np.float64


def test_reused_buffers_do_not_leak_between_sizes_or_mutate_inputs():
    rng = np.random.default_rng(4)
    x_a, x_b = rng.random((V, 20)), rng.random((16, 11))
    th_a, th_b = random_theta(rng), random_theta(rng, h=3, v=16)
    copies = [a.copy() for a in (x_a, th_a)]
    first = sparse_autoencoder_cost(th_a, V, H, 1e-4, 0.01, 3.0, x_a)
    sparse_autoencoder_cost(th_b, 16, 3, 1e-4, 0.01, 3.0, x_b)
    again = sparse_autoencoder_cost(th_a, V, H, 1e-4, 0.01, 3.0, x_a)
    assert first[0] == again[0]
    np.testing.assert_array_equal(first[1], again[1])
    assert first[1] is not again[1]
    np.testing.assert_array_equal(x_a, copies[0])
    np.testing.assert_array_equal(th_a, copies[1])


def test_column_blocks_give_the_same_cost_and_gradient(monkeypatch):
    rng = np.random.default_rng(7)
    x = rng.random((V, 1000))
    theta = random_theta(rng)
    whole = sparse_autoencoder_cost(theta, V, H, 1e-3, 0.05, 3.0, x)
    monkeypatch.setattr(sae, "_BLOCK_BYTES", 1)  # smallest block: 256 columns, last one 232
    for order, data in (("C", x), ("F", np.asfortranarray(x))):
        ws = sae._Workspace(V, H, 1000, np.float64, order)
        assert ws.block == 256 and ws.a3.flags[f"{order}_CONTIGUOUS"]
        blocked = sae._cost_grad(theta, sae.layout(V, H), data, 1e-3, 0.05, 3.0, ws)
        assert blocked[0] == pytest.approx(whole[0], rel=1e-13)
        np.testing.assert_allclose(blocked[1], whole[1], rtol=1e-12, atol=1e-15)


def test_column_major_data_gives_the_same_result():
    rng = np.random.default_rng(8)
    x = rng.random((V, 300))
    theta = random_theta(rng)
    c = sparse_autoencoder_cost(theta, V, H, 1e-3, 0.05, 3.0, x)
    f = sparse_autoencoder_cost(theta, V, H, 1e-3, 0.05, 3.0, np.asfortranarray(x))
    assert sae._local.workspace.a3.flags.f_contiguous  # buffers follow the data's layout
    assert f[0] == pytest.approx(c[0], rel=1e-13)
    np.testing.assert_allclose(f[1], c[1], rtol=1e-12, atol=1e-15)


# -------------------------------------------------------- UFLDL's staged gradient checks

STAGES = [(0.0, 0.0), (1e-2, 0.0), (1e-2, 3.0)]  # plain, + weight decay, + sparsity


@pytest.mark.parametrize(("lambda_", "beta"), STAGES, ids=["plain", "decay", "sparsity"])
@pytest.mark.parametrize("source", ["patches", "random"])
def test_gradient_passes_the_staged_checks(lambda_, beta, source, patches):
    rng = np.random.default_rng(5)
    x = patches[:, :10] if source == "patches" else rng.random((V, 10))
    theta = random_theta(rng)
    report = check_gradient(
        lambda t: sparse_autoencoder_cost(t, V, H, lambda_, 0.01, beta, x), theta,
        blocks=sae.layout(V, H), lambda_=lambda_ or None)
    assert report.relative_error < 1e-9, str(report)


def test_gradient_in_matlab_order():
    rng = np.random.default_rng(6)
    x = rng.random((V, 10))
    theta = random_theta(rng, "F")
    report = check_gradient(
        lambda t: sparse_autoencoder_cost(t, V, H, 1e-2, 0.05, 3.0, x, order="F"), theta)
    assert report.relative_error < 1e-9, str(report)


# ----------------------------------------------------------------------------------- bad input

def _call(theta=None, x=None, visible_size=V, hidden_size=H, lambda_=1e-4, rho=0.01, beta=3.0):
    rng = np.random.default_rng(0)
    theta = random_theta(rng) if theta is None else theta
    x = rng.random((V, 4)) if x is None else x
    return sparse_autoencoder_cost(theta, visible_size, hidden_size, lambda_, rho, beta, x)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"x": np.full((V, 4), 2.0)}, "data must lie in \\[0, 1\\].*sigmoid"),
    ({"x": -np.ones((V, 4))}, "data must lie in \\[0, 1\\]"),
    ({"x": np.full((V, 4), np.nan)}, "data must be finite"),
    ({"x": np.ones((V - 1, 4)) / 2}, "data must have visible_size = 64 rows"),
    ({"x": np.ones((V, 0))}, "data must hold at least one example"),
    ({"x": np.ones(V) / 2}, "data must be 2-D"),
    ({"theta": np.zeros(10)}, "theta must have 2\\*h\\*v \\+ h \\+ v = 709 entries"),
    ({"theta": np.full(709, np.inf)}, "theta must be finite"),
    ({"rho": 0.0}, "sparsity_param must be in \\(0, 1\\)"),
    ({"rho": 1.0}, "sparsity_param must be in \\(0, 1\\)"),
    ({"lambda_": -1e-4}, "lambda_ must be >= 0"),
    ({"beta": -3.0}, "beta must be >= 0"),
    ({"hidden_size": 0}, "hidden_size must be >= 1"),
])
def test_bad_input_names_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _call(**kwargs)


def test_integer_data_is_refused_not_coerced():
    with pytest.raises(TypeError, match="data must be a float32 or float64 array"):
        _call(x=np.ones((V, 4), dtype=np.uint8))


def test_hidden_size_inferred_or_refused():
    rng = np.random.default_rng(0)
    x = rng.random((V, 3))
    with pytest.raises(ValueError, match="theta has 100 entries"):
        encode(np.zeros(100), x)
    assert encode(random_theta(rng), x).shape == (H, 3)


# -------------------------------------------------------------------------------- training

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


def test_trained_filters_are_mostly_edges_and_initial_ones_are_not(trained):
    stats = filter_statistics(trained.W1)
    assert stats.n_edge_like >= 15, str(stats)
    initial = filter_statistics(unpack(initialize_parameters(25, 64, rng=0), 64, 25)[0])
    assert initial.n_edge_like <= 2, str(initial)
    assert f"{stats.n_edge_like} of 25 filters are edge-like" in str(stats)


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
    train_sparse_autoencoder(patches[:, :100], 4, max_iter=3, progress=True)
    assert "L-BFGS-B" in capsys.readouterr().err


def test_callback_sees_each_iteration_and_can_stop(patches):
    seen = []

    def callback(iteration, cost, theta):
        seen.append((iteration, cost, theta.shape))
        return iteration == 4

    result = train_sparse_autoencoder(patches[:, :200], 4, max_iter=50, progress=False,
                                      callback=callback)
    assert [s[0] for s in seen] == [1, 2, 3, 4]
    assert result.n_iterations == 4
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
    with pytest.raises(ValueError, match="theta must have"):
        train_sparse_autoencoder(patches, 4, theta0=np.zeros(5))
    with pytest.raises(ValueError, match="data must lie in \\[0, 1\\]"):
        train_sparse_autoencoder(patches * 2, 4)


def test_blas_hygiene_limits_scipys_pool_and_restores_it():
    from threadpoolctl import threadpool_info

    scipy_pools, numpy_pools = sae._blas_pools()
    if scipy_pools is None or numpy_pools is None:
        pytest.skip("scipy shares numpy's BLAS here")
    scipy_paths = {info["filepath"] for info in scipy_pools.info()}
    numpy_paths = {info["filepath"] for info in numpy_pools.info()}
    assert scipy_paths and numpy_paths and not scipy_paths & numpy_paths
    before = {i["filepath"]: i["num_threads"] for i in threadpool_info()}
    with sae.limit_blas_threads():
        inside = {i["filepath"]: i["num_threads"] for i in threadpool_info()}
        assert all(inside[p] == 1 for p in scipy_paths)
        assert all(inside[p] == before[p] for p in numpy_paths)
    with sae.limit_blas_threads(1):
        assert all(i["num_threads"] == 1 for i in threadpool_info() if i["filepath"] in
                   scipy_paths | numpy_paths)
    assert {i["filepath"]: i["num_threads"] for i in threadpool_info()} == before
    with pytest.raises(ValueError, match="numpy_threads must be >= 1"), \
            sae.limit_blas_threads(0):
        pass


# ------------------------------------------------------------------------------- filter score

def _gabor(theta, sigma=1.2, freq=0.2, p=8, center=(3.5, 3.5)):
    yy, xx = np.mgrid[:p, :p] - np.array(center)[:, None, None]
    u = np.cos(theta) * xx + np.sin(theta) * yy
    v = -np.sin(theta) * xx + np.cos(theta) * yy
    return (np.exp(-(u**2) / (2 * sigma**2) - v**2 / (2 * (2 * sigma) ** 2))
            * np.sin(2 * np.pi * freq * u)).ravel()


def test_edge_score_separates_edges_from_blobs_gratings_and_noise():
    rng = np.random.default_rng(0)
    angles = np.linspace(0, np.pi, 8, endpoint=False)
    gabors = np.array([_gabor(a) for a in angles])
    yy, xx = np.mgrid[:8, :8]
    blobs = np.array([np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 4.0).ravel()
                      for cx, cy in rng.uniform(2, 5, (8, 2))])
    gratings = np.array([np.cos(2 * np.pi * 0.25 * (np.cos(a) * xx + np.sin(a) * yy)).ravel()
                         for a in angles])
    noise = rng.uniform(-1, 1, (8, 64))
    assert filter_statistics(gabors).n_edge_like == 8
    for other in (blobs, gratings, noise):
        assert filter_statistics(other).n_edge_like <= 1
    stats = filter_statistics(gabors)
    assert stats.rho_hat is None and np.all(stats.edge_score >= 1)
    assert np.all((stats.orientation >= 0) & (stats.orientation <= 1))


def test_filter_statistics_bad_input():
    with pytest.raises(ValueError, match="W1 must have a square number of columns"):
        filter_statistics(np.ones((3, 10)))
    with pytest.raises(ValueError, match="b1 is needed with data"):
        filter_statistics(np.ones((3, 16)), np.full((16, 5), 0.5))
    with pytest.raises(ValueError, match="data must have visible_size = 16 rows"):
        filter_statistics(np.ones((3, 16)), np.full((9, 5), 0.5), b1=np.zeros(3))


def test_kl_divergence_and_its_derivative():
    rho_hat = np.array([0.005, 0.01, 0.3])
    kl = sae.kl_divergence(0.01, rho_hat)
    assert kl[1] == 0 and np.all(kl[[0, 2]] > 0)
    h = 1e-6
    numerical = (sae.kl_divergence(0.01, rho_hat + h) - sae.kl_divergence(0.01, rho_hat - h)) / (
        2 * h)
    np.testing.assert_allclose(sae.kl_divergence_grad(0.01, rho_hat), numerical, rtol=1e-6,
                               atol=1e-8)
    with pytest.raises(ValueError, match="rho_hat must lie in \\(0, 1\\)"):
        sae.kl_divergence(0.01, np.array([0.0, 0.5]))
    with pytest.raises(ValueError, match="sparsity_param must be in \\(0, 1\\)"):
        sae.kl_divergence_grad(1.5, rho_hat)


def test_hyperparameter_sweep_bad_names(patches):
    with pytest.raises(ValueError, match="hyperparameters must be among"):
        sae.hyperparameter_sweep(patches[:, :20], 3, {"rho": [0.1]}, max_iter=2)


def test_training_in_matlab_order_learns_the_same_weights(patches):
    x = patches[:, :300]
    c = train_sparse_autoencoder(x, 5, max_iter=10, progress=False)
    f = train_sparse_autoencoder(x, 5, max_iter=10, progress=False, order="F")
    assert f.order == "F" and f.theta.shape == c.theta.shape
    assert not np.array_equal(f.theta, c.theta)  # a different unrolling...
    np.testing.assert_allclose(f.W1, c.W1, rtol=1e-6, atol=1e-9)  # ...of the same network
    np.testing.assert_allclose(f.cost_history, c.cost_history, rtol=1e-8)


def test_staged_gradient_checks_helper(patches):
    reports = sae.staged_gradient_checks(patches[:, :10], 5, rng=1)
    assert list(reports) == ["no penalties", "+ weight decay", "+ sparsity"]
    for report in reports.values():
        assert report.passed and report.relative_error < 1e-9 and not report.findings
    assert set(reports["+ sparsity"].block_errors) == {"W1", "W2", "b1", "b2"}


def test_results_have_short_reprs(trained):
    assert repr(trained).startswith("<TrainingResult: sparse autoencoder 64 -> 25: cost ")
    assert len(repr(trained)) < 200
    stats = filter_statistics(trained.W1)
    assert repr(stats) == f"<FilterStatistics: {stats.n_edge_like} of 25 edge-like>"


def test_float32_training_does_not_stop_early_on_a_plateau(patches):
    # A float32 sum of squares moved in steps of ~1e-6 relative, so L-BFGS-B saw steps that
    # changed nothing and declared convergence after 30 iterations on the cost's plateau.
    result = train_sparse_autoencoder(patches.astype(np.float32), 25, beta=10.0, max_iter=100,
                                      rng=0, progress=False)
    assert result.n_iterations == 100, result.message
