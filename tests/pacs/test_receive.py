"""Receiving from a real Orthanc: query a patient's prior dermoscopy (C-FIND, QIDO-RS), retrieve a study
(C-GET, WADO-RS) into the lesion history through the DICOM import, with its checks and refusals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import analysed_capture
from orthanc import AE_TITLE, PASSWORD, USER, Orthanc
from sqlalchemy import select

from dermstation.core.domain import AuditAction, CaptureSource, Sex
from dermstation.core.errors import PermissionDenied
from dermstation.dicom.encapsulated import build_encapsulated_pdf
from dermstation.dicom.exporter import ExportPatient, ExportStudy, build_photograph, instance_bytes
from dermstation.records.models import AuditEvent
from dermstation.services.pacs import DestinationInput, build_pacs_service
from dermstation.services.types import PatientInput

pytestmark = pytest.mark.pacs
TESTS = Path(__file__).absolute().parents[1]


def unique(prefix: str) -> str:
    """A record number no other test gave the shared Orthanc."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _rgb(name: str) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(TESTS / "data" / "isic" / name)), cv2.COLOR_BGR2RGB)


def _minimal_pdf() -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.drawString(72, 720, "Histology report")
    page.save()
    return buf.getvalue()


def external_studies(server: Orthanc, record_number: str) -> dict[str, str]:
    """What another department left at the PACS for this patient: a dermoscopy study (photograph + PDF),
    a CT-like study, and a dermoscopy study of somebody else. Returns their study UIDs by name."""
    who = ExportPatient(record_number, "Müller", "Jo", None, Sex.UNKNOWN)
    derm = ExportStudy(started_at=datetime.now(UTC) - timedelta(days=400), description="Dermoscopy, other clinic")
    photo = build_photograph(_rgb("ISIC_0000009.jpg"), who, derm, body_site="back")
    server.upload(instance_bytes(photo))
    server.upload(instance_bytes(build_encapsulated_pdf(_minimal_pdf(), photo, title="Histology")))
    other = ExportStudy(description="Chest")
    ct = build_photograph(np.zeros((16, 16, 3), np.uint8), who, other)
    ct.dataset.Modality = "CT"
    server.upload(instance_bytes(ct))
    stranger = build_photograph(_rgb("ISIC_0000030.jpg"), ExportPatient(record_number + "-X", "Other", "Ann"),
                                ExportStudy())
    server.upload(instance_bytes(stranger))
    return {"derm": derm.study_uid, "ct": other.study_uid, "stranger": stranger.study_uid}


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_prior_dermoscopy_is_found_and_retrieved_into_the_lesion_history(services, admin, dermatologist, orthanc,
                                                                         ring, kind) -> None:
    record_number = unique(f"RECV-{kind}")
    uids = external_studies(orthanc, record_number)
    patient = services.patients.create(dermatologist, PatientInput(record_number, "Jo", "Müller", None))
    pacs = build_pacs_service(services)
    if kind == "dimse":
        data = DestinationInput("PACS", "dimse", ae_title=AE_TITLE, host="127.0.0.1", port=orthanc.dicom_port,
                                send=False, query=True)
    else:
        data = DestinationInput("PACS web", "dicomweb", url=orthanc.dicomweb_url, username=USER, password=PASSWORD,
                                send=False, query=True)
    dest = pacs.save_destination(admin, data)

    found = pacs.find_prior(dermatologist, patient.id, dest.id)
    assert [s.study_uid for s in found] == [uids["derm"]]  # not the CT, not the other patient
    assert found[0].patient_id == record_number and "XC" in found[0].modalities

    result = pacs.retrieve(dermatologist, patient.id, dest.id, uids["derm"])
    assert len(result.imported) == 1 and len(result.refused) == 1  # the photograph in, the PDF refused
    imported = result.imported[0]
    assert imported.patient.id == patient.id and imported.lesion_created and not imported.patient_created
    assert imported.capture.source is CaptureSource.DICOM
    assert result.refused[0][1]  # with the import's reason
    chart = services.patients.chart(dermatologist, patient.id)
    assert [len(lesion.captures) for lesion in chart.lesions] == [1]

    again = pacs.retrieve(dermatologist, patient.id, dest.id, uids["derm"])  # twice: nothing duplicated
    assert again.imported == () and len(again.refused) == 2
    assert "already" in dict(again.refused)[imported_uid(services, imported.capture.id)]  # the import's duplicate check
    assert [len(lesion.captures) for lesion in services.patients.chart(dermatologist, patient.id).lesions] == [1]

    with services.database.session() as session:
        events = {(e.action, e.detail.split(" destination")[0]) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.table_name == "patients", AuditEvent.record_id == patient.id))}
    assert (AuditAction.SEARCH, "pacs query") in events and (AuditAction.VIEW, "pacs retrieve") in events


def imported_uid(services, capture_id: int) -> str:
    from dermstation.records.models import ImageCapture

    with services.database.session() as session:
        return session.get(ImageCapture, capture_id).original_filename.removeprefix("pacs-").removesuffix(".dcm")


def test_a_study_of_another_patient_is_refused(services, admin, dermatologist, orthanc) -> None:
    uids = external_studies(orthanc, unique("RECV-OTHER"))
    patient = services.patients.create(dermatologist, PatientInput(unique("RECV-MINE"), "Ann", "Mine", None))
    pacs = build_pacs_service(services)
    dest = pacs.save_destination(admin, DestinationInput("PACS", "dimse", ae_title=AE_TITLE, host="127.0.0.1",
                                                         port=orthanc.dicom_port, query=True))
    result = pacs.retrieve(dermatologist, patient.id, dest.id, uids["stranger"])
    # the PACS sends nothing for a study that is not this patient's, and what would come is refused
    assert result.imported == ()
    assert all("record number" in reason for _uid, reason in result.refused)
    assert services.patients.chart(dermatologist, patient.id).lesions == ()


def test_our_own_study_comes_back_to_its_lesion_without_duplicates(services, admin, dermatologist, orthanc,
                                                                   analysis_results) -> None:
    pacs = build_pacs_service(services)
    dest = pacs.save_destination(admin, DestinationInput("PACS", "dimse", ae_title=AE_TITLE, host="127.0.0.1",
                                                         port=orthanc.dicom_port, query=True))
    done = analysed_capture(services, dermatologist, analysis_results, record_number=unique("OWN"))
    items = pacs.queue_analysis(dermatologist, done.analysis_id)
    assert pacs.process_queue().sent == len(items)
    (study,) = pacs.find_prior(dermatologist, done.patient_id, dest.id)
    assert study.study_uid == items[0].study_uid
    result = pacs.retrieve(dermatologist, done.patient_id, dest.id, study.study_uid)
    assert result.imported == ()
    assert {uid for uid, _reason in result.refused} == {i.sop_instance_uid for i in items}
    lesions = services.patients.chart(dermatologist, done.patient_id).lesions
    assert [len(lesion.captures) for lesion in lesions] == [1]


def test_only_clinicians_query_and_only_query_destinations(services, admin, dermatologist, receptionist,
                                                           orthanc) -> None:
    pacs = build_pacs_service(services)
    send_only = pacs.save_destination(admin, DestinationInput("Archive", "dimse", ae_title=AE_TITLE,
                                                              host="127.0.0.1", port=orthanc.dicom_port))
    patient = services.patients.create(dermatologist, PatientInput("Q-1", "Jo", "Q", None))
    with pytest.raises(PermissionDenied):
        pacs.find_prior(dermatologist, patient.id, send_only.id)
    with pytest.raises(PermissionDenied):
        pacs.find_prior(receptionist, patient.id, send_only.id)
