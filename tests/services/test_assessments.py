"""Signed, coded assessments: versions, one analysis only, retraction, follow-ups, histology, audit.

Real databases (SQLite, and PostgreSQL when configured), real analyses of shipped PH2 pictures, real PDFs.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dermstation.core.assessments import (
    FollowUpStatus,
    Plan,
    PlanKind,
    RetractionReason,
    add_months,
)
from dermstation.core.config import PROJECT_ROOT
from dermstation.core.diagnoses import catalogue
from dermstation.core.domain import AuditAction, CaptureSource, ReferralUrgency
from dermstation.core.errors import Conflict, PermissionDenied, ValidationError
from dermstation.records.assessment_models import FollowUpRequestRow
from dermstation.records.models import AuditEvent, ClinicianAssessment, ImageCapture
from dermstation.services.analysis import AnalysisService
from dermstation.services.comparison import ComparisonService
from dermstation.services.reception_types import HospitalInput
from dermstation.services.types import PatientInput

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
from pdf_text import pdf_text  # noqa: E402

pytestmark = pytest.mark.clinical_safety

SSM = "Superficial spreading melanoma"


@pytest.fixture(scope="module")
def analysis() -> AnalysisService:
    return AnalysisService(models_dir=PROJECT_ROOT / "models", provider="cpu")


@pytest.fixture(scope="module")
def results(analysis: AnalysisService, test_data: Path):
    return [analysis.analyze_file(test_data / "ph2" / "images" / f"{n}.jpg", pixel_spacing_mm=0.01)
            for n in ("IMD006", "IMD010")]


@pytest.fixture
def ws(services, analysis):
    return replace(services, analysis=analysis).workstation


@pytest.fixture
def lesion(services, dermatologist):
    patient = services.patients.create(dermatologist, PatientInput("R1", "Jo", "March", None))
    return services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")


@pytest.fixture
def hospital(services, admin):
    return services.hospitals.add(admin, HospitalInput("St Mary Dermatology", city="Leeds", specialties=("dermato_oncology",)))


def stored(services, ws, user, lesion_id, test_data, results, name="IMD006", days_ago=0, which=0):
    data = (test_data / "ph2" / "images" / f"{name}.jpg").read_bytes()
    capture = services.captures.add_capture(user, lesion_id, data, CaptureSource.FILE, 768, 560, f"{name}.jpg", 0.01,
                                            datetime.now(UTC) - timedelta(days=days_ago))
    return ws.records.save(user, capture.id, results[which])


def audit_details(services, table: str) -> list[tuple[AuditAction, str]]:
    with services.database.session() as session:
        return [(e.action, e.detail) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.table_name == table).order_by(AuditEvent.id))]


def test_sign_and_amend_make_versions(services, ws, admin, dermatologist, receptionist, lesion, hospital,
                                      test_data, results) -> None:
    a = stored(services, ws, dermatologist, lesion.id, test_data, results)
    assert ws.assessments.current(dermatologist, a.id) is None
    first = ws.assessments.sign(dermatologist, a.id, "nv.dysplastic",
                                Plan(PlanKind.DERMOSCOPIC_FOLLOW_UP, follow_up_months=3), "Irregular network.", 0)
    assert (first.version, first.diagnosis.code, first.capture_id, first.signed_by) == (1, "nv.dysplastic", a.capture_id,
                                                                                        "Dr Derma")
    assert first.catalogue_version == catalogue().version
    second = ws.assessments.sign(dermatologist, a.id, "mel.ssm",
                                 Plan(PlanKind.REFERRAL, urgency=ReferralUrgency.URGENT, hospital_id=hospital.id),
                                 "Changed my mind after review.", 1)
    assert second.version == 2 and second.supersedes_id == first.id
    assert second.plan.hospital_name == "St Mary Dermatology" and second.plan.urgency == ReferralUrgency.URGENT
    assert ws.assessments.current(dermatologist, a.id) == second
    assert [v.version for v in ws.assessments.versions(dermatologist, a.id)] == [2, 1]
    with services.database.session() as session:  # nothing overwritten: both rows as signed
        rows = session.scalars(select(ClinicianAssessment).order_by(ClinicianAssessment.id)).all()
        assert [(r.diagnosis_code, r.notes) for r in rows] == [("nv.dysplastic", "Irregular network."),
                                                              ("mel.ssm", "Changed my mind after review.")]
        # the amended plan no longer asks for a follow-up
        assert [r.status for r in session.scalars(select(FollowUpRequestRow))] == [FollowUpStatus.CANCELLED]
    assert [d for _a, d in audit_details(services, "clinician_assessments")] == [
        f"analysis={a.id} version=1 code=nv.dysplastic plan=dermoscopic_follow_up",
        f"analysis={a.id} version=2 code=mel.ssm plan=referral"]
    # someone amended meanwhile: the stale form is told, not silently superseding
    with pytest.raises(Conflict):
        ws.assessments.sign(dermatologist, a.id, "nv.common", Plan(PlanKind.REASSURE_SELF_EXAM), "", 1)
    for actor in (admin, receptionist):
        with pytest.raises(PermissionDenied):
            ws.assessments.sign(actor, a.id, "mel.ssm", Plan(PlanKind.EXCISION))
    for code, plan in (("melanoma", Plan(PlanKind.EXCISION)), ("mel.ssm", Plan(PlanKind.MONITOR)),
                       ("mel.ssm", Plan(PlanKind.REFERRAL, urgency=ReferralUrgency.URGENT, hospital_id=99999))):
        with pytest.raises(ValidationError):
            ws.assessments.sign(dermatologist, a.id, code, plan)
    services.hospitals.retire(admin, hospital.id)
    with pytest.raises(ValidationError):
        ws.assessments.sign(dermatologist, a.id, "mel.ssm",
                            Plan(PlanKind.REFERRAL, urgency=ReferralUrgency.ROUTINE, hospital_id=hospital.id))


def test_signature_never_appears_on_another_analysis(services, ws, dermatologist, lesion, test_data,
                                                     results) -> None:
    signed_one = stored(services, ws, dermatologist, lesion.id, test_data, results, "IMD006", days_ago=30)
    later = stored(services, ws, dermatologist, lesion.id, test_data, results, "IMD010", days_ago=0, which=1)
    ws.assessments.sign(dermatologist, signed_one.id, "mel.ssm", Plan(PlanKind.EXCISION), "Wide excision.")
    assert ws.assessments.current(dermatologist, later.id) is None
    timeline = ws.records.timeline(dermatologist, lesion.id)
    assert timeline[0].signed is not None and timeline[0].signed.diagnosis.code == "mel.ssm"
    assert timeline[1].signed is None
    assert ws.assessments.current_for_analyses(dermatologist, (signed_one.id, later.id)).keys() == {signed_one.id}

    later_report = pdf_text(services.reports.lesion_report(dermatologist, later.id).pdf)
    assert "Not yet assessed by a clinician" in later_report
    assert SSM not in later_report and "Wide excision" not in later_report
    signed_report = pdf_text(services.reports.lesion_report(dermatologist, signed_one.id).pdf)
    assert SSM in signed_report and "SNOMED CT 254730000" in signed_report and "Excision" in signed_report
    assert "Not yet assessed" not in signed_report
    choices = {c.id: c for c in services.referrals.analyses_for_patient(dermatologist, lesion_patient(services))}
    assert choices[signed_one.id].signed.diagnosis.code == "mel.ssm" and choices[later.id].signed is None


def lesion_patient(services) -> int:
    with services.database.session() as session:
        return session.scalars(select(ImageCapture)).first().lesion.patient_id


def test_retracted_capture_leaves_history_comparison_and_reports(services, ws, dermatologist, receptionist, lesion,
                                                                 test_data, results) -> None:
    wrong = stored(services, ws, dermatologist, lesion.id, test_data, results, "IMD010", days_ago=60, which=1)
    right = stored(services, ws, dermatologist, lesion.id, test_data, results, "IMD006", days_ago=0)
    ws.assessments.sign(dermatologist, wrong.id, "nv.common", Plan(PlanKind.MONITOR, follow_up_months=12))
    ws.assessments.sign(dermatologist, right.id, "nv.dysplastic", Plan(PlanKind.BIOPSY))
    before = pdf_text(services.reports.lesion_report(dermatologist, right.id).pdf)
    assert "change since the visit of" in before  # the wrong picture was the "previous visit"

    with pytest.raises(PermissionDenied):
        ws.assessments.retract_capture(receptionist, wrong.capture_id, RetractionReason.WRONG_PATIENT)
    ws.assessments.retract_capture(dermatologist, wrong.capture_id, RetractionReason.WRONG_PATIENT, "Other patient")

    assert [e.capture.id for e in ws.records.timeline(dermatologist, lesion.id)] == [right.capture_id]
    assert ws.records.analysis_count(dermatologist, lesion.id) == 1
    assert ws.assessments.current(dermatologist, wrong.id) is None
    after = pdf_text(services.reports.lesion_report(dermatologist, right.id).pdf)
    assert "change since the visit of" not in after
    with pytest.raises(ValidationError):
        services.reports.lesion_report(dermatologist, wrong.id)
    with pytest.raises(ValidationError):
        ws.records.save(dermatologist, wrong.capture_id, results[1])
    with pytest.raises(ValidationError):  # no comparison can load it either
        ComparisonService(ws.records).inputs(dermatologist, wrong.id, right.id)
    with pytest.raises(ValidationError):  # already retracted
        ws.assessments.retract_capture(dermatologist, wrong.capture_id, RetractionReason.UNUSABLE)
    with pytest.raises(ValidationError):  # no signing on a retracted picture
        ws.assessments.sign(dermatologist, wrong.id, "nv.common", Plan(PlanKind.REASSURE_SELF_EXAM))
    chart = services.patients.chart(dermatologist, lesion_patient(services))
    assert [c.id for c in chart.lesions[0].captures] == [right.capture_id]
    assert [c.id for c in services.referrals.analyses_for_patient(dermatologist, chart.patient.id)] == [right.id]
    assert ws.assessments.follow_up_requests(receptionist) == ()  # its follow-up was cancelled
    with services.database.session() as session:  # kept, with who/why, never deleted
        row = session.get(ImageCapture, wrong.capture_id)
        assert row.retraction_reason == RetractionReason.WRONG_PATIENT and row.retraction_note == "Other patient"
        assert row.retracted_by_id == dermatologist.id and row.retracted_at is not None
    assert (AuditAction.UPDATE, "retracted reason=wrong_patient") in audit_details(services, "image_captures")
    # the same picture can be imported again (here: into the same lesion) once its wrong copy is retracted
    again = stored(services, ws, dermatologist, lesion.id, test_data, results, "IMD010", days_ago=1, which=1)
    assert [e.capture.id for e in ws.records.timeline(dermatologist, lesion.id)] == [again.capture_id, right.capture_id]


def test_follow_up_request_reaches_reception(services, ws, dermatologist, receptionist, lesion, test_data,
                                             results) -> None:
    a = stored(services, ws, dermatologist, lesion.id, test_data, results)
    signed = ws.assessments.sign(dermatologist, a.id, "nv.dysplastic",
                                 Plan(PlanKind.DERMOSCOPIC_FOLLOW_UP, follow_up_months=6))
    (request,) = ws.assessments.follow_up_requests(receptionist)
    assert request.kind == PlanKind.DERMOSCOPIC_FOLLOW_UP and request.patient_name == "March, Jo"
    assert request.due_on == add_months(signed.signed_at.date(), 6) == signed.follow_up_due()
    assert request.lesion_site == "left forearm" and request.requested_by == "Dr Derma"
    assert ws.assessments.follow_up_requests(receptionist, due_by=date.today()) == ()
    ws.assessments.mark_follow_up_booked(receptionist, request.id)
    assert ws.assessments.follow_up_requests(receptionist) == ()
    assert len(ws.assessments.follow_up_requests(receptionist, status=FollowUpStatus.BOOKED)) == 1
    with pytest.raises(Conflict):
        ws.assessments.mark_follow_up_booked(receptionist, request.id)


def test_histology_closes_the_loop_in_the_audit_view(services, ws, dermatologist, receptionist, lesion, test_data,
                                                     results) -> None:
    a = stored(services, ws, dermatologist, lesion.id, test_data, results)
    signed = ws.assessments.sign(dermatologist, a.id, "mel.suspected", Plan(PlanKind.EXCISION))
    assert ws.assessments.audit_rows(dermatologist, with_histology_only=True) == ()
    with pytest.raises(ValidationError):  # histology names what the specimen showed
        ws.assessments.record_histology(dermatologist, lesion.id, "uncertain.needs_histology", date.today())
    result = ws.assessments.record_histology(dermatologist, lesion.id, "mel.ssm", date.today(), "Breslow 0.4 mm",
                                             signed.id)
    assert result.diagnosis.code == "mel.ssm" and result.recorded_by == "Dr Derma"
    (row,) = ws.assessments.audit_rows(dermatologist)
    assert row.analysis_id == a.id and row.signed.code == "mel.suspected" and row.histology.code == "mel.ssm"
    assert row.ai_class == results[0].top_class and row.ai_malignancy == pytest.approx(results[0].malignancy)
    assert row.histology_malignant is True
    assert row.ai_agrees_with_histology == (results[0].malignancy >= results[0].threshold)
    assert row.signed_agrees_with_histology is None  # "suspected" was an open question
    assert row.ai_class_matches_signed == (results[0].top_class == "mel")
    assert [h.diagnosis.code for h in ws.assessments.histology(dermatologist, lesion.id)] == ["mel.ssm"]
    with pytest.raises(PermissionDenied):
        ws.assessments.audit_rows(receptionist)


def test_two_clinicians_signing_at_once_never_overwrite(services, ws, admin, dermatologist, lesion, test_data,
                                                        results) -> None:
    import threading

    from dermstation.core.domain import Role

    services.users.create_user(admin, "derm2", "Dr Zweite", Role.DERMATOLOGIST, "derm2-password")
    second = services.auth.sign_in("derm2", "derm2-password")
    a = stored(services, ws, dermatologist, lesion.id, test_data, results)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def sign(actor, code) -> None:  # noqa: ANN001
        barrier.wait()
        try:
            outcomes.append(ws.assessments.sign(actor, a.id, code, Plan(PlanKind.BIOPSY), "", 0))
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=sign, args=(u, c)) for u, c in ((dermatologist, "mel.ssm"), (second, "nv.common"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    signed = [o for o in outcomes if not isinstance(o, Conflict)]
    assert len(outcomes) == 2 and len(signed) == 1  # one signature, one clear "someone signed meanwhile"
    assert [v.version for v in ws.assessments.versions(dermatologist, a.id)] == [1]
