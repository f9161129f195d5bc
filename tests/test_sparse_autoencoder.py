"""The UFLDL sparse autoencoder: formula, kernel, gradient (UFLDL's staged checks), bad input."""

import numpy as np
import pytest

from ufldl_helpers import sparse_autoencoder as sae
from ufldl_helpers.data import load_natural_images, sample_patches
from ufldl_helpers.gradcheck import check_gradient
from ufldl_helpers.sparse_autoencoder import (
    encode,
    initialize_parameters,
    objective,
    reconstruct,
    sparse_autoencoder_cost,
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


def test_tiny_activations_keep_their_relative_precision():
    # One unit with rho_hat ~ 1e-13: its KL term, rho log(rho / rho_hat), needs rho_hat to a few
    # ulps. 0.5 + 0.5 tanh(z / 2) had an absolute error of ~1e-17, so the cost was off by 4e-8.
    rng = np.random.default_rng(9)
    x = rng.random((V, 200))
    theta = random_theta(rng)
    W1, _, b1, _ = unpack(theta, V, H)
    W1[0] = 0
    b1[0] = -np.log(1e13)  # sigmoid(b1[0]) = 1e-13 / (1 + 1e-13)
    a2 = encode(theta, x)
    assert a2[0].mean() == pytest.approx(1e-13, rel=1e-12)
    want = reference_cost(*unpack(theta, V, H), x, 1e-4, 0.01, 3.0)
    cost, grad = sparse_autoencoder_cost(theta, V, H, 1e-4, 0.01, 3.0, x)
    assert cost == pytest.approx(want, rel=2e-15)
    assert np.all(np.isfinite(grad))


def test_sigmoid_saturates_without_warnings_or_nan():
    z = np.array([-1000.0, -746.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(all="raise"):
        s = sae._sigmoid_inplace(z.copy())
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(s, 1 / (1 + np.exp(-z)), rtol=1e-15, atol=0)
    assert s[0] == 0 and s[-1] == 1


def test_objective_is_the_cost_in_float64_for_an_optimizer():
    rng = np.random.default_rng(10)
    x = rng.random((V, 50))
    theta = random_theta(rng)
    fun = objective(x.astype(np.float32), H, lambda_=1e-3, sparsity_param=0.05, beta=3.0)
    cost, grad = fun(theta)
    assert isinstance(cost, float) and grad.dtype == np.float64
    want = sparse_autoencoder_cost(theta, V, H, 1e-3, 0.05, 3.0, x)
    assert cost == pytest.approx(want[0], rel=1e-5)
    assert fun.layout.size == theta.size
    with pytest.raises(ValueError, match="theta must have 2\\*h\\*v \\+ h \\+ v = 709"):
        fun(theta[:-1])
    with pytest.raises(ValueError, match="data must lie in \\[0, 1\\]"):
        objective(2 * x, H, lambda_=0, sparsity_param=0.1, beta=0)


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


def test_staged_gradient_checks_helper(patches):
    reports = sae.staged_gradient_checks(patches[:, :10], 5, rng=1)
    assert list(reports) == ["no penalties", "+ weight decay", "+ sparsity"]
    for report in reports.values():
        assert report.passed and report.relative_error < 1e-9 and not report.findings
    assert set(reports["+ sparsity"].block_errors) == {"W1", "W2", "b1", "b2"}
