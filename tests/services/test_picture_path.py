"""The picture path's first steps: ``captures.prepare`` (one read, one decode) and storing it.

One real photo (CC0 ISIC) in several containers — JPEG, PNG with a transparent border, palette GIF,
HEIC, DICOM (uncompressed, JPEG 2000 with YBR_RCT and YBR_ICT) — imported in one folder batch with
broken files among them: every good copy is stored, every bad file is reported by name with its real
problem, nothing is skipped silently, and the stored pixels are the pixels the import decoded.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from sample_data import ISIC_NEVUS, read_rgb

from dermstation.core.domain import CaptureSource
from dermstation.core.errors import DicomReadError, DuplicateRecord
from dermstation.inference.image_io import read_image
from dermstation.services.analysis import AnalysisService
from dermstation.services.captures import prepare, prepare_file
from dermstation.services.imports import decode_capture
from dermstation.services.types import PatientInput

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dicom_samples import write_dicom  # noqa: E402


@pytest.fixture
def ws(services):
    return replace(services, analysis=AnalysisService(models_dir=Path("/nonexistent"))).workstation


@pytest.fixture
def lesion(services, dermatologist):
    patient = services.patients.create(dermatologist, PatientInput("R7", "Ada", "Lane", None))
    return services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return np.ascontiguousarray(cv2.resize(read_rgb(ISIC_NEVUS), (400, 300), interpolation=cv2.INTER_AREA))


def _jpeg2000_dicom(path: Path, rgb: np.ndarray, photometric: str) -> Path:
    """A JPEG 2000 DICOM whose codestream uses the multi-component transform, as scanners write them."""
    openjpeg = pytest.importorskip("openjpeg")
    import pydicom
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEG2000, JPEG2000Lossless

    lossless = photometric == "YBR_RCT"
    stream = openjpeg.encode(rgb, photometric_interpretation=1, use_mct=True,
                             compression_ratios=None if lossless else [4])
    ds = pydicom.dcmread(write_dicom(path, rgb))
    ds.file_meta.TransferSyntaxUID = JPEG2000Lossless if lossless else JPEG2000
    ds.PixelData = encapsulate([stream])
    ds["PixelData"].VR = "OB"
    ds.PhotometricInterpretation = photometric
    ds.save_as(path)
    return path


@pytest.mark.parametrize("photometric", ["YBR_RCT", "YBR_ICT"])
def test_jpeg2000_dicom_colour_matches_the_reference(photo: np.ndarray, tmp_path: Path, photometric: str) -> None:
    prepared = prepare_file(_jpeg2000_dicom(tmp_path / f"{photometric}.dcm", photo, photometric))
    assert prepared.source == CaptureSource.DICOM
    diff = np.abs(prepared.image.pixels.astype(int) - photo)
    if photometric == "YBR_RCT":  # reversible: exactly the photo
        assert diff.max() == 0
    else:  # irreversible (lossy) but the colours are right, not a YCbCr-as-RGB mix-up
        assert diff.mean() < 2.0, diff.mean()


def test_folder_batch_of_every_container_goes_on_past_bad_files(ws, dermatologist, lesion, photo, tmp_path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    cv2.imwrite(str(folder / "a_photo.jpg"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    h, w = photo.shape[:2]
    framed = np.zeros((h + 40, w + 40, 4), np.uint8)
    framed[20:-20, 20:-20, :3], framed[20:-20, 20:-20, 3] = photo, 255
    cv2.imwrite(str(folder / "b_framed.png"), cv2.cvtColor(framed, cv2.COLOR_RGBA2BGRA))
    Image.fromarray(photo).quantize(colors=256).save(folder / "c_palette.gif")
    heif = pytest.importorskip("pillow_heif")
    heif.register_heif_opener()
    Image.fromarray(photo).save(folder / "d_phone.heic", format="HEIF", quality=-1)
    write_dicom(folder / "e_plain.dcm", photo, (0.01, 0.01))
    _jpeg2000_dicom(folder / "f_rct.dcm", photo[::-1].copy(), "YBR_RCT")
    (folder / "g_truncated.dcm").write_bytes((folder / "e_plain.dcm").read_bytes()[:2000])
    (folder / "h_dot.png").write_bytes(cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))[1].tobytes())
    (folder / "i_notes.jpg").write_text("not a picture")
    (folder / "j_new.jxl").write_bytes(b"\xff\x0a" + bytes(100))  # refused by name, not skipped
    (folder / "k_notes.txt").write_text("not a picture, skipped in folder mode")

    report = ws.imports.import_files(dermatologist, lesion.id, [folder])
    stored_names = {c.id: ws.records.capture_image(dermatologist, c.id).original_name for c in report.imported}
    names = sorted(stored_names.values())
    assert names == ["a_photo.jpg", "b_framed.png", "c_palette.gif", "d_phone.heic", "e_plain.dcm", "f_rct.dcm"]
    failures = {f.path.name: f.message for f in report.failures}
    assert sorted(failures) == ["g_truncated.dcm", "h_dot.png", "i_notes.jpg", "j_new.jxl"]
    assert "JPEG XL" in failures["j_new.jxl"]
    for name, message in failures.items():
        assert name in message, message
    assert "1x1" in failures["h_dot.png"]
    assert "truncated" in failures["g_truncated.dcm"] or "damaged" in failures["g_truncated.dcm"]
    by_name = {stored_names[c.id]: c for c in report.imported}
    # the transparent border is cropped: the stored capture has the photo's own size
    assert (by_name["b_framed.png"].width, by_name["b_framed.png"].height) == (w, h)
    # the stored pixels of each copy are the pixels the import decoded (one decoder)
    for name in ("b_framed.png", "e_plain.dcm", "f_rct.dcm"):
        stored = decode_capture(ws.records.capture_image(dermatologist, by_name[name].id)).pixels
        expected = photo[::-1] if name == "f_rct.dcm" else photo
        assert np.array_equal(stored, expected), name


def test_duplicates_are_refused_on_every_path(ws, services, dermatologist, lesion, photo, tmp_path) -> None:
    path = tmp_path / "once.jpg"
    shutil.copy(ISIC_NEVUS, path)
    assert len(ws.imports.import_files(dermatologist, lesion.id, [path]).imported) == 1
    again = ws.imports.import_files(dermatologist, lesion.id, [path])
    assert not again.imported and "once.jpg" in again.failures[0].message
    assert "already" in again.failures[0].message
    ws.imports.add_frame(dermatologist, lesion.id, photo)
    with pytest.raises(DuplicateRecord):
        ws.imports.add_frame(dermatologist, lesion.id, photo)
    dicom = write_dicom(tmp_path / "twice.dcm", np.ascontiguousarray(photo[:, ::-1]), (0.02, 0.02))
    image = services.dicom_import.read(dicom)
    patient_id = services.patients.search(dermatologist, "Lane")[0].id
    services.dicom_import.import_image(dermatologist, image, original_name="twice.dcm", patient_id=patient_id,
                                       lesion_id=lesion.id)
    with pytest.raises(DuplicateRecord):
        services.dicom_import.import_image(dermatologist, image, original_name="twice.dcm",
                                           patient_id=patient_id, lesion_id=lesion.id)
    assert len(ws.records.timeline(dermatologist, lesion.id)) == 3


def test_an_unexpected_error_in_one_file_does_not_end_the_batch(ws, dermatologist, lesion, tmp_path,
                                                                monkeypatch) -> None:
    import dermstation.services.imports as imports

    good = tmp_path / "good.jpg"
    shutil.copy(ISIC_NEVUS, good)
    bad = tmp_path / "bad.jpg"
    shutil.copy(ISIC_NEVUS, bad)
    real = imports.prepare_file

    def flaky(path, spacing=None):  # noqa: ANN001, ANN202 - a decoder bug for one file
        if Path(path).name == "bad.jpg":
            raise NotImplementedError("Conversion from YBR_ICT to RGB is not supported.")
        return real(path, spacing)

    monkeypatch.setattr(imports, "prepare_file", flaky)
    report = ws.imports.import_files(dermatologist, lesion.id, [bad, good])
    assert len(report.imported) == 1
    assert ws.records.capture_image(dermatologist, report.imported[0].id).original_name == "good.jpg"
    assert report.failures[0].path == bad and "bad.jpg" in report.failures[0].message


def test_prepare_is_one_decode_of_the_same_bytes(photo: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "p.png"
    cv2.imwrite(str(path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    prepared = prepare(path)
    assert prepared.data == path.read_bytes() and prepared.source == CaptureSource.FILE
    assert np.array_equal(prepared.image.pixels, read_image(path).pixels)  # the CLI's decode
    frame = prepare(photo)
    assert frame.source == CaptureSource.CAMERA and np.array_equal(frame.image.pixels, photo)
    with pytest.raises(DicomReadError, match="broken.dcm"):
        (tmp_path / "broken.dcm").write_bytes(b"\x00" * 128 + b"DICM" + b"\x01\x02")
        prepare(tmp_path / "broken.dcm")



def test_corrupt_jpeg2000_dicom_is_called_damaged_not_unsupported(photo: np.ndarray, tmp_path: Path) -> None:
    import pydicom
    from pydicom.encaps import encapsulate, generate_fragments

    path = _jpeg2000_dicom(tmp_path / "scan.dcm", photo, "YBR_RCT")
    ds = pydicom.dcmread(path)
    stream = b"".join(generate_fragments(ds.PixelData))
    ds.PixelData = encapsulate([stream[: len(stream) // 3] + b"\xff\xd9"])  # cut short, end marker kept
    ds.save_as(path)
    with pytest.raises(DicomReadError) as caught:
        prepare_file(path)
    assert "scan.dcm" in caught.value.message
    assert "damaged" in caught.value.message and "cannot decode" not in caught.value.message
