"""One deliberately broken function per doctor finding, and no findings for correct ones."""

import functools
import numbers

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mlp_data import random_inputs_and_targets

from ufldl_helpers import activations, doctor_signatures, finite_differences, gradcheck_core
from ufldl_helpers.case_studies import matlab_autoencoder as ma
from ufldl_helpers.gradcheck import Finding, check_gradient, diagnose
from ufldl_helpers.network import initialize_mlp, mlp_cost_and_grad, mlp_layout
from ufldl_helpers.params import ParamLayout
from ufldl_helpers.training import limit_blas_threads

SIZES = (6, 5, 3)
M = 8
LAMBDA = 0.1


def net(seed=0, sizes=SIZES, m=M, lambda_=LAMBDA, activation="sigmoid", output="softmax"):
    rng = np.random.default_rng(seed)
    X, Y = random_inputs_and_targets(sizes, m, output, rng)
    layout = mlp_layout(sizes)
    theta = initialize_mlp(sizes, rng=rng)
    for name in layout.names:  # nonzero biases, so bias decay would show
        if name.startswith("b"):
            theta[layout.slices[name]] = 0.1 * rng.normal(size=layout.shapes[name])

    def fun(t):
        return mlp_cost_and_grad(t, sizes, X, Y, lambda_=lambda_, hidden_activation=activation,
                                 output=output)

    return fun, theta, layout


def edit_grad(fun, layout, edit):
    """Wrap fun so that edit(blocks_of_grad, blocks_of_theta) changes the gradient."""

    def broken(t):
        cost, grad = fun(t)
        grad = grad.copy()
        edit(layout.roll(grad), layout.roll(t))
        return cost, grad

    return broken


def run(fun, theta, layout, **kw):
    return check_gradient(fun, theta, blocks=layout, lambda_=LAMBDA, **kw)


def only(report, name):
    found = [f for f in report.findings if f.name == name]
    assert found, f"expected {name}, got {report.finding_names}\n{report}"
    for f in report.findings:
        check_finding_shape(f)
    return found[0]


def check_finding_shape(f: Finding):
    assert isinstance(f, Finding) and f.message.endswith(".") and len(f.message) > 40
    assert f.evidence and all(isinstance(v, numbers.Number) for v in f.evidence.values())
    assert all(isinstance(b, str) for b in f.blocks)


# ------------------------------------------------------------------------ no false alarms


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softplus"])
@given(seed=st.integers(0, 2**32 - 1), sizes=st.lists(st.integers(2, 6), min_size=3,
                                                      max_size=4), m=st.integers(1, 15))
@settings(max_examples=15, deadline=None)
def test_correct_gradients_get_no_findings(activation, seed, sizes, m):
    fun, theta, layout = net(seed, tuple(sizes), m, activation=activation)
    report = run(fun, theta, layout)  # default epsilon 1e-4: some draws miss 1e-9 slightly
    assert report.findings == [], report
    if not report.passed:  # then only by truncation error, and the note says so
        assert report.relative_error < 1e-7
        assert any("truncation error" in n for n in report.notes)


@given(seed=st.integers(0, 2**32 - 1), sizes=st.lists(st.integers(2, 8), min_size=3,
                                                      max_size=3), k=st.integers(4, 40))
@settings(max_examples=15, deadline=None)
def test_correct_gradient_sampled_check_no_findings(seed, sizes, k):
    fun, theta, layout = net(seed, tuple(sizes), 10)
    report = run(fun, theta, layout, indices=k, rng=seed)
    assert report.findings == [], report


BUGS = {
    "scale": lambda g, t, r: g["W1"].__imul__(r.uniform(0.2, 3.0)),
    "noise": lambda g, t, r: g["W1"].__iadd__(1e-3 * r.normal(size=g["W1"].shape)),
    "decay": lambda g, t, r: g["W2"].__isub__(LAMBDA * t["W2"]),
    "sign": lambda g, t, r: g["W2"].__imul__(-1.0),
    "permuted rows": lambda g, t, r: g["W1"].__setitem__(slice(None), g["W1"][::-1]),
}


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 7), k=st.integers(6, 60),
       bug=st.sampled_from(sorted(BUGS)))
@settings(max_examples=20, deadline=None)
def test_other_bugs_in_sampled_square_blocks_are_never_called_transposed(seed, n, k, bug):
    # Square blocks are the risky case: diagonal entries are their own transposed partners.
    fun, theta, layout = net(seed, (n, n, n), 10)
    r = np.random.default_rng(seed)
    report = run(edit_grad(fun, layout, lambda g, t: BUGS[bug](g, t, r)), theta, layout,
                 indices=k, rng=seed)
    assert "transposed" not in report.finding_names, report


# ------------------------------------------------------------------------- each finding


def test_scaled_by_two_names_c_and_the_factor_two():
    fun, theta, layout = net()
    report = run(edit_grad(fun, layout, lambda g, t: [g[n].__imul__(2) for n in g]), theta,
                 layout)
    f = only(report, "scaled")
    assert report.finding_names == {"scaled"}
    np.testing.assert_allclose(f.evidence["c"], 2.0, rtol=1e-6)
    assert "factor 2" in f.message and "whole gradient" in f.message


def test_scaled_by_m_suggests_the_missing_average():
    fun, theta, layout = net()

    def no_average(t):
        c, g = fun(t)
        return c, g * M

    f = only(run(no_average, theta, layout), "scaled")
    np.testing.assert_allclose(f.evidence["c"], M, rtol=1e-6)
    assert "number of examples m" in f.message and "1/m" in f.message


def test_scaled_in_one_block_only():
    fun, theta, layout = net()
    report = run(edit_grad(fun, layout, lambda g, t: g["W2"].__imul__(0.5)), theta, layout)
    f = only(report, "scaled")
    assert f.blocks == ("W2",) and "half" in f.message
    assert report.finding_names == {"scaled"}


def test_varying_ratio_is_not_called_scaled():
    fun, theta, layout = net()
    rng = np.random.default_rng(0)
    noise = rng.uniform(0.5, 2.0, size=layout.size)

    def varying(t):
        c, g = fun(t)
        return c, g * noise

    report = run(varying, theta, layout)
    assert "scaled" not in report.finding_names and "sign_flipped" not in report.finding_names
    assert any("ratio analytic/numerical varies" in n for n in report.notes)


def test_sign_flipped():
    fun, theta, layout = net()
    report = run(lambda t: (fun(t)[0], -fun(t)[1]), theta, layout)
    f = only(report, "sign_flipped")
    assert report.finding_names == {"sign_flipped"}
    np.testing.assert_allclose(f.evidence["c"], -1.0, rtol=1e-6)


@pytest.mark.parametrize("square", [False, True])
def test_transposed_block(square):
    sizes = (5, 5, 3) if square else SIZES
    fun, theta, layout = net(sizes=sizes)

    def transposed(t):
        c, g = fun(t)
        b = layout.roll(g)
        # The MATLAB trap: the right matrix unrolled column-major into a row-major theta.
        parts = [b["W1"].ravel(order="F"), b["W2"].ravel(), b["b1"], b["b2"]]
        return c, np.concatenate(parts)

    report = run(transposed, theta, layout)
    f = only(report, "transposed")
    assert f.blocks == ("W1",) and "(:)" in f.message
    assert report.finding_names == {"transposed"}
    assert f.evidence["error_reordered"] < 1e-8
    assert f.evidence["extra_coordinates"] == 0  # a whole block has every partner at hand


def sin_transposed(shape):
    """sum(sin(W)) whose gradient cos(W) comes back transposed (W.T unrolled row by row)."""

    def fun(t):
        W = t.reshape(shape)
        return float(np.sum(np.sin(W))), np.cos(W).T.ravel()

    return fun


def counting(fun):
    def counted(t):
        counted.calls += 1
        return fun(t)

    counted.calls = 0
    return counted


def test_transposed_found_from_a_sample():
    W = np.random.default_rng(0).normal(size=(30, 40))
    fun = counting(sin_transposed((30, 40)))
    whole = check_gradient(fun, W.ravel(), blocks={"W": (30, 40)})
    assert whole.finding_names == {"transposed"}
    fun.calls = 0
    report = check_gradient(fun, W.ravel(), blocks={"W": (30, 40)}, indices=200, rng=0)
    f = only(report, "transposed")
    assert report.finding_names == {"transposed"} and f.blocks == ("W",)
    assert "sampled entries" in f.message and f.evidence["error_reordered"] < 1e-8
    extra = f.evidence["extra_coordinates"]
    assert 0 < extra <= doctor_signatures.MAX_PARTNER_PROBES
    # probes + the check + its first Richardson batch + the noise probe + at most 41 kink
    # probes + two per partner coordinate
    noise_probe = 2 * (2 * finite_differences.NOISE_POINTS + 1)
    assert fun.calls <= (2 + 2 * 200 + 2 * gradcheck_core.FIRST_BATCH + noise_probe
                         + 4 * doctor_signatures.MAX_KINK_PROBES + 1 + 2 * extra)


@pytest.mark.parametrize("seed", range(3))
def test_transposed_found_from_a_sample_of_a_non_square_network_block(seed):
    sizes = (12, 9, 4)
    fun, theta, layout = net(seed, sizes=sizes)

    def transposed(t):
        c, g = fun(t)
        b = layout.roll(g)
        return c, np.concatenate([b["W1"].ravel(order="F"), b["W2"].ravel(), b["b1"], b["b2"]])

    report = run(transposed, theta, layout, indices=60, rng=seed)
    assert report.n_checked < layout.size
    f = only(report, "transposed")
    assert report.finding_names == {"transposed"} and f.blocks == ("W1",)


def test_transposed_found_from_a_sample_in_an_f_order_layout():
    # The reverse trap: a MATLAB-ordered theta (order="F") with a gradient unrolled by numpy.
    layout = ParamLayout.from_shapes({"W": (7, 11), "b": (7,)}, order="F")
    rng = np.random.default_rng(3)
    theta = rng.normal(size=layout.size)
    x = rng.normal(size=11)

    def make(grad_order):
        def fun(t):
            p = layout.roll(t)
            z = p["W"] @ x + p["b"]
            d = np.cos(z)
            return float(np.sum(np.sin(z))), np.concatenate([np.outer(d, x).ravel(grad_order), d])

        return fun

    report = check_gradient(make("C"), theta, blocks=layout, indices=40, rng=1)
    f = only(report, "transposed")
    assert report.finding_names == {"transposed"} and f.blocks == ("W",)
    assert "order='F'" in f.message
    correct = check_gradient(make("F"), theta, blocks=layout, indices=40, rng=1)
    assert correct.relative_error < 1e-8 and correct.findings == []


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda g, t: g["W1"].__imul__(0.5), "scaled"),
    (lambda g, t: g["W1"].__isub__(LAMBDA * t["W1"]), "missing_regularization"),
    (lambda g, t: g["W1"].__iadd__(0.01 * np.arange(g["W1"].size).reshape(g["W1"].shape)),
     "localized"),
])
def test_a_sampled_block_with_another_bug_is_not_called_transposed(edit, expected):
    fun, theta, layout = net(sizes=(12, 9, 4))
    report = run(edit_grad(fun, layout, edit), theta, layout, indices=60, rng=0)
    assert "transposed" not in report.finding_names
    assert only(report, expected).blocks == ("W1",)


@pytest.mark.parametrize("indices", [None, 40])
def test_a_small_bug_in_a_symmetric_gradient_is_not_called_transposed(indices):
    # sum(W^T W): gradient 2 W... made symmetric: J = sum((W + W.T)^2) / 4 has gradient
    # W + W.T, identical in both unrolling orders, so only a fit *better than as-is* counts.
    def fun(t):
        W = t.reshape(9, 9)
        S = W + W.T
        return float(np.sum(S * S) / 4), (S * (1 + 1e-7)).ravel()

    theta = np.random.default_rng(0).normal(size=81)
    report = check_gradient(fun, theta, indices=indices, rng=0, blocks={"W": (9, 9)})
    assert not report.passed and report.relative_error > 1e-8
    assert "transposed" not in report.finding_names


@pytest.mark.parametrize(("fixes", "block"), [("", "decoder"), ("BC", "decoder"),
                                               ("AB", "encoder")])
def test_sampled_check_of_the_784x200_matlab_autoencoder_names_the_transpose(fixes, block):
    with limit_blas_threads(1):
        x = np.random.default_rng(0).random((1, 784))
        layout = ma.layout()
        theta = layout.unroll(dict(zip(("encoder", "decoder"),
                                       ma.initialize_weights(rng=0), strict=True)))
        report = check_gradient(lambda t: ma.cost_and_grad(t, x, fixes=fixes), theta,
                                blocks=layout, indices=200, rng=0)
    assert report.n_checked == 200
    f = only(report, "transposed")
    assert f.blocks == (block,)
    if fixes:
        assert report.finding_names == {"transposed"}


def test_ignores_argument_closure():
    fun, theta, layout = net()
    fixed = theta.copy()
    report = run(lambda x: fun(fixed), theta, layout)
    f = only(report, "ignores_argument")
    assert report.finding_names == {"ignores_argument"}
    assert "lambda x: cost(x" in f.message


def test_ignores_argument_in_one_block():
    fun, theta, layout = net()
    fixed_b2 = theta[layout.slices["b2"]].copy()

    def stale_bias(t):
        t = t.copy()
        t[layout.slices["b2"]] = fixed_b2  # reads b2 from elsewhere
        return fun(t)

    report = run(stale_bias, theta, layout)
    f = only(report, "ignores_argument")
    assert f.blocks == ("b2",) and "b2" in f.message


def test_localized_hidden_derivative():
    fun, theta, layout = net()
    sigmoid, _ = activations.ACTIVATIONS["sigmoid"]

    def wrong_derivative(t):
        saved = activations.ACTIVATIONS["sigmoid"]
        activations.ACTIVATIONS["sigmoid"] = (sigmoid, sigmoid)  # f(z) instead of f'(z)
        try:
            return fun(t)
        finally:
            activations.ACTIVATIONS["sigmoid"] = saved

    report = run(wrong_derivative, theta, layout)
    f = only(report, "localized")
    assert report.finding_names == {"localized"}
    assert set(f.blocks) == {"W1", "b1"}
    assert "derivative" in f.message and "W2" in f.message
    assert f.evidence["error_W2"] < 1e-9 < f.evidence["error_W1"]


def test_localized_bias_only():
    fun, theta, layout = net()
    report = run(edit_grad(fun, layout, lambda g, t: g["b1"].__iadd__(0.01 * np.arange(5))),
                 theta, layout)
    f = only(report, "localized")
    assert f.blocks == ("b1",) and "bias" in f.message


@pytest.mark.parametrize(("factor", "phrase"), [(1.0, "lacks the weight-decay term"),
                                                (0.5, "only half")])
def test_missing_regularization(factor, phrase):
    fun, theta, layout = net()
    report = run(edit_grad(fun, layout, lambda g, t: g["W2"].__isub__(factor * LAMBDA * t["W2"])),
                 theta, layout)
    f = only(report, "missing_regularization")
    assert report.finding_names == {"missing_regularization"}
    assert f.blocks == ("W2",) and phrase in f.message
    np.testing.assert_allclose(f.evidence["coefficient"], factor * LAMBDA, rtol=1e-6)


@pytest.mark.parametrize("factor", [1.0, 0.5, -1.0])
def test_missing_regularization_is_named_without_lambda(factor):
    fun, theta, layout = net()
    broken = edit_grad(fun, layout, lambda g, t: g["W2"].__isub__(factor * LAMBDA * t["W2"]))
    report = check_gradient(broken, theta, blocks=layout)  # no lambda_: inferred from the fit
    f = only(report, "missing_regularization")
    assert report.finding_names == {"missing_regularization"} and f.blocks == ("W2",)
    np.testing.assert_allclose(f.evidence["coefficient"], factor * LAMBDA, rtol=1e-6)
    assert "inferred" in f.message and "lambda_" not in f.evidence
    assert ("lacks a weight-decay term" if factor > 0 else "more weight decay") in f.message


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_regularized_bias_is_named_without_lambda(sign):
    fun, theta, layout = net()
    broken = edit_grad(fun, layout, lambda g, t: g["b1"].__iadd__(sign * 0.3 * t["b1"]))
    report = check_gradient(broken, theta, blocks=layout)
    f = only(report, "regularized_bias")
    assert report.finding_names == {"regularized_bias"} and f.blocks == ("b1",)
    np.testing.assert_allclose(f.evidence["coefficient"], -sign * 0.3, rtol=1e-6)


def test_a_lambda_that_disagrees_with_the_fit_is_reported_not_confirmed():
    fun, theta, layout = net()
    broken = edit_grad(fun, layout, lambda g, t: g["W2"].__isub__(0.37 * t["W2"]))
    f = only(run(broken, theta, layout), "missing_regularization")
    assert "inferred" in f.message and "as given" not in f.message
    np.testing.assert_allclose(f.evidence["ratio_to_lambda"], 3.7, rtol=1e-6)


def test_regularized_bias_in_gradient():
    fun, theta, layout = net()
    report = run(edit_grad(fun, layout, lambda g, t: g["b1"].__iadd__(LAMBDA * t["b1"])), theta,
                 layout)
    f = only(report, "regularized_bias")
    assert f.blocks == ("b1",) and "drop the lambda term" in f.message
    assert report.finding_names == {"regularized_bias"}


def test_regularized_bias_in_cost():
    fun, theta, layout = net()

    def decays_bias_in_cost(t):
        c, g = fun(t)
        b = layout.roll(t)["b2"]
        return c + 0.5 * LAMBDA * np.sum(b * b), g

    f = only(run(decays_bias_in_cost, theta, layout), "regularized_bias")
    assert f.blocks == ("b2",) and "cost applies weight decay" in f.message


def test_bias_blocks_argument():
    fun, theta, layout = net()
    broken = edit_grad(fun, layout, lambda g, t: g["W1"].__iadd__(LAMBDA * t["W1"]))
    report = run(broken, theta, layout, bias_blocks=["W1", "b1", "b2"])
    assert only(report, "regularized_bias").blocks == ("W1",)


def test_nondeterministic():
    fun, theta, layout = net()
    rng = np.random.default_rng()

    def dropout_like(t):
        c, g = fun(t)
        return c * (1 + 1e-3 * rng.standard_normal()), g

    report = run(dropout_like, theta, layout)
    f = only(report, "nondeterministic")
    assert f.evidence["cost_difference"] > 0
    assert report.finding_names == {"nondeterministic"}


def test_mutates_theta_and_the_check_stays_valid():
    fun, theta, layout = net()
    before = theta.copy()

    def in_place(t):
        c, g = fun(t)
        t -= 0.01 * g  # an optimizer step on the caller's array
        return c, g

    report = run(in_place, theta, layout)
    f = only(report, "mutates_theta")
    assert report.passed and report.finding_names == {"mutates_theta"}
    assert f.evidence["n_changed"] > 0
    np.testing.assert_array_equal(theta, before)


def test_kink_relu_at_zero():
    x = np.array([0.0, 1.0, -2.0, 0.5])

    def relu_sum(v):
        return float(np.sum(activations.relu(v))), activations.relu_grad(v)

    report = check_gradient(relu_sum, x)
    f = only(report, "kink")
    assert report.finding_names == {"kink"}
    assert "theta[0]" in f.message
    np.testing.assert_allclose([f.evidence["left_slope"], f.evidence["right_slope"]], [0, 1],
                               atol=1e-8)


def test_kink_in_a_relu_network():
    fun, theta, layout = net(activation="relu")
    blocks = layout.roll(theta)
    blocks["W1"][2] = 0.0
    blocks["b1"][2] = 0.0  # hidden unit 2 sits exactly at z = 0 for every example
    report = run(fun, theta, layout)
    assert "kink" in report.finding_names
    assert "localized" not in report.finding_names


def test_no_kink_on_a_smooth_wrong_gradient():
    fun, theta, layout = net()
    report = run(edit_grad(fun, layout, lambda g, t: g["W1"].__iadd__(1e-3)), theta, layout)
    assert "kink" not in report.finding_names


def test_low_precision():
    fun, theta, layout = net()

    def float32_fun(t):
        c, g = fun(t.astype(np.float64))
        return np.float32(c), g.astype(np.float32)

    report = run(float32_fun, theta.astype(np.float32), layout)
    f = only(report, "low_precision")
    assert report.finding_names == {"low_precision"}
    assert "float64" in f.message and f.evidence["expected_error"] > 1e-4
    # a real bug is still found in float32
    bad32 = run(lambda t: (float32_fun(t)[0], 2 * float32_fun(t)[1]), theta.astype(np.float32),
                layout)
    assert {"low_precision", "scaled"} <= bad32.finding_names


# ------------------------------------------------------------------------------ the API


def test_diagnose_entry_points_and_rendering():
    fun, theta, layout = net()
    broken = lambda t: (fun(t)[0], 2 * fun(t)[1])  # noqa: E731
    findings = diagnose(broken, theta, blocks=layout)
    assert [f.name for f in findings] == ["scaled"]
    report = check_gradient(broken, theta, blocks=layout, diagnose=False)
    assert report.findings == []
    assert [f.name for f in diagnose(report)] == ["scaled"]
    assert report.finding_names == {"scaled"}
    assert "scaled:" in str(report) and "<b>scaled</b>" in report._repr_html_()
    assert str(findings[0]).startswith("scaled: ")
    with pytest.raises(TypeError, match="needs theta"):
        diagnose(broken)
    with pytest.raises(TypeError, match="no further arguments"):
        diagnose(report, theta)


def test_single_entry_blocks_join_the_common_scale_but_are_never_fit_alone():
    sizes = (4, 3, 1)  # b2 has one entry
    fun, theta, layout = net(sizes=sizes, output="sigmoid")
    report = run(lambda t: (fun(t)[0], 3 * fun(t)[1]), theta, layout)
    f = only(report, "scaled")
    assert set(f.blocks) == set(layout.names) and "whole gradient" in f.message

    report = run(edit_grad(fun, layout, lambda g, t: g["b2"].__imul__(3.0)), theta, layout)
    assert "scaled" not in report.finding_names  # one number cannot show a constant factor
    assert only(report, "localized").blocks == ("b2",)


def _float32_inside(fun):
    """A float32 model wrapped for scipy: float32 arithmetic, float64 in and out."""

    def wrapped(t):
        cost, grad = fun(t.astype(np.float32))
        return float(cost), np.asarray(grad, dtype=np.float64)

    return wrapped


PRECISIONS = {
    "float32 cost in float64": lambda fun: _float32_inside(fun),
    "float32 gradient": lambda fun: (lambda t: (fun(t)[0], fun(t)[1].astype(np.float32))),
    "float16 gradient": lambda fun: (lambda t: (fun(t)[0], fun(t)[1].astype(np.float16))),
}


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("kind", sorted(PRECISIONS))
def test_low_precision_is_named_from_the_measured_noise_and_nothing_else(kind, activation, seed):
    fun, theta, layout = net(seed, activation=activation, m=20)
    if kind == "float32 cost in float64":  # the same network computed in float32
        X, Y = random_inputs_and_targets(SIZES, 20, "softmax", np.random.default_rng(seed))
        X32 = X.astype(np.float32)
        fun = functools.partial(mlp_cost_and_grad, layer_sizes=SIZES, X=X32, Y=Y,
                                lambda_=LAMBDA, hidden_activation=activation)
    report = run(PRECISIONS[kind](fun), theta, layout)
    assert not report.passed
    assert report.finding_names == {"low_precision"}, report
    f = only(report, "low_precision")
    assert "float64" in f.message and f.evidence["expected_error"] > report.tol
    if kind == "float32 cost in float64":
        assert 1e-9 < f.evidence["relative_noise"] < 1e-5  # measured, though theta is float64


def test_the_sparse_autoencoder_cost_in_float32_is_low_precision_not_a_kink():
    from ufldl_helpers.sparse_autoencoder import initialize_parameters, sparse_autoencoder_cost

    rng = np.random.default_rng(0)
    data = rng.uniform(0.1, 0.9, size=(16, 30)).astype(np.float32)
    theta = initialize_parameters(5, 16, rng=0)
    fun = _float32_inside(lambda t: sparse_autoencoder_cost(t, 16, 5, 1e-4, 0.01, 3.0, data))
    report = check_gradient(fun, theta, indices=60, rng=0)
    assert report.finding_names == {"low_precision"}, report


@pytest.mark.parametrize("kind", sorted(PRECISIONS))
def test_a_real_bug_in_low_precision_is_still_named(kind):
    fun, theta, layout = net(0)
    twice = PRECISIONS[kind](lambda t: (fun(t)[0], 2 * fun(t)[1]))
    assert {"low_precision", "scaled"} <= run(twice, theta, layout).finding_names
