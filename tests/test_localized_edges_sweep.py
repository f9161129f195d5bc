"""scripts/localized_edges_sweep.py: the pieces of its table that need no training."""

import importlib.util
from pathlib import Path

import numpy as np

from ufldl_helpers.filters import fit_gabors, gabor_patches

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "localized_edges_sweep.py"


def _sweep():
    spec = importlib.util.spec_from_file_location("localized_edges_sweep", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ceiling_falls_with_envelope_length_and_rises_with_patch_size():
    sweep = _sweep()
    at_8 = [sweep.ceiling(8, s, n=60) for s in (1.0, 2.0, 3.0)]
    assert at_8[0] > at_8[1] > at_8[2]
    assert sweep.ceiling(16, 2.0, n=60) > at_8[1]


def test_summary_row_counts_each_seed_and_pools_them():
    sweep = _sweep()
    edges = gabor_patches(8, sigma_x=1.2, sigma_y=1.5, frequency=0.25, phase=np.pi / 2,
                          orientation=[0.0, 1.0])
    grating = gabor_patches(8, sigma_x=20.0, sigma_y=20.0, frequency=0.25)
    fits = [fit_gabors(edges), fit_gabors(np.concatenate([edges[:1], grating]))]
    row = sweep.summarize("name", fits, 3.0)
    assert row.startswith("| name | 2, 1 of 2 | 75% | 0 of 3 | ")
    assert row.endswith("| 3 s |")


def test_rows_are_named_once_and_seeded():
    sweep = _sweep()
    rows = sweep.rows(np.zeros((32, 32, 2)))
    names = [name for name, _, _ in rows]
    assert len(set(names)) == len(names)
    assert all(len(seeds) >= 3 or name.startswith("ICA 16x16") for name, seeds, _ in rows)


def test_edge_density_counts_steep_pixels_whatever_the_contrast():
    sweep = _sweep()
    step = np.zeros((64, 64, 1))
    step[:, 32:] = 1.0
    density = sweep.edge_density(step)
    assert density == sweep.edge_density(5.0 * step + 2.0)
    # one vertical edge across a 64-pixel-wide image: a few pixels of every row are steep
    counts = [float(d) for d in density.split(", ")]
    assert 64 * 2 / 64 <= counts[-1] <= counts[0] <= 64 * 8 / 64
    flat = np.random.default_rng(0).standard_normal((64, 64, 1)) * 1e-3 + step
    assert sweep.edge_density(flat) == density
