"""Records the PACS tests send: a patient, a lesion, real captures with real stored analyses, signatures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dermstation.core.assessments import Plan, PlanKind
from dermstation.core.domain import CaptureSource
from dermstation.services.analysis_records import AnalysisRecordService
from dermstation.services.assessments import AssessmentService
from dermstation.services.container import Services
from dermstation.services.types import CurrentUser, PatientInput


@dataclass(frozen=True)
class Analysed:
    patient_id: int
    record_number: str
    lesion_id: int
    capture_id: int
    analysis_id: int


def analysed_capture(services: Services, user: CurrentUser, results: dict, *, record_number: str = "PACS-1",
                     name: str = "IMD006", lesion_id: int | None = None, days_ago: int = 0,
                     sign: str | None = None) -> Analysed:
    """A capture of ``name`` with its stored analysis (and a signed assessment unless ``sign`` is None)."""
    records = AnalysisRecordService(services.database, services.audit, services.image_store)
    if lesion_id is None:
        found = services.patients.search(user, record_number)
        patient_id = found[0].id if found else services.patients.create(
            user, PatientInput(record_number, "Jo", "Müller", None)).id
        lesion_id = services.patients.add_lesion(user, patient_id, "left forearm", "L1").id
    else:
        patient_id = services.patients.search(user, record_number)[0].id
    path, result = results[name]
    capture = services.captures.add_capture(user, lesion_id, path.read_bytes(), CaptureSource.FILE, 768, 560,
                                            f"{name}.jpg", 0.01, datetime.now(UTC) - timedelta(days=days_ago))
    stored = records.save(user, capture.id, result)
    if sign:
        AssessmentService(services.database, services.audit).sign(user, stored.id, sign, Plan(PlanKind.MONITOR, 6))
    return Analysed(patient_id, record_number, lesion_id, capture.id, stored.id)


def queued_file(services: Services, item_id: int) -> bytes:
    """The exact DICOM file a queue entry sends."""
    from dermstation.records.pacs_models import PacsSendItem

    with services.database.session() as session:
        row = session.get(PacsSendItem, item_id)
        assert row is not None
        digest = row.content_sha256
    return services.image_store.read(digest)
