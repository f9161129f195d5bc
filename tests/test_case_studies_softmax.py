"""The softmax post: softmax output, gradients off by ~1.5x (Octave network, checkNNGradients)."""

import numpy as np
import pytest

from ufldl_helpers.case_studies import softmax_off_by_1_5 as s
from ufldl_helpers.gradcheck import check_gradient

LAYOUT = s.nn_layout(3, 5, 3)


def check(lambda_=None, **options):
    fun, theta = s.harness_function(lambda_=lambda_ or 0.0, **options)
    return check_gradient(fun, theta, blocks=LAYOUT, lambda_=lambda_)


def as_printed(x):
    return [f"{v:.4e}" for v in np.ravel(x)]


@pytest.mark.parametrize("key", sorted(s.POSTED_TABLES))
def test_harness_reproduces_the_posts_tables_digit_for_digit(key):
    posted = s.POSTED_TABLES[key]
    # The tanh table was made with the right tanh derivative (see the next test).
    fixes = ("derivative",) if key[0] == "tanh" else ()
    table = s.check_nn_gradients(*key, fixes=fixes)
    assert table.shape == (38, 2)
    assert as_printed(table[: len(posted)]) == as_printed(posted)


def test_tanh_table_matches_the_correct_derivative_not_the_hard_coded_sigmoid():
    posted = s.POSTED_TABLES[("tanh", "softmax")]
    hard_coded = s.check_nn_gradients("tanh", "softmax")[: len(posted)]
    # The numerical column does not depend on the derivative; the analytic one does.
    assert as_printed(hard_coded[:, 0]) == as_printed(posted[:, 0])
    mismatched = [a != b for a, b in zip(as_printed(hard_coded[:, 1]), as_printed(posted[:, 1]),
                                         strict=True)]
    assert all(mismatched)


def test_harness_data_is_courseras():
    W = s.debug_initialize_weights(2, 2)
    np.testing.assert_allclose(W, np.sin([[1, 3, 5], [2, 4, 6]]) / 10)
    theta, X, y = s.harness_problem()
    assert theta.size == 5 * 4 + 3 * 6
    assert X.shape == (5, 3)
    np.testing.assert_array_equal(y, [2, 3, 1, 2, 3])


def test_as_posted_softmax_fails_by_a_varying_factor_near_1_5():
    report = check(activation_type="sigmoid", output="softmax")
    assert not report.passed
    assert 0.1 < report.relative_error < 0.3
    ratio = report.numerical / report.analytic
    theta2 = ratio[LAYOUT.slices["Theta2"]]
    assert 1.45 < theta2.min() and theta2.max() < 1.56
    assert 1.48 < np.median(ratio) < 1.53
    assert np.ptp(ratio) > 0.1  # not one constant: entry to entry it varies
    # The doctor does not misname it as a constant factor; it says the ratio varies.
    assert not report.finding_names & {"scaled", "sign_flipped", "transposed"}
    assert any("not a constant factor" in note for note in report.notes)


def test_cost_fix_makes_sigmoid_softmax_pass():
    report = check(activation_type="sigmoid", output="softmax", fixes=("cost",))
    assert report.passed and report.relative_error < 1e-9
    assert report.findings == []


def test_binary_cost_delta_is_k_over_k_minus_1_times_a3_minus_y_at_uniform_outputs():
    for K in (3, 10):
        z3 = np.zeros((4, K))
        Y = np.eye(K)[[0, 1, 2, 0]]
        ratio = s.binary_cost_delta(z3, Y) / (np.full((4, K), 1 / K) - Y)
        np.testing.assert_allclose(ratio, K / (K - 1), rtol=1e-12)
    # At the harness's (nearly uniform) outputs the ratio is close to 1.5, not equal to it.
    theta, X, y = s.harness_problem()
    z3, h = s.forward(theta, 3, 5, 3, X)
    assert np.all(np.abs(h - 1 / 3) < 0.05)  # near-uniform outputs
    Y = np.eye(3)[y - 1]
    ratio = s.binary_cost_delta(z3, Y) / (h - Y)
    assert np.all((ratio > 1.3) & (ratio < 1.7))
    assert not np.allclose(ratio, 1.5, rtol=1e-3)


def test_binary_cost_delta_is_the_gradient_of_the_posted_cost():
    # Backprop from binary_cost_delta instead of a3 - Y reproduces the numerical column.
    rng = np.random.default_rng(3)
    z3 = rng.normal(size=(5, 3))
    Y = np.eye(3)[[1, 2, 0, 1, 2]]

    def J(z):
        h = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        return np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h))

    eps = 1e-6
    numerical = np.zeros_like(z3)
    for idx in np.ndindex(*z3.shape):
        d = np.zeros_like(z3)
        d[idx] = eps
        numerical[idx] = (J(z3 + d) - J(z3 - d)) / (2 * eps)
    np.testing.assert_allclose(s.binary_cost_delta(z3, Y), numerical, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("hidden", ["tanh", "softplus"])
def test_hard_coded_sigmoid_derivative_is_localized_in_theta1(hidden):
    report = check(activation_type=hidden, output="softmax", fixes=("cost",))
    assert not report.passed
    assert report.block_errors["Theta2"] < 1e-9
    assert report.block_errors["Theta1"] > 0.1
    assert "localized" in report.finding_names
    finding = next(f for f in report.findings if f.name == "localized")
    assert finding.blocks == ("Theta1",)
    assert "derivative" in finding.message


def test_sigmoid_hidden_is_unaffected_by_the_hard_coded_derivative():
    report = check(activation_type="sigmoid", output="sigmoid")
    assert report.passed and report.relative_error < 1e-9


def test_commented_softmax_line_is_off_by_m_without_regularization():
    report = check(activation_type="sigmoid", output="softmax", cost_line="commented")
    assert report.finding_names == {"scaled"}
    finding = report.findings[0]
    assert finding.evidence["c"] == pytest.approx(1 / 5, rel=1e-6)  # m = 5: no 1/m in the cost


def test_commented_softmax_line_with_regularization_is_no_longer_a_constant_factor():
    report = check(lambda_=1.0, activation_type="sigmoid", output="softmax",
                   cost_line="commented")
    assert not report.passed
    assert "scaled" not in report.finding_names
    # The decay sits inside the negation: the cost *subtracts* lambda*p/(2m).
    fun, theta = s.harness_function(output="softmax", cost_line="commented", lambda_=1.0)
    fun0, _ = s.harness_function(output="softmax", cost_line="commented", lambda_=0.0)
    T = LAYOUT.roll(theta)
    p = np.sum(T["Theta1"][:, 1:] ** 2) + np.sum(T["Theta2"][:, 1:] ** 2)
    assert fun(theta)[0] - fun0(theta)[0] == pytest.approx(-p / (2 * 5), rel=1e-12)


@pytest.mark.parametrize("hidden", s.HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output", s.OUTPUT_ACTIVATIONS)
@pytest.mark.parametrize("lambda_", [0.0, 1.0])
def test_fully_fixed_passes_for_every_combination(hidden, output, lambda_):
    report = check(lambda_=lambda_ or None, activation_type=hidden, output=output,
                   fixes=("cost", "derivative"))
    assert report.relative_error < 1e-9
    assert report.findings == []


def test_bad_options_are_refused():
    theta, X, y = s.harness_problem()
    with pytest.raises(ValueError, match="fixes"):
        s.nn_cost_function(theta, 3, 5, 3, X, y, 0.0, fixes=("loss",))
    with pytest.raises(ValueError, match="cost_line"):
        s.nn_cost_function(theta, 3, 5, 3, X, y, 0.0, fixes=("cost",), cost_line="commented")
    with pytest.raises(ValueError, match="activation_type"):
        s.nn_cost_function(theta, 3, 5, 3, X, y, 0.0, activation_type="relu6")
    with pytest.raises(ValueError, match="y must"):
        s.nn_cost_function(theta, 3, 5, 3, X, y - 1, 0.0)
    with pytest.raises(ValueError, match="nn_params"):
        s.nn_cost_function(theta[:-1], 3, 5, 3, X, y, 0.0)


@pytest.mark.parametrize("output, loss, canonical", [
    ("sigmoid", "cross_entropy", True), ("softmax", "cross_entropy", True),
    ("linear", "squared_error", True), ("sigmoid", "squared_error", False),
    ("softmax", "squared_error", False)])
def test_delta3_is_a3_minus_y_exactly_for_the_canonical_link_pairs(output, loss, canonical):
    for seed in range(3):
        assert s.delta3_is_a3_minus_y(output, loss, rng=seed) is canonical


@pytest.mark.parametrize("hidden, at_zero", [("sigmoid", 1.0), ("tanh", 4.0),
                                             ("softplus", 2.0)])
def test_theta1_error_is_r_minus_1_over_r_plus_1(hidden, at_zero):
    assert s.derivative_ratio(hidden, [0.0])[0] == pytest.approx(at_zero)
    r = s.derivative_ratio(hidden)
    assert r.shape == (5, 5)
    err = check(activation_type=hidden, output="softmax", fixes=("cost",)).block_errors["Theta1"]
    bounds = (r - 1) / (r + 1)
    assert bounds.min() - 1e-9 <= err <= bounds.max() + 1e-9
