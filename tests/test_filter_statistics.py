"""A trained first layer measured: rho_hat against its target, the Gabor fit per filter, and
bad input."""

import numpy as np
import pytest

from ufldl_helpers.filter_statistics import FilterStatistics, filter_statistics
from ufldl_helpers.filters import gabor_patches


def test_filter_statistics_with_and_without_data():
    rng = np.random.default_rng(0)
    W1 = gabor_patches(8, sigma_x=1.5, sigma_y=1.5, frequency=0.25, phase=np.pi / 2,
                       orientation=[0.0, 1.0, 2.0]).reshape(3, 64)
    data = rng.random((64, 50))
    stats = filter_statistics(W1, data, b1=np.zeros(3), sparsity_param=0.05)
    assert isinstance(stats, FilterStatistics) and stats.n_localized_edges == 3
    np.testing.assert_allclose(stats.rho_hat, (1 / (1 + np.exp(-(W1 @ data)))).mean(axis=1))
    text = str(stats)
    assert text.startswith("rho_hat: mean ") and "(target 0.05)" in text
    assert "3 of 3 filters are localized edges (Gabor fit: R^2 >= 0.8" in text
    assert repr(stats) == "<FilterStatistics: 3 of 3 localized edges>"
    no_data = filter_statistics(W1)
    assert no_data.rho_hat is None and str(no_data).startswith("3 of 3 filters")


def test_filter_statistics_bad_input():
    with pytest.raises(ValueError, match="W1 must have a square number of columns"):
        filter_statistics(np.ones((3, 10)))
    with pytest.raises(ValueError, match="b1 is needed with data"):
        filter_statistics(np.ones((3, 16)), np.full((16, 5), 0.5))
    with pytest.raises(ValueError, match="data must be \\(visible_size = 16, m >= 1\\)"):
        filter_statistics(np.ones((3, 16)), np.full((9, 5), 0.5), b1=np.zeros(3))
    with pytest.raises(ValueError, match="b1 must have shape \\(3\\)"):
        filter_statistics(np.ones((3, 16)), np.full((16, 5), 0.5), b1=np.zeros(4))
