"""Bug clinics: real learners' gradient-checking dead ends, reproduced, diagnosed and fixed.

Each module transliterates one document of ``/work/shared/documents`` (the code *as posted*,
with MATLAB/Octave semantics where they matter) next to the fixed version, every fix separately
switchable, so that a notebook can show each fix moving the numbers and the tests can assert
them. The gradient checks use :mod:`ufldl_helpers.gradcheck`, whose doctor names each bug.

========================================  =======================================================
module                                    document and bug
========================================  =======================================================
:mod:`.matlab_autoencoder`                000: MATLAB autoencoder, decoder check disagrees:
                                          transposed gradients (A, C), backprop through the wrong
                                          matrix (B), a row-vector cost for a batch (D)
:mod:`.lbfgsb_iteration_zero`             001: scipy L-BFGS-B stops at iteration 0 (nfev 21):
                                          ``lambda x: cost(theta, ...)`` ignores its argument
:mod:`.what_gets_backpropagated`          002: what a gradient check backpropagates: the cost
                                          depends on weights *and* targets
:mod:`.softmax_off_by_1_5`                003: softmax output, gradients off by ~1.5 = K/(K-1):
                                          binary cost with the categorical delta; hidden
                                          derivative hard-coded to 'sigmoid'
========================================  =======================================================
"""

__all__ = [
    "lbfgsb_iteration_zero",
    "matlab_autoencoder",
    "softmax_off_by_1_5",
    "what_gets_backpropagated",
]
