"""Bad input to the data loaders gets a ValueError naming the argument (issue 11)."""

import gzip
import zlib

import numpy as np
import pytest

from ufldl_helpers import data


def idx_bytes(array):
    """An IDX file's bytes for a uint8 array (the format of MNIST's files)."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


def single_byte_corruptions(blob):
    """Every copy of ``blob`` with one byte flipped, in order of position."""
    for position in range(len(blob)):
        corrupt = bytearray(blob)
        corrupt[position] ^= 0x55
        yield bytes(corrupt)


def raises_zlib_error(blob):
    try:
        gzip.decompress(blob)
    except zlib.error:  # the error of issue 11, which escaped load_mnist
        return True
    except (OSError, EOFError):
        pass
    return False


def mnist_folder(tmp_path, images_bytes, labels_bytes):
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(images_bytes)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(labels_bytes)
    return tmp_path


def test_corrupt_gzip_deflate_stream_is_a_value_error(tmp_path):
    rng = np.random.default_rng(0)
    good = gzip.compress(idx_bytes(rng.integers(0, 256, size=(3, 28, 28))), mtime=0)
    corrupt = next(c for c in single_byte_corruptions(good) if raises_zlib_error(c))
    labels = idx_bytes(np.arange(3))
    folder = mnist_folder(tmp_path, bytes(corrupt), labels)
    with pytest.raises(ValueError, match=r"path .*train-images-idx3-ubyte.gz looks gzip"):
        data.load_mnist(folder)


def test_any_single_byte_corruption_of_a_gzip_idx_is_harmless_or_a_value_error(tmp_path):
    array = np.arange(60, dtype=np.uint8).reshape(3, 4, 5) * 4
    good = gzip.compress(idx_bytes(array), mtime=0)
    path = tmp_path / "x.idx.gz"
    failures = 0
    for corrupt in single_byte_corruptions(good):
        path.write_bytes(corrupt)
        try:
            out = data.read_idx(path)
        except ValueError as exc:
            assert "x.idx.gz" in str(exc)
            failures += 1
        else:  # gzip's mtime, extra flags and OS bytes are not checked by anyone
            np.testing.assert_array_equal(out, array)
    assert failures >= len(good) - 6


def test_truncated_gzip_is_a_value_error(tmp_path):
    path = tmp_path / "t.idx.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((2, 28, 28))), mtime=0)[:-10])
    with pytest.raises(ValueError, match="cannot be decompressed"):
        data.read_idx(path)


@pytest.mark.parametrize("payload", [b"", b"\x07"])
def test_idx_header_with_zero_dimensions(tmp_path, payload):
    path = tmp_path / "scalar.idx"
    path.write_bytes(bytes([0, 0, 0x08, 0]) + payload)
    with pytest.raises(ValueError, match=r"path .*scalar.idx .* declares 0 dimensions"):
        data.read_idx(path)


def test_load_mnist_with_zero_dimension_headers(tmp_path):
    scalar = bytes([0, 0, 0x08, 0, 7])
    folder = mnist_folder(tmp_path, gzip.compress(scalar), scalar)
    with pytest.raises(ValueError, match="declares 0 dimensions"):
        data.load_mnist(folder)


@pytest.mark.parametrize(
    "images, labels",
    [
        (np.zeros((3, 28)), np.zeros(3)),  # rows of 28, not 784
        (np.zeros((3, 28, 28)), np.zeros(4)),  # one label too many
        (np.zeros((3, 28, 28)), np.zeros((3, 1))),  # labels not 1-D
    ],
)
def test_load_mnist_unexpected_shapes(tmp_path, images, labels):
    folder = mnist_folder(tmp_path, gzip.compress(idx_bytes(images)), idx_bytes(labels))
    with pytest.raises(ValueError, match=r"unexpected shapes.*expected \(m, 28, 28\) and \(m,\)"):
        data.load_mnist(folder)


def test_load_mnist_accepts_flat_784_rows(tmp_path):
    pixels = np.arange(2 * 784).reshape(2, 784) % 256
    folder = mnist_folder(tmp_path, gzip.compress(idx_bytes(pixels)), idx_bytes(np.array([4, 2])))
    images, labels = data.load_mnist(folder)
    np.testing.assert_allclose(images, pixels.T / 255.0)
    np.testing.assert_array_equal(labels, [4, 2])


@pytest.mark.parametrize("shape", [(16, 16, 0), (0, 16, 2), (16, 0, 2)])
def test_sample_patches_on_empty_images(shape):
    with pytest.raises(ValueError, match=r"images must hold at least one"):
        data.sample_patches(np.zeros(shape), patch_size=4)
