"""The shared exercise feedback: placeholders, right answers, and what a wrong answer is told."""

import numpy as np
import pytest

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
