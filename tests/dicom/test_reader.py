"""The minimal DICOM reader: RGB pixels and pixel spacing, bad files refused with DicomReadError."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from dermstation.core.errors import DicomReadError
from dermstation.dicom.importer import read_dicom_image as read_dicom  # the one DICOM decoder
from dermstation.dicom.reader import is_dicom_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dicom_samples import write_dicom  # noqa: E402


def test_rgb_dicom(tmp_path: Path) -> None:
    rgb = np.random.default_rng(1).integers(0, 255, (60, 80, 3), dtype=np.uint8)
    path = write_dicom(tmp_path / "a.dcm", rgb, (0.02, 0.03))
    img = read_dicom(path)
    assert np.array_equal(img.pixels, rgb)
    assert img.pixel_spacing_mm == pytest.approx(0.025)
    assert is_dicom_file(path)


def test_grey_16_bit_and_monochrome1(tmp_path: Path) -> None:
    grey = (np.arange(40 * 50, dtype=np.uint16).reshape(40, 50) * 13)
    img = read_dicom(write_dicom(tmp_path / "g.dcm", grey, None))
    assert img.pixels.shape == (40, 50, 3) and img.pixel_spacing_mm is None
    # scaled by the stored bit depth (16), not stretched to the picture's own range
    assert img.pixels[0, 0, 0] == 0 and img.pixels[-1, -1, 0] == round(int(grey[-1, -1]) * 255 / 65535)
    inv = read_dicom(write_dicom(tmp_path / "m1.dcm", grey, None, "MONOCHROME1"))
    assert inv.pixels[0, 0, 0] == 255


def test_not_dicom(tmp_path: Path) -> None:
    (tmp_path / "x.dcm").write_text("hello")
    with pytest.raises(DicomReadError, match="x.dcm"):
        read_dicom(tmp_path / "x.dcm")


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(DicomReadError, match="does not exist"):
        read_dicom(tmp_path / "nope.dcm")


def test_no_pixel_data(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "a.dcm", np.zeros((8, 8, 3), np.uint8))
    import pydicom

    ds = pydicom.dcmread(path)
    del ds.PixelData
    ds.save_as(path)
    with pytest.raises(DicomReadError, match="no image"):
        read_dicom(path)


def test_truncated(tmp_path: Path) -> None:
    path = write_dicom(tmp_path / "a.dcm", np.zeros((100, 100, 3), np.uint8))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 5000])
    with pytest.raises(DicomReadError):
        read_dicom(path)
