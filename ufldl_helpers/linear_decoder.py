"""UFLDL's Linear Decoders: ZCA whitening and a sparse autoencoder with a linear output layer.

A sigmoid output can only reconstruct inputs in (0, 1), hence UFLDL's patch normalization to
[0.1, 0.9]. Its "Linear Decoders" chapter (exercise ``sparseAutoencoderLinearCost``) keeps the
sigmoid hidden layer but makes the output linear, so that ZCA-whitened patches, which are not
bounded, are reconstructed as they are::

    a2 = sigmoid(W1 @ x + b1)
    a3 = W2 @ a2 + b2                             linear reconstruction
    J  = 1/(2m) sum ||a3 - x||^2 + lambda_/2 (||W1||^2 + ||W2||^2) + beta sum_j KL(rho || rho_hat_j)
    delta3 = a3 - x                               (the sigmoid's derivative is gone)

Everything else (notation, ``theta = [W1, W2, b1, b2]``, the sparsity term) is that of
:mod:`ufldl_helpers.sparse_autoencoder`.
"""

from __future__ import annotations

import numpy as np

from ufldl_helpers._validation import check_array, check_scalar
from ufldl_helpers.activations import sigmoid
from ufldl_helpers.sparse_autoencoder import (
    _check_hyper,
    _check_theta,
    _kl,
    _kl_grad,
    layout,
)
from ufldl_helpers.whitening import principal_components

__all__ = ["sparse_autoencoder_linear_cost", "zca_whitening_matrix"]


def zca_whitening_matrix(patches: np.ndarray, epsilon: float) -> np.ndarray:
    """UFLDL's ZCA whitening matrix ``U diag(1 / sqrt(s + epsilon)) U^T`` of centred patches.

    ``s, U`` are the eigenvalues and eigenvectors of the covariance ``x x^T / m`` of the
    patches after each pixel's mean over the patches is removed (UFLDL's exercise;
    :func:`ufldl_helpers.whitening.principal_components`). Apply it as
    ``Z = zca @ (patches - patches.mean(axis=1, keepdims=True))``. ``epsilon`` regularizes:
    directions of variance far below ``epsilon`` (often noise) are not amplified.

    Parameters
    ----------
    patches : (n_pixels, m) float array
        One patch per column, ``m >= 2``.
    epsilon : float >= 0
        Added to every eigenvalue (UFLDL's Linear Decoders exercise: 0.1 on its colour patches).

    Returns
    -------
    zca : (n_pixels, n_pixels) float64
        Symmetric; with ``epsilon = 0`` (and a covariance of full rank) the whitened patches
        have identity covariance.
    """
    patches = check_array(patches, "patches", ndim=2)
    epsilon = float(check_scalar(epsilon, "epsilon", low=0))
    _, s, U = principal_components(patches)
    # relative: round-off leaves a singular covariance a tiny positive eigenvalue
    if epsilon == 0 and s.min() <= 1e-12 * s.max():
        raise ValueError("the covariance of patches is singular: pass epsilon > 0")
    return (U / np.sqrt(s + epsilon)) @ U.T


def sparse_autoencoder_linear_cost(theta: np.ndarray, visible_size: int, hidden_size: int,
                                   lambda_: float, sparsity_param: float, beta: float,
                                   data: np.ndarray) -> tuple[float, np.ndarray]:
    """UFLDL's ``sparseAutoencoderLinearCost``: the sparse autoencoder with a linear decoder.

    Parameters
    ----------
    theta : (2*hidden_size*visible_size + hidden_size + visible_size,) ndarray
        ``[W1, W2, b1, b2]`` unrolled row by row (the package's ``order="C"``).
    visible_size, hidden_size : int
    lambda_ : float >= 0
        Weight decay (on ``W1`` and ``W2`` only).
    sparsity_param : float in (0, 1)
        Target average activation ``rho``.
    beta : float >= 0
        Weight of the sparsity penalty.
    data : (visible_size, m) ndarray
        One example per column, any real values (e.g. ZCA-whitened patches).

    Returns
    -------
    cost : float
    grad : (size,) float64 ndarray, laid out like ``theta``

    Examples
    --------
    >>> from ufldl_helpers.sparse_autoencoder import initialize_parameters
    >>> theta = initialize_parameters(3, 4, rng=0)
    >>> x = np.random.default_rng(0).standard_normal((4, 5))
    >>> cost, grad = sparse_autoencoder_linear_cost(theta, 4, 3, 1e-4, 0.01, 3.0, x)
    >>> grad.shape == theta.shape
    True
    """
    lay = layout(visible_size, hidden_size)
    theta = _check_theta(theta, lay).astype(np.float64, copy=False)
    data = check_array(data, "data", ndim=2, shape=(visible_size, None)).astype(np.float64,
                                                                              copy=False)
    if data.shape[1] == 0:
        raise ValueError(f"data must hold at least one example (column), got shape {data.shape}")
    lambda_, rho, beta = _check_hyper(lambda_, sparsity_param, beta)
    p = lay.roll(theta)
    W1, W2, b1, b2 = p["W1"], p["W2"], p["b1"], p["b2"]
    m = data.shape[1]
    a2 = sigmoid(W1 @ data + b1[:, None])
    rho_hat = np.clip(a2.mean(axis=1), np.finfo(np.float64).eps, 1 - np.finfo(np.float64).eps)
    delta3 = W2 @ a2 + b2[:, None] - data
    cost = (0.5 / m * float(np.vdot(delta3, delta3))
            + 0.5 * lambda_ * (float(np.vdot(W1, W1)) + float(np.vdot(W2, W2)))
            + beta * float(np.sum(_kl(rho, rho_hat))))
    delta2 = (W2.T @ delta3 + beta * _kl_grad(rho, rho_hat)[:, None]) * a2 * (1 - a2)
    grads = {"W1": delta2 @ data.T / m + lambda_ * W1, "W2": delta3 @ a2.T / m + lambda_ * W2,
             "b1": delta2.sum(axis=1) / m, "b2": delta3.sum(axis=1) / m}
    return cost, lay.unroll(grads)
