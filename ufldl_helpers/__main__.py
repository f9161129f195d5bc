"""Command line: ``python -m ufldl_helpers`` (also installed as ``ufldl-helpers``).

``tour`` runs the UFLDL sparse autoencoder exercise end to end on the bundled data, headless and
in well under a minute on two cores: it checks the gradient, trains with a progress bar, writes
the learned filters to a PNG and prints how many are localized edges by a Gabor fit.

``notebooks [DIR]`` copies the notebook series into ``DIR``, so that someone who installed the
wheel (no repository checkout) has it too. It never copies the nbgrader assignments: their source
versions hold the solutions and hidden tests; instructors take them from the repository checkout
and hand out the release versions nbgrader generates (notebooks/assignments/README.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from ufldl_helpers import __version__
from ufldl_helpers import sparse_autoencoder as sae

_CHECK = {"visible_size": 64, "hidden_size": 5, "num_patches": 10}
_DEFAULT_NOTEBOOKS_DIR = Path("ufldl-notebooks")
# Jupyter's and Python's droppings, never handed out; nor the assignments (solutions inside),
# which a repository checkout's notebooks/ holds and the wheel does not.
_SKIPPED_DIRS = frozenset({".ipynb_checkpoints", "__pycache__", "assignments"})


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Helpers for the ufldl-notebooks series. Start with the tour, then copy the "
                    "notebooks with the notebooks command.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command")
    notebooks = commands.add_parser(
        "notebooks", help="copy the notebook series into a folder",
        description="Copy the notebook series (00_start_here ... 07) into DIR, then open them "
                    "with `jupyter lab DIR`. Existing files are never overwritten unless "
                    "--force is given. The graded assignments are not included: students get "
                    "them from their instructor.")
    notebooks.add_argument("dir", nargs="?", type=Path, default=_DEFAULT_NOTEBOOKS_DIR,
                           metavar="DIR", help="destination folder (default: %(default)s)")
    notebooks.add_argument("--force", action="store_true",
                           help="overwrite notebooks already in DIR (your edits are lost)")
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


def _gradient_check(images: np.ndarray, rng: np.random.Generator) -> bool:
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
    from ufldl_helpers.filter_statistics import filter_statistics
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
        print(f"   {result.summary()}")
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

    print(f"\n{_next_steps()}")
    return 0 if ok else 1


def notebooks_source() -> Path:
    """Folder holding the notebooks: inside the installed wheel, else the repository checkout.

    Raises
    ------
    FileNotFoundError
        When neither exists (a wheel built without them).
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "_notebooks", here.parent / "notebooks"):
        if (candidate / "00_start_here.ipynb").is_file():
            return candidate
    raise FileNotFoundError(f"no notebooks found in {here / '_notebooks'} (wheel) or "
                            f"{here.parent / 'notebooks'} (repository checkout)")


def _next_steps() -> str:
    """The tour's closing hint: where the notebooks are for this kind of install."""
    source = notebooks_source()
    if source.name == "_notebooks":  # a wheel: the notebooks must be copied out first
        folder = _DEFAULT_NOTEBOOKS_DIR
        steps = [f"python -m ufldl_helpers notebooks {folder}", f"jupyter lab {folder}/"]
        hint = "Copy them here and open them with"
    else:  # a repository checkout (editable install)
        try:
            relative = os.path.relpath(source)
        except ValueError:  # Windows: another drive
            relative = ".."
        folder = Path(source if relative.startswith("..") else relative)
        steps = [f"jupyter lab {folder}/"]
        hint = "Open them with"
    text = f"Next: the notebooks explain every step. {hint}\n" + "".join(
        f"    {step}\n" for step in steps)
    if importlib.util.find_spec("jupyterlab") is None:
        text += ("JupyterLab is not installed here; install it with\n"
                 '    python -m pip install "ufldl-helpers[lab]"\n'
                 "or open the notebooks in any Jupyter front end.\n")
    return text.rstrip("\n")


def copy_notebooks(dest: Path, *, force: bool = False) -> list[Path]:
    """Copy the notebook series (not the assignments) into ``dest``; return the files copied.

    Parameters
    ----------
    dest : pathlib.Path
        Destination folder, created if missing.
    force : bool
        Overwrite files that already exist in ``dest``. Without it, existing files make the
        copy fail before anything is written, so a learner's edited notebooks are never lost.

    Returns
    -------
    list of pathlib.Path
        The files written, relative to ``dest``.

    Raises
    ------
    FileExistsError
        When ``dest`` already holds some of the files and ``force`` is false.
    NotADirectoryError
        When ``dest`` exists and is not a folder.
    """
    source = notebooks_source()
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"dest must be a folder, but {dest} is a file")
    files = sorted(p.relative_to(source) for p in source.rglob("*")
                   if p.is_file() and p.suffix != ".pyc"
                   and not _SKIPPED_DIRS.intersection(p.relative_to(source).parts))
    clashes = [f for f in files if (dest / f).exists()]
    if clashes and not force:
        shown = ", ".join(str(f) for f in clashes[:3]) + (" ..." if len(clashes) > 3 else "")
        raise FileExistsError(f"{dest} already holds {len(clashes)} of the {len(files)} files "
                              f"({shown}); choose another folder or pass --force to overwrite")
    for f in files:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / f, dest / f)
    return files


def main(argv: list[str] | None = None, prog: str = "ufldl-helpers") -> int:
    """Entry point of the ``ufldl-helpers`` script and of ``python -m ufldl_helpers``.

    ``prog`` is the program name that ``--help`` and error messages show.
    """
    parser = _parser(prog)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "notebooks":
        try:
            files = copy_notebooks(args.dir, force=args.force)
        except (FileExistsError, FileNotFoundError, NotADirectoryError) as exc:
            parser.exit(1, f"{prog} notebooks: error: {exc}\n")
        print(f"Copied {len(files)} files into {args.dir}/. Open them with\n"
              f"    jupyter lab {args.dir}/")
        return 0
    if args.max_iter < 1 or args.num_patches < 1:
        parser.error("--max-iter and --num-patches must be positive")
    return tour(args.output, args.max_iter, args.num_patches, args.seed,
                progress=not args.no_progress)


if __name__ == "__main__":
    sys.exit(main(prog="python -m ufldl_helpers"))
