import numpy as np
import pytest

from ufldl_helpers._validation import (
    check_array,
    check_choice,
    check_rng,
    check_scalar,
    check_subset,
)


def test_check_rng_none_is_fixed_seed():
    a = check_rng(None).random(3)
    b = check_rng(None).random(3)
    np.testing.assert_array_equal(a, b)


def test_check_rng_accepts_seed_and_generator():
    g = np.random.default_rng(5)
    assert check_rng(g) is g
    np.testing.assert_array_equal(check_rng(5).random(2), np.random.default_rng(5).random(2))


@pytest.mark.parametrize("bad", [np.random.RandomState(0), 1.5, "seed", True])
def test_check_rng_refuses_other_types(bad):
    with pytest.raises(TypeError, match="rng"):
        check_rng(bad)


def test_check_array_names_argument_and_shape():
    with pytest.raises(ValueError, match=r"data must have shape \(64, any\), got \(3, 4\)"):
        check_array(np.zeros((3, 4)), "data", shape=(64, None))
    with pytest.raises(ValueError, match="theta must be 1-D"):
        check_array(np.zeros((3, 4)), "theta", ndim=1)


def test_check_array_refuses_non_finite_and_integers():
    with pytest.raises(ValueError, match="theta must be finite, but 1 of its 3"):
        check_array(np.array([0.0, np.nan, 1.0]), "theta")
    with pytest.raises(TypeError, match="images must be a float32 or float64 array"):
        check_array(np.zeros(3, dtype=np.uint8), "images")


def test_check_array_keeps_float32_and_converts_lists():
    x = np.zeros(3, dtype=np.float32)
    assert check_array(x, "x") is x
    assert check_array([1, 2], "x").dtype == np.float64


def test_check_scalar_interval_messages():
    assert check_scalar(0.05, "rho", low=0, high=1, low_inclusive=False) == 0.05
    with pytest.raises(ValueError, match=r"rho must be in \(0, 1\), got 1"):
        check_scalar(1, "rho", low=0, high=1, low_inclusive=False, high_inclusive=False)
    with pytest.raises(ValueError, match="lambda_ must be >= 0, got -1"):
        check_scalar(-1, "lambda_", low=0)
    with pytest.raises(TypeError, match="hidden_size must be an integer"):
        check_scalar(2.5, "hidden_size", integer=True)
    with pytest.raises(ValueError, match="beta must be finite"):
        check_scalar(float("nan"), "beta")


def test_check_choice():
    assert check_choice("softmax", "output", ("softmax", "linear")) == "softmax"
    with pytest.raises(ValueError, match="output must be one of"):
        check_choice("relu", "output", ("softmax", "linear"))


def test_check_subset():
    assert check_subset(["cost"], "fixes", ("cost", "derivative")) == frozenset({"cost"})
    with pytest.raises(ValueError, match="fixes must be one of"):
        check_subset(["loss"], "fixes", ("cost", "derivative"))
    with pytest.raises(TypeError, match="fixes must be an iterable of names"):
        check_subset("cost", "fixes", ("cost",))
