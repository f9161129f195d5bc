"""Autograder checks for the classroom assignments, with feedback a student can act on.

An nbgrader test cell calls one function from here on the student's ``cost_and_grad`` function.
Instead of a bare ``assert``, a failure raises :class:`GradingError` whose message says what to do
next: the function is not written yet, it returns the wrong kind of thing, its cost differs from
the reference in a named term, or its gradient is wrong in a named block, together with what the
gradient doctor (:mod:`ufldl_helpers.gradcheck`) found. Costs, gradients and derived deltas are
compared with the reference or exact values to a relative 1e-6 (``COST_RTOL``,
``problems.REFERENCE_RTOL``, ``DELTA_TOL``), so a guard such as ``np.log(a3 + 1e-8)`` or float32
arithmetic costs nothing; finite differences of the student's own function diagnose a wrong
gradient (``GRAD_TOL``).

Every check runs on a small :class:`Problem` (a few dozen parameters), so full central
differences take milliseconds and a test cell runs in well under a second.

Derivations are graded numerically: :func:`check_output_delta`, :func:`check_hidden_delta`,
:func:`check_mismatch` and :func:`check_descent_slope` compare a formula the student derived with
finite differences of the cost (UFLDL's per-example delta: column ``i`` of ``delta`` is ``m``
times the derivative of the averaged cost with respect to column ``i`` of ``z``; the 1/m sits in
the gradient formulas).
When a part calls a function written in an earlier part, :func:`with_reference` grades it with
the reference version of that function, so one mistake costs points once.

Imported in IPython (a notebook, or the kernel nbgrader runs), this module makes the shell show
a :class:`GradingError` as its message alone, without a traceback through the package.

Examples
--------
>>> from ufldl_helpers import grading
>>> from ufldl_helpers.sparse_autoencoder import sparse_autoencoder_cost
>>> grading.grade_sparse_autoencoder(sparse_autoencoder_cost)  # right: no output, no error
>>> def lazy(theta, **kwargs):
...     raise NotImplementedError()
>>> grading.grade_sparse_autoencoder(lazy)  # doctest: +ELLIPSIS
Traceback (most recent call last):
    ...
ufldl_helpers.grading.GradingError: lazy is not implemented yet: replace the line ...
"""

from ufldl_helpers.grading._feedback import GradingError, _install_display
from ufldl_helpers.grading.checks import (
    check_cost,
    check_cost_and_grad,
    check_gradient_relative_error,
    check_numerical_gradient,
    grade_autoencoder,
    grade_sparse_autoencoder,
    grade_two_layer,
    report_gradient_check,
)
from ufldl_helpers.grading.derivations import (
    DELTA_TOL,
    check_descent_slope,
    check_hidden_delta,
    check_mismatch,
    check_output_delta,
    with_reference,
)
from ufldl_helpers.grading.problems import (
    COST_RTOL,
    GRAD_TOL,
    Problem,
    autoencoder_problem,
    sparse_autoencoder_problem,
    two_layer_problem,
    without_hints,
)

__all__ = [
    "COST_RTOL",
    "DELTA_TOL",
    "GRAD_TOL",
    "GradingError",
    "Problem",
    "autoencoder_problem",
    "check_cost",
    "check_cost_and_grad",
    "check_descent_slope",
    "check_gradient_relative_error",
    "check_hidden_delta",
    "check_mismatch",
    "check_numerical_gradient",
    "check_output_delta",
    "grade_autoencoder",
    "grade_sparse_autoencoder",
    "grade_two_layer",
    "report_gradient_check",
    "sparse_autoencoder_problem",
    "two_layer_problem",
    "with_reference",
    "without_hints",
]

_install_display()
