"""DICOM import: pydicom's own sample files (only those bundled with the installed package) and files
written here; every bad file gives a DicomReadError that says what is wrong."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import JPEGLosslessSV1

from dermstation.core.body_sites import Laterality
from dermstation.core.domain import Sex
from dermstation.core.errors import DicomReadError
from dermstation.dicom.importer import SECONDARY_CAPTURE, read_dicom_image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dicom_samples import write_dicom  # noqa: E402

# the bands of pydicom's 100 x 100 SC_rgb test image, sampled mid-band: red, light red, light blue, white
SC_BANDS = {5: (255, 0, 0), 15: (255, 128, 128), 55: (128, 128, 255), 95: (255, 255, 255)}


def bundled(name: str) -> str:
    path = get_testdata_file(name, download=False)  # never download: only files shipped with pydicom
    if path is None:
        pytest.skip(f"{name} is not bundled with this pydicom")
    return str(path)


def _bands(pixels: np.ndarray, tolerance: int) -> None:
    for row, rgb in SC_BANDS.items():
        assert np.abs(pixels[row, 50].astype(int) - np.array(rgb)).max() <= tolerance, (row, pixels[row, 50])


@pytest.mark.parametrize(("name", "tolerance"), [
    ("SC_rgb_rle.dcm", 0),  # RLE, RGB
    ("SC_ybr_full_422_uncompressed.dcm", 2),  # uncompressed YBR_FULL_422
    ("SC_rgb_jpeg_dcmtk.dcm", 3),  # baseline JPEG, YBR_FULL
    ("SC_rgb_jpeg_lossy_gdcm.dcm", 3),
    ("SC_rgb_dcmtk_+eb+cy+n1.dcm", 5),  # lossy JPEG: a few levels off
    ("SC_rgb_rle_16bit.dcm", 1),  # 16 bits per sample, scaled to 8
])
def test_pydicom_secondary_captures(name: str, tolerance: int) -> None:
    img = read_dicom_image(bundled(name))
    assert img.pixels.shape == (100, 100, 3) and img.pixels.dtype == np.uint8
    assert not img.pixels.flags.writeable
    _bands(img.pixels, tolerance)
    assert img.study.sop_class_uid == SECONDARY_CAPTURE
    assert img.patient.patient_id == "ID1" and img.patient.family_name == "Lestrade"
    assert img.patient.sex == Sex.FEMALE


def test_ybr_is_converted_once_on_the_cli_path_too() -> None:
    from dermstation.services.analysis import AnalysisService

    cli = AnalysisService(models_dir=Path("/nonexistent"))  # decoding needs no models
    for name in ("SC_rgb_jpeg_dcmtk.dcm", "SC_ybr_full_422_uncompressed.dcm"):
        _bands(cli.load(bundled(name)).image.pixels, 3)


def test_multiframe_takes_the_first_frame() -> None:
    img = read_dicom_image(bundled("SC_rgb_rle_2frame.dcm"))
    assert img.frames == 2 and img.pixels.shape == (100, 100, 3)
    _bands(img.pixels, 0)


def test_odd_sized_and_jpeg_odd() -> None:
    plain = read_dicom_image(bundled("SC_rgb_small_odd.dcm")).pixels
    jpeg = read_dicom_image(bundled("SC_rgb_small_odd_jpeg.dcm")).pixels
    assert plain.shape == jpeg.shape == (3, 3, 3)
    assert np.abs(plain.astype(int) - jpeg.astype(int)).max() < 12


@pytest.mark.parametrize(("name", "words"), [
    ("test-SR.dcm", "holds no image"),
    ("rtplan.dcm", "holds no image"),
    ("CT_small.dcm", "not a photograph"),
    ("MR_small.dcm", "not a photograph"),
    ("examples_rgb_color.dcm", "not a photograph"),  # ultrasound
    ("MR_truncated.dcm", "not a photograph"),
    ("no_meta.dcm", "not a DICOM file"),
])
def test_non_photographs_are_refused(name: str, words: str) -> None:
    with pytest.raises(DicomReadError, match=words) as info:
        read_dicom_image(bundled(name))
    assert name in info.value.message


def test_jpeg_lossless_decodes_or_says_what_is_missing() -> None:
    path = bundled("SC_rgb_jpeg_gdcm.dcm")
    assert pydicom.dcmread(path).file_meta.TransferSyntaxUID == JPEGLosslessSV1
    try:
        img = read_dicom_image(path)
    except DicomReadError as exc:
        assert "cannot decode" in exc.message and "pylibjpeg" in exc.details
    else:  # pylibjpeg and pylibjpeg-libjpeg are installed: lossless means exact
        _bands(img.pixels, 0)


def _photo(tmp_path: Path, **attrs: object) -> Path:
    rgb = np.random.default_rng(3).integers(0, 255, (60, 80, 3), dtype=np.uint8)
    path = write_dicom(tmp_path / "p.dcm", rgb, (0.02, 0.03))
    ds = pydicom.dcmread(path)
    for key, value in attrs.items():
        setattr(ds, key, value)
    ds.save_as(path)
    return path


def test_attributes_mapped(tmp_path: Path) -> None:
    path = _photo(tmp_path, PatientID="MRN-77", PatientName="Ngata^Aroha^Mere", PatientBirthDate="19850217",
                  PatientSex="F", StudyInstanceUID="1.2.3.4", StudyDate="20260105", StudyDescription="Skin check",
                  BodyPartExamined="ARM", ContentDate="20260105", ContentTime="101500")
    img = read_dicom_image(path)
    assert img.patient.patient_id == "MRN-77"
    assert (img.patient.family_name, img.patient.given_name) == ("Ngata", "Aroha Mere")
    assert img.patient.birth_date == date(1985, 2, 17) and img.patient.sex == Sex.FEMALE
    assert img.study.study_uid == "1.2.3.4" and img.study.study_date == date(2026, 1, 5)
    assert img.study.study_description == "Skin check"
    assert img.pixel_spacing_rc_mm == (0.02, 0.03) and img.pixel_spacing_mm == pytest.approx(0.025)
    assert img.body_part == "arm" and img.body_site is not None and img.body_site.region == "upper_arm"
    assert img.acquired_at is not None and img.acquired_at.hour == 10


def test_anatomic_region_code_wins_over_body_part(tmp_path: Path) -> None:
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    region = Dataset()
    region.CodeValue, region.CodingSchemeDesignator, region.CodeMeaning = "14975008", "SCT", "Forearm"
    path = _photo(tmp_path, AnatomicRegionSequence=Sequence([region]), Laterality="R", BodyPartExamined="HAND")
    img = read_dicom_image(path)
    assert img.body_part == "Forearm"
    assert img.body_site is not None and (img.body_site.region, img.body_site.laterality) == (
        "forearm", Laterality.RIGHT)


def test_imager_spacing_and_no_spacing(tmp_path: Path) -> None:
    rgb = np.zeros((10, 12, 3), np.uint8)
    path = write_dicom(tmp_path / "a.dcm", rgb, None)
    assert read_dicom_image(path).pixel_spacing_mm is None
    ds = pydicom.dcmread(path)
    ds.ImagerPixelSpacing = [0.05, 0.05]
    ds.save_as(path)
    assert read_dicom_image(path).pixel_spacing_mm == pytest.approx(0.05)


def test_greyscale_photo(tmp_path: Path) -> None:
    grey = np.arange(40 * 50, dtype=np.uint16).reshape(40, 50)
    grey[-1, -1] = 4095  # the 12-bit maximum
    path = write_dicom(tmp_path / "g.dcm", grey, None)
    ds = pydicom.dcmread(path)
    ds.BitsStored, ds.HighBit = 12, 11
    ds.save_as(path)
    img = read_dicom_image(path)
    assert img.pixels.shape == (40, 50, 3) and img.pixels[0, 0, 0] == 0 and img.pixels.max() == 255


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95, 0.999])
def test_truncated_files(tmp_path: Path, keep: float) -> None:
    path = write_dicom(tmp_path / "t.dcm", np.full((100, 120, 3), 77, np.uint8))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(DicomReadError, match="truncated|incomplete|damaged"):
        read_dicom_image(path)


def test_truncated_pydicom_sample() -> None:
    with pytest.raises(DicomReadError):
        read_dicom_image(bundled("rtplan_truncated.dcm"))


@pytest.mark.filterwarnings("ignore:End of file reached before delimiter")
def test_malformed_and_missing(tmp_path: Path) -> None:
    (tmp_path / "x.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 300)
    with pytest.raises(DicomReadError):
        read_dicom_image(tmp_path / "x.dcm")
    (tmp_path / "y.dcm").write_text("hello")
    with pytest.raises(DicomReadError, match="not a DICOM file"):
        read_dicom_image(tmp_path / "y.dcm")
    with pytest.raises(DicomReadError, match="does not exist"):
        read_dicom_image(tmp_path / "nope.dcm")
    with pytest.raises(DicomReadError, match="not a DICOM file"):
        read_dicom_image(b"", "empty.dcm")


def test_bad_image_attributes(tmp_path: Path) -> None:
    path = _photo(tmp_path, BitsAllocated=32, BitsStored=32, HighBit=31)
    with pytest.raises(DicomReadError, match="bits per sample"):
        read_dicom_image(path)
    path = _photo(tmp_path, PhotometricInterpretation="CMYK")
    with pytest.raises(DicomReadError, match="colour encoding"):
        read_dicom_image(path)
    path = _photo(tmp_path, SOPClassUID="1.2.840.10008.5.1.4.1.1.2")  # CT
    with pytest.raises(DicomReadError, match="not a photograph"):
        read_dicom_image(path)
