"""The L-BFGS-B post: scipy's L-BFGS-B stops at iteration 0 although the gradient check passes.

Source: a Stack Overflow question tagged numpy, scipy, neural-network and backpropagation,
posted 2018-05-14; we could not locate its address, our copy is a machine-translated mirror.
The code quoted here is from that question, by its Stack Overflow author, CC BY-SA 4.0.

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

Why the line search gives up (:func:`line_search_trials`): L-BFGS-B accepts a trial step ``t``
along ``d`` only under the strong Wolfe conditions, sufficient decrease
``f(t) <= f(0) + FTOL * t * g(0)'d`` *and* curvature ``|g(t)'d| <= GTOL * |g(0)'d|``. When the
required decrease falls below half an ulp of ``f(0)`` the first test passes for the unchanged
cost, but ``g(t) = g(0)`` exactly, so the second can never hold.

The post's own numbers prove the diagnosis (:func:`weight_decay_ratio`): its first three ``jac``
entries (``W1[0, 0:3]``, weights from the always-blank top-left pixels, whose data gradient is
0) divided by the first three ``x`` entries give exactly ``lambda_ = 1e-4``, UFLDL's weight decay
in the sparse autoencoder exercise; and ``x`` ends in zeros, the initial biases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, overload

import numpy
import scipy.optimize
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_rng, check_scalar
from ufldl_helpers.activations import sigmoid
from ufldl_helpers.data import load_mnist
from ufldl_helpers.sparse_autoencoder import initialize_parameters
from ufldl_helpers.training import limit_blas_threads

__all__ = [
    "FTOL",
    "GTOL",
    "POSTED",
    "autoencoder_cost_and_grad",
    "check_grad_in_context",
    "compute_gradient_numerical_estimate",
    "line_search_trials",
    "mnist_problem",
    "objective",
    "stop_reason",
    "train",
    "weight_decay_ratio",
]

FTOL = 1e-3
"""L-BFGS-B's sufficient-decrease constant (``ftol`` of its line search ``dcsrch``)."""
GTOL = 0.9
"""L-BFGS-B's curvature constant (``gtol`` of ``dcsrch``): the strong Wolfe condition."""

POSTED: dict[str, Any] = {
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
    # The first three entries of jac and x: W1[0, 0:3], the weights of the top-left pixels.
    "jac_first": (-6.83667742e-06, -2.74886002e-06, -3.23531941e-06),
    "x_first": (-0.06836677, -0.0274886, -0.03235319),
    # x ends in b2 = 0: the initial biases, never moved.
    "x_last": (0.0, 0.0, 0.0),
}
"""The numbers in the post (scipy of 2018)."""


def autoencoder_cost_and_grad(theta: ArrayLike, visible_size: int, hidden_size: int,
                              lambda_: float, data: ArrayLike
                              ) -> tuple[float, numpy.ndarray]:
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


def compute_gradient_numerical_estimate(J: Callable[[numpy.ndarray], tuple[Any, Any]],
                                        theta: ArrayLike, epsilon: float = 0.0001
                                        ) -> numpy.ndarray:
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


_CostAndGrad = Callable[[numpy.ndarray], tuple[float, numpy.ndarray]]


@overload
def objective(theta: ArrayLike, visible_size: int, hidden_size: int, lambda_: float,
              data: ArrayLike, *, fixed: bool = False, jac: Literal[True] = True
              ) -> _CostAndGrad: ...


@overload
def objective(theta: ArrayLike, visible_size: int, hidden_size: int, lambda_: float,
              data: ArrayLike, *, fixed: bool = False, jac: bool
              ) -> _CostAndGrad | Callable[[numpy.ndarray], float]: ...


def objective(theta: ArrayLike, visible_size: int, hidden_size: int, lambda_: float,
              data: ArrayLike, *, fixed: bool = False, jac: bool = True
              ) -> _CostAndGrad | Callable[[numpy.ndarray], float]:
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
        def J(x: numpy.ndarray) -> tuple[float, numpy.ndarray]:
            return autoencoder_cost_and_grad(x, visible_size, hidden_size, lambda_, data)
    else:
        def J(x: numpy.ndarray) -> tuple[float, numpy.ndarray]:
            return autoencoder_cost_and_grad(theta, visible_size, hidden_size, lambda_, data)
    if jac:
        return J
    return lambda x: J(x)[0]


def train(theta: ArrayLike, visible_size: int, hidden_size: int, lambda_: float,
          data: ArrayLike, *, fixed: bool = False, jac: bool = True, maxiter: int = 4000,
          maxls: int = 20) -> scipy.optimize.OptimizeResult:
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


def mnist_problem(m: int = 200, hidden_size: int = 10,
                  rng: numpy.random.Generator | int | None = None
                  ) -> tuple[numpy.ndarray, numpy.ndarray]:
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


def check_grad_in_context(theta: ArrayLike, visible_size: int, hidden_size: int,
                          lambda_: float, data: ArrayLike) -> dict[str, float | int]:
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
    def cost(x: numpy.ndarray) -> float:
        return autoencoder_cost_and_grad(x, visible_size, hidden_size, lambda_, data)[0]

    def grad(x: numpy.ndarray) -> numpy.ndarray:
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


def weight_decay_ratio(jac: ArrayLike, x: ArrayLike) -> numpy.ndarray:
    """``jac / x`` entry by entry: the weight decay ``lambda_`` where the data gradient is 0.

    On a pixel that is blank in every example, ``W1``'s data gradient ``delta2 @ a1.T / m`` is
    0, so its gradient is ``lambda_ * W1`` and the ratio is ``lambda_`` (up to the rounding of
    the printed digits). Use it with the post's ``POSTED["jac_first"], POSTED["x_first"]``.

    Parameters
    ----------
    jac, x : (k,) array_like
        Gradient entries and the parameters they belong to (nonzero).

    Returns
    -------
    (k,) ndarray
    """
    x = check_array(x, "x", ndim=1)
    jac = check_array(jac, "jac", shape=x.shape)
    if numpy.any(x == 0):
        raise ValueError("x must be nonzero to divide by it")
    return jac / x


def line_search_trials(theta: ArrayLike, visible_size: int, hidden_size: int, lambda_: float,
                       data: ArrayLike, *, fixed: bool = False, maxls: int = 20
                       ) -> dict[str, Any]:
    """Record the first line search of :func:`train` and apply its acceptance tests per trial.

    Every evaluation after the first is a trial point ``x = theta + t * d`` along the first
    search direction ``d = -g(0)``. ``t`` is recovered from the coordinates where ``theta`` is 0
    (the biases), where ``x = t * d`` is exact to rounding. Each trial is then tested as
    L-BFGS-B's line search ``dcsrch`` tests it, in the same floating-point operations:

    * sufficient decrease (Armijo): ``f(t) <= f(0) + t * (FTOL * g(0)'d)``;
    * curvature (strong Wolfe): ``|g(t)'d| <= GTOL * |g(0)'d|``.

    A step is accepted only when both hold.

    Parameters
    ----------
    theta, visible_size, hidden_size, lambda_, data, fixed
        As in :func:`objective`.
    maxls : int
        The line-search limit of :func:`train`.

    Returns
    -------
    dict
        ``t`` (trial steps, in order), ``f`` (costs at the trials), ``f0``, ``slope0``
        (``g(0)'d``, negative), ``slope`` (``g(t)'d`` per trial), ``required`` (the required
        decrease ``FTOL * t * |g(0)'d|``), ``ulp`` (the spacing of float64 at ``f0``),
        ``sufficient_decrease`` and ``curvature`` (bool arrays), ``result`` (the
        ``OptimizeResult``). Only the first line search is recorded (``maxiter=1``): with
        ``fixed=True`` the arrays end at its accepted trial.
    """
    J = objective(theta, visible_size, hidden_size, lambda_, data, fixed=fixed)
    theta = check_array(theta, "theta", ndim=1)
    points = []

    def recorded(x: numpy.ndarray) -> tuple[float, numpy.ndarray]:
        points.append(numpy.array(x, dtype=float))
        return J(x)

    maxls = check_scalar(maxls, "maxls", low=1, integer=True)
    with limit_blas_threads(numpy_threads=1):
        result = scipy.optimize.minimize(recorded, theta, method="L-BFGS-B", jac=True,
                                         options={"maxiter": 1, "maxls": maxls})
    f0, g0 = J(theta)
    d = -g0
    slope0 = float(g0 @ d)
    exact = (theta == 0) & (d != 0)
    if not numpy.any(exact):
        raise ValueError("theta needs zero entries (the initial biases) to recover the steps")
    trials: dict[str, list[float]] = {"t": [], "f": [], "slope": []}
    # maxiter=1: every evaluation after the first is a trial of the first line search.
    for x in points[1:]:
        t_k = float(numpy.median(x[exact] / d[exact]))
        off_line = numpy.linalg.norm(x - (theta + t_k * d))
        if off_line > 1e-6 * abs(t_k) * numpy.linalg.norm(d) + 8 * numpy.finfo(float).eps \
                * numpy.linalg.norm(theta):
            raise RuntimeError("a trial point is off the line theta + t*d: L-BFGS-B's first "
                               "direction was not -g(0)")
        f_k, g = J(x)
        trials["t"].append(t_k)
        trials["f"].append(f_k)
        trials["slope"].append(float(g @ d))
    t = numpy.array(trials["t"])
    f = numpy.array(trials["f"])
    slope = numpy.array(trials["slope"])
    ftest = f0 + t * (FTOL * slope0)
    return {
        "t": t,
        "f": f,
        "f0": f0,
        "slope0": slope0,
        "slope": slope,
        "required": FTOL * t * abs(slope0),
        "ulp": float(numpy.spacing(f0)),
        "sufficient_decrease": f <= ftest,
        "curvature": numpy.abs(slope) <= GTOL * abs(slope0),
        "result": result,
    }


def stop_reason(result: scipy.optimize.OptimizeResult) -> str:
    """The first word of L-BFGS-B's message: ``"ABNORMAL"``, ``"CONVERGENCE"`` or ``"STOP"``.

    scipy words the messages differently across versions (``ABNORMAL_TERMINATION_IN_LNSRCH``
    before 1.15, ``ABNORMAL:`` since; bytes in old versions); the first word is stable.

    Parameters
    ----------
    result : scipy.optimize.OptimizeResult

    Returns
    -------
    str
    """
    message = result.message
    if isinstance(message, bytes):
        message = message.decode()
    return str(message).strip().split(":")[0].split("_")[0].split(" ")[0]
