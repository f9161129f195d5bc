"""What a student sees when a check fails: :class:`GradingError`, its wrapped message, the
student's failing line, and an IPython handler that shows the message without a traceback."""

from __future__ import annotations

import functools
import os
import sysconfig
import textwrap
import traceback
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike

_WIDTH = 88


class GradingError(AssertionError):
    """A failed check; the message tells the student what is wrong and where to look.

    Lines longer than 88 characters are wrapped, so that no viewer cuts them off.
    """

    __module__ = "ufldl_helpers.grading"  # where students and docs find it

    def __init__(self, message: str) -> None:
        super().__init__(_wrap(message))


def _wrap(message: str) -> str:
    """Wrap lines longer than 88 characters; the first line leaves room for "GradingError: "."""
    lines: list[str] = []
    for line in message.splitlines():
        width = _WIDTH - (len("GradingError: ") if not lines else 0)
        if len(line) <= width:
            lines.append(line)
            continue
        stripped = line.lstrip()
        indent = line[:len(line) - len(stripped)]
        hang = indent + ("  " if stripped.startswith("- ") else "")
        first = textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)[0]
        lines.append(first)
        rest = line[len(first):].lstrip()
        if rest:
            lines.extend(textwrap.wrap(rest, _WIDTH, initial_indent=hang, subsequent_indent=hang,
                                       break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)


def _show_grading_error(shell: Any, etype: type[BaseException], value: BaseException,
                        tb: TracebackType | None, tb_offset: int | None = None) -> list[str]:
    """IPython handler: the message alone is the cell's error output (no frames, no paths)."""
    stb = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, stb)  # the kernel turns this into an error output
    return stb


def _install_display() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((GradingError,), _show_grading_error)


_install_display()


_LIBRARY_DIRS = tuple(os.path.realpath(p) for p in {
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),  # ufldl_helpers/
    *(sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")),
})


def _your_line(err: BaseException) -> str:
    """`` (line N: source)`` of the innermost frame of ``err`` in the student's own code."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if not os.path.realpath(f.filename).startswith(_LIBRARY_DIRS)]
    if not frames or not frames[-1].line:
        return ""
    return f"\n  at line {frames[-1].lineno} of your cell: {frames[-1].line.strip()}"


def _guarded(name: str, fun: Callable[..., Any], *args: Any) -> Any:
    """``fun(*args)``, with a missing implementation or an error turned into a GradingError."""
    if not callable(fun):
        raise GradingError(f"{name} must be a function, got {_describe(fun)}: "
                           f"run the cell that defines it first.")
    try:
        return fun(*args)
    except NotImplementedError:
        raise GradingError(
            f"{name} is not implemented yet: replace the line `raise NotImplementedError()` in "
            f"its cell with your code, run that cell, then run this test cell again."
        ) from None
    except GradingError:
        raise
    except Exception as err:
        raise GradingError(f"{name} raised {type(err).__name__}: {err}{_your_line(err)}") \
            from None


_T = TypeVar("_T")


def _either_version(check: Callable[..., _T]) -> Callable[..., _T]:
    """Let ``check(fun, ...)`` pass if ``fun`` passes as the student wrote it or with the
    reference helpers of :func:`with_reference`; a failure reports the latter."""
    @functools.wraps(check)
    def lenient(fun: Any, *args: Any, **kwargs: Any) -> _T:
        own = getattr(fun, "_as_written", None)
        if own is not None:
            try:
                return check(own, *args, **kwargs)
            except GradingError:
                pass
        return check(fun, *args, **kwargs)
    return lenient


def _signature(kwargs: Mapping[str, Any], overrides: Mapping[str, Any]) -> str:
    merged = {**kwargs, **overrides}
    return ", ".join(f"{k}={_describe(v)}" for k, v in merged.items())


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, (int, float, np.number)):
        return repr(float(value)) if isinstance(value, float | np.floating) else repr(value)
    return f"a {type(value).__name__}"


def _as_number(value: object) -> float | None:
    """``value`` as a float if it is one real number (a size-1 array such as ``np.array([s])``
    counts; a bool does not), else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if array.size != 1 or not (np.issubdtype(array.dtype, np.number) and np.isreal(array).all()):
        return None
    return float(np.real(array.reshape(())))


def _identify_slip(answer: ArrayLike, expected: ArrayLike,
                   slips: list, *,
                   rtol: float = 1e-8) -> str | None:
    """The message of the one typical slip whose value ``answer`` is, or None.

    ``slips`` is a list of ``(value, message)`` pairs, ``value`` array_like like ``expected``.

    Never cries wolf: a slip is named only if ``answer`` matches its value to ``rtol`` (relative,
    in norm), does not match ``expected``, and no other slip with another message matches too;
    a slip whose value is within 1e-6 of ``expected`` (it makes no difference on this problem)
    is never named.
    """
    try:
        answer = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return None
    expected = np.asarray(expected, dtype=float)

    def close(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
        scale = max(float(np.linalg.norm(b)), np.finfo(float).tiny)
        return a.shape == b.shape and bool(np.linalg.norm(a - b) <= tol * scale)

    if not np.all(np.isfinite(answer)) or close(answer, expected, rtol):
        return None
    named = set()
    for value, message in slips:
        value = np.asarray(value, dtype=float)
        if not close(value, expected, 1e-6) and close(answer, value, rtol):
            named.add(message)
    return named.pop() if len(named) == 1 else None
