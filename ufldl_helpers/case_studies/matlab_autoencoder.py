"""The MATLAB autoencoder post: the decoder's gradient check disagrees with backprop.

Source: "Checking the gradient when doing gradient descent", Stack Overflow question 6552851
(2011), https://stackoverflow.com/questions/6552851/checking-the-gradient-when-doing-gradient-descent;
the code quoted here is from that question, by its Stack Overflow author, CC BY-SA 3.0.

The learner's network has 784 visible and 200 hidden units, untied ``encoder`` (784 x 200) and
``decoder`` (200 x 784), no biases, sigmoid units, squared error, and MATLAB's row-vector
convention (an image ``x`` is a 1 x 784 row). The code as posted::

    a = sigmoid(x*encoder);
    z = sigmoid(a*decoder);
    error_0 = (z - x).*z.*(1-z);
    gDecoder = error_0'*a;
    error_1 = (error_0*encoder).*a.*(1-a);
    gEncoder = error_1'*x;

and the check loops over ``decoder(:)`` with ``epsilon = 10e-5`` and
``Jp = sum(0.5*(z - x).^2)``. Every bug is switchable through ``fixes`` (letters from
:data:`FIXES`), so each fix can be shown moving the numbers:

``"A"``
    ``gDecoder = error_0'*a`` is 784 x 200, the *transpose* of the decoder's 200 x 784. ``(:)``
    unrolls both to 156800 numbers, so nothing errors, but entry i names a different weight in
    each. Only the first and the last entries map onto themselves
    (:func:`transpose_fixed_points`). Fix: ``gDecoder = a'*error_0``.
``"B"``
    ``error_1`` backpropagates through ``encoder`` instead of ``decoder'``: with untied weights
    both are 784 x 200, so it runs. Fix: ``error_1 = (error_0*decoder').*a.*(1-a)``.
``"C"``
    ``gEncoder = error_1'*x`` is transposed too (200 x 784). Fix: ``gEncoder = x'*error_1``.
``"D"``
    (latent) with a batch of images (rows of ``x``), MATLAB's ``sum`` adds over the first
    dimension only and returns a 1 x 784 row, not a scalar. MATLAB raises nothing: ``grad_i``
    becomes a 1 x 784 row with one non-zero entry, and ``fprintf`` cycles its format through
    all 1570 numbers, 4 per line (:func:`posted_check_output`). Fix: ``sum(sum(...))``.

``epsilon = 10e-5`` is 1e-4, not 1e-5: harmless here (1e-4 is UFLDL's own choice).

Numbers follow MATLAB where it matters: row vectors, column-major ``(:)`` (``order="F"``), and
``sum`` over the first non-singleton dimension (:func:`matlab_sum`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_rng, check_scalar, check_subset
from ufldl_helpers.activations import sigmoid
from ufldl_helpers.gradcheck import numerical_gradient
from ufldl_helpers.params import ParamLayout

__all__ = [
    "FIXES",
    "POSTED_EPSILON",
    "POSTED_LINES",
    "cost",
    "cost_and_grad",
    "decoder_check",
    "encoder_ratio",
    "format_check_lines",
    "gradients",
    "initialize_weights",
    "layout",
    "matlab_fprintf",
    "matlab_sum",
    "posted_check_output",
    "transpose_fixed_points",
]

FIXES = {
    "A": "gDecoder = a'*error_0 (the decoder's shape, not its transpose)",
    "B": "error_1 = (error_0*decoder').*a.*(1-a) (backpropagate through the decoder)",
    "C": "gEncoder = x'*error_1 (the encoder's shape, not its transpose)",
    "D": "J = sum(sum(0.5*(z - x).^2)) (a scalar for a batch too)",
}
"""The post's four bugs by letter: ``letter -> the corrected MATLAB line``."""

POSTED_EPSILON = 10e-5
"""The post's ``epsilon = 10e-5``, which is 1e-4 (10 x 10^-5), not 1e-5."""

POSTED_LINES = (
    (2, 0.093885, 0.028398, 0.065487),
    (3, 0.066285, 0.031096, 0.035189),
    (5, 0.053074, 0.019839, 0.033235),
    (6, 0.108249, 0.042407, 0.065843),
    (7, 0.091576, 0.009014, 0.082562),
)
"""The post's output lines ``i: numerical <=> analytic: |difference|`` (1-based i)."""


def _check_fixes(fixes: str | Iterable[str]) -> frozenset[str]:
    # A string names fixes by their letters: "ABC".
    return check_subset(tuple(fixes) if isinstance(fixes, str) else fixes, "fixes", tuple(FIXES))


def _check_weights(x: ArrayLike, encoder: ArrayLike, decoder: ArrayLike
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = check_array(x, "x", ndim=2)
    v = x.shape[1]
    encoder = check_array(encoder, "encoder", shape=(v, None))
    decoder = check_array(decoder, "decoder", shape=(encoder.shape[1], v))
    return x, encoder, decoder


def initialize_weights(num_visible: int = 784, num_hidden: int = 200,
                       rng: np.random.Generator | int | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The post's initialization: uniform in +-4*sqrt(6/(numHidden + numVisible)).

    Parameters
    ----------
    num_visible, num_hidden : int
    rng : numpy.random.Generator, int or None

    Returns
    -------
    encoder : (num_visible, num_hidden) ndarray
    decoder : (num_hidden, num_visible) ndarray
    """
    num_visible = check_scalar(num_visible, "num_visible", low=1, integer=True)
    num_hidden = check_scalar(num_hidden, "num_hidden", low=1, integer=True)
    rng = check_rng(rng)
    high = 4 * np.sqrt(6.0 / (num_hidden + num_visible))
    low = -high
    encoder = low + (high - low) * rng.random((num_visible, num_hidden))
    decoder = low + (high - low) * rng.random((num_hidden, num_visible))
    return encoder, decoder


def layout(num_visible: int = 784, num_hidden: int = 200) -> ParamLayout:
    """``theta = [encoder(:); decoder(:)]``, column-major as in MATLAB."""
    return ParamLayout.from_shapes(
        {"encoder": (num_visible, num_hidden), "decoder": (num_hidden, num_visible)}, order="F")


def matlab_sum(A: ArrayLike) -> float | np.ndarray:
    """MATLAB's ``sum(A)`` for a matrix: over the first dimension whose size is not 1.

    A 1 x n row sums to a scalar; an m x n matrix with m > 1 sums to a 1 x n row.

    Parameters
    ----------
    A : (rows, cols) ndarray

    Returns
    -------
    float or (1, cols) ndarray
    """
    A = check_array(A, "A", ndim=2)
    if A.shape[0] == 1:
        return float(np.sum(A))
    return np.sum(A, axis=0, keepdims=True)


def cost(x: ArrayLike, encoder: ArrayLike, decoder: ArrayLike,
         fixes: str | Iterable[str] = ()) -> float | np.ndarray:
    """The post's cost ``sum(0.5*(z - x).^2)``; with fix ``"D"``, the full sum.

    Parameters
    ----------
    x : (m, num_visible) ndarray
        Images as rows (the post uses one image, m = 1).
    encoder : (num_visible, num_hidden) ndarray
    decoder : (num_hidden, num_visible) ndarray
    fixes : str or iterable of letters from :data:`FIXES`

    Returns
    -------
    float, or (1, num_visible) ndarray as posted with m > 1 (bug D)
    """
    x, encoder, decoder = _check_weights(x, encoder, decoder)
    fixes = _check_fixes(fixes)
    a = sigmoid(x @ encoder)
    z = sigmoid(a @ decoder)
    sq = 0.5 * (z - x) ** 2
    return float(np.sum(sq)) if "D" in fixes else matlab_sum(sq)


def gradients(x: ArrayLike, encoder: ArrayLike, decoder: ArrayLike,
              fixes: str | Iterable[str] = ()) -> tuple[np.ndarray, np.ndarray]:
    """The post's backprop, with the chosen fixes.

    Parameters
    ----------
    x : (m, num_visible) ndarray
    encoder : (num_visible, num_hidden) ndarray
    decoder : (num_hidden, num_visible) ndarray
    fixes : str or iterable of letters from :data:`FIXES`

    Returns
    -------
    gEncoder : (num_hidden, num_visible) as posted, (num_visible, num_hidden) with fix C
    gDecoder : (num_visible, num_hidden) as posted, (num_hidden, num_visible) with fix A
    """
    x, encoder, decoder = _check_weights(x, encoder, decoder)
    fixes = _check_fixes(fixes)
    a = sigmoid(x @ encoder)
    z = sigmoid(a @ decoder)
    error_0 = (z - x) * z * (1 - z)
    gDecoder = a.T @ error_0 if "A" in fixes else error_0.T @ a
    error_1 = (error_0 @ (decoder.T if "B" in fixes else encoder)) * a * (1 - a)
    gEncoder = x.T @ error_1 if "C" in fixes else error_1.T @ x
    return gEncoder, gDecoder


def cost_and_grad(theta: ArrayLike, x: ArrayLike, num_visible: int = 784,
                  num_hidden: int = 200, fixes: str | Iterable[str] = ()
                  ) -> tuple[float | np.ndarray, np.ndarray]:
    """``fun(theta) -> (cost, grad)`` for a gradient checker, in MATLAB's unrolling.

    ``grad = [gEncoder(:); gDecoder(:)]``, each unrolled column-major whatever its shape, which
    is exactly what hides bugs A and C: a transposed gradient has the same number of entries.

    Parameters
    ----------
    theta : (2 * num_visible * num_hidden,) ndarray
        ``[encoder(:); decoder(:)]`` (see :func:`layout`).
    x : (m, num_visible) ndarray
    num_visible, num_hidden : int
    fixes : str or iterable of letters from :data:`FIXES`

    Returns
    -------
    cost : float, or (1, num_visible) ndarray as posted with m > 1 (bug D)
    grad : ndarray, shape of theta
    """
    lay = layout(num_visible, num_hidden)
    theta = check_array(theta, "theta", shape=(lay.size,))
    w = lay.roll(theta)
    gEncoder, gDecoder = gradients(x, w["encoder"], w["decoder"], fixes)
    grad = np.concatenate([gEncoder.ravel(order="F"), gDecoder.ravel(order="F")])
    return cost(x, w["encoder"], w["decoder"], fixes), grad


def decoder_check(x: ArrayLike, encoder: ArrayLike, decoder: ArrayLike, indices: ArrayLike, *,
                  epsilon: float = POSTED_EPSILON, fixes: str | Iterable[str] = ()
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The post's check loop over ``decoder(:)``, for the given (0-based) indices.

    ``theta = decoder(:); theta(i) += epsilon; decoderp = reshape(theta, size(decoder))``, the
    same for ``-epsilon``, and ``grad_i = (Jp - Jm)/(2*epsilon)`` next to ``check(i)`` where
    ``check = gDecoder(:)``.

    Parameters
    ----------
    x : (m, num_visible) ndarray
    encoder, decoder : ndarray
    indices : array of int
        0-based positions in ``decoder(:)`` (the post prints i + 1).
    epsilon : float
    fixes : str or iterable of letters from :data:`FIXES`

    Returns
    -------
    numerical : (k,) ndarray
    analytic : (k,) ndarray
    """
    x, encoder, decoder = _check_weights(x, encoder, decoder)
    epsilon = check_scalar(epsilon, "epsilon", low=0, low_inclusive=False)
    indices = check_array(indices, "indices", ndim=1, dtype="real")
    if indices.size and (np.any(indices != np.round(indices)) or indices.min() < 0
                         or indices.max() >= decoder.size):
        raise ValueError(f"indices must be integers in 0 .. {decoder.size - 1}")
    check = gradients(x, encoder, decoder, fixes)[1].ravel(order="F")
    flat = decoder.ravel(order="F")
    numerical = np.empty(indices.size)
    for j, i in enumerate(indices.astype(int)):
        values: list[Any] = []  # float costs (np.isscalar's guard is wider)
        for step in (epsilon, -epsilon):
            theta = flat.copy()
            theta[i] += step
            decoderp = theta.reshape(decoder.shape, order="F")
            J = cost(x, encoder, decoderp, fixes)
            if not np.isscalar(J):
                raise ValueError(f"the cost is a {np.shape(J)} array, not a scalar: with "
                                 f"{x.shape[0]} images, sum(0.5*(z - x).^2) sums over the "
                                 "first dimension only (bug D; fix it with fixes='D')")
            values.append(J)
        numerical[j] = (values[0] - values[1]) / (2 * epsilon)
    return numerical, check[indices.astype(int)]


def format_check_lines(indices: Iterable[float], numerical: Iterable[float],
                       analytic: Iterable[float]) -> str:
    """The post's ``fprintf('%d: %f <=> %f: %f\\n', i, grad_i, check(i), diff)``, 1-based i."""
    return "\n".join(f"{int(i) + 1}: {n:f} <=> {a:f}: {abs(n - a):f}"
                     for i, n, a in zip(indices, numerical, analytic, strict=True))


def transpose_fixed_points(shape: tuple[int, int]) -> np.ndarray:
    """Positions k where ``G(:)`` and ``G'(:)`` name the same entry of G.

    For a (p, q) matrix unrolled column-major, entry k of ``G'(:)`` is ``G[k // q, k % q]``
    while entry k of ``G(:)`` is ``G[k % p, k // p]``. When ``gcd(p - 1, q - 1) == 1`` (784 x 200
    included) only the first and the last entries coincide.

    Parameters
    ----------
    shape : (p, q) tuple of int

    Returns
    -------
    (k,) int ndarray, 0-based, increasing
    """
    p, q = (check_scalar(s, "shape", low=1, integer=True) for s in shape)
    k = np.arange(p * q)
    same = (k % p == k // q) & (k // p == k % q)
    return k[same]


def _matlab_format_one(spec: str, value: float) -> str:
    # MATLAB: a %d conversion that does not fit the value (not an integer) becomes %e.
    if spec == "d":
        if float(value).is_integer():
            return f"{int(value):d}"
        return f"{value:e}"
    return f"{value:f}"


def matlab_fprintf(fmt: str, *args: ArrayLike) -> str:
    """MATLAB's ``fprintf(fmt, args...)`` for ``%d`` and ``%f`` conversions, as text.

    MATLAB flattens every argument (column-major) into one list of numbers and applies ``fmt``
    to them again and again until the list is used up; output stops at the first conversion
    that has no number left. A ``%d`` given a non-integer prints as ``%e``.

    Parameters
    ----------
    fmt : str
        A format with ``%d`` / ``%f`` conversions and literal text (``\\n`` as a newline).
    *args : scalars or arrays

    Returns
    -------
    str
    """
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a str, got {type(fmt).__name__}")
    pieces = fmt.replace("\\n", "\n").split("%")
    literals, specs = [pieces[0]], []
    for piece in pieces[1:]:
        if not piece or piece[0] not in "df":
            raise ValueError(f"fmt may only use %d and %f conversions, got %{piece[:1]}")
        specs.append(piece[0])
        literals.append(piece[1:])
    values = np.concatenate([np.ravel(np.asarray(a, dtype=float), order="F") for a in args])
    if not specs:
        return fmt
    out, k = [], 0
    while k < values.size:
        out.append(literals[0])
        for spec, literal in zip(specs, literals[1:], strict=True):
            if k == values.size:
                return "".join(out)
            out.append(_matlab_format_one(spec, values[k]))
            out.append(literal)
            k += 1
    return "".join(out)


def posted_check_output(x: ArrayLike, encoder: ArrayLike, decoder: ArrayLike, i: int, *,
                        epsilon: float = POSTED_EPSILON, fixes: str | Iterable[str] = ()
                        ) -> tuple[float | np.ndarray, str]:
    """What one pass of the post's check loop computes and prints, with MATLAB's semantics.

    With several images (rows of ``x``) and no fix D, ``Jp`` and ``Jm`` are 1 x num_visible
    rows, so ``grad_i`` and ``diff`` are rows too, and the post's ``fprintf`` line spreads them
    over many lines instead of raising an error.

    Parameters
    ----------
    x : (m, num_visible) ndarray
    encoder, decoder : ndarray
    i : int
        0-based position in ``decoder(:)``.
    epsilon : float
    fixes : str or iterable of letters from :data:`FIXES`

    Returns
    -------
    grad_i : float or (1, num_visible) ndarray
    text : str
        ``fprintf('%d: %f <=> %f: %f\\n', i, grad_i, check(i), diff)`` with 1-based ``i``.
    """
    x, encoder, decoder = _check_weights(x, encoder, decoder)
    i = check_scalar(i, "i", low=0, high=decoder.size - 1, integer=True)
    fixes = _check_fixes(fixes)
    check = gradients(x, encoder, decoder, fixes)[1].ravel(order="F")
    J = []
    for step in (epsilon, -epsilon):
        theta = decoder.ravel(order="F").copy()
        theta[i] += step
        J.append(cost(x, encoder, theta.reshape(decoder.shape, order="F"), fixes))
    grad_i = (J[0] - J[1]) / (2 * epsilon)
    diff = np.abs(grad_i - check[i])
    return grad_i, matlab_fprintf("%d: %f <=> %f: %f\\n", i + 1, grad_i, check[i], diff)


def encoder_ratio(x: ArrayLike, encoder: ArrayLike, decoder: ArrayLike,
                  fixes: str | Iterable[str] = "AC", *, epsilon: float = 1e-4) -> np.ndarray:
    """Numerical over analytic gradient of every encoder weight: the signature of bug B.

    With one image and fixes A and C, ``gEncoder(p, h) = x(p) * error_1(h)``, while the true
    gradient is ``x(p) * e(h)`` with ``e`` backpropagated through ``decoder'``. Their ratio
    ``e(h) / error_1(h)`` is the same for every pixel ``p``: each column (hidden unit) of the
    result is constant, a different constant per column. Pixels where ``x`` is 0 give NaN
    (both gradients are 0 there).

    Without fix C, ``gEncoder`` is the transpose of ``encoder``; as in the post's check, entry
    ``k`` of ``encoder(:)`` is then compared with entry ``k`` of ``gEncoder(:)``, another weight's
    derivative for most ``k``, so the ratios scatter with no pattern.

    Parameters
    ----------
    x : (1, num_visible) ndarray
        One image (with several, the sums over images mix the ratios).
    encoder : (num_visible, num_hidden) ndarray
    decoder : (num_hidden, num_visible) ndarray
    fixes : str or iterable of letters from :data:`FIXES`
    epsilon : float

    Returns
    -------
    (num_visible, num_hidden) ndarray
    """
    x, encoder, decoder = _check_weights(x, encoder, decoder)
    fixes = _check_fixes(fixes)
    v, h = encoder.shape

    def encoder_cost(flat: np.ndarray) -> float | np.ndarray:
        return cost(x, flat.reshape((v, h), order="F"), decoder, "D")

    numerical = numerical_gradient(encoder_cost, encoder.ravel(order="F"), epsilon=epsilon)
    analytic = gradients(x, encoder, decoder, fixes)[0].ravel(order="F")  # check = gEncoder(:)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(analytic != 0, numerical / np.where(analytic != 0, analytic, 1), np.nan)
    return ratio.reshape((v, h), order="F")
