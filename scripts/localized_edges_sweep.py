"""How many learned filters are localized edges, setting by setting (issue 14, goal 3).

Counts, with the validated Gabor-fit measure (``ufldl_helpers.filters.fit_gabors`` with its
defaults), the localized edges among the filters learned from the bundled natural images by:

* the sparse autoencoder (``train_sparse_autoencoder``, UFLDL's normalized patches): UFLDL's
  setting and the changes the literature suggests (stronger sparsity, overcomplete codes,
  larger patches);
* the sparse autoencoder with a linear decoder on ZCA-whitened patches (UFLDL's Linear
  Decoders exercise; ``ufldl_helpers.linear_decoder``), counting ``W1 @ zca`` as UFLDL displays
  them;
* ICA (``ufldl_helpers.ica.fast_ica``), the method that showed natural images to have edge-like
  independent components (Bell & Sejnowski 1997): a yardstick for what the images hold at each
  patch size. Its basis functions are counted, as those papers show them.

The rows marked "dead leaves" replace the photographs with ten 512x512 dead-leaves images
(``ufldl_helpers.dead_leaves``: occluding discs, radii ~ r^-3, Lee, Mumford & Huang 2001),
whitened like the photographs. The first setting's disc sizes were chosen so that edges are
about as dense per 8x8 patch as in the photographs, by the measure :func:`edge_density`; the
others are variants (:data:`DEAD_LEAVES`).

First it prints the diagnosis: the whitened images' power spectrum across the band an 8x8 patch
sees, and the shape of UFLDL's 25 filters. Everything is seeded (``rng=seed`` for patches and
initialization) and float64; run with one BLAS thread, from the repository root::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python scripts/localized_edges_sweep.py [--only TEXT]

About 15-20 minutes on one core (``--only TEXT`` runs the rows whose name holds TEXT,
``--only diagnosis`` the diagnosis alone, ``--only "dead leaves"`` the dead-leaves images'
statistics and rows, about 4 minutes).
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable

import numpy as np
import scipy.ndimage
import scipy.optimize

from ufldl_helpers.data import load_natural_images, load_raw_natural_images, sample_patches
from ufldl_helpers.dead_leaves import dead_leaves
from ufldl_helpers.filters import GaborFit, fit_gabors, gabor_patches
from ufldl_helpers.ica import fast_ica
from ufldl_helpers.linear_decoder import sparse_autoencoder_linear_cost, zca_whitening_matrix
from ufldl_helpers.sparse_autoencoder import UFLDL_DEFAULTS, initialize_parameters, unpack
from ufldl_helpers.training import train_sparse_autoencoder
from ufldl_helpers.whitening import radial_power_spectrum, whiten_images

UFLDL = {k: UFLDL_DEFAULTS[k] for k in ("lambda_", "sparsity_param", "beta", "max_iter")}
DEAD_LEAVES = [(3.0, 128.0, 0.7), (3.0, 128.0, 0.0), (2.0, 128.0, 0.0), (1.0, 128.0, 0.0),
               (1.0, 8.0, 0.0)]
"""(r_min, r_max, blur) of the dead-leaves images, in pixels. The first was chosen before any
training: r_min so that edges are about as dense per 8x8 patch as in the photographs (see
:func:`edge_density`), r_max a quarter of the image, a blur of 0.7 px for a camera's point
spread. That blur leaves the whitened images less power at 1/4 and 1/3 cycle/pixel than the
photographs have (see :func:`print_dead_leaves_statistics`). The others are variants chosen
after seeing the first rows: sharp, smaller discs, and no disc larger than the patch."""
LINEAR_DECODER = {"lambda_": 3e-3, "sparsity_param": 0.035, "beta": 5.0, "max_iter": 400}
"""UFLDL's Linear Decoders exercise (``sparseAutoencoderLinear``)."""


def sigmoid_ae(images, seed: int, patch_size: int = 8, hidden_size: int = 25, **changes):
    """W1 of the sparse autoencoder, UFLDL's setting with ``changes``."""
    patches = sample_patches(images, patch_size, UFLDL_DEFAULTS["num_patches"], rng=seed)
    result = train_sparse_autoencoder(patches, hidden_size, rng=seed, progress=False,
                                      blas_threads=1, **{**UFLDL, **changes})
    return result.W1


def linear_decoder(images, seed: int, patch_size: int = 8, hidden_size: int = 25,
                   epsilon: float = 0.1):
    """``W1 @ zca`` of the linear-decoder autoencoder trained on ZCA-whitened patches."""
    patches = sample_patches(images, patch_size, UFLDL_DEFAULTS["num_patches"], rng=seed,
                             normalize=False)
    zca = zca_whitening_matrix(patches, epsilon)
    data = zca @ (patches - patches.mean(axis=1, keepdims=True))
    v = patch_size**2
    h = LINEAR_DECODER
    res = scipy.optimize.minimize(
        sparse_autoencoder_linear_cost, initialize_parameters(hidden_size, v, rng=seed),
        args=(v, hidden_size, h["lambda_"], h["sparsity_param"], h["beta"], data), jac=True,
        method="L-BFGS-B", options={"maxiter": h["max_iter"]})
    return unpack(res.x, v, hidden_size)[0] @ zca


def ica(images, seed: int, patch_size: int = 8, n_components: int | None = None,
        num_patches: int = 50000):
    """ICA basis functions (one per row) of DC-removed patches."""
    patches = sample_patches(images, patch_size, num_patches, rng=seed, normalize=False)
    patches = patches - patches.mean(axis=0, keepdims=True)
    return fast_ica(patches, n_components or patch_size**2 - 1, rng=seed).basis.T


@functools.cache
def dead_leaves_images(r_min: float, r_max: float, blur: float) -> np.ndarray:
    """Ten whitened 512x512 dead-leaves images (seed 0), as :func:`load_natural_images` gives
    the photographs."""
    return whiten_images(dead_leaves(512, r_min=r_min, r_max=r_max, blur=blur, n_images=10,
                                     rng=0))


def dead_leaves_name(r_min: float, r_max: float, blur: float) -> str:
    """How the table names a dead-leaves setting."""
    return f"dead leaves r {r_min:g}-{r_max:g} px, " + (f"blur {blur:g} px" if blur else "sharp")


def edge_density(raw: np.ndarray, thresholds: tuple[float, ...] = (0.1, 0.2, 0.4)) -> str:
    """Pixels per 8x8 patch (64 times the fraction of pixels) where the image's gradient
    (Gaussian derivative, sigma 1 px) exceeds each threshold, in units of the image's standard
    deviation per pixel: an edge density that does not depend on the images' contrast."""
    steep = [scipy.ndimage.gaussian_gradient_magnitude(raw[:, :, i], 1.0) / raw[:, :, i].std()
             for i in range(raw.shape[2])]
    return ", ".join(f"{64 * np.mean(np.stack(steep) > t):.1f}" for t in thresholds)


def relative_power(images: np.ndarray) -> str:
    """Whitened power at 1/8, 1/4 and 1/3 cycle/pixel relative to that at 1/32."""
    frequency, power = radial_power_spectrum(images)
    n = images.shape[0]
    at = {f: power[frequency == f][0] for f in (n // 32, n // 8, n // 4, n // 3)}
    ref = at[n // 32]
    return ", ".join(f"1/{n // f}: {p / ref:.2f}" for f, p in at.items())


def print_dead_leaves_statistics() -> None:
    """Edge density and whitened spectrum of the photographs and of dead leaves."""
    print("Edge density, pixels per 8x8 patch with gradient > 0.1, 0.2, 0.4 image std/px; "
          "whitened power relative to 1/32 cycle/pixel:")
    print(f"  photographs: {edge_density(load_raw_natural_images()[0])}; "
          f"{relative_power(load_natural_images())}")
    for r_min in (1.0, 2.0, 3.0, 4.0, 6.0):
        raw = dead_leaves(512, r_min=r_min, r_max=128.0, blur=0.7, n_images=3, rng=0)
        print(f"  dead leaves r {r_min:g}-128 px, blur 0.7 px (3 images): {edge_density(raw)}")
    for setting in DEAD_LEAVES:
        raw = dead_leaves(512, r_min=setting[0], r_max=setting[1], blur=setting[2],
                          n_images=10, rng=0)
        print(f"  {dead_leaves_name(*setting)}: {edge_density(raw)}; "
              f"{relative_power(dead_leaves_images(*setting))}")
    print()


def rows(images) -> list[tuple[str, tuple[int, ...], Callable[[int], np.ndarray]]]:
    """(name, seeds, seed -> filters) of every row of the table."""
    forest = images[:, :, 1:2]
    return [
        ("AE 8x8, 25 units (UFLDL)", (0, 1, 2, 3, 4), lambda s: sigmoid_ae(images, s)),
        ("AE 8x8, 25 units, beta 10", (0, 1, 2), lambda s: sigmoid_ae(images, s, beta=10.0)),
        ("AE 8x8, 25 units, beta 30", (0, 1, 2), lambda s: sigmoid_ae(images, s, beta=30.0)),
        ("AE 8x8, 25 units, beta 100", (0, 1, 2), lambda s: sigmoid_ae(images, s, beta=100.0)),
        ("AE 8x8, 25 units, beta 100, 1000 iterations", (0, 1, 2),
         lambda s: sigmoid_ae(images, s, beta=100.0, max_iter=1000)),
        ("AE 8x8, 25 units, rho 0.002, beta 10", (0, 1, 2),
         lambda s: sigmoid_ae(images, s, sparsity_param=0.002, beta=10.0)),
        ("AE 8x8, 100 units", (0, 1, 2), lambda s: sigmoid_ae(images, s, hidden_size=100)),
        ("AE 8x8, 100 units, beta 10", (0, 1, 2),
         lambda s: sigmoid_ae(images, s, hidden_size=100, beta=10.0)),
        ("AE 12x12, 100 units", (0, 1, 2),
         lambda s: sigmoid_ae(images, s, patch_size=12, hidden_size=100)),
        ("AE 8x8, 25 units, forest image only", (0, 1, 2), lambda s: sigmoid_ae(forest, s)),
        ("AE 8x8, 100 units, forest image only", (0, 1, 2),
         lambda s: sigmoid_ae(forest, s, hidden_size=100)),
        ("linear decoder 8x8, 25 units, ZCA eps 0.1", (0, 1, 2),
         lambda s: linear_decoder(images, s)),
        ("linear decoder 8x8, 25 units, ZCA eps 1", (0, 1, 2),
         lambda s: linear_decoder(images, s, epsilon=1.0)),
        ("linear decoder 8x8, 100 units, ZCA eps 1", (0, 1, 2),
         lambda s: linear_decoder(images, s, hidden_size=100, epsilon=1.0)),
        ("linear decoder 8x8, 100 units, ZCA eps 1, forest image only", (0, 1, 2),
         lambda s: linear_decoder(forest, s, hidden_size=100, epsilon=1.0)),
        ("ICA 8x8, 63 components", (0, 1, 2), lambda s: ica(images, s)),
        ("ICA 8x8, 63 components, forest image only", (0, 1, 2),
         lambda s: ica(forest, s, num_patches=20000)),
        ("ICA 12x12, 100 components", (0, 1, 2), lambda s: ica(images, s, 12, 100)),
        ("ICA 12x12, 100 components, forest image only", (0, 1, 2),
         lambda s: ica(forest, s, 12, 100, num_patches=30000)),
        ("ICA 16x16, 160 components", (0,), lambda s: ica(images, s, 16, 160)),
        ("ICA 16x16, 160 components, forest image only", (0,),
         lambda s: ica(forest, s, 16, 160, num_patches=30000)),
    ] + [row for setting in DEAD_LEAVES for row in (
        (f"AE 8x8, 25 units (UFLDL), {dead_leaves_name(*setting)}", (0, 1, 2, 3, 4),
         lambda s, setting=setting: sigmoid_ae(dead_leaves_images(*setting), s)),
        (f"ICA 8x8, 63 components, {dead_leaves_name(*setting)}", (0, 1, 2),
         lambda s, setting=setting: ica(dead_leaves_images(*setting), s)))]


def ceiling(patch_size: int, sigma_y: float, n: int = 200) -> float:
    """Fraction of ideal edges (Gabors, sigma_x 1.2 px, 0.25 cycle/pixel, odd phase) counted as
    localized when their centres and orientations are uniform over the patch, as in a code that
    tiles positions: those near the border run out of the patch."""
    rng = np.random.default_rng(0)
    x0, y0 = rng.uniform(0, patch_size - 1, (2, n))
    edges = gabor_patches(patch_size, sigma_x=1.2, sigma_y=sigma_y, frequency=0.25,
                          phase=np.pi / 2, orientation=rng.uniform(0, np.pi, n), x0=x0, y0=y0)
    return fit_gabors(edges).n_localized_edges / n


def diagnose(images) -> None:
    """The whitened spectrum over an 8x8 patch's band, the shape of UFLDL's filters, and the
    criterion's ceiling for a code whose filters tile the positions of the patch."""
    print(f"Whitened images, power relative to f = 1/32 cycle/pixel: {relative_power(images)}")
    fit = fit_gabors(sigmoid_ae(images, 0))
    q = np.percentile
    outside = np.isinf(fit.envelope_length)
    print(f"UFLDL's 25 filters (seed 0): median frequency {np.median(fit.frequency):.2f} "
          f"cycle/pixel, sigma_y quartiles {q(fit.sigma_y, 25):.1f}-{q(fit.sigma_y, 75):.1f} px; "
          f"envelope centre outside the patch {outside.sum()}, envelope_length of the others "
          f"{q(fit.envelope_length[~outside], 25):.2f}-{q(fit.envelope_length[~outside], 75):.2f}"
          f" (quartiles); Gabor-like {fit.gabor_like.sum()}, edge or bar "
          f"{fit.edge_or_bar.sum()}, ends inside {fit.ends_inside.sum()}, localized edges "
          f"{fit.n_localized_edges}")
    print("Ideal edges at uniform positions counted as localized: " + "; ".join(
        f"{p}x{p} " + ", ".join(f"sigma_y {sy:g} px {ceiling(p, sy):.0%}" for sy in (1, 1.5, 2, 3))
        for p in (8, 16)) + "\n")


def summarize(name: str, fits: list[GaborFit], seconds: float) -> str:
    """One table row: counts per seed and, pooled over seeds, what fails."""
    n = fits[0].n_filters
    counts = [f.n_localized_edges for f in fits]
    pooled = {k: np.mean(np.concatenate([getattr(f, k) for f in fits])) for k in
              ("localized_edge", "gabor_like", "edge_or_bar", "ends_inside")}
    frequency = np.median(np.concatenate([f.frequency for f in fits]))
    # the fit's lowest frequency, half a cycle per patch: a light and a dark half, not a stripe
    p = fits[0].models.shape[1]
    at_floor = sum(int(np.count_nonzero(f.localized_edge & (f.frequency < 1.01 * 0.5 / p)))
                   for f in fits)
    return (f"| {name} | {', '.join(map(str, counts))} of {n} | {pooled['localized_edge']:.0%} "
            f"| {at_floor} of {sum(counts)} | {pooled['gabor_like']:.0%} "
            f"| {pooled['edge_or_bar']:.0%} | {pooled['ends_inside']:.0%} | {frequency:.2f} "
            f"| {seconds:.0f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run only the rows whose name holds this "
                        "('diagnosis': only the diagnosis)")
    args = parser.parse_args()
    images = load_natural_images()
    if args.only in ("", "diagnosis"):
        diagnose(images)
    if args.only == "diagnosis":
        return
    if "dead leaves" in args.only or not args.only:
        print_dead_leaves_statistics()
    print("| setting | localized edges, per seed | pooled | of which at f floor | Gabor-like "
          "| edge or bar | ends inside | median f | time per run |\n"
          "|---|---|---|---|---|---|---|---|---|", flush=True)
    for name, seeds, learn in rows(images):
        if args.only not in name:
            continue
        start = time.perf_counter()
        fits = [fit_gabors(learn(seed)) for seed in seeds]
        print(summarize(name, fits, (time.perf_counter() - start) / len(seeds)), flush=True)


if __name__ == "__main__":
    main()
