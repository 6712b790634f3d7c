"""Where a stored picture's pixel size came from, as the Analysis side panel reads it (capture_image().scale):
a device profile (by name), a DICOM file's pixel spacing, typed at import, or none (real SQLite/PostgreSQL)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import pytest

from dermstation.core.domain import CaptureSource
from dermstation.services.analysis_records import AnalysisRecordService, PixelScale
from dermstation.services.device_profiles import Calibration, DeviceProfileService
from dermstation.services.imports import ImportService
from dermstation.services.types import PatientInput

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dicom_samples import write_dicom  # noqa: E402


@pytest.fixture
def lesion(services, dermatologist):
    patient = services.patients.create(dermatologist, PatientInput("MRN-PS", "Jo", "March", None))
    return services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")


def test_capture_image_says_where_its_pixel_size_came_from(services, dermatologist, lesion, test_data,
                                                           tmp_path) -> None:
    source = test_data / "ph2" / "images" / "IMD006.jpg"
    bgr = cv2.imread(str(source))
    h, w = bgr.shape[:2]
    profiles = DeviceProfileService(services.database, services.audit)
    profile = profiles.create(dermatologist, "Heine Delta 30 + clinic phone", "", "",
                              Calibration(w, h, 0.0125, "manual", ""))
    imports = ImportService(services.captures)
    records = AnalysisRecordService(services.database, services.audit, services.image_store)
    dicom = write_dicom(tmp_path / "lesion.dcm", cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), spacing=(0.015, 0.015))

    by_profile = imports.import_files(dermatologist, lesion.id, [source], device_profile=profile).imported[0]
    by_dicom = imports.import_files(dermatologist, lesion.id, [dicom]).imported[0]
    plain = imports.import_files(dermatologist, lesion.id, [source.with_name("IMD010.jpg")]).imported[0]
    other = source.with_name("IMD018.jpg")
    oh, ow = cv2.imread(str(other)).shape[:2]
    typed = services.captures.add_capture(dermatologist, lesion.id, other.read_bytes(), CaptureSource.FILE, ow, oh,
                                          other.name, 0.02)

    def scale(capture_id: int) -> PixelScale:
        return records.capture_image(dermatologist, capture_id).scale

    assert scale(by_profile.id) == PixelScale(0.0125, "profile", "Heine Delta 30 + clinic phone")
    assert scale(by_dicom.id) == PixelScale(pytest.approx(0.015), "dicom", None)
    assert scale(typed.id) == PixelScale(0.02, "manual", None)
    assert scale(plain.id) == PixelScale(None, None, None)
    # a renamed profile: the picture names the profile as it is called now (its size stays what it was given)
    profiles.update(dermatologist, profile.id, name="Heine (room 3)", dermatoscope="", camera="")
    assert scale(by_profile.id) == PixelScale(0.0125, "profile", "Heine (room 3)")
