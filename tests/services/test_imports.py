"""ImportService: real PH² images and a DICOM file into a lesion, progress, cancel, per-file errors."""

from __future__ import annotations

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from dermstation.core.domain import CaptureSource
from dermstation.core.errors import PermissionDenied, RecordNotFound
from dermstation.core.progress import Progress
from dermstation.services.analysis import AnalysisService
from dermstation.services.imports import decode_capture
from dermstation.services.types import PatientInput

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dicom_samples import write_dicom  # noqa: E402


@pytest.fixture
def ws(services):
    return replace(services, analysis=AnalysisService(models_dir=Path("/nonexistent"))).workstation


@pytest.fixture
def lesion(services, dermatologist):
    patient = services.patients.create(dermatologist, PatientInput("R1", "Jo", "March", None))
    return services.patients.add_lesion(dermatologist, patient.id, "upper back", "L1")


@pytest.fixture
def files(test_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("IMD006", "IMD010"):
        shutil.copy(test_data / "ph2" / "images" / f"{name}.jpg", folder / f"{name}.jpg")
    return folder


def test_import_images_with_progress(ws, services, dermatologist, lesion, files) -> None:
    seen = []
    report = ws.imports.import_files(dermatologist, lesion.id, [files], Progress(on_change=lambda *a: seen.append(a)))
    assert len(report.imported) == 2 and not report.failures and not report.cancelled
    assert all(c.source == CaptureSource.FILE for c in report.imported)
    h, w = cv2.imread(str(files / "IMD006.jpg")).shape[:2]
    assert (report.imported[0].width, report.imported[0].height) == (w, h)
    assert seen[-1][:2] == (2, 2)
    chart = services.patients.chart(dermatologist, lesion_patient_id(services, dermatologist))
    assert len(chart.lesions[0].captures) == 2
    stored = ws.records.capture_image(dermatologist, report.imported[0].id)
    assert stored.data == (files / "IMD006.jpg").read_bytes() and stored.original_name == "IMD006.jpg"
    assert decode_capture(stored).pixels.shape == (h, w, 3)


def lesion_patient_id(services, user) -> int:
    return services.patients.search(user, "March")[0].id


def test_bad_files_are_reported_and_leave_nothing(ws, services, dermatologist, lesion, files) -> None:
    (files / "broken.jpg").write_bytes((files / "IMD006.jpg").read_bytes()[:5000])  # truncated
    (files / "fake.png").write_bytes(b"not a picture")
    report = ws.imports.import_files(dermatologist, lesion.id, sorted(files.iterdir()))
    assert len(report.imported) == 2
    assert sorted(f.path.name for f in report.failures) == ["broken.jpg", "fake.png"]
    assert all(f.message for f in report.failures)
    assert len(ws.records.timeline(dermatologist, lesion.id)) == 2


def test_dicom_file_is_stored_as_png_with_spacing(ws, dermatologist, lesion, tmp_path, test_data) -> None:
    rgb = cv2.cvtColor(cv2.imread(str(test_data / "ph2" / "images" / "IMD006.jpg")), cv2.COLOR_BGR2RGB)
    path = write_dicom(tmp_path / "lesion.dcm", rgb, spacing=(0.02, 0.02))
    report = ws.imports.import_files(dermatologist, lesion.id, [path])
    assert not report.failures, report.failures
    capture = report.imported[0]
    assert capture.source == CaptureSource.DICOM and (capture.height, capture.width) == rgb.shape[:2]
    stored = ws.records.capture_image(dermatologist, capture.id)
    assert stored.pixel_spacing_mm == pytest.approx(0.02)
    assert np.abs(decode_capture(stored).pixels.astype(int) - rgb.astype(int)).max() <= 2


def test_cancel_keeps_what_was_imported(ws, dermatologist, lesion, files) -> None:
    progress = Progress()
    progress.on_change = lambda done, total, label: progress.cancel() if done == 1 else None
    report = ws.imports.import_files(dermatologist, lesion.id, [files], progress)
    assert report.cancelled and len(report.imported) == 1


def test_permission_and_missing_lesion_stop_the_batch(ws, receptionist, dermatologist, lesion, files) -> None:
    with pytest.raises(PermissionDenied):
        ws.imports.import_files(receptionist, lesion.id, [files])
    with pytest.raises(RecordNotFound):
        ws.imports.import_files(dermatologist, 9999, [files])


def test_camera_frame_is_stored_lossless(ws, dermatologist, lesion, test_data) -> None:
    rgb = cv2.cvtColor(cv2.imread(str(test_data / "ph2" / "images" / "IMD010.jpg")), cv2.COLOR_BGR2RGB)
    capture = ws.imports.add_frame(dermatologist, lesion.id, rgb)
    assert capture.source == CaptureSource.CAMERA and (capture.height, capture.width) == rgb.shape[:2]
    assert np.array_equal(decode_capture(ws.records.capture_image(dermatologist, capture.id)).pixels, rgb)
