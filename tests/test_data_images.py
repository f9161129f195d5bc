"""load_natural_images(path): UFLDL's IMAGES.mat / IMAGES_RAW.mat and folders of image files."""

import matplotlib.image
import numpy as np
import pytest
import scipy.io

from ufldl_helpers import data
from ufldl_helpers.whitening import TARGET_VARIANCE, whiten_images


@pytest.fixture
def raw():
    """Three 32x32 images with 1/f-like content, values in [0, 1]."""
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((32, 32, 3))
    smooth = np.cumsum(np.cumsum(noise, axis=0), axis=1)
    smooth -= smooth.min()
    return smooth / smooth.max()


def test_images_mat_is_returned_as_stored(tmp_path, raw):
    whitened = whiten_images(raw)
    scipy.io.savemat(tmp_path / "IMAGES.mat", {"IMAGES": whitened})
    out = data.load_natural_images(tmp_path / "IMAGES.mat")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, whitened)


def test_images_raw_mat_gets_our_whitening(tmp_path, raw):
    scipy.io.savemat(tmp_path / "IMAGES_RAW.mat", {"IMAGESr": raw})
    out = data.load_natural_images(str(tmp_path / "IMAGES_RAW.mat"))
    np.testing.assert_allclose(out, whiten_images(raw), rtol=0, atol=1e-12)
    assert out.reshape(-1, 3).var(axis=0, ddof=1).mean() == pytest.approx(TARGET_VARIANCE)


def test_single_precision_mat_is_read_as_float64(tmp_path, raw):
    scipy.io.savemat(tmp_path / "IMAGES.mat", {"IMAGES": raw.astype(np.float32)})
    out = data.load_natural_images(tmp_path / "IMAGES.mat")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, raw.astype(np.float32))


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"X": np.zeros((4, 4, 1))}, r"exactly one of the variables IMAGES .* holds \['X'\]"),
        ({"IMAGES": np.ones((4, 4, 1)), "IMAGESr": np.ones((4, 4, 1))}, "exactly one"),
        ({"IMAGES": np.zeros((4, 4))}, "IMAGES in .* must be 3-D"),
        ({"IMAGESr": np.zeros((4, 5, 2))}, r"must be a stack of square images.*\(4, 5, 2\)"),
        ({"IMAGES": np.full((4, 4, 1), np.nan)}, "IMAGES in .* must be finite"),
        ({"IMAGES": np.array(["abc"])}, "must be a real numeric array"),
    ],
)
def test_bad_mat_contents(tmp_path, variables, message):
    scipy.io.savemat(tmp_path / "bad.mat", variables)
    with pytest.raises(ValueError, match=message):
        data.load_natural_images(tmp_path / "bad.mat")


def test_a_file_that_is_not_a_mat_file(tmp_path):
    (tmp_path / "IMAGES.mat").write_bytes(b"this is not MATLAB data at all" * 10)
    with pytest.raises(ValueError, match=r"is not a readable MATLAB \.mat file"):
        data.load_natural_images(tmp_path / "IMAGES.mat")


def test_matlab_v73_file_gets_advice(tmp_path):
    # a v7.3 .mat file is HDF5 behind a MATLAB text header; scipy refuses it
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5"
    (tmp_path / "IMAGES.mat").write_bytes(header.ljust(116) + bytes(8) + b"\x00\x02IM" + bytes(400))
    with pytest.raises(ValueError, match=r"v7.3 .*-v7"):
        data.load_natural_images(tmp_path / "IMAGES.mat")


def test_folder_of_gray_and_colour_pngs(tmp_path, raw):
    from PIL import Image

    levels = np.uint8(np.round(raw * 255))
    Image.fromarray(levels[:, :, 0]).save(tmp_path / "a.png")  # 8-bit gray
    rgba = np.dstack([levels[:, :, 1], levels[:, :, 2], levels[:, :, 0], np.full((32, 32), 9)])
    Image.fromarray(rgba.astype(np.uint8), mode="RGBA").save(tmp_path / "b.PNG")
    (tmp_path / "notes.txt").write_text("not an image")
    out = data.load_natural_images(tmp_path)
    gray = np.stack([levels[:, :, 0] / 255, rgba[:, :, :3] / 255 @ np.array(data.LUMA_WEIGHTS)],
                    axis=2)
    np.testing.assert_allclose(out, whiten_images(gray), rtol=0, atol=1e-6)


def test_folder_of_jpegs(tmp_path, raw):
    from PIL import Image

    for i in range(3):
        Image.fromarray(np.uint8(np.round(raw[:, :, i] * 255))).save(tmp_path / f"{i}.jpg",
                                                                      quality=95)
    out = data.load_natural_images(tmp_path)
    assert out.shape == (32, 32, 3)
    assert np.corrcoef(out.ravel(), whiten_images(raw).ravel())[0, 1] > 0.95


def test_folder_errors(tmp_path, raw):
    with pytest.raises(ValueError, match="holds no image files"):
        data.load_natural_images(tmp_path)
    matplotlib.image.imsave(tmp_path / "a.png", raw[:, :, 0], cmap="gray")
    matplotlib.image.imsave(tmp_path / "b.png", raw[:16, :, 0], cmap="gray")
    with pytest.raises(ValueError, match=r"square and of the same size .* b.png 16x32"):
        data.load_natural_images(tmp_path)
    (tmp_path / "b.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"image file .*b\.png cannot be read"):
        data.load_natural_images(tmp_path)


def test_other_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="path not found"):
        data.load_natural_images(tmp_path / "missing.mat")
    (tmp_path / "images.npy").write_bytes(b"")
    with pytest.raises(ValueError, match=r"path must be a .mat file .* or a folder"):
        data.load_natural_images(tmp_path / "images.npy")


def test_bundled_photographs_have_provenance_and_licences():
    raw, names = data.load_raw_natural_images()
    assert raw.shape == (512, 512, 10) and 0 <= raw.min() and raw.max() <= 1
    assert len(set(names)) == 10
    assert names[0] == "lomiri-wallpapers-16.04:usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg"
    with np.load(data.bundled_file("natural_images.npz"), allow_pickle=False) as npz:
        licences = [str(s) for s in npz["licences"]]
    assert len(licences) == 10
    assert all(s.split(",")[0] in ("CC BY 4.0", "CC BY-SA 4.0", "CC BY-SA 3.0", "CC0 1.0",
                                   "LGPL-3.0", "GPL-2.0-or-later") for s in licences)
    # every image uses the gray range of a photograph, none is a flat or clipped frame
    assert np.all(raw.reshape(-1, 10).std(axis=0) > 0.05)
