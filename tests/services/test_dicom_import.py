"""DICOM import into the records: matched by record number, never merged silently, all or nothing."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from sqlalchemy import func, select

from dermstation.core.domain import AuditAction, CaptureSource, Sex
from dermstation.core.errors import DicomReadError, DuplicateRecord, PermissionDenied, ValidationError
from dermstation.dicom.exporter import ExportPatient, ExportStudy, build_photograph, instance_bytes
from dermstation.dicom.importer import VL_PHOTOGRAPHIC, read_dicom_image
from dermstation.records.models import AuditEvent, ImageCapture, Lesion, Patient
from dermstation.services.container import Services
from dermstation.services.dicom_import import DicomImportService
from dermstation.services.types import CurrentUser, PatientInput

RGB = np.random.default_rng(11).integers(0, 256, (48, 64, 3), dtype=np.uint8)


def dicom_bytes(mrn: str = "MRN-5", family: str = "Ngata", given: str = "Aroha", born: date | None = date(1985, 2, 17),
                sex: Sex = Sex.FEMALE, site: str = "left forearm", spacing: float | None = 0.02) -> bytes:
    photo = build_photograph(RGB, ExportPatient(mrn, family, given, born, sex), ExportStudy(), body_site=site,
                             pixel_spacing_mm=spacing)
    return instance_bytes(photo)


@pytest.fixture
def importer(services: Services) -> DicomImportService:
    return DicomImportService(services.database, services.audit, services.image_store)


@pytest.fixture
def aroha(services: Services, dermatologist: CurrentUser) -> int:
    return services.patients.create(dermatologist, PatientInput("MRN-5", "Aroha", "Ngata", date(1985, 2, 17),
                                                                Sex.FEMALE)).id


def counts(services: Services) -> tuple[int, int, int]:
    with services.database.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) or 0  # type: ignore[return-value]
                     for t in (Patient, Lesion, ImageCapture))


def test_import_into_matching_patient(services: Services, importer: DicomImportService, dermatologist: CurrentUser,
                                      aroha: int) -> None:
    result = importer.import_file(dermatologist, dicom_bytes(), name="derm.dcm")
    assert result.patient.id == aroha and not result.patient_created and result.lesion_created
    assert result.capture.source == CaptureSource.DICOM and (result.capture.width, result.capture.height) == (64, 48)
    assert result.pixel_spacing_mm == pytest.approx(0.02)
    chart = services.patients.chart(dermatologist, aroha)
    assert [lesion.body_site for lesion in chart.lesions] == ["Forearm"]
    with services.database.session() as session:
        row = session.get(ImageCapture, result.capture.id)
        assert row is not None and row.pixel_spacing_mm == pytest.approx(0.02) and row.original_filename == "derm.dcm"
    # the stored PNG holds exactly the DICOM pixels
    import cv2

    png = services.captures.read_capture(dermatologist, result.capture.id)
    stored = cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(stored, RGB)


def test_name_spelling_differences_that_are_not_differences(importer: DicomImportService,
                                                            dermatologist: CurrentUser, aroha: int) -> None:
    result = importer.import_file(dermatologist, dicom_bytes(family="NGATA", given="aroha"), body_site="scalp")
    assert result.patient.id == aroha


@pytest.mark.parametrize(("changes", "field"), [
    ({"family": "Smith"}, "name"), ({"born": date(1958, 2, 17)}, "birth_date"), ({"sex": Sex.MALE}, "sex")])
def test_mismatch_stops_and_asks(services: Services, importer: DicomImportService, dermatologist: CurrentUser,
                                 aroha: int, changes: dict[str, object], field: str) -> None:
    before = counts(services)
    data = dicom_bytes(**changes)  # type: ignore[arg-type]
    image = importer.read(data, "x.dcm")
    match = importer.match(dermatologist, image)
    assert match.patient is not None and match.patient.id == aroha and match.differences == (field,)
    with pytest.raises(ValidationError) as info:
        importer.import_image(dermatologist, image)
    assert info.value.field == "patient" and field in info.value.details
    assert "Smith" not in str(info.value) and "1958" not in str(info.value)
    assert counts(services) == before
    result = importer.import_image(dermatologist, image, accept_differences=True)
    assert result.patient.id == aroha


def test_unknown_record_number_needs_consent_to_create(services: Services, importer: DicomImportService,
                                                       dermatologist: CurrentUser) -> None:
    data = dicom_bytes(mrn="NEW-1", family="Lind", given="Lena", born=date(1990, 1, 1))
    with pytest.raises(ValidationError) as info:
        importer.import_file(dermatologist, data)
    assert info.value.field == "record_number"
    assert counts(services) == (0, 0, 0)
    result = importer.import_file(dermatologist, data, create_patient=True)
    assert result.patient_created
    p = services.patients.get(dermatologist, result.patient.id)
    assert (p.record_number, p.family_name, p.given_name, p.date_of_birth, p.sex) == (
        "NEW-1", "Lind", "Lena", date(1990, 1, 1), Sex.FEMALE)
    with services.database.session() as session:
        tables = [e.table_name for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.CREATE, AuditEvent.table_name != "users")
            .order_by(AuditEvent.id))]
    assert tables == ["patients", "lesions", "image_captures"]


def test_new_patient_without_names_is_refused_whole(services: Services, importer: DicomImportService,
                                                    dermatologist: CurrentUser) -> None:
    with pytest.raises(ValidationError):
        importer.import_file(dermatologist, dicom_bytes(mrn="NEW-2", family="", given=""), create_patient=True)
    assert counts(services) == (0, 0, 0)


def test_chosen_patient_and_existing_lesion(services: Services, importer: DicomImportService,
                                            dermatologist: CurrentUser, aroha: int) -> None:
    lesion = services.patients.add_lesion(dermatologist, aroha, "back", "L7")
    result = importer.import_file(dermatologist, dicom_bytes(), patient_id=aroha, lesion_id=lesion.id)
    assert result.lesion_id == lesion.id and not result.lesion_created
    with pytest.raises(DuplicateRecord):
        importer.import_file(dermatologist, dicom_bytes(), lesion_id=lesion.id)
    other = services.patients.create(dermatologist, PatientInput("MRN-6", "Ina", "Ito", None)).id
    with pytest.raises(ValidationError, match="another record number"):
        importer.import_file(dermatologist, dicom_bytes(), patient_id=other)
    other_lesion = services.patients.add_lesion(dermatologist, other, "scalp", "")
    with pytest.raises(ValidationError, match="another patient"):
        importer.import_file(dermatologist, dicom_bytes(site="scalp"), lesion_id=other_lesion.id)


def test_file_without_patient_id_needs_a_chosen_patient(importer: DicomImportService, dermatologist: CurrentUser,
                                                        aroha: int) -> None:
    ds = pydicom.dcmread(io.BytesIO(dicom_bytes()))
    ds.PatientID = ""
    buf = io.BytesIO()
    ds.save_as(buf)
    with pytest.raises(ValidationError, match="no patient ID"):
        importer.import_file(dermatologist, buf.getvalue())
    assert importer.import_file(dermatologist, buf.getvalue(), patient_id=aroha).patient.id == aroha


def test_pydicom_sample_with_create(services: Services, importer: DicomImportService,
                                    dermatologist: CurrentUser) -> None:
    path = get_testdata_file("SC_rgb_jpeg_dcmtk.dcm", download=False)
    if path is None:
        pytest.skip("sample not bundled")
    result = importer.import_file(dermatologist, path, create_patient=True, body_site="chest")
    assert result.patient_created and result.capture.width == 100
    assert services.patients.get(dermatologist, result.patient.id).family_name == "Lestrade"


@pytest.mark.parametrize("name", ["test-SR.dcm", "rtplan.dcm", "CT_small.dcm"])
def test_bad_files_import_nothing(services: Services, importer: DicomImportService, dermatologist: CurrentUser,
                                  name: str) -> None:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip("sample not bundled")
    with pytest.raises(DicomReadError):
        importer.import_file(dermatologist, path, create_patient=True, body_site="chest")
    data = dicom_bytes()
    with pytest.raises(DicomReadError):
        importer.import_file(dermatologist, data[: len(data) // 2], create_patient=True)
    assert counts(services) == (0, 0, 0)


def test_receptionist_may_not_import(importer: DicomImportService, receptionist: CurrentUser,
                                     services: Services) -> None:
    with pytest.raises(PermissionDenied):
        importer.import_file(receptionist, dicom_bytes(), create_patient=True)
    assert counts(services) == (0, 0, 0)


def test_export_capture_round_trip(services: Services, importer: DicomImportService, dermatologist: CurrentUser,
                                   aroha: int, tmp_path: Path) -> None:
    result = importer.import_file(dermatologist, dicom_bytes())
    import cv2

    overlay_png = cv2.imencode(".png", np.zeros((48, 64, 3), np.uint8))[1].tobytes()
    photo, sc = importer.export_capture(dermatologist, result.capture.id, overlay=overlay_png)
    back = read_dicom_image(photo, "p.dcm")
    np.testing.assert_array_equal(back.pixels, RGB)
    assert back.patient.patient_id == "MRN-5" and back.study.sop_class_uid == VL_PHOTOGRAPHIC
    assert back.pixel_spacing_mm == pytest.approx(0.02)
    assert sc is not None
    ds = pydicom.dcmread(io.BytesIO(sc))
    assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID == back.study.sop_instance_uid
    with services.database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == AuditAction.EXPORT)) == 1
