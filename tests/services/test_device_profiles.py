"""Device profiles: calibrated from a ruler picture, chosen at import, stored with the capture, used by
History's comparison (real SQLite/PostgreSQL, real images, real models)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from dermstation.core.config import PROJECT_ROOT
from dermstation.core.errors import DuplicateRecord, PermissionDenied, ValidationError
from dermstation.inference.follow_up import Verdict
from dermstation.records.models import AuditEvent, ImageCapture
from dermstation.services.analysis import AnalysisService
from dermstation.services.analysis_records import AnalysisRecordService
from dermstation.services.comparison import ComparisonService, compare
from dermstation.services.device_profiles import Calibration, DeviceProfileService, calibrate_file
from dermstation.services.imports import ImportService, decode_capture
from dermstation.services.types import PatientInput

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dicom_samples import write_dicom  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inference"))
from test_calibration import ruler_picture  # noqa: E402


@pytest.fixture(scope="module")
def analysis() -> AnalysisService:
    return AnalysisService(models_dir=PROJECT_ROOT / "models", provider="cpu")


@pytest.fixture
def profiles(services) -> DeviceProfileService:
    return DeviceProfileService(services.database, services.audit)


@pytest.fixture
def lesion(services, dermatologist):
    patient = services.patients.create(dermatologist, PatientInput("R1", "Jo", "March", None))
    return services.patients.add_lesion(dermatologist, patient.id, "upper back", "L1")


def test_a_profile_calibrated_from_a_ruler_picture(profiles, services, dermatologist, receptionist,
                                                   tmp_path) -> None:
    path = tmp_path / "ruler.png"
    cv2.imwrite(str(path), ruler_picture(14.2, 4.0)[:, :, ::-1])
    calibration = calibrate_file(path, "ruler", 1.0)
    assert (calibration.width, calibration.height) == (1200, 900)
    assert calibration.mm_per_pixel == pytest.approx(1 / 14.2, rel=0.02)
    profile = profiles.create(dermatologist, "FotoFinder + Canon", "FotoFinder", "Canon", calibration)
    assert profiles.list(dermatologist) == (profile,)
    assert profile.spacing_for(600, 450) == pytest.approx(2 / 14.2, rel=0.02)
    with pytest.raises(DuplicateRecord):
        profiles.create(dermatologist, "FotoFinder + Canon", "", "", calibration)
    with pytest.raises(PermissionDenied):
        profiles.list(receptionist)  # least privilege: front desk does not manage devices
    recalibrated = profiles.update(dermatologist, profile.id, name="FotoFinder", dermatoscope="FotoFinder",
                                   camera="Canon", calibration=Calibration(1200, 900, 0.07, "manual", ""))
    assert recalibrated.mm_per_pixel == 0.07 and recalibrated.name == "FotoFinder"
    profiles.set_retired(dermatologist, profile.id)
    assert profiles.list(dermatologist) == () and profiles.list(dermatologist, include_retired=True)[0].retired
    with services.database.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.table_name == "device_profiles")).all()
        assert [e.action.value for e in events] == ["create", "update", "update"]


def test_calibration_from_a_dicom_file_and_nonsense_values(tmp_path, test_data) -> None:
    rgb = cv2.cvtColor(cv2.imread(str(test_data / "ph2" / "images" / "IMD006.jpg")), cv2.COLOR_BGR2RGB)
    calibration = calibrate_file(write_dicom(tmp_path / "d.dcm", rgb, spacing=(0.025, 0.025)), "dicom")
    assert calibration.mm_per_pixel == pytest.approx(0.025) and calibration.method == "dicom"
    plain = tmp_path / "plain.png"
    cv2.imwrite(str(plain), rgb[:, :, ::-1])
    with pytest.raises(ValidationError, match="plain.png"):
        calibrate_file(plain, "dicom")
    with pytest.raises(ValidationError):
        calibrate_file(plain, "ruler", -1.0)


def test_a_real_capture_stored_with_a_profile_is_measured_in_mm(
        services, profiles, dermatologist, lesion, analysis, test_data, tmp_path) -> None:
    source = test_data / "ph2" / "images" / "IMD006.jpg"
    h, w = cv2.imread(str(source)).shape[:2]
    profile = profiles.create(dermatologist, "Heine + phone", "Heine Delta 30", "phone",
                              Calibration(w, h, 0.0125, "manual", ""))
    imports = ImportService(services.captures)
    report = imports.import_files(dermatologist, lesion.id, [source], device_profile=profile)
    assert not report.failures, report.failures
    with services.database.session() as session:
        row = session.get(ImageCapture, report.imported[0].id)
        assert (row.device_profile_id, row.spacing_source, row.pixel_spacing_mm) == (profile.id, "profile", 0.0125)
    records = AnalysisRecordService(services.database, services.audit, services.image_store)
    image = records.capture_image(dermatologist, report.imported[0].id)
    result = analysis.analyze_loaded(decode_capture(image), image.pixel_spacing_mm)
    stored = records.save(dermatologist, report.imported[0].id, result)
    diameter = stored.metric("diameter")
    assert diameter.unit == "mm" and stored.metric("area").unit == "mm²"
    # the same number as pixels x the profile's size, i.e. a few mm for a PH² naevus, not hundreds of px
    assert 1.0 < diameter.value < 12.0


def test_a_picture_of_another_shape_than_the_profile_is_reported_for_its_file(
        services, profiles, dermatologist, lesion, test_data, tmp_path) -> None:
    profile = profiles.create(dermatologist, "video 16:9", "", "", Calibration(1920, 1080, 0.01, "manual", ""))
    path = tmp_path / "IMD006.jpg"
    shutil.copy(test_data / "ph2" / "images" / "IMD006.jpg", path)
    report = ImportService(services.captures).import_files(dermatologist, lesion.id, [path], device_profile=profile)
    assert not report.imported
    assert "IMD006.jpg" in report.failures[0].message and "video 16:9" in report.failures[0].message


def test_same_picture_at_two_resolutions_with_matching_profiles_reports_no_change(
        services, profiles, dermatologist, lesion, analysis, test_data, tmp_path) -> None:
    original = test_data / "ph2" / "images" / "IMD010.jpg"
    image = cv2.imread(str(original))
    h, w = image.shape[:2]
    # a second device: same field of view, half the pixels, the picture turned (as History meets it)
    small = cv2.resize(cv2.rotate(image, cv2.ROTATE_180), (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    later = tmp_path / "IMD010-later.png"
    cv2.imwrite(str(later), small)
    full = profiles.create(dermatologist, "clinic A", "", "", Calibration(w, h, 0.01, "manual", ""))
    half = profiles.create(dermatologist, "clinic B", "", "", Calibration(w // 2, h // 2, 0.02, "manual", ""))
    imports = ImportService(services.captures)
    first = imports.import_files(dermatologist, lesion.id, [original], device_profile=full).imported[0]
    second = imports.import_files(dermatologist, lesion.id, [later], device_profile=half).imported[0]
    records = AnalysisRecordService(services.database, services.audit, services.image_store)
    ids = []
    for capture in (first, second):
        stored_image = records.capture_image(dermatologist, capture.id)
        assert stored_image.pixel_spacing_mm in (0.01, 0.02)
        result = analysis.analyze_loaded(decode_capture(stored_image), stored_image.pixel_spacing_mm)
        ids.append(records.save(dermatologist, capture.id, result).id)
    compared = compare(ComparisonService(records).inputs(dermatologist, *ids))
    follow_up = compared.follow_up
    assert follow_up.length_unit == "mm" and follow_up.verdict is Verdict.STABLE
    assert abs(follow_up.diameter_change_pct) < 5 and abs(follow_up.area_change_pct) < 8
    assert follow_up.diameter_before == pytest.approx(follow_up.diameter_after, rel=0.05)


def test_the_container_gives_the_workstation_profiles_and_marks(services) -> None:
    ws = services.workstation
    assert ws.device_profiles is services.device_profiles and ws.annotations is services.annotations


def test_a_profile_calibrated_from_a_sticker_picture(tmp_path) -> None:
    big = 4
    canvas = np.full((600 * big, 800 * big), 215, np.uint8)
    cv2.circle(canvas, (400 * big, 300 * big), round(95.5 * big), 35, -1, lineType=cv2.LINE_AA)  # 191 px across
    path = tmp_path / "sticker.png"
    cv2.imwrite(str(path), cv2.resize(canvas, (800, 600), interpolation=cv2.INTER_AREA))
    calibration = calibrate_file(path, "sticker", 6.0)
    assert (calibration.width, calibration.height, calibration.method) == (800, 600, "sticker")
    assert calibration.mm_per_pixel == pytest.approx(6.0 / 191.0, rel=0.02)
