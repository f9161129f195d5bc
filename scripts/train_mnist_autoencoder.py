"""Train UFLDL's MNIST sparse autoencoder on the 5000 bundled digits and save its parameters.

UFLDL's Exercise:Vectorization trains the sparse autoencoder of the natural-image exercise on
MNIST: 784 -> 196 -> 784, rho 0.1, lambda 3e-3, beta 3, 400 L-BFGS iterations, on 10000
digits. We train on the 5000 digits bundled in ``data/mnist_5k.npz`` (the same setting
otherwise), in float64, from ``initialize_parameters(196, 784, rng=0)``, with one BLAS thread
(the same summation order on every machine, and no threads waiting on each other when the
cores are shared). Run from the repository root::

    python scripts/train_mnist_autoencoder.py [--out data/mnist_autoencoder.npz]

and copy the sha256 it prints into ``data/README.md`` and ``ufldl_helpers.data.BUNDLED_SHA256``
(``tests/test_mnist_autoencoder.py::test_regenerate`` checks that a fresh run reproduces the
stored parameters).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from ufldl_helpers.data import load_mnist
from ufldl_helpers.sparse_autoencoder import MNIST_DEFAULTS
from ufldl_helpers.training import train_sparse_autoencoder

SEED = 0


def train(max_iter: int = MNIST_DEFAULTS["max_iter"], progress: bool = True):
    """The run whose parameters ship in ``data/mnist_autoencoder.npz``; a TrainingResult."""
    images, _ = load_mnist()
    d = MNIST_DEFAULTS
    return train_sparse_autoencoder(
        images, d["hidden_size"], lambda_=d["lambda_"], sparsity_param=d["sparsity_param"],
        beta=d["beta"], max_iter=max_iter, rng=SEED, progress=progress, blas_threads=1)


def save(result, out: Path) -> None:
    """Write W1, b1, W2, b2 as float32 and the run's description as float64/int arrays."""
    h = result.hyperparameters
    np.savez_compressed(
        out,
        W1=result.W1.astype(np.float32), b1=result.b1.astype(np.float32),
        W2=result.W2.astype(np.float32), b2=result.b2.astype(np.float32),
        cost_history=result.cost_history,
        hyperparameters=np.array([h["lambda_"], h["sparsity_param"], h["beta"]]),
        max_iter=np.array(h["max_iter"]), seed=np.array(SEED),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("data/mnist_autoencoder.npz"))
    args = parser.parse_args()
    result = train()
    print(result, f"({result.wall_time:.0f} s)")
    save(result, args.out)
    print(f"{hashlib.sha256(args.out.read_bytes()).hexdigest()}  {args.out.name}")


if __name__ == "__main__":
    main()
