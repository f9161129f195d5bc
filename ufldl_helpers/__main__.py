"""Command line: ``python -m ufldl_helpers tour`` (also installed as ``ufldl-helpers``).

The tour runs the UFLDL sparse autoencoder exercise end to end on the bundled data, headless and
in well under a minute on two cores: it checks the gradient, trains with a progress bar, writes
the learned filters to a PNG and prints how many are localized edges by a Gabor fit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ufldl_helpers import sparse_autoencoder as sae

_CHECK = {"visible_size": 64, "hidden_size": 5, "num_patches": 10}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ufldl_helpers",
        description="Helpers for the ufldl-notebooks series. Start with the tour.")
    commands = parser.add_subparsers(dest="command", metavar="command")
    d = sae.UFLDL_DEFAULTS
    tour = commands.add_parser(
        "tour", help="check, train and visualize the UFLDL sparse autoencoder (< 1 minute)",
        description="Gradient check, L-BFGS-B training on natural-image patches, filters.png "
                    "and filter statistics: the UFLDL sparse autoencoder exercise end to end.")
    tour.add_argument("--output", "-o", type=Path, default=Path("filters.png"),
                      help="where to write the filter mosaic (default: %(default)s)")
    tour.add_argument("--max-iter", type=int, default=d["max_iter"],
                      help="L-BFGS-B iterations (default: UFLDL's %(default)s)")
    tour.add_argument("--num-patches", type=int, default=d["num_patches"],
                      help="8x8 training patches (default: UFLDL's %(default)s)")
    tour.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    tour.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def _gradient_check(images, rng: np.random.Generator) -> bool:
    from ufldl_helpers.data import sample_patches

    v, h, m = _CHECK["visible_size"], _CHECK["hidden_size"], _CHECK["num_patches"]
    x = sample_patches(images, patch_size=8, num_patches=m, rng=rng)
    print(f"1. Gradient check, as UFLDL advises: {v} inputs, {h} hidden units, {m} patches, "
          "central differences (epsilon 1e-4)")
    reports = sae.staged_gradient_checks(x, h, rng=rng)
    for stage, report in reports.items():
        print(f"   {stage:<15} relative error {report.relative_error:.1e} "
              f"({'passes' if report.passed else 'FAILS'} < 1e-9)")
    return all(report.passed for report in reports.values())


def tour(output: Path, max_iter: int, num_patches: int, seed: int, progress: bool) -> int:
    """Run the tour; return the process exit code (0 when the gradient check passes)."""
    from matplotlib.figure import Figure

    from ufldl_helpers.data import load_natural_images, sample_patches
    from ufldl_helpers.display import display_network
    from ufldl_helpers.filters import filter_statistics
    from ufldl_helpers.training import train_sparse_autoencoder

    rng = np.random.default_rng(seed)
    print("ufldl-helpers tour: the UFLDL sparse autoencoder, end to end\n")
    images = load_natural_images()
    ok = _gradient_check(images, rng)

    d = sae.UFLDL_DEFAULTS
    patches = sample_patches(images, patch_size=d["patch_size"],
                             num_patches=num_patches, rng=rng)
    print(f"\n2. Training on {num_patches} 8x8 patches of whitened natural images: 64 -> "
          f"{d['hidden_size']} -> 64, rho {d['sparsity_param']}, lambda {d['lambda_']}, "
          f"beta {d['beta']}, {max_iter} L-BFGS-B iterations", flush=True)
    result = train_sparse_autoencoder(
        patches, d["hidden_size"], lambda_=d["lambda_"], sparsity_param=d["sparsity_param"],
        beta=d["beta"], max_iter=max_iter, rng=rng, progress=progress)
    if not progress:  # the bar already ended with this line
        print(result.summary())
    print(f"   in {result.wall_time:.1f} s, numpy's BLAS on {result.blas_threads} thread(s)")

    fig = Figure(figsize=(4, 4), dpi=100)
    display_network(result.W1.T, ax=fig.add_subplot(),
                    title=f"W1: {d['hidden_size']} filters learned from natural images")
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, bbox_inches="tight")
    print(f"\n3. Filters written to {output}")

    print("\n4. Filter statistics: a least-squares Gabor fit per filter (Ringach 2002)")
    for line in str(filter_statistics(result, patches)).splitlines():
        print(f"   {line}")

    print("\nNext: the notebooks explain every step. Open them with\n    jupyter lab notebooks/")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m ufldl_helpers`` and the ``ufldl-helpers`` script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.max_iter < 1 or args.num_patches < 1:
        parser.error("--max-iter and --num-patches must be positive")
    return tour(args.output, args.max_iter, args.num_patches, args.seed,
                progress=not args.no_progress)


if __name__ == "__main__":
    sys.exit(main())
