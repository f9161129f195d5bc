"""The doctor with a badly chosen epsilon: round-off and truncation are named, not mistaken for
bugs, and real bugs are still found."""

import re

import numpy as np
import pytest

from ufldl_helpers.gradcheck import check_gradient
from ufldl_helpers.network import initialize_mlp, mlp_cost_and_grad, mlp_layout

SIZES = (4, 3, 2)
LAMBDA = 0.1


def net(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(SIZES[0], 6))
    Y = rng.integers(0, SIZES[-1], size=6)
    theta = initialize_mlp(SIZES, rng=rng)
    return (lambda t: mlp_cost_and_grad(t, SIZES, X, Y, lambda_=LAMBDA)), theta


def run(fun, theta, epsilon):
    return check_gradient(fun, theta, blocks=mlp_layout(SIZES), lambda_=LAMBDA, epsilon=epsilon)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("epsilon", [1e-8, 1e-10])
def test_too_small_epsilon_is_round_off_not_a_finding(seed, epsilon):
    fun, theta = net(seed)
    report = run(fun, theta, epsilon)
    assert report.findings == [], report
    if not report.passed:
        assert any("round-off" in n and "too small" in n for n in report.notes), report
        assert not any("truncation" in n for n in report.notes), report


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("epsilon", [1e-2, 1e-3])
def test_large_epsilon_passes_on_the_richardson_estimate_and_says_why(seed, epsilon):
    fun, theta = net(seed)
    report = run(fun, theta, epsilon)
    # UFLDL's plain number misses tol by truncation; the verdict's estimate does not.
    assert report.plain_relative_error > report.tol and report.n_refined > 0
    assert report.passed and report.findings == [], report
    assert any("Richardson" in n and "the gradient is right" in n for n in report.notes)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("epsilon", [1e-1, 5e-2])
def test_huge_epsilon_is_truncation_and_the_suggested_epsilon_passes(seed, epsilon):
    fun, theta = net(seed)
    report = run(fun, theta, epsilon)
    assert not report.passed and report.findings == [], report
    (note,) = [n for n in report.notes if "truncation error of finite differences" in n]
    suggested = float(re.search(r"epsilon=([0-9.e+-]+) would pass", note).group(1))
    assert suggested < epsilon
    assert run(fun, theta, suggested).passed


@pytest.mark.parametrize("epsilon", [1e-2, 1e-4, 1e-8])
def test_real_bugs_are_still_named_at_any_reasonable_epsilon(epsilon):
    fun, theta = net(0)
    layout = mlp_layout(SIZES)

    def twice(t):
        cost, grad = fun(t)
        return cost, 2 * grad

    def b1_one_percent_off(t):
        cost, grad = fun(t)
        layout.roll(grad)["b1"] *= 1.01
        return cost, grad

    assert run(twice, theta, epsilon).finding_names == {"scaled"}
    report = run(b1_one_percent_off, theta, epsilon)
    # At 1e-8 round-off blurs the constant 1.01 (at 1e-2 Richardson removes the truncation
    # that would); the blame stays on b1.
    assert report.finding_names == ({"localized"} if epsilon == 1e-8 else {"scaled"}), report
    assert [f.blocks for f in report.findings] == [("b1",)]
    # The other blocks may miss tol by round-off (at 1e-8) but b1 is never excused.
    assert not any("b1" in n.split(" miss")[0] for n in report.notes), report.notes


def test_too_small_epsilon_passes_on_a_larger_step_and_says_why():
    fun, theta = net(0)
    report = run(fun, theta, 1e-10)
    assert report.plain_relative_error > 1e-7 and report.passed, report
    (note,) = report.notes
    assert "at the larger step 0.001" in note and "round-off of the cost" in note


def test_round_off_note_grammar_for_blocks_next_to_a_real_bug():
    fun, theta = net(0)
    layout = mlp_layout(SIZES)

    def b1_one_percent_off(t):
        cost, grad = fun(t)
        layout.roll(grad)["b1"] *= 1.01
        return cost, grad

    report = run(b1_one_percent_off, theta, 1e-10)
    assert not report.passed
    assert any(re.match(r"\w+(, \w+)* miss(es)? the tolerance by no more than the round-off", n)
               for n in report.notes), report.notes


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("epsilon", [1e-8, 1e-10, 1e-12])
def test_a_small_bug_fails_even_when_epsilon_is_too_small_to_see_it(seed, epsilon):
    # 0.01% off in b1: below the round-off of differences at epsilon, but the larger step the
    # check falls back to resolves it, so it must not pass as "within round-off".
    fun, theta = net(seed)
    b1 = mlp_layout(SIZES).slices["b1"]

    def slightly_off(t):
        cost, grad = fun(t)
        grad = grad.copy()
        grad[b1] *= 1.0001
        return cost, grad

    assert not run(slightly_off, theta, epsilon).passed
