import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ufldl_helpers import activations as act
from ufldl_helpers.activations import ACTIVATIONS

SMOOTH = ["sigmoid", "tanh", "softplus"]


def central(f, z, h=1e-5):
    return (f(z + h) - f(z - h)) / (2 * h)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_derivative_matches_finite_differences(name, seed):
    f, f_grad = ACTIVATIONS[name]
    z = np.random.default_rng(seed).normal(scale=3.0, size=(4, 7))
    if name == "relu":
        z = z[np.abs(z) > 1e-3]  # away from the kink
    np.testing.assert_allclose(f_grad(z), central(f, z), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", [*ACTIVATIONS, "softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_and_dtype_preserving_for_large_inputs(name, dtype):
    f = act.softmax if name == "softmax" else ACTIVATIONS[name][0]
    z = np.array([[-1e3, -50.0, 0.0], [1e3, 50.0, 1.0]], dtype=dtype)
    out = f(z)  # RuntimeWarnings (overflow) are errors in this test suite
    assert out.dtype == dtype and out.shape == z.shape
    assert np.all(np.isfinite(out))
    if name != "softmax":
        out_g = ACTIVATIONS[name][1](z)
        assert out_g.dtype == dtype and np.all(np.isfinite(out_g))


def test_known_values():
    assert act.sigmoid(0.0) == 0.5
    assert act.sigmoid(np.array(-1e3)) == 0.0 and act.sigmoid(np.array(1e3)) == 1.0
    np.testing.assert_allclose(act.softplus(np.array([-1e3, 0.0, 1e3])), [0.0, np.log(2), 1e3])
    np.testing.assert_array_equal(act.relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(act.relu_grad(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(act.sigmoid(np.array(-40.0)), np.exp(-40.0) / (1 + np.exp(-40.0)),
                               rtol=1e-14)


@given(z=arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)),
                elements=st.floats(-1e3, 1e3)))
@settings(max_examples=50, deadline=None)
def test_softmax_columns_are_distributions(z):
    p = act.softmax(z)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=0), 1.0, rtol=1e-12)
    # invariant to adding a constant per column
    np.testing.assert_allclose(act.softmax(z + np.linspace(-5, 5, z.shape[1])), p, atol=1e-12)


def test_softmax_is_column_wise():
    z = np.array([[1.0, 2.0], [3.0, 2.0]])
    np.testing.assert_allclose(act.softmax(z)[:, 1], [0.5, 0.5])
    np.testing.assert_allclose(act.softmax(z)[:, 0], act.softmax(z[:, 0]))


@pytest.mark.parametrize("name", SMOOTH)
def test_complex_step_gives_the_derivative(name):
    f, f_grad = ACTIVATIONS[name]
    z = np.array([-30.0, -2.0, 0.3, 4.0, 30.0])
    h = 1e-20
    np.testing.assert_allclose(np.imag(f(z + 1j * h)) / h, f_grad(z), rtol=1e-13, atol=1e-300)


def test_complex_softmax_matches_real_part():
    z = np.array([[1.0, -3.0], [2.0, 5.0]])
    np.testing.assert_allclose(act.softmax(z + 0j).real, act.softmax(z), rtol=1e-15)


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(TypeError, match="z must be a float32, float64"):
        act.sigmoid(np.arange(3))
    with pytest.raises(TypeError, match="float32 or float64"):
        act.relu(np.array([1j]))
    with pytest.raises(ValueError, match="class axis"):
        act.softmax(1.0)
    np.testing.assert_allclose(act.tanh([0, 1]), np.tanh([0.0, 1.0]))
