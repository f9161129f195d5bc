import gzip
import shutil

import numpy as np
import pytest

from ufldl_helpers import data


@pytest.fixture(scope="module")
def images():
    return data.load_natural_images()


def test_natural_images_shape_and_scale(images):
    assert images.shape == (512, 512, 10)
    assert images.dtype == np.float64
    assert images.reshape(-1, 10).var(axis=0, ddof=1).mean() == pytest.approx(0.1)


def test_load_natural_images_returns_independent_copies(images):
    again = data.load_natural_images()
    again[0, 0, 0] += 1.0
    assert data.load_natural_images()[0, 0, 0] == images[0, 0, 0]


def test_raw_images_have_provenance():
    raw, names = data.load_raw_natural_images()
    assert raw.shape == (512, 512, 10) and 0 <= raw.min() and raw.max() <= 1
    assert len(names) == 10 and names[0].endswith("life_by_Aitzol_Berasategi.jpg")


def test_sample_patches_normalized_like_ufldl(images):
    patches = data.sample_patches(images, patch_size=8, num_patches=2000, rng=1)
    assert patches.shape == (64, 2000)
    assert patches.min() >= 0.1 - 1e-12 and patches.max() <= 0.9 + 1e-12
    # truncation at 3 sd clips only a few pixels at the bounds
    clipped = np.mean((patches <= 0.1 + 1e-12) | (patches >= 0.9 - 1e-12))
    assert 0 < clipped < 0.05
    # each patch's own mean was removed before rescaling: a clipped patch's mean is near 0.5
    assert abs(np.median(patches.mean(axis=0)) - 0.5) < 0.01


def test_sample_patches_takes_real_windows_in_c_order():
    rng = np.random.default_rng(3)
    images = rng.standard_normal((20, 30, 2))
    patches = data.sample_patches(images, patch_size=5, num_patches=50, rng=7, normalize=False)
    windows = {
        images[r : r + 5, c : c + 5, k].tobytes()
        for k in range(2)
        for r in range(16)
        for c in range(26)
    }
    for column in patches.T:
        assert column.reshape(5, 5).tobytes() in windows


def test_sample_patches_is_seeded(images):
    a = data.sample_patches(images, num_patches=10, rng=5)
    b = data.sample_patches(images, num_patches=10, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_normalize_patches_formula():
    rng = np.random.default_rng(0)
    patches = rng.standard_normal((16, 300)) * 2 + 7
    out = data.normalize_patches(patches)
    centred = patches - patches.mean(axis=0)
    pstd = 3 * centred.std(ddof=1)
    np.testing.assert_allclose(out, (np.clip(centred, -pstd, pstd) / pstd + 1) * 0.4 + 0.1)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(patch_size=600), ValueError, r"patch_size \(600\) must not exceed"),
        (dict(num_patches=0), ValueError, "num_patches must be >= 1"),
        (dict(patch_size=2.5), TypeError, "patch_size must be an integer"),
    ],
)
def test_sample_patches_bad_arguments(images, kwargs, error, message):
    with pytest.raises(error, match=message):
        data.sample_patches(images, **kwargs)


def test_sample_patches_bad_images():
    with pytest.raises(ValueError, match="images must be 3-D"):
        data.sample_patches(np.zeros((10, 10)))
    bad = np.zeros((10, 10, 1))
    bad[2, 2, 0] = np.inf
    with pytest.raises(ValueError, match="images must be finite"):
        data.sample_patches(bad, patch_size=2)


def test_bundled_mnist_is_balanced_and_in_official_order():
    images, labels = data.load_mnist()
    assert images.shape == (784, 5000) and images.dtype == np.float64
    assert 0 <= images.min() and images.max() == 1.0
    np.testing.assert_array_equal(np.bincount(labels), np.full(10, 500))
    # the first training digits of MNIST are 5, 0, 4, 1, 9, 2, 1, 3, 1, 4
    np.testing.assert_array_equal(labels[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    first, _ = data.load_mnist(n=3)
    np.testing.assert_array_equal(first, images[:, :3])


def test_load_mnist_bad_n():
    with pytest.raises(ValueError, match=r"n must be in \[1, 5000\]"):
        data.load_mnist(n=5001)


def write_idx(path, array, compress=False):
    codes = {np.uint8: 0x08, np.int32: 0x0C, np.float64: 0x0E}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim])
    header += np.array(array.shape, dtype=">u4").tobytes()
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    # Closed by the with block: an unclosed gzip file loses its buffered data on Python 3.12+.
    with (gzip.open if compress else open)(path, "wb") as f:
        f.write(payload)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float64])
def test_read_idx_roundtrip(tmp_path, compress, dtype):
    array = (np.arange(2 * 3 * 4) * 7 % 251).astype(dtype).reshape(2, 3, 4)
    path = tmp_path / ("x.idx.gz" if compress else "x.idx")
    write_idx(path, array, compress)
    out = data.read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_read_idx_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing.idx"):
        data.read_idx(tmp_path / "missing.idx")
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"PK\x03\x04junk")
    with pytest.raises(ValueError, match=r"bad.idx is not an IDX file"):
        data.read_idx(bad)
    short = tmp_path / "short.idx"
    write_idx(short, np.zeros((4, 4), dtype=np.uint8))
    short.write_bytes(short.read_bytes()[:-3])
    with pytest.raises(ValueError, match=r"short.idx holds 25 bytes"):
        data.read_idx(short)


def test_load_mnist_from_an_idx_folder(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(6, 28, 28)).astype(np.uint8)
    labels = np.array([3, 1, 4, 1, 5, 9], dtype=np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", pixels, compress=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    images, out_labels = data.load_mnist(tmp_path, n=4)
    assert images.shape == (784, 4)
    np.testing.assert_allclose(images[:, 1], pixels[1].ravel() / 255.0)
    np.testing.assert_array_equal(out_labels, labels[:4])
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        data.load_mnist(tmp_path, split="test")


def test_corrupt_bundled_file_is_refused(tmp_path, monkeypatch):
    for name in data.BUNDLED_SHA256:
        shutil.copy(data.bundled_file(name), tmp_path / name)
    corrupt = bytearray((tmp_path / "mnist_5k.npz").read_bytes())
    corrupt[100] ^= 0xFF
    (tmp_path / "mnist_5k.npz").write_bytes(bytes(corrupt))
    monkeypatch.setenv(data.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(ValueError, match=r"mnist_5k.npz is corrupt or was changed"):
        data.load_mnist()
    (tmp_path / "mnist_5k.npz").unlink()
    with pytest.raises(FileNotFoundError, match=r"bundled data file mnist_5k.npz not found"):
        data.load_mnist()
