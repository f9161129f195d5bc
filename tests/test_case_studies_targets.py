"""The targets post: a gradient check differentiates the cost, which depends on the targets."""

import numpy as np
import pytest

from ufldl_helpers.case_studies import what_gets_backpropagated as w
from ufldl_helpers.gradcheck import check_gradient


@pytest.fixture(scope="module")
def xor():
    return w.tiny_problem(rng=0)


def test_numerical_gradient_changes_with_the_targets(xor):
    theta, X, Y = xor
    result = w.compare_targets(theta, X, Y, 1 - Y)
    assert result.numerical_change > 0.1
    assert not np.allclose(result.numerical, result.numerical_other, rtol=1e-3)


def test_backprop_and_finite_differences_differentiate_the_same_cost(xor):
    theta, X, Y = xor
    result = w.compare_targets(theta, X, Y, 1 - Y)
    assert result.error_same < 1e-8
    assert w.compare_targets(theta, X, 1 - Y, Y).error_same < 1e-8
    # Backprop with other targets than the numerical gradient used does not agree.
    assert result.error_crossed > 1e-2


def test_what_backprop_propagates_depends_on_the_targets(xor):
    theta, X, Y = xor
    delta = w.output_delta(theta, X, Y)
    delta_other = w.output_delta(theta, X, 1 - Y)
    assert delta.shape == (1, 4)
    assert np.all(np.sign(delta) != np.sign(delta_other))
    # The gradient of b2 is the sum of that error term over the examples.
    grad = w.cost_and_grad(theta, X, Y)[1]
    assert grad[w.LAYOUT.slices["b2"]][0] == pytest.approx(float(delta.sum()), rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_doctor_passes_the_tiny_network(seed):
    theta, X, Y = w.tiny_problem(rng=seed)
    report = check_gradient(lambda t: w.cost_and_grad(t, X, Y), theta, blocks=w.LAYOUT)
    assert report.relative_error < 1e-8


def test_bad_targets_are_refused(xor):
    theta, X, Y = xor
    with pytest.raises(ValueError, match="Y_other"):
        w.compare_targets(theta, X, Y, Y[:, :3])
