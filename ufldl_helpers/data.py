"""The two datasets of the series, loaded offline from files that ship with the repository.

* Natural images: ten real 512x512 photographs, whitened on load like UFLDL's ``IMAGES.mat``
  (:func:`load_natural_images`), and UFLDL's patch sampling and normalization
  (:func:`sample_patches`, :func:`normalize_patches`).
* MNIST: 5000 real training digits (500 per class) bundled in ``data/mnist_5k.npz``, or the full
  official database from a folder of IDX files (:func:`load_mnist`, :func:`read_idx`).

Every bundled file is checked against its sha256 before use. ``data/README.md`` says where each
file comes from, its licence and how ``scripts/build_data.py`` rebuilds it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

from ufldl_helpers._validation import check_array, check_choice, check_rng, check_scalar
from ufldl_helpers.whitening import whiten_images

BUNDLED_SHA256 = {
    "natural_images.npz": "b6bc758c80b285036a0f5645c3a5a3f594ce05ce728991b682c0e9c62237aed9",
    "mnist_5k.npz": "5bbf307b2026d4ddfcf051279e1e767323f6104965960069272a6b99653374e5",
}
"""sha256 of each file in ``data/``; the loaders refuse a file that does not match."""

DATA_DIR_ENV = "UFLDL_DATA_DIR"

_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def data_dir() -> Path:
    """Folder holding the bundled data files.

    ``$UFLDL_DATA_DIR`` if set, else the copy installed inside the package (wheel installs),
    else ``data/`` at the top of the source checkout (editable installs).
    """
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    installed = Path(__file__).parent / "_data"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "data"


def bundled_file(name: str) -> Path:
    """Path of a bundled data file after checking that it exists and its sha256 matches."""
    check_choice(name, "name", tuple(BUNDLED_SHA256))
    path = data_dir() / name
    if not path.is_file():
        raise FileNotFoundError(
            f"bundled data file {name} not found in {path.parent} (set ${DATA_DIR_ENV} to the "
            "folder holding it, or run from a checkout of the repository)"
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != BUNDLED_SHA256[name]:
        raise ValueError(
            f"data file {path} is corrupt or was changed: its sha256 is {digest}, expected "
            f"{BUNDLED_SHA256[name]} (restore it with `git checkout -- data/{name}`)"
        )
    return path


def _load_npz(name: str) -> dict[str, np.ndarray]:
    with np.load(bundled_file(name), allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


@functools.lru_cache(maxsize=1)
def _whitened_natural_images() -> np.ndarray:
    raw = _load_npz("natural_images.npz")["images"]
    whitened = whiten_images(raw.astype(np.float64))
    whitened.flags.writeable = False
    return whitened


def load_natural_images() -> np.ndarray:
    """Ten whitened 512x512 natural images, the stand-in for UFLDL's ``IMAGES.mat``.

    Returns
    -------
    images : (512, 512, 10) float64
        A fresh copy each call. Whitened with :func:`ufldl_helpers.whitening.whiten_images`
        (filter ``f * exp(-(f/f0)^4)``, ``f0 = 0.4 * 512``), mean per-image variance 0.1.
    """
    return _whitened_natural_images().copy()


def load_raw_natural_images() -> tuple[np.ndarray, list[str]]:
    """The same ten photographs before whitening, and where each comes from.

    Returns
    -------
    images : (512, 512, 10) float64
        Gray levels in [0, 1].
    names : list of str
        ``"skimage:camera"``, ``"sklearn:china.jpg"``, ... (see ``data/README.md``).
    """
    npz = _load_npz("natural_images.npz")
    return npz["images"].astype(np.float64) / 255.0, [str(n) for n in npz["names"]]


def sample_patches(
    images: np.ndarray,
    patch_size: int = 8,
    num_patches: int = 10000,
    rng: np.random.Generator | int | None = None,
    *,
    normalize: bool = True,
) -> np.ndarray:
    """Sample square patches at random positions of random images, as UFLDL's ``sampleIMAGES``.

    Parameters
    ----------
    images : (rows, cols, k) float array
        E.g. :func:`load_natural_images`.
    patch_size : int
        Side of each patch in pixels.
    num_patches : int
        How many patches.
    rng : numpy.random.Generator, int or None
        Source of randomness (``None``: the package's fixed seed).
    normalize : bool
        Apply :func:`normalize_patches` (UFLDL does).

    Returns
    -------
    patches : (patch_size**2, num_patches) float64
        One patch per column, flattened row by row (C order: reshape a column with
        ``.reshape(patch_size, patch_size)`` to see it). In [0.1, 0.9] when normalized.
    """
    images = check_array(images, "images", ndim=3)
    patch_size = check_scalar(patch_size, "patch_size", low=1, integer=True)
    num_patches = check_scalar(num_patches, "num_patches", low=1, integer=True)
    rows, cols, k = images.shape
    if images.size == 0:
        raise ValueError(
            "images must hold at least one non-empty image (rows, cols, k all >= 1); got shape "
            f"{images.shape}"
        )
    if patch_size > min(rows, cols):
        raise ValueError(
            f"patch_size ({patch_size}) must not exceed the image size ({rows}x{cols})"
        )
    rng = check_rng(rng)
    which = rng.integers(0, k, size=num_patches)
    top = rng.integers(0, rows - patch_size + 1, size=num_patches)
    left = rng.integers(0, cols - patch_size + 1, size=num_patches)
    offsets = np.arange(patch_size)
    r = top[:, None, None] + offsets[None, :, None]
    c = left[:, None, None] + offsets[None, None, :]
    patches = images[r, c, which[:, None, None]].reshape(num_patches, patch_size**2).T
    patches = patches.astype(np.float64)
    return normalize_patches(patches) if normalize else patches


def normalize_patches(patches: np.ndarray) -> np.ndarray:
    """UFLDL's patch normalization, for sigmoid outputs that live in (0, 1).

    1. subtract each patch's own mean (its DC component);
    2. truncate to +/- 3 standard deviations of all pixels (MATLAB's ``std``, ddof=1);
    3. rescale from [-1, 1] to [0.1, 0.9].

    Parameters
    ----------
    patches : (n_pixels, m) float array
        One patch per column.

    Returns
    -------
    normalized : (n_pixels, m) float64
        A new array in [0.1, 0.9].
    """
    patches = check_array(patches, "patches", ndim=2)
    if patches.size < 2:
        raise ValueError(f"patches must hold at least two values; got shape {patches.shape}")
    centred = patches - patches.mean(axis=0, keepdims=True)
    pstd = 3.0 * centred.std(ddof=1)
    if pstd == 0:
        return np.full(centred.shape, 0.5)
    return (np.clip(centred, -pstd, pstd) / pstd + 1.0) * 0.4 + 0.1


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the format of the official MNIST files), gzip-compressed or not.

    Parameters
    ----------
    path : str or path-like
        E.g. ``train-images-idx3-ubyte.gz``; compression is recognised from the content.

    Returns
    -------
    array : numpy.ndarray
        With the shape stored in the header (``(60000, 28, 28)`` uint8 for MNIST's training
        images) and a native-endian dtype.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(
                f"path {path} looks gzip-compressed but cannot be decompressed (corrupt or "
                f"truncated download?): {exc}"
            ) from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4].hex()})")
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    if ndim == 0:
        raise ValueError(
            f"path {path} is not a valid IDX file: its header declares 0 dimensions (an IDX "
            "array has at least one, e.g. 3 for MNIST's images, 1 for its labels)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path} is truncated: its header needs {header} bytes")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header + dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected:
        raise ValueError(
            f"{path} holds {len(raw)} bytes but its header (shape {shape}, {dtype}) "
            f"needs {expected}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"neither {stem} nor {stem}.gz found in {folder}")


def load_mnist(
    path: str | os.PathLike | None = None, n: int | None = None, *, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST digits as columns scaled to [0, 1], with their labels.

    Parameters
    ----------
    path : str, path-like or None
        ``None``: the 5000 bundled training digits (500 per class, in the official training-set
        order). A folder: the official IDX files in it (``train-images-idx3-ubyte[.gz]`` and
        ``train-labels-idx1-ubyte[.gz]``, or ``t10k-*`` with ``split="test"``).
    n : int, optional
        Keep only the first ``n`` digits.
    split : {"train", "test"}
        Which official files to read from ``path`` (the bundled digits are all training digits).

    Returns
    -------
    images : (784, m) float64
        One digit per column, pixels row by row, in [0, 1].
    labels : (m,) int64
        Digit classes 0-9.
    """
    check_choice(split, "split", ("train", "test"))
    if path is None:
        if split != "train":
            raise ValueError("split='test' needs path= a folder with the official t10k files")
        npz = _load_npz("mnist_5k.npz")
        images, labels = npz["images"], npz["labels"]
    else:
        folder = Path(path)
        if not folder.is_dir():
            raise FileNotFoundError(f"path must be a folder holding the MNIST IDX files: {folder}")
        prefix = "train" if split == "train" else "t10k"
        images = read_idx(_find_idx(folder, f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(_find_idx(folder, f"{prefix}-labels-idx1-ubyte"))
        if (images.ndim < 2 or int(np.prod(images.shape[1:])) != 784
                or labels.shape != images.shape[:1]):
            raise ValueError(
                f"MNIST files in {folder} have unexpected shapes: images {images.shape}, "
                f"labels {labels.shape}; expected (m, 28, 28) and (m,)"
            )
        images = images.reshape(images.shape[0], 784)
    if n is not None:
        n = check_scalar(n, "n", low=1, high=len(labels), integer=True)
        images, labels = images[:n], labels[:n]
    return images.T.astype(np.float64) / 255.0, labels.astype(np.int64)
