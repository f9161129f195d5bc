import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ufldl_helpers.params import ParamLayout, as_layout, roll, unroll

UFLDL = {"W1": (25, 64), "W2": (64, 25), "b1": (25,), "b2": (64,)}

shapes_st = st.lists(
    st.tuples(st.integers(0, 4), st.integers(1, 4)).map(lambda t: t if t[0] else (t[1],)),
    min_size=1, max_size=5,
)


def test_ufldl_layout_size_and_slices():
    layout = ParamLayout.from_shapes(UFLDL)
    assert layout.size == 3289 == len(layout)
    assert layout.names == ("W1", "W2", "b1", "b2")
    assert layout.slices["b1"] == slice(3200, 3225)
    assert layout.block_of(3200) == ("b1", (0,))
    assert layout.block_of(-1) == ("b2", (63,))


@pytest.mark.parametrize("order", ["C", "F"])
@given(shapes=shapes_st, seed=st.integers(0, 10**6))
@settings(max_examples=40, deadline=None)
def test_roll_inverts_unroll(order, shapes, seed):
    rng = np.random.default_rng(seed)
    named = {f"B{i}": rng.normal(size=s) for i, s in enumerate(shapes)}
    layout = ParamLayout.from_arrays(named, order=order)
    theta = layout.unroll(named)
    assert theta.shape == (layout.size,)
    back = layout.roll(theta)
    for name, a in named.items():
        np.testing.assert_array_equal(back[name], a)
    # block_of agrees with roll for every index
    for k in range(layout.size):
        name, pos = layout.block_of(k)
        assert back[name][pos] == theta[k]


def test_order_matches_numpy_and_matlab():
    W = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(unroll([W], order="C"), [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(unroll([W], order="F"), [0, 3, 1, 4, 2, 5])  # MATLAB W(:)
    layout = ParamLayout.from_shapes({"W": (2, 3)}, order="F")
    assert layout.block_of(1) == ("W", (1, 0))
    assert layout.label(1) == "W[1, 0]"


def test_roll_returns_views_and_keeps_dtype():
    layout = ParamLayout.from_shapes({"W": (2, 2), "b": (2,)})
    theta = np.zeros(6, dtype=np.float32)
    blocks = layout.roll(theta)
    blocks["W"][1, 0] = 5.0
    assert theta[2] == 5.0
    assert layout.unroll(blocks).dtype == np.float32


def test_module_functions_with_lists_and_dicts():
    a, b = np.ones((2, 3)), np.arange(4.0)
    theta = unroll([a, b])
    out = roll(theta, [(2, 3), (4,)])
    assert isinstance(out, list)
    np.testing.assert_array_equal(out[1], b)
    d = roll(theta, {"a": (2, 3), "b": (4,)}, order="F")
    np.testing.assert_array_equal(d["a"], np.ones((2, 3)))
    np.testing.assert_array_equal(unroll({"a": a, "b": b}), theta)


def test_as_layout():
    assert as_layout(None, 7).names == ("theta",)
    layout = ParamLayout.from_shapes(UFLDL)
    assert as_layout(layout, 3289) is layout
    assert as_layout(UFLDL, 3289) == layout
    with pytest.raises(ValueError, match=r"blocks describe 3289 parameters .* theta has 3290"):
        as_layout(UFLDL, 3290)


def test_bad_input_messages():
    layout = ParamLayout.from_shapes({"W": (2, 2), "b": (2,)})
    with pytest.raises(ValueError, match="missing \\['b'\\]"):
        layout.unroll({"W": np.zeros((2, 2))})
    with pytest.raises(ValueError, match=r"W must have shape \(2, 2\), got \(2, 3\)"):
        layout.unroll([np.zeros((2, 3)), np.zeros(2)])
    with pytest.raises(ValueError, match=r"theta must have shape \(6\)"):
        layout.roll(np.zeros(5))
    with pytest.raises(IndexError, match="out of range"):
        layout.block_of(6)
    with pytest.raises(ValueError, match="order must be one of"):
        ParamLayout.from_shapes({"W": (2, 2)}, order="K")
    with pytest.raises(ValueError, match="appears twice"):
        ParamLayout([("W", (1,)), ("W", (2,))])
    with pytest.raises(ValueError, match="non-negative ints"):
        ParamLayout({"W": (2, -1)})
