"""Bug clinics: real learners' gradient-checking dead ends, reproduced, diagnosed and fixed.

Each module transliterates one learner's post (the code *as posted*, with MATLAB/Octave
semantics where they matter) next to the fixed version, every fix separately switchable, so that
a notebook can show each fix moving the numbers and the tests can assert them. The gradient
checks use :mod:`ufldl_helpers.gradcheck`, whose doctor names each bug.

========================================  =======================================================
module                                    post and bug
========================================  =======================================================
:mod:`.matlab_autoencoder`                "Checking the gradient when doing gradient descent"
                                          (Stack Overflow, 2011): MATLAB autoencoder, decoder
                                          check disagrees: transposed gradients (A, C), backprop
                                          through the wrong matrix (B), a row-vector cost for a
                                          batch (D)
:mod:`.lbfgsb_iteration_zero`             a Stack Overflow question of 2018-05-14 (address not
                                          found): scipy L-BFGS-B stops at iteration 0 (nfev 21):
                                          ``lambda x: cost(theta, ...)`` ignores its argument
:mod:`.what_gets_backpropagated`          "Gradient checking in backpropagation" (Stack
                                          Overflow, 2014): what a gradient check backpropagates:
                                          the cost depends on weights *and* targets
:mod:`.softmax_off_by_1_5`                "Issue with backpropagation using a 2 layer network
                                          and softmax" (Data Science Stack Exchange, 2017):
                                          gradients off by ~1.5 = K/(K-1): binary cost with the
                                          categorical delta; hidden derivative hard-coded to
                                          'sigmoid'
========================================  =======================================================

Sources (the code quoted in the modules is the posts' authors', under the posts' licences):

- https://stackoverflow.com/questions/6552851/checking-the-gradient-when-doing-gradient-descent
  (CC BY-SA 3.0)
- the L-BFGS-B question: on Stack Overflow, tagged numpy, scipy, neural-network and
  backpropagation, posted 2018-05-14; we could not locate its address; our copy is a
  machine-translated mirror (CC BY-SA 4.0, Stack Overflow posts after 2018-05-02)
- https://stackoverflow.com/questions/26192592/gradient-checking-in-backpropagation
  (CC BY-SA 3.0)
- https://datascience.stackexchange.com/questions/18940/issue-with-backpropagation-using-a-2-layer-network-and-softmax
  (CC BY-SA 3.0)
- UFLDL tutorial (Andrew Ng et al., Stanford):
  http://ufldl.stanford.edu/wiki/index.php/Gradient_checking_and_advanced_optimization
"""

__all__ = [
    "lbfgsb_iteration_zero",
    "matlab_autoencoder",
    "softmax_off_by_1_5",
    "what_gets_backpropagated",
]
