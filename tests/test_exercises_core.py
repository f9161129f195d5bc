"""The shared exercise feedback: placeholders, right answers, and what a wrong answer is told."""

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ufldl_helpers import exercises as ex


def test_feedback_statuses_and_wrapping():
    assert ex.correct("1.1", "fine").correct
    assert not ex.not_yet("1.1", "no").correct and ex.not_yet("1.1", "no").attempted
    assert not ex.not_attempted("1.1", "x").attempted
    long = ex.not_yet("1.1", "word " * 60)
    assert all(len(line) <= 96 for line in repr(long).splitlines())
    with pytest.raises(ValueError, match="status"):
        ex.Feedback("1.1", "maybe", "")


@pytest.mark.parametrize(("answer", "words"), [
    (-np.arange(1.0, 5.0), "opposite sign"),
    (3 * np.arange(1.0, 5.0), "constant factor 3"),
    (np.array([1.0, 2.0, 3.0, 5.0]), "1 of 4 entries"),
    (np.arange(1.0, 5.0).reshape(2, 2), "shape (2, 2)"),
    (np.array([1.0, np.nan, 3.0, 4.0]), "NaN"),
    ("1 2 3 4", "must be a number"),
    ([object(), 1, 2, 3], "must be a number"),
])
def test_check_array_says_what_is_wrong_without_the_answer(answer, words):
    feedback = ex.check_array("1.1", answer, np.arange(1.0, 5.0), name="a2")
    assert feedback.status == ex.NOT_YET and words in feedback.message
    assert "[1. 2. 3. 4.]" not in feedback.message


def test_check_array_accepts_lists_and_tolerance():
    assert ex.check_array("1.1", [1.0, 2.0], np.array([1.0, 2.0 + 1e-12]), name="a").correct
    assert ex.check_array("1.1", ..., np.ones(2), name="a").status == ex.NOT_ATTEMPTED


def test_check_number_and_choice():
    assert ex.check_number("1", 0.2, 0.2, name="x").correct
    assert "single number" in ex.check_number("1", True, 1.0, name="x").message
    assert "must be a number" in ex.check_number("1", "0.2", 0.2, name="x").message
    assert "Try" in ex.check_number("1", 0.3, 0.2, name="x", hint="Try again.").message
    assert ex.check_choice("1", "a", "a", ("a", "b")).correct
    assert "must be one of" in ex.check_choice("1", "c", "a", ("a", "b")).message
    assert ex.check_choice("1", "b", "a", ("a", "b")).status == ex.NOT_YET


def test_run_student_function():
    assert ex.run_student_function("1", "f", lambda: 3) == (3, None)
    for unfinished in (..., lambda: ..., _raises(NotImplementedError)):
        value, feedback = ex.run_student_function("1", "f", unfinished)
        assert value is None and feedback.status == ex.NOT_ATTEMPTED
    value, feedback = ex.run_student_function("1", "f", _raises(ZeroDivisionError))
    assert feedback.status == ex.NOT_YET and "ZeroDivisionError" in feedback.message
    assert "must be a function" in ex.run_student_function("1", "f", 3)[1].message


def _raises(error):
    def fun():
        raise error("boom")
    return fun


def test_check_choice_ignores_case_and_spaces_and_gives_the_option_s_reason():
    assert ex.check_choice("1", " Fewer ", "fewer", ("more", "fewer")).correct
    wrong = ex.check_choice("1", "more", "fewer", ("more", "fewer"),
                            reasons={"more": "think about X"})
    assert wrong.status == ex.NOT_YET and "think about X" in wrong.message


# --- the shared tolerance rule and the near-miss messages -----------------------------------

@settings(max_examples=60, deadline=None, derandomize=True)
@given(arrays(np.float64, st.integers(1, 12), elements=st.floats(-1e3, 1e3, width=64)
              .filter(lambda v: abs(v) > 1e-3)))
def test_a_float32_copy_of_the_right_values_is_correct(expected):
    feedback = ex.check_array("1.1", expected.astype(np.float32), expected, name="a2")
    assert feedback.correct, feedback.message


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.floats(1e-3, 1e3), st.integers(2, 8))
def test_a_typed_rounding_of_the_right_number_is_asked_for_exactly(expected, digits):
    typed = float(f"{expected:.{digits - 1}e}")
    # trailing zeros do not count as typed digits: 5.0e2 for 495 is "500", one digit
    assume(len(Decimal(repr(typed)).normalize().as_tuple().digits) >= 2)
    feedback = ex.check_number("1.1", typed, expected, name="x")
    if not feedback.correct:
        assert "rounded value" in feedback.message, (typed, expected)


def test_answer_rtol_widens_only_for_single_precision():
    assert ex.answer_rtol(np.ones(2)) == ex.RTOL == ex.answer_rtol(1) == ex.answer_rtol([1.0])
    assert ex.RTOL < ex.answer_rtol(np.float32(1)) < 1e-5


@pytest.mark.parametrize(("typed", "expected", "rounded"), [
    (1.33, 4 / 3, True), (1.3333, 4 / 3, True), (1.3, 4 / 3, True), (0.6666, 2 / 3, True),
    (0.667, 2 / 3, True), (1.4, 4 / 3, False), (1.334, 4 / 3, False), (1.0, 4 / 3, False),
    (4 / 3 + 1e-15, 4 / 3, False), (2.0, 2.0, False), (1e-30, 0.3, False)])
def test_looks_rounded(typed, expected, rounded):
    assert ex.looks_rounded(typed, expected) is rounded


def test_near_misses_show_the_difference_and_never_two_equal_numbers():
    computed = ex.check_number("1.1", 0.2 * (1 + 1e-5), 0.2, name="x", typed=False)
    assert "relative difference is 1e-05" in computed.message
    assert "rounded value" not in computed.message
    typed = ex.check_number("1.1", 0.2001, 0.2, name="x")
    assert "close to the right value" in typed.message and "exactly" in typed.message
    assert "not the right value" in ex.check_number("1.1", 0.3, 0.2, name="x").message


def test_choices_ignore_case_and_whitespace_and_tell_text_from_numbers():
    options = ("(a3 - y) * f'(z3)", "f'(z3)")
    assert ex.check_choice("1", "(A3-Y)*f'(z3)", "(a3 - y) * f'(z3)", options).correct
    told = ex.check_choice("1", "100", 100, (10, 100, 1000))
    assert told.status == ex.NOT_YET and "not the text '100'" in told.message
    assert "must be one of" in ex.check_choice("1", "10 0", 100, (10, 100, 1000)).message


def test_a_shape_error_is_explained_in_one_line():
    def broadcasts():
        return np.ones((3, 2)) * np.ones((2, 5))

    _, feedback = ex.run_student_function("1", "f", broadcasts)
    assert "* where @ was meant" in feedback.message and "(3,2)" in feedback.message
    _, other = ex.run_student_function("1", "f", lambda: int("x"))
    assert other.message.startswith("calling f raised ValueError at line ")
    assert "int(\"x\")" in other.message and "invalid literal" in other.message


def test_identify_slip_uses_the_shared_tolerance():
    expected = np.array([1.0, -2.0, 3.0])
    slips = [(2 * expected, "doubled"), (-expected, "flipped")]
    # a float32 slip is still that slip; a float32 right answer is no slip at all
    assert ex.identify_slip((2 * expected).astype(np.float32), expected, slips) == "doubled"
    assert ex.identify_slip(expected.astype(np.float32), expected, slips) is None
    # beyond the shared rule the answer is neither, and nothing is named
    assert ex.identify_slip(2 * expected * (1 + 1e-5), expected, slips) is None
    assert ex.identify_slip(2 * expected * (1 + 1e-5), expected, slips, rtol=1e-4) == "doubled"
