"""The gallery's broken gradient: wrong in the hidden layer only, and named ``localized``."""

import numpy as np
import pytest

from ufldl_helpers.gallery import wrong_hidden_derivative
from ufldl_helpers.gradcheck import check_gradient
from ufldl_helpers.network import initialize_mlp, mlp_cost_and_grad, mlp_layout

SIZES = (4, 3, 2)


def problem(seed=0, m=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(SIZES[0], m))
    Y = rng.integers(0, SIZES[-1], size=m)
    return initialize_mlp(SIZES, rng=rng), X, Y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correct_variant_equals_the_package(seed):
    theta, X, Y = problem(seed)
    cost, grad = wrong_hidden_derivative(theta, SIZES, X, Y, lambda_=0.1, derivative_at="z")
    ref_cost, ref_grad = mlp_cost_and_grad(theta, SIZES, X, Y, lambda_=0.1)
    assert cost == ref_cost
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bug_is_in_the_hidden_layer_only_and_named_localized(seed):
    theta, X, Y = problem(seed)
    layout = mlp_layout(SIZES)
    report = check_gradient(lambda t: wrong_hidden_derivative(t, SIZES, X, Y, lambda_=0.1),
                            theta, blocks=layout, lambda_=0.1)
    assert not report.passed
    assert report.block_errors["W2"] < 1e-9 and report.block_errors["b2"] < 1e-9
    assert report.block_errors["W1"] > 1e-3 and report.block_errors["b1"] > 1e-3
    assert report.finding_names == {"localized"}
    (finding,) = report.findings
    assert set(finding.blocks) == {"W1", "b1"}
    assert "f' applied to a" in finding.message


def test_bad_arguments():
    theta, X, Y = problem()
    with pytest.raises(ValueError, match="derivative_at"):
        wrong_hidden_derivative(theta, SIZES, X, Y, derivative_at="x")
    with pytest.raises(ValueError, match="layer_sizes"):
        wrong_hidden_derivative(theta, (4, 3, 3, 2), X, Y)
