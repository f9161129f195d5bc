"""Document 001: scipy's L-BFGS-B stops at iteration 0 although the gradient check passes.

The learner's autoencoder cost (UFLDL notation, ``theta = [W1, W2, b1, b2]``, weight decay, no
sparsity) is correct, and their own finite-difference check agrees (6.9e-09). Yet::

    J = lambda x: utils.autoencoder_cost_and_grad(theta, visible_size, hidden_size, lambda_,
                                                  patches_train)
    result = scipy.optimize.minimize(J, theta, method='L-BFGS-B', jac=True, options=options_)

ends with ``ABNORMAL_TERMINATION_IN_LNSRCH``, ``nit 0``, ``nfev 21``. The lambda ignores its
argument ``x``: every evaluation returns the cost and gradient at the *initial* theta, so no
trial step of the line search ever lowers the cost; after ``maxls = 20`` trial steps (plus the
first evaluation: 21) L-BFGS-B gives up. The author's check passed because it called the cost
function directly, not ``J``. Dropping ``jac=True`` seems to "work": scipy's finite differences
of a constant function are exactly zero, so it declares convergence at once, at the unchanged
cost. The fix is ``lambda x: autoencoder_cost_and_grad(x, ...)`` (:func:`objective` with
``fixed=True``).

``check_grad``'s 9.6e-05 is not alarming either: it is the absolute 2-norm of the difference
over all 16474 entries, with forward differences of step ``sqrt(eps) = 1.5e-8`` on a cost of
about 90, whose round-off alone is ``~eps * 90 / 1.5e-8 = 1.3e-6`` per entry
(:func:`check_grad_in_context`).
"""

from __future__ import annotations

import numpy
import scipy.optimize

from ufldl_helpers._validation import check_array, check_rng, check_scalar
from ufldl_helpers.activations import sigmoid
from ufldl_helpers.data import load_mnist
from ufldl_helpers.sparse_autoencoder import initialize_parameters
from ufldl_helpers.training import limit_blas_threads

__all__ = [
    "POSTED",
    "autoencoder_cost_and_grad",
    "check_grad_in_context",
    "compute_gradient_numerical_estimate",
    "mnist_problem",
    "objective",
    "train",
]

POSTED = {
    "fun": 90.802022224079778,
    "message": "ABNORMAL_TERMINATION_IN_LNSRCH",
    "nfev": 21,
    "nit": 0,
    "status": 2,
    "success": False,
    "n_parameters": 16474,
    "numerical_check_norm": 6.87165125021e-09,
    "check_grad": 9.59683630072e-05,
    # The last three entries of the returned jac (b2's gradient): (a - x) * a * (1 - a) with
    # a ~ 0.5 at the start and x = 0 on most pixels gives about 0.125.
    "jac_last": (1.22425735e-01, 1.23425062e-01, 1.28091250e-01),
}
"""The numbers in the post (scipy of 2018)."""


def autoencoder_cost_and_grad(theta, visible_size, hidden_size, lambda_, data):
    """The posted cost and gradient (squared error + weight decay, no sparsity), as written.

    Parameters
    ----------
    theta : (2 * hidden_size * visible_size + hidden_size + visible_size,) ndarray
        ``[W1, W2, b1, b2]`` unrolled row by row; ``W1 : (hidden_size, visible_size)``,
        ``W2 : (visible_size, hidden_size)``.
    visible_size, hidden_size : int
    lambda_ : float
    data : (visible_size, m) ndarray
        One example per column.

    Returns
    -------
    cost : float
    grad : ndarray, shape of theta
    """
    visible_size = check_scalar(visible_size, "visible_size", low=1, integer=True)
    hidden_size = check_scalar(hidden_size, "hidden_size", low=1, integer=True)
    lambda_ = check_scalar(lambda_, "lambda_", low=0)
    theta = check_array(theta, "theta",
                        shape=(2 * hidden_size * visible_size + hidden_size + visible_size,))
    data = check_array(data, "data", ndim=2, shape=(visible_size, None))
    training_size = data.shape[1]
    hv = hidden_size * visible_size
    W1 = theta[0:hv].reshape(hidden_size, visible_size)
    W2 = theta[hv:2 * hv].reshape(visible_size, hidden_size)
    b1 = theta[2 * hv:2 * hv + hidden_size]
    b2 = theta[2 * hv + hidden_size:2 * hv + hidden_size + visible_size]
    a_l1 = data
    z_l2 = W1.dot(a_l1) + numpy.tile(b1, (training_size, 1)).T
    a_l2 = sigmoid(z_l2)
    z_l3 = W2.dot(a_l2) + numpy.tile(b2, (training_size, 1)).T
    a_l3 = sigmoid(z_l3)
    delta_l3 = numpy.multiply(-(data - a_l3), numpy.multiply(a_l3, 1 - a_l3))
    delta_l2 = numpy.multiply(W2.T.dot(delta_l3), numpy.multiply(a_l2, 1 - a_l2))
    b2_derivative = numpy.sum(delta_l3, axis=1) / training_size
    b1_derivative = numpy.sum(delta_l2, axis=1) / training_size
    W2_derivative = numpy.dot(delta_l3, a_l2.T) / training_size + lambda_ * W2
    W1_derivative = numpy.dot(delta_l2, a_l1.T) / training_size + lambda_ * W1
    grad = numpy.concatenate((W1_derivative.reshape(hv), W2_derivative.reshape(hv),
                              b1_derivative, b2_derivative))
    cost = (0.5 * numpy.sum((data - a_l3) ** 2) / training_size
            + 0.5 * lambda_ * (numpy.sum(W1 ** 2) + numpy.sum(W2 ** 2)))
    return float(cost), grad


def compute_gradient_numerical_estimate(J, theta, epsilon=0.0001):
    """The author's own check, as posted: central differences of ``J(theta)[0]``.

    Kept to show *why* it passed: it was given the cost function itself, which reads its
    argument. (For checking your own code use :func:`ufldl_helpers.gradcheck.check_gradient`.)

    Parameters
    ----------
    J : callable
        ``J(theta) -> (cost, grad)``.
    theta : (n,) ndarray
    epsilon : float

    Returns
    -------
    (n,) ndarray
    """
    theta = check_array(theta, "theta", ndim=1)
    epsilon = check_scalar(epsilon, "epsilon", low=0, low_inclusive=False)
    gradient = numpy.zeros(theta.shape)
    eps_vector = numpy.zeros(theta.shape)
    for i in range(0, theta.size):
        eps_vector[i] = epsilon
        cost1, _ = J(theta + eps_vector)
        cost2, _ = J(theta - eps_vector)
        gradient[i] = (cost1 - cost2) / (2 * epsilon)
        eps_vector[i] = 0
    return gradient


def objective(theta, visible_size, hidden_size, lambda_, data, *, fixed=False, jac=True):
    """The function handed to ``scipy.optimize.minimize``.

    Parameters
    ----------
    theta : ndarray
        The initial parameters (the outer variable the posted lambda closes over).
    visible_size, hidden_size, lambda_, data
        As in :func:`autoencoder_cost_and_grad`.
    fixed : bool
        ``False``: the posted ``lambda x: autoencoder_cost_and_grad(theta, ...)``, which ignores
        ``x``. ``True``: ``lambda x: autoencoder_cost_and_grad(x, ...)``.
    jac : bool
        ``True``: return ``(cost, grad)`` (for ``jac=True``). ``False``: the cost alone, as in
        the author's experiment without ``jac=True``.

    Returns
    -------
    callable
    """
    theta = check_array(theta, "theta", ndim=1).copy()
    autoencoder_cost_and_grad(theta, visible_size, hidden_size, lambda_, data)  # validate now
    if fixed:
        def J(x):
            return autoencoder_cost_and_grad(x, visible_size, hidden_size, lambda_, data)
    else:
        def J(x):
            return autoencoder_cost_and_grad(theta, visible_size, hidden_size, lambda_, data)
    if jac:
        return J
    return lambda x: J(x)[0]


def train(theta, visible_size, hidden_size, lambda_, data, *, fixed=False, jac=True,
          maxiter=4000, maxls=20):
    """The post's ``scipy.optimize.minimize(J, theta, method='L-BFGS-B', jac=True, ...)``.

    Parameters
    ----------
    theta, visible_size, hidden_size, lambda_, data, fixed, jac
        As in :func:`objective`.
    maxiter : int
        The post's 4000.
    maxls : int
        L-BFGS-B's limit on line-search steps per iteration (scipy's default, 20): a line search
        that never finds a decrease stops after ``1 + maxls`` evaluations.

    Returns
    -------
    scipy.optimize.OptimizeResult
    """
    maxiter = check_scalar(maxiter, "maxiter", low=1, integer=True)
    maxls = check_scalar(maxls, "maxls", low=1, integer=True)
    J = objective(theta, visible_size, hidden_size, lambda_, data, fixed=fixed, jac=jac)
    # The post also passed 'disp': False, an option scipy 1.17 deprecates; it prints nothing
    # either way. The products are small (10 hidden units): extra BLAS threads only wait.
    with limit_blas_threads(numpy_threads=1):
        return scipy.optimize.minimize(J, theta, method="L-BFGS-B", jac=jac,
                                       options={"maxiter": maxiter, "maxls": maxls})


def mnist_problem(m=200, hidden_size=10, rng=None):
    """The post's setting on the bundled MNIST digits: 784 visible units, UFLDL initialization.

    Parameters
    ----------
    m : int
        Number of digits (columns) of ``data``, the first ``m`` bundled ones.
    hidden_size : int
        The post's 10 gives 2*784*10 + 10 + 784 = 16474 parameters.
    rng : numpy.random.Generator, int or None
        For the initial weights.

    Returns
    -------
    theta : (2*784*hidden_size + hidden_size + 784,) ndarray
    data : (784, m) ndarray in [0, 1]
    """
    m = check_scalar(m, "m", low=1, integer=True)
    data, _ = load_mnist(n=m)
    return initialize_parameters(hidden_size, 784, rng=check_rng(rng)), data


def check_grad_in_context(theta, visible_size, hidden_size, lambda_, data):
    """Run ``scipy.optimize.check_grad`` as the author did and put its number in context.

    ``check_grad`` returns ``norm(grad - forward_differences)``: an *absolute* 2-norm over all
    n entries, with step ``sqrt(eps) = 1.49e-8``. Its size is set by the round-off of the
    forward difference, about ``eps * |J| / step`` per entry, times ``sqrt(n)``; judge it
    relative to ``norm(grad)``.

    Returns
    -------
    dict
        ``check_grad`` (the absolute norm), ``grad_norm``, ``relative`` (their ratio),
        ``roundoff_per_entry`` (``eps * |J| / step``), ``roundoff_bound``
        (``sqrt(n)`` times that), ``n``, ``cost``.
    """
    def cost(x):
        return autoencoder_cost_and_grad(x, visible_size, hidden_size, lambda_, data)[0]

    def grad(x):
        return autoencoder_cost_and_grad(x, visible_size, hidden_size, lambda_, data)[1]

    theta = check_array(theta, "theta", ndim=1)
    J0, g0 = autoencoder_cost_and_grad(theta, visible_size, hidden_size, lambda_, data)
    step = float(numpy.sqrt(numpy.finfo(numpy.float64).eps))
    value = float(scipy.optimize.check_grad(cost, grad, theta, epsilon=step))
    per_entry = float(numpy.finfo(numpy.float64).eps * abs(J0) / step)
    grad_norm = float(numpy.linalg.norm(g0))
    return {
        "check_grad": value,
        "grad_norm": grad_norm,
        "relative": value / grad_norm,
        "roundoff_per_entry": per_entry,
        "roundoff_bound": per_entry * float(numpy.sqrt(theta.size)),
        "n": int(theta.size),
        "cost": J0,
    }
