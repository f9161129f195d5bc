"""Exercises inside the notebooks: instant feedback that says what is wrong, never the answer.

Every exercise in notebooks 01-07 follows one pattern. A markdown cell whose heading contains the
word "Exercise" states the task; a code cell tagged ``exercise`` holds the student's work, with
``...`` where the answer goes, and ends with a check; a markdown cell below holds a collapsed
hint and a collapsed solution (``<details>``). The check returns a :class:`Feedback` whose repr
is what the notebook shows:

* ``Not attempted yet``: the answer is still ``...`` (or the function raises
  ``NotImplementedError``); this is what the stored notebooks show, so nbval runs them unsolved;
* ``Not yet``: what is wrong and where (a shape, a sign, a factor, a block), never the answer;
* ``Correct``: with what was verified.

The per-notebook checks live in the submodules (:mod:`.backpropagation`, ...); this module holds
the shared comparisons. They compare with values the package computes, never stored numbers.

One tolerance rule for every exercise (:func:`answer_rtol`): an answer is right when
``||answer - expected|| <= rtol ||expected||`` with ``rtol = max(RTOL, 64 eps)``, ``RTOL = 1e-6``
and ``eps`` the machine epsilon of the answer's own dtype (float64's, or float32's for a float32
result). So a float32 result, or a tiny guard such as ``+ 1e-8`` in a denominator, passes (except
in Exercise 2.2, a numerical gradient: a float32 array holds about 7 digits, too few for the
1e-9 of a gradient check, so there float32 is named, as in the assignments' grader), while
every known wrong answer (a missing term, a factor, a sign, forward differences) is off by far
more; the test problems are chosen so that no term is negligible and nothing cancels. Near
misses are told apart: a typed number that is the right one rounded is asked for exactly, and a
computed answer that is close but not equal gets its relative difference, never two numbers that
print alike.

Two tiers. An exercise whose formula takes a log of, or divides by, a quantity the student
computes (a cross-entropy, a KL divergence and its derivative, a normalization) passes
``rtol = GUARDED_RTOL = 1e-4`` instead: there a guard such as ``+ 1e-7`` (Keras's epsilon) or
``+ 1e-6`` is standard practice, and its test points keep the guarded quantities above 0.01, so
such a guard changes the answer by at most about 1e-4 of itself. Those exercises (5.2, 6.2,
6.3, 6.4, 7.1) have no known slip within 1e-3 of the right answer (the unit tests check every
listed slip still fails). Every other exercise keeps ``RTOL``: there a small difference can be
the mistake itself (forward differences in 2.2 are off by O(epsilon)).

Examples
--------
>>> import numpy as np
>>> from ufldl_helpers import exercises
>>> exercises.check_array("1.1", ..., np.ones(3), name="a2")
Not attempted yet (Exercise 1.1): replace the ... with your a2.
>>> exercises.check_array("1.1", -np.ones(3), np.ones(3), name="a2")
Not yet (Exercise 1.1): a2 has the opposite sign of the right values everywhere.
>>> exercises.check_array("1.1", np.ones(3), np.ones(3), name="a2")
Correct (Exercise 1.1): a2 matches to 1e-06 (relative).
"""

from __future__ import annotations

import linecache
import numbers
import os
import re
import textwrap
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

import ufldl_helpers
from ufldl_helpers.grading._feedback import _identify_slip

__all__ = [
    "CORRECT",
    "GUARDED_RTOL",
    "NOT_ATTEMPTED",
    "NOT_YET",
    "RTOL",
    "Feedback",
    "answer_rtol",
    "check_array",
    "check_choice",
    "check_number",
    "correct",
    "identify_slip",
    "is_placeholder",
    "looks_rounded",
    "match_option",
    "not_attempted",
    "not_yet",
    "raising_line",
    "returned_none",
    "run_student_function",
]

CORRECT = "Correct"
NOT_YET = "Not yet"
NOT_ATTEMPTED = "Not attempted yet"

RTOL = 1e-6
"""The relative tolerance of every exercise for a float64 answer (see :func:`answer_rtol`)."""

GUARDED_RTOL = 1e-4
"""The tolerance of the exercises whose formula has a log or a division where a guard
(``+ 1e-7``, ``+ 1e-6``) is standard practice: 5.2, 6.2, 6.3, 6.4 and 7.1."""


def answer_rtol(answer: Any, rtol: float = RTOL) -> float:
    """The shared tolerance: ``max(rtol, 64 eps)``, ``eps`` of the answer's floating dtype.

    A float32 result carries relative errors of a few ``eps = 1.2e-7`` per operation; 64 of them
    still stay far below the smallest error any known wrong answer makes. Integer, float64 and
    Python numbers use float64's ``eps``, so ``rtol`` itself decides.
    """
    dtype = np.asarray(answer).dtype
    eps = np.finfo(dtype if dtype.kind == "f" else np.float64).eps
    return max(rtol, 64 * float(eps))


def identify_slip(answer: Any, expected: ArrayLike, slips: Sequence[tuple[ArrayLike, str]], *,
                  rtol: float | None = None) -> str | None:
    """The message of the one listed slip whose value ``answer`` is, or None.

    ``slips`` lists ``(value, message)`` pairs, each value shaped like ``expected``. Never
    cries wolf: a slip is named only if ``answer`` equals its value and not ``expected``, and no
    slip with another message matches too; a slip within 1e-6 of ``expected`` (no difference on
    this problem) is never named. "Equals" is the shared rule, :func:`answer_rtol`, unless
    ``rtol`` is given.
    """
    return _identify_slip(answer, expected, list(slips),
                          rtol=answer_rtol(answer) if rtol is None else rtol)


@dataclass(frozen=True)
class Feedback:
    """The result of checking one exercise.

    Attributes
    ----------
    exercise : str
        The exercise's number as the notebook's heading gives it, e.g. ``"2.3"``.
    status : {"Correct", "Not yet", "Not attempted yet"}
    message : str
        What was verified, or what is wrong and where; never the expected answer.
    """

    exercise: str
    status: str
    message: str

    def __post_init__(self) -> None:
        if self.status not in (CORRECT, NOT_YET, NOT_ATTEMPTED):
            raise ValueError(
                f"status must be one of {CORRECT!r}, {NOT_YET!r}, {NOT_ATTEMPTED!r}, "
                f"got {self.status!r}"
            )

    @property
    def correct(self) -> bool:
        """Whether the answer passed the check."""
        return self.status == CORRECT

    @property
    def attempted(self) -> bool:
        """Whether the student replaced the placeholder."""
        return self.status != NOT_ATTEMPTED

    def __repr__(self) -> str:
        text = f"{self.status} (Exercise {self.exercise}): {self.message}"
        # Wrap so that no line is cut off in a notebook or in nbgrader's feedback.
        return "\n".join(
            textwrap.fill(line, width=96, subsequent_indent="  ") for line in text.split("\n")
        )

    __str__ = __repr__


def correct(exercise: str, message: str) -> Feedback:
    """Feedback for a right answer; ``message`` says what was verified."""
    return Feedback(exercise, CORRECT, message)


def not_yet(exercise: str, message: str) -> Feedback:
    """Feedback for a wrong answer; ``message`` says what is wrong, not the answer."""
    return Feedback(exercise, NOT_YET, message)


def not_attempted(exercise: str, name: str) -> Feedback:
    """Feedback for an answer that is still the placeholder ``...``."""
    return Feedback(exercise, NOT_ATTEMPTED, f"replace the ... with your {name}.")


def is_placeholder(answer: object) -> bool:
    """True for the notebooks' placeholder ``...`` (``Ellipsis``)."""
    return answer is Ellipsis


def run_student_function(exercise: str, name: str, fun: Callable, *args: Any, **kwargs: Any
                         ) -> tuple[Any, Feedback | None]:
    """Call a student's function; return ``(value, None)`` or ``(None, Feedback)``.

    A function that is the placeholder ``...``, still raises ``NotImplementedError`` or returns
    ``...`` is not attempted yet; any other exception is reported by type and message, so the
    student sees their own error without a traceback through this package.
    """
    if is_placeholder(fun):
        return None, not_attempted(exercise, name)
    if not callable(fun):
        return None, not_yet(exercise, f"{name} must be a function, got {type(fun).__name__}.")
    try:
        value = fun(*args, **kwargs)
    except NotImplementedError:
        return None, not_attempted(exercise, name)
    except ValueError as exc:
        return None, not_yet(exercise, _value_error_message(name, exc))
    except Exception as exc:  # the student's own bug: report it, do not crash the notebook
        return None, not_yet(exercise, f"calling {name} raised {type(exc).__name__}"
                                       f"{raising_line(exc)}: {exc}")
    if is_placeholder(value):  # the body still ends in `return ...`
        return None, not_attempted(exercise, name)
    if value is None:
        return None, not_yet(exercise, returned_none(name))
    return value, None


def returned_none(name: str) -> str:
    """The message for a student's function that returned None."""
    return f"{name} returned None (a missing return?)."


_PACKAGE_DIRS = tuple(os.path.dirname(module.__file__ or "") + os.sep
                      for module in (np, ufldl_helpers))


def raising_line(exc: BaseException) -> str:
    """`` at line N (`source`)``: the student's line where ``exc`` was raised, or ``""``.

    The student's line is the innermost frame of the traceback outside numpy and this package
    (a notebook cell's code too, which IPython registers with ``linecache``).
    """
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if not frame.filename.startswith(_PACKAGE_DIRS)]
    if not frames:
        return ""
    frame = frames[-1]
    code = (frame.line or linecache.getline(frame.filename, frame.lineno or 0)).strip()
    return f" at line {frame.lineno} (`{code}`)" if code else f" at line {frame.lineno}"


# numpy's words for operands whose shapes do not fit (broadcasting, matmul, dot)
_SHAPE_ERROR = re.compile(r"could not be broadcast|mismatch in its core dimension|not aligned")


def _value_error_message(name: str, exc: ValueError) -> str:
    """One line for a student's ValueError; a shape mismatch is explained, not just quoted."""
    where = raising_line(exc)
    if _SHAPE_ERROR.search(str(exc)):
        return (f"calling {name} raised ValueError{where}: two arrays whose shapes do not fit "
                f"were combined (numpy: {exc}). "
                "This usually means * where @ was meant (or @ where * was meant), or a missing "
                "or extra transpose: write each array's shape next to the line.")
    return f"calling {name} raised ValueError{where}: {exc}"


def _as_float_array(answer: Any, name: str) -> tuple[Any, str | None]:
    """Return ``(array, None)`` or ``(None, message)`` for an answer that is not numeric.

    A single real number of any type (``Fraction``, ``Decimal``, a numpy scalar) is a number.
    """
    if answer is None:
        return None, (f"{name} is None, not a number or an array (a function without a "
                      "return statement gives None).")
    if isinstance(answer, (str, bytes)):
        return None, (f"{name} must be a number, not the text {answer!r}: enter a number "
                      "(remove the quotes).")
    if isinstance(answer, (numbers.Real, Decimal)) and not isinstance(answer, (bool, np.bool_)):
        return np.asarray(float(answer)), None
    if np.asarray(answer).dtype.kind in "OSUb":
        return None, f"{name} must be a number or an array of numbers, got {answer!r}."
    try:
        arr = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return None, f"{name} must be a number or an array of numbers, got {type(answer).__name__}."
    return arr, None


def _as_real(answer: object) -> float | None:
    """A single real number as a float (int, float, Fraction, Decimal, numpy scalar or 0-d
    array), else None (a bool, a string, an array of another shape)."""
    if isinstance(answer, (bool, np.bool_)):
        return None
    if isinstance(answer, np.ndarray) and answer.ndim == 0 and answer.dtype.kind in "iuf":
        return float(answer)
    return float(answer) if isinstance(answer, (numbers.Real, Decimal)) else None


def _difference(arr: np.ndarray, expected: np.ndarray, name: str, rtol: float) -> str:
    """Say how ``arr`` differs from ``expected`` without revealing ``expected``."""
    if not np.all(np.isfinite(arr)):
        return f"{name} contains NaN or infinite values."
    scale = np.linalg.norm(expected)
    off = np.linalg.norm(arr - expected)
    if off <= 1e-3 * scale:
        return (f"{name} is close to the right value but not equal to it: the relative "
                f"difference is {off / scale:.2g}, above the {rtol:.0e} allowed. Look for a small "
                "change (a rounded constant, a guard such as + 1e-5 much larger than round-off, "
                "a term that is small here but not zero).")
    if arr.size == 1:  # a factor or a sign between two numbers says nothing
        return f"{name} is not the right value."
    if scale > 0 and np.linalg.norm(arr + expected) <= rtol * scale:
        return f"{name} has the opposite sign of the right values everywhere."
    if scale > 0 and np.linalg.norm(arr) > 0:
        c = float(np.vdot(arr, expected) / np.vdot(expected, expected))
        if c > 0 and np.linalg.norm(arr - c * expected) <= 1e-6 * np.linalg.norm(arr):
            return (
                f"{name} is the right values times a constant factor {c:.3g}: look for a missing "
                "or extra scale (a 1/m, a 2, lambda or beta) rather than a wrong formula."
            )
    atol = rtol * max(scale / np.sqrt(arr.size), 1e-300)
    wrong = ~np.isclose(arr, expected, rtol=rtol, atol=atol)
    if arr.ndim and wrong.sum() < arr.size:
        where = np.argwhere(wrong)
        first = ", ".join(str(tuple(int(i) for i in w)) for w in where[:3])
        return (
            f"{int(wrong.sum())} of {arr.size} entries of {name} are wrong "
            f"(the first: {first}); the others are right."
        )
    return f"{name} differs from the right values in every entry."


def check_array(exercise: str, answer: Any, expected: ArrayLike, *, name: str,
                rtol: float = RTOL) -> Feedback:
    """Compare a numeric answer (number or array) with the package's value.

    Parameters
    ----------
    exercise : str
        The exercise's number, e.g. ``"1.2"``.
    answer : array_like or ``...``
        The student's value.
    expected : array_like
        The right value, computed by the package at check time.
    name : str
        What the answer is called in the notebook (``"delta3"``), used in the messages.
    rtol : float
        Relative tolerance for a float64 answer, measured against the norm of ``expected``;
        :func:`answer_rtol` widens it for a float32 answer.

    Returns
    -------
    Feedback
    """
    if is_placeholder(answer):
        return not_attempted(exercise, name)
    arr, problem = _as_float_array(answer, name)
    if problem:
        return not_yet(exercise, problem)
    expected = np.asarray(expected, dtype=float)
    if arr.shape != expected.shape:
        return not_yet(
            exercise, f"{name} has shape {arr.shape}; it should have shape {expected.shape}."
        )
    rtol = answer_rtol(answer, rtol)
    scale = max(float(np.linalg.norm(expected)), np.finfo(float).tiny)
    if np.all(np.isfinite(arr)) and np.linalg.norm(arr - expected) <= rtol * scale:
        return correct(exercise, f"{name} matches to {rtol:.0e} (relative).")
    return not_yet(exercise, _difference(arr, expected, name, rtol))


def looks_rounded(value: float, expected: float) -> bool:
    """True if ``value``, as typed, is ``expected`` rounded or cut to its digits (at least 2).

    ``1.33`` and ``1.3333`` look rounded for 4/3, ``1.4`` and ``1.334`` do not; a number with
    16 or more significant digits was computed, not typed.
    """
    if not (np.isfinite(value) and np.isfinite(expected)) or value == expected:
        return False
    typed = Decimal(repr(float(value))).normalize()
    digits, exponent = typed.as_tuple().digits, typed.as_tuple().exponent
    if not 2 <= len(digits) <= 15 or not isinstance(exponent, int):
        return False
    unit = Decimal(1).scaleb(exponent)
    try:
        return any(Decimal(float(expected)).quantize(unit, rounding=mode) == typed
                   for mode in (ROUND_HALF_EVEN, ROUND_DOWN))
    except InvalidOperation:  # more digits than the context holds: not a typed rounding
        return False


def check_number(exercise: str, answer: Any, expected: float, *, name: str, rtol: float = RTOL,
                 hint: str = "", typed: bool = True) -> Feedback:
    """Compare a single number; ``hint`` is added to a wrong answer's message.

    ``typed`` says the student types the number (rather than a function computing it): then a
    decimal that is the right value rounded is asked for exactly.
    """
    if is_placeholder(answer):
        return not_attempted(exercise, name)
    if isinstance(answer, (bool, np.bool_)) or np.ndim(answer) != 0:
        return not_yet(exercise, f"{name} must be a single number, got {answer!r}.")
    value, problem = _as_float_array(answer, name)
    if problem:
        return not_yet(exercise, problem)
    feedback = check_array(exercise, answer, expected, name=name, rtol=rtol)
    if feedback.correct:
        return feedback
    if typed and looks_rounded(float(value), float(expected)):
        return not_yet(exercise, f"{name} looks like a rounded value of the right one: enter it "
                                 "exactly (a fraction of integers such as 2/7, or the expression "
                                 "that computes it), not a decimal.")
    if typed and abs(float(value) - float(expected)) <= 1e-3 * abs(float(expected)):
        return not_yet(exercise, f"{name} is close to the right value but not equal to it: check "
                                 "its last digits, or enter it exactly as a fraction or an "
                                 "expression.")
    return not_yet(exercise, f"{feedback.message} {hint}" if hint else feedback.message)


def _spelling(text: str) -> str:
    """A text option without case and whitespace: "(a3-y)*f'(z3)" names "(a3 - y) * f'(z3)"."""
    return "".join(text.split()).lower()


def match_option(answer: Any, options: Any) -> Any:
    """The option a text answer names whatever its case and whitespace, else ``answer``."""
    if not isinstance(answer, str):
        return answer
    return next((o for o in options if isinstance(o, str) and _spelling(o) == _spelling(answer)),
                answer)


def check_choice(exercise: str, answer: Any, expected: object, options: Iterable[object], *,
                 name: str = "answer", why: str = "",
                 reasons: Mapping | None = None) -> Feedback:
    """Check a multiple-choice prediction.

    ``options`` lists the allowed answers, so a typo is reported as such rather than as wrong.
    A text answer matches an option whatever its case and whitespace; a numeric option must be
    given as a number (the text ``"100"`` is not coerced, but told so). ``why`` explains the
    right choice once it is made; ``reasons`` maps a wrong option to one line of reasoning that
    shows why it cannot be right (without naming the right one).
    """
    if is_placeholder(answer):
        return not_attempted(exercise, name)
    options = list(options)
    answer = match_option(answer, options)
    if isinstance(answer, str):
        numbers = [o for o in options if not isinstance(o, str)]
        if isinstance(answer, str) and numbers and answer.strip() in (str(o) for o in numbers):
            return not_yet(exercise, f"{name} must be a number, not the text {answer!r}: "
                                     "remove the quotes.")
    if answer not in options:
        listed = ", ".join(repr(o) for o in options)
        return not_yet(exercise, f"{name} must be one of {listed}; got {answer!r}.")
    if answer == expected:
        return correct(exercise, why or f"{answer!r} is right.")
    reason = (reasons or {}).get(answer, "go back over the reasoning in the text above and "
                                         "check each step against your choice")
    return not_yet(exercise, f"{answer!r} is not right: {reason}.")
