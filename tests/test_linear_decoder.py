"""ZCA whitening and the sparse autoencoder with a linear decoder (UFLDL's Linear Decoders)."""

import numpy as np
import pytest

from ufldl_helpers import sparse_autoencoder as sae
from ufldl_helpers.gradcheck import check_gradient
from ufldl_helpers.linear_decoder import sparse_autoencoder_linear_cost, zca_whitening_matrix

V, H = 9, 4


def _theta(rng):
    return rng.standard_normal(sae.layout(V, H).size) * 0.5


@pytest.mark.parametrize(("lambda_", "beta"), [(0.0, 0.0), (1e-2, 0.0), (1e-2, 3.0)],
                         ids=["plain", "decay", "sparsity"])
def test_gradient_matches_finite_differences(lambda_, beta):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((V, 12)) * 2  # unbounded inputs: a linear output reaches them
    theta = _theta(rng)
    report = check_gradient(
        lambda t: sparse_autoencoder_linear_cost(t, V, H, lambda_, 0.05, beta, x), theta,
        blocks=sae.layout(V, H), lambda_=lambda_ or None)
    assert report.relative_error < 1e-9, str(report)


def test_cost_is_ufldls_formula():
    rng = np.random.default_rng(2)
    x, theta = rng.standard_normal((V, 7)), _theta(rng)
    W1, W2, b1, b2 = sae.unpack(theta, V, H)
    a2 = 1 / (1 + np.exp(-(W1 @ x + b1[:, None])))
    a3 = W2 @ a2 + b2[:, None]
    rho_hat = a2.mean(axis=1)
    expected = (0.5 / 7 * np.sum((a3 - x) ** 2) + 0.5 * 1e-3 * (np.sum(W1**2) + np.sum(W2**2))
                + 3.0 * np.sum(sae.kl_divergence(0.1, rho_hat)))
    cost, _ = sparse_autoencoder_linear_cost(theta, V, H, 1e-3, 0.1, 3.0, x)
    assert cost == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"x": np.zeros((V + 1, 3))}, "data must have shape"),
    ({"x": np.zeros((V, 0))}, "at least one example"),
    ({"x": np.full((V, 3), np.nan)}, "data must be finite"),
    ({"theta": np.zeros(5)}, "theta must have"),
    ({"rho": 1.0}, "sparsity_param"),
    ({"beta": -1.0}, "beta"),
])
def test_bad_input_is_named(kwargs, match):
    rng = np.random.default_rng(0)
    theta = kwargs.get("theta", _theta(rng))
    x = kwargs.get("x", rng.standard_normal((V, 3)))
    with pytest.raises(ValueError, match=match):
        sparse_autoencoder_linear_cost(theta, V, H, 1e-4, kwargs.get("rho", 0.01),
                                       kwargs.get("beta", 3.0), x)


def test_zca_whitens_to_identity_covariance_and_is_symmetric():
    rng = np.random.default_rng(3)
    patches = rng.standard_normal((5, 5)) @ rng.standard_normal((5, 2000)) + 3.0
    zca = zca_whitening_matrix(patches, 0.0)
    np.testing.assert_allclose(zca, zca.T, atol=1e-12)
    z = zca @ (patches - patches.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(z @ z.T / 2000, np.eye(5), atol=1e-10)


def test_zca_of_float32_patches_is_float64():
    # as documented: the covariance is decomposed in float64 whatever the patches' precision
    patches = np.random.default_rng(5).standard_normal((4, 300)) * np.arange(1, 5)[:, None]
    zca32 = zca_whitening_matrix(patches.astype(np.float32), 0.1)
    assert zca32.dtype == np.float64
    np.testing.assert_allclose(zca32, zca_whitening_matrix(patches, 0.1), atol=1e-6)


def test_zca_epsilon_damps_the_weak_directions():
    rng = np.random.default_rng(4)
    patches = np.diag([10.0, 1.0, 0.01]) @ rng.standard_normal((3, 5000))
    z = zca_whitening_matrix(patches, 0.1) @ (patches - patches.mean(axis=1, keepdims=True))
    variances = np.sort(np.linalg.eigvalsh(z @ z.T / 5000))
    s = np.sort(np.linalg.eigvalsh(np.cov(patches, bias=True)))
    np.testing.assert_allclose(variances, s / (s + 0.1), rtol=1e-10)


@pytest.mark.parametrize(("patches", "epsilon", "error", "match"), [
    (np.zeros((3, 1)), 0.1, ValueError, "at least 2 patches"),
    (np.ones((3, 10)), 0.0, ValueError, "singular: pass epsilon > 0"),
    (np.ones((3, 10)), -1.0, ValueError, "epsilon"),
    (np.ones((3, 10), dtype=int), 0.1, TypeError, "patches must be a float"),
])
def test_zca_bad_input(patches, epsilon, error, match):
    with pytest.raises(error, match=match):
        zca_whitening_matrix(patches, epsilon)


@pytest.mark.parametrize("seed", range(20))
def test_zca_rank_deficient_patches_without_epsilon_are_refused(seed):
    """Each patch's mean removed (rank n - 1): round-off leaves the null eigenvalue tiny but
    maybe positive, which an absolute check let through (entries ~1e7); the relative one not."""
    patches = np.random.default_rng(seed).normal(size=(16, 200))
    patches -= patches.mean(axis=0)
    with pytest.raises(ValueError, match="singular: pass epsilon > 0"):
        zca_whitening_matrix(patches, 0.0)
    assert np.all(np.isfinite(zca_whitening_matrix(patches, 0.1)))
