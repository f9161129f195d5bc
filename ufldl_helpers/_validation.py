"""Input validation shared by every module.

Each check raises a ``ValueError`` (or ``TypeError`` for the wrong kind of object) whose message
names the argument and says what was expected, so that a learner never has to read a numpy
traceback from deep inside a computation.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

DEFAULT_SEED = 0
"""Seed used when an ``rng`` argument is ``None``: the package is reproducible by default."""

FLOAT_DTYPES = (np.float32, np.float64)


def check_rng(rng: np.random.Generator | int | None, name: str = "rng") -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a Generator, an integer seed or ``None``.

    ``None`` gives ``default_rng(DEFAULT_SEED)``. A legacy ``RandomState`` is refused rather than
    silently converted, because its streams differ from a Generator's.
    """
    if rng is None:
        return np.random.default_rng(DEFAULT_SEED)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{name} must be a non-negative integer seed, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name} must be a numpy.random.Generator, an integer seed or None, "
        f"got {type(rng).__name__}"
    )


def check_array(
    x: ArrayLike,
    name: str,
    *,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    finite: bool = True,
    dtype: str = "float",
) -> np.ndarray:
    """Validate an array argument and return it as an ndarray.

    Parameters
    ----------
    x : array_like
        The value to check. Lists are accepted; the result is a new array only if ``x`` was not
        already an ndarray.
    name : str
        The argument's name, used in error messages.
    ndim : int, optional
        Required number of dimensions.
    shape : sequence of int or None, optional
        Required shape; ``None`` entries match any length.
    finite : bool
        Refuse NaN and infinite values.
    dtype : {"float", "real", "any"}
        ``"float"``: float32 or float64 arrays keep their dtype; integer and boolean input is
        refused (convert it yourself, e.g. ``x / 255.0`` for pixels, so the scaling is explicit).
        ``"real"``: any real number type (integers included), returned unchanged.
        ``"any"``: no dtype check.

    Returns
    -------
    numpy.ndarray
    """
    arr = np.asarray(x)
    if dtype == "float":
        if arr.dtype.kind == "O" and arr.size:
            raise TypeError(f"{name} must be a numeric array, got an array of objects")
        if arr.dtype not in FLOAT_DTYPES:
            if isinstance(x, (list, tuple)) and arr.dtype.kind in "iuf":
                arr = arr.astype(np.float64)
            else:
                raise TypeError(
                    f"{name} must be a float32 or float64 array, got dtype {arr.dtype}"
                )
    elif dtype == "real":
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    elif dtype != "any":
        raise ValueError(f"dtype must be 'float', 'real' or 'any', got {dtype!r}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got an array of shape {arr.shape}")
    if shape is not None:
        ok = arr.ndim == len(shape) and all(
            want is None or want == got for want, got in zip(shape, arr.shape, strict=False)
        )
        if not ok:
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if finite and arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"{name} must be finite, but {bad} of its {arr.size} values are NaN or inf"
        )
    return arr


@overload
def check_scalar(
    x: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: Literal[True],
) -> int: ...


@overload
def check_scalar(
    x: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: Literal[False] = False,
) -> float: ...


def check_scalar(
    x: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
) -> float:
    """Validate a real scalar (optionally an integer) within an interval; return it.

    Examples
    --------
    >>> check_scalar(0.05, "sparsity_param", low=0, high=1, low_inclusive=False,
    ...              high_inclusive=False)
    0.05
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iuf":
            x = x.item()
        else:
            kind = "an integer" if integer else "a real number"
            raise TypeError(f"{name} must be {kind}, got {type(x).__name__}")
    if integer:
        if not isinstance(x, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {x!r}")
        x = int(x)
    elif not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    if low is not None and (x < low or (x == low and not low_inclusive)):
        raise ValueError(f"{name} must be {_interval(low, high, low_inclusive, high_inclusive)}, "
                         f"got {x}")
    if high is not None and (x > high or (x == high and not high_inclusive)):
        raise ValueError(f"{name} must be {_interval(low, high, low_inclusive, high_inclusive)}, "
                         f"got {x}")
    return x


def _interval(low: float | None, high: float | None, low_inclusive: bool,
              high_inclusive: bool) -> str:
    if high is None:
        return f"{'>=' if low_inclusive else '>'} {low}"
    if low is None:
        return f"{'<=' if high_inclusive else '<'} {high}"
    left = "[" if low_inclusive else "("
    right = "]" if high_inclusive else ")"
    return f"in {left}{low}, {high}{right}"


def check_choice(x: str, name: str, choices: Sequence[str]) -> str:
    """Validate that ``x`` is one of the allowed strings."""
    if x not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {x!r}")
    return x


def check_subset(values: object, name: str, choices: Sequence[str]) -> frozenset[str]:
    """Validate an iterable of option names (e.g. which fixes to apply); return them as a set."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be an iterable of names from {list(choices)}, "
                        f"got {values!r}")
    out = frozenset(values)
    for value in out:
        check_choice(value, name, tuple(choices))
    return out
