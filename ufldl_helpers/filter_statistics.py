"""A trained first layer measured: the sparsity it reached and a Gabor fit of every filter.

The fit and its localized-edge criterion are those of :mod:`ufldl_helpers.filters`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
from numpy.typing import ArrayLike

from ufldl_helpers._validation import check_array, check_scalar
from ufldl_helpers.activations import sigmoid
from ufldl_helpers.filters import GaborFit, fit_gabors

if TYPE_CHECKING:
    from ufldl_helpers.training import TrainingResult

__all__ = ["FilterStatistics", "filter_statistics"]


@dataclass(repr=False)
class FilterStatistics:
    """Summary of a trained first layer: sparsity achieved and the Gabor fit of each filter.

    Attributes
    ----------
    rho_hat : (hidden_size,) ndarray or None
        Average activation of each hidden unit over the data (None without data).
    sparsity_param : float or None
        The target ``rho``.
    gabor : GaborFit
        Per-filter fit and the localized-edge verdict.
    """

    rho_hat: np.ndarray | None
    sparsity_param: float | None
    gabor: GaborFit

    @property
    def n_filters(self) -> int:
        return self.gabor.n_filters

    @property
    def n_localized_edges(self) -> int:
        return self.gabor.n_localized_edges

    def __repr__(self) -> str:
        return f"<FilterStatistics: {self.n_localized_edges} of {self.n_filters} localized edges>"

    def __str__(self) -> str:
        lines = []
        if self.rho_hat is not None:
            target = "" if self.sparsity_param is None else f" (target {self.sparsity_param:g})"
            lines.append(f"rho_hat: mean {self.rho_hat.mean():.4f}{target}, "
                         f"std {self.rho_hat.std():.4f}, "
                         f"range [{self.rho_hat.min():.4f}, {self.rho_hat.max():.4f}]")
        lines.append(str(self.gabor))
        return "\n".join(lines)


def filter_statistics(W1: ArrayLike | TrainingResult, data: ArrayLike | None = None, *,
                      b1: ArrayLike | None = None, sparsity_param: float | None = None,
                      **thresholds: float) -> FilterStatistics:
    """Measure a trained first layer: rho_hat against its target, and a Gabor fit per filter.

    Parameters
    ----------
    W1 : (hidden_size, visible_size) ndarray or TrainingResult
        ``visible_size`` must be a square number (each filter is a square patch). Given a
        :class:`~ufldl_helpers.training.TrainingResult` (anything with ``W1``, ``b1`` and
        ``hyperparameters``), ``b1`` and ``sparsity_param`` are taken from it.
    data : (visible_size, m) ndarray, optional
        Examples over which ``rho_hat`` is averaged (needs ``b1``).
    b1 : (hidden_size,) ndarray, optional
    sparsity_param : float, optional
        The target, shown next to ``rho_hat``.
    **thresholds
        ``r2_min``, ``nx_max``, ``balance_min`` of :func:`~ufldl_helpers.filters.fit_gabors`.

    Returns
    -------
    FilterStatistics
    """
    if hasattr(W1, "W1") and hasattr(W1, "hyperparameters"):
        result = cast("TrainingResult", W1)  # or anything with W1, b1 and hyperparameters
        W1, b1 = result.W1, result.b1
        if sparsity_param is None:
            sparsity_param = result.hyperparameters["sparsity_param"]
    W1 = check_array(W1, "W1", ndim=2)
    h, v = W1.shape
    p = math.isqrt(v)
    if p * p != v:
        raise ValueError(f"W1 must have a square number of columns (each filter a p x p patch), "
                         f"got shape {W1.shape}")
    if sparsity_param is not None:
        sparsity_param = float(check_scalar(sparsity_param, "sparsity_param", low=0, high=1,
                                            low_inclusive=False, high_inclusive=False))
    rho_hat = None
    if data is not None:
        if b1 is None:
            raise ValueError("b1 is needed with data to compute rho_hat (or pass the "
                             "TrainingResult)")
        b1 = check_array(b1, "b1", shape=(h,))
        data = check_array(data, "data", ndim=2)
        if data.shape[0] != v or data.shape[1] == 0:
            raise ValueError(f"data must be (visible_size = {v}, m >= 1), one example per "
                             f"column; got shape {data.shape}")
        rho_hat = sigmoid(W1 @ data + b1[:, None]).mean(axis=1)
    return FilterStatistics(rho_hat=rho_hat, sparsity_param=sparsity_param,
                            gabor=fit_gabors(W1, **thresholds))
