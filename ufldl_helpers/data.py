"""The two datasets of the series, loaded offline from files that ship with the repository.

* Natural images: ten real 512x512 photographs of natural scenes, whitened on load like UFLDL's
  ``IMAGES.mat``, or UFLDL's own ``IMAGES.mat``/``IMAGES_RAW.mat`` or a folder of photographs
  (:func:`load_natural_images`), and UFLDL's patch sampling and normalization
  (:func:`sample_patches`, :func:`normalize_patches`).
* MNIST: 5000 real training digits (500 per class) bundled in ``data/mnist_5k.npz``, or the full
  official database from a folder of IDX files (:func:`load_mnist`, :func:`read_idx`), and the
  parameters of UFLDL's MNIST autoencoder trained on them (:func:`load_mnist_autoencoder`).

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
from typing import Any

import numpy as np

from ufldl_helpers._validation import check_array, check_choice, check_rng, check_scalar
from ufldl_helpers.whitening import whiten_images

BUNDLED_SHA256 = {
    "natural_images.npz": "36ef8344f617b00ba26e5d87acbc49c6104908c4bb9493f87dc857f1f71fb994",
    "mnist_5k.npz": "5bbf307b2026d4ddfcf051279e1e767323f6104965960069272a6b99653374e5",
    "mnist_autoencoder.npz": "31804216abd776e4fd72dfdc54ae956cc049da8c12988e67271d95a55afb7a7a",
}
"""sha256 of each file in ``data/``; the loaders refuse a file that does not match."""

DATA_DIR_ENV = "UFLDL_DATA_DIR"

_IDX_DTYPES: dict[int, np.dtype] = {
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


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
"""Image files :func:`load_natural_images` reads from a folder (case-insensitive)."""

LUMA_WEIGHTS = (0.2125, 0.7154, 0.0721)
"""Rec. 709 luma weights for R, G, B, applied to the stored (gamma-encoded) values, as
scikit-image's ``rgb2gray``; used for colour files and for the bundled photographs."""


def load_natural_images(path: str | os.PathLike | None = None) -> np.ndarray:
    """Whitened natural images: the bundled ones, UFLDL's ``IMAGES.mat`` or your own.

    Parameters
    ----------
    path : str, path-like or None
        * ``None``: the ten bundled 512x512 photographs (``data/natural_images.npz``, checked
          against its sha256), whitened with :func:`ufldl_helpers.whitening.whiten_images`.
        * A ``.mat`` file (read with ``scipy.io.loadmat``): UFLDL's ``IMAGES.mat`` (key
          ``IMAGES``, already whitened by Olshausen & Field: returned as stored) or
          ``IMAGES_RAW.mat`` (key ``IMAGESr``, raw: whitened here like the bundled images).
        * A folder of ``.png``/``.jpg``/``.jpeg`` files, all square and of the same size, read
          in name order with ``matplotlib.image.imread`` (JPEG through Pillow). Colour is
          converted to gray with :data:`LUMA_WEIGHTS` (alpha dropped), 8-bit values are
          scaled to [0, 1]; then the stack is whitened.

    Returns
    -------
    images : (n, n, k) float64
        ``k`` whitened images (bundled: (512, 512, 10)); mean per-image variance 0.1 when
        whitened here. A fresh array each call.
    """
    if path is None:
        return _whitened_natural_images().copy()
    path = Path(path)
    if path.is_dir():
        return whiten_images(_read_image_folder(path))
    if path.is_file() and path.suffix.lower() == ".mat":
        images, whitened = _read_ufldl_mat(path)
        return images if whitened else whiten_images(images)
    if not path.exists():
        raise FileNotFoundError(f"path not found: {path}")
    raise ValueError(
        f"path must be a .mat file (UFLDL's IMAGES.mat or IMAGES_RAW.mat) or a folder of "
        f"{'/'.join(IMAGE_SUFFIXES)} images; got {path}"
    )


def _read_ufldl_mat(path: Path) -> tuple[np.ndarray, bool]:
    """(images, already_whitened) from UFLDL's IMAGES.mat (IMAGES) or IMAGES_RAW.mat (IMAGESr)."""
    import scipy.io

    try:
        contents = scipy.io.loadmat(path)
    except NotImplementedError as exc:  # scipy's answer to MATLAB v7.3 (HDF5) files
        raise ValueError(
            f"path {path} is a MATLAB v7.3 file, which scipy.io.loadmat cannot read; save it "
            f"from MATLAB/Octave with save(..., '-v7'): {exc}"
        ) from exc
    except (ValueError, TypeError, OSError) as exc:
        raise ValueError(f"path {path} is not a readable MATLAB .mat file: {exc}") from exc
    keys = [k for k in ("IMAGES", "IMAGESr") if k in contents]
    if len(keys) != 1:
        found = sorted(k for k in contents if not k.startswith("__"))
        raise ValueError(
            f"path {path} must hold exactly one of the variables IMAGES (whitened, UFLDL's "
            f"IMAGES.mat) or IMAGESr (raw, IMAGES_RAW.mat); it holds {found}"
        )
    images = contents[keys[0]]
    if not np.issubdtype(images.dtype, np.number) or np.iscomplexobj(images):
        raise ValueError(f"{keys[0]} in {path} must be a real numeric array; got {images.dtype}")
    images = check_array(images.astype(np.float64), f"{keys[0]} in {path}", ndim=3)
    if images.shape[0] != images.shape[1] or 0 in images.shape:
        raise ValueError(
            f"{keys[0]} in {path} must be a stack of square images, (n, n, k); got shape "
            f"{images.shape}"
        )
    return images, keys[0] == "IMAGES"


def _read_image_folder(folder: Path) -> np.ndarray:
    """(n, n, k) float64 gray levels in [0, 1] from the image files of a folder, in name order."""
    import matplotlib.image

    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(
            f"path {folder} holds no image files ({', '.join(IMAGE_SUFFIXES)}); "
            "expected a folder of square grayscale or colour photographs"
        )
    images = []
    for file in files:
        try:
            image = np.asarray(matplotlib.image.imread(file))
        except Exception as exc:  # Pillow and matplotlib raise many types for a bad file
            raise ValueError(f"image file {file} cannot be read: {exc}") from exc
        images.append(_to_gray(image, file))
    shapes = {image.shape for image in images}
    if len(shapes) != 1 or images[0].shape[0] != images[0].shape[1]:
        listing = ", ".join(f"{f.name} {im.shape[0]}x{im.shape[1]}" for f, im in
                            zip(files, images, strict=True))
        raise ValueError(
            f"the images in {folder} must all be square and of the same size (crop or "
            f"downsample them first); got {listing}"
        )
    return np.stack(images, axis=2)


def _to_gray(image: np.ndarray, file: Path) -> np.ndarray:
    if image.dtype == np.uint8:
        image = image / 255.0
    elif image.dtype == np.uint16:
        image = image / 65535.0
    image = image.astype(np.float64, copy=False)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[:, :, :3] @ np.array(LUMA_WEIGHTS)
    if image.ndim == 3 and image.shape[2] in (1, 2):  # gray, gray + alpha
        return image[:, :, 0]
    if image.ndim == 2:
        return image
    raise ValueError(f"image file {file} has an unexpected shape {image.shape}")


def load_raw_natural_images() -> tuple[np.ndarray, list[str]]:
    """The same ten photographs before whitening, and where each comes from.

    Returns
    -------
    images : (512, 512, 10) float64
        Gray levels in [0, 1].
    names : list of str
        ``"package:file"`` of each source photograph, e.g.
        ``"lomiri-wallpapers-16.04:usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg"``
        (Debian packages; licences and regions in ``data/README.md``).
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


def load_mnist_autoencoder() -> dict[str, Any]:
    """Parameters of UFLDL's MNIST sparse autoencoder, trained on the 5000 bundled digits.

    The setting of UFLDL's Exercise:Vectorization (784 -> 196 -> 784, ``sparsity_param`` 0.1,
    ``lambda_`` 3e-3, ``beta`` 3, 400 L-BFGS-B iterations, float64, ``rng=0``), on the 5000
    digits of :func:`load_mnist` rather than UFLDL's 10000. Made by
    ``scripts/train_mnist_autoencoder.py`` (about 1.5 minutes of CPU time, one BLAS thread)
    and stored as float32 in ``data/mnist_autoencoder.npz``, checked against its sha256.

    Returns
    -------
    params : dict
        ``W1`` (196, 784), ``b1`` (196,), ``W2`` (784, 196), ``b2`` (784,): float64 arrays
        holding the stored float32 values; ``theta``: the four unrolled as
        ``[W1, W2, b1, b2]`` row by row (the package's ``order="C"`` layout);
        ``cost_history`` (401,) float64, the cost before training and after each iteration;
        ``lambda_``, ``sparsity_param``, ``beta`` (float), ``max_iter``, ``seed`` (int).
    """
    npz = _load_npz("mnist_autoencoder.npz")
    params: dict[str, Any] = {key: npz[key].astype(np.float64) for key in ("W1", "b1", "W2", "b2")}
    params["theta"] = np.concatenate([params[k].ravel() for k in ("W1", "W2", "b1", "b2")])
    params["cost_history"] = npz["cost_history"]
    params["lambda_"], params["sparsity_param"], params["beta"] = (
        float(v) for v in npz["hyperparameters"])
    params["max_iter"], params["seed"] = int(npz["max_iter"]), int(npz["seed"])
    return params


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
