"""FastICA, the yardstick for localized edge filters."""

import numpy as np
import pytest

from ufldl_helpers.filters import fit_gabors, gabor_patches
from ufldl_helpers.ica import fast_ica


def _best_abs_correlation(estimated, sources):
    k = len(sources)
    c = np.abs(np.corrcoef(estimated, sources)[:k, k:])
    return c.max(axis=1), c.argmax(axis=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_sparse_sources_from_a_mixture(seed):
    rng = np.random.default_rng(seed)
    sources = rng.laplace(size=(4, 20000))
    mixing = rng.standard_normal((6, 4))  # more pixels than sources: PCA keeps 4 directions
    result = fast_ica(mixing @ sources + 5.0, 4, rng=seed)
    assert result.converged
    recovered = result.filters @ (mixing @ sources - (mixing @ sources).mean(axis=1, keepdims=True))
    best, which = _best_abs_correlation(recovered, sources)
    assert best.min() > 0.99 and len(set(which)) == 4
    # the basis is the mixing matrix up to order, sign and scale
    for i, j in enumerate(which):
        a, m = result.basis[:, i], mixing[:, j]
        assert abs(a @ m) / (np.linalg.norm(a) * np.linalg.norm(m)) > 0.99


def test_gabor_sources_give_localized_edge_basis_functions():
    # patches made of sparse Gabor "edges": ICA's basis functions are those Gabors again
    edges = gabor_patches(8, sigma_x=1.2, sigma_y=1.5, frequency=0.25, phase=np.pi / 2,
                          orientation=np.linspace(0, np.pi, 6, endpoint=False)).reshape(6, 64)
    rng = np.random.default_rng(0)
    patches = edges.T @ rng.laplace(size=(6, 20000)) + 0.01 * rng.standard_normal((64, 20000))
    result = fast_ica(patches, 6, rng=0)
    assert fit_gabors(result.basis.T).n_localized_edges == 6


def test_gaussian_data_do_not_converge_to_a_fixed_basis():
    # with no non-Gaussian structure there is nothing to find: the basis is not reproducible
    rng = np.random.default_rng(1)
    patches = rng.standard_normal((4, 20000))
    a, b = (fast_ica(patches, 4, rng=s, max_iter=200).basis for s in (0, 1))
    cos = np.abs(a.T @ b) / np.outer(np.linalg.norm(a, axis=0), np.linalg.norm(b, axis=0))
    assert cos.max(axis=1).min() < 0.99


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_components": 7}, ValueError, "n_components"),
    ({"n_components": 0}, ValueError, "n_components"),
    ({"patches": np.ones((3, 50), dtype=int)}, TypeError, "patches must be a float"),
    ({"patches": np.zeros((3, 2))}, ValueError, "more patches"),
    ({"patches": np.ones((3, 50))}, ValueError, "nonzero variance"),
    ({"tol": 0.0}, ValueError, "tol"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"rng": "a"}, TypeError, "rng"),
])
def test_bad_input_is_named(kwargs, error, match):
    args = {"patches": np.random.default_rng(0).standard_normal((6, 50)), "n_components": 3}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        fast_ica(args.pop("patches"), args.pop("n_components"), **args)
