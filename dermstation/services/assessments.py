"""Signed, coded assessments of one analysis; retraction of wrong captures; follow-ups; histology.

The clinical truth of the workstation lives here. A dermatologist signs a catalogue code and a plan
for exactly one analysis of one picture; signing again makes a new version that supersedes the last
(nothing is overwritten). A plan that asks for a follow-up leaves a request that reception sees in
the Schedule. A capture that should never have been stored is *retracted* with a reason: it stays in
the database and the audit trail, but leaves history, comparisons, reports and signatures.

Reports and the assistant read the signature with ``signed_assessment_of(session, analysis_id)``
inside their own session, so what they print and what was signed are read in one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dermstation.core.assessments import (
    FollowUpRequest,
    FollowUpStatus,
    HistologyResult,
    Plan,
    PlanKind,
    RetractionReason,
    SignedAssessment,
)
from dermstation.core.diagnoses import Category, Diagnosis, catalogue
from dermstation.core.domain import AuditAction, Role
from dermstation.core.errors import Conflict, DuplicateRecord, RecordNotFound, ValidationError
from dermstation.core.i18n import _
from dermstation.records.assessment_models import FollowUpRequestRow, HistologyResultRow
from dermstation.records.columns import utcnow
from dermstation.records.database import Database
from dermstation.records.models import (
    AnalysisRecord,
    ClinicianAssessment,
    ImageCapture,
    Lesion,
    Patient,
    ReferralHospital,
    User,
)
from dermstation.services.audit import AuditLog
from dermstation.services.permissions import CLINICAL_ROLES, authorize
from dermstation.services.stored_analyses import stored_analysis
from dermstation.services.types import CurrentUser

log = logging.getLogger(__name__)

SIGNING_ROLES = frozenset({Role.DERMATOLOGIST})
RECEPTION_ROLES = frozenset({Role.DERMATOLOGIST, Role.RECEPTIONIST})
"""Who sees and books follow-up requests (names, dates and the kind of visit, never the diagnosis)."""
MAX_NOTES = 20_000


@dataclass(frozen=True)
class AuditRow:
    """One signed analysis for the model-versus-clinician-versus-histology audit."""

    analysis_id: int
    lesion_id: int
    record_number: str
    taken_at: datetime
    ai_class: str
    ai_malignancy: float
    ai_threshold: float | None
    signed: Diagnosis
    signed_at: datetime
    histology: Diagnosis | None

    @property
    def ai_suspicious(self) -> bool | None:
        return None if self.ai_threshold is None else self.ai_malignancy >= self.ai_threshold

    @property
    def histology_malignant(self) -> bool | None:
        """Whether histology showed a malignancy (None without a result)."""
        return None if self.histology is None else self.histology.category == Category.MALIGNANT

    @property
    def ai_agrees_with_histology(self) -> bool | None:
        if self.histology_malignant is None or self.ai_suspicious is None:
            return None
        return self.ai_suspicious == self.histology_malignant

    @property
    def signed_agrees_with_histology(self) -> bool | None:
        if self.histology is None:
            return None
        if self.signed.code == self.histology.code:
            return True
        if self.signed.category == Category.UNCERTAIN:
            return None  # an open question is neither right nor wrong
        return (self.signed.category == Category.MALIGNANT) == (self.histology.category == Category.MALIGNANT)

    @property
    def ai_class_matches_signed(self) -> bool | None:
        return None if self.signed.ham_class is None else self.signed.ham_class == self.ai_class


# --- reading inside a caller's session (reports, assistant) ---------------------------------------
def _signed(row: ClinicianAssessment, session: Session) -> SignedAssessment:
    signer = session.get(User, row.signed_by_id)
    plan = None
    if row.plan_kind is not None:
        hospital = session.get(ReferralHospital, row.plan_hospital_id) if row.plan_hospital_id else None
        plan = Plan(PlanKind(row.plan_kind), row.plan_follow_up_months, row.plan_urgency, row.plan_hospital_id,
                    hospital.name if hospital else "")
    analysis = session.get(AnalysisRecord, row.analysis_id) if row.analysis_id else None
    return SignedAssessment(
        id=row.id, lesion_id=row.lesion_id, analysis_id=row.analysis_id,
        capture_id=analysis.capture_id if analysis else None, version=row.version,
        diagnosis=catalogue().find(row.diagnosis_code), plan=plan, notes=row.notes,
        signed_by=signer.full_name if signer else "", signed_by_id=row.signed_by_id, signed_at=row.signed_at,
        supersedes_id=row.supersedes_id, legacy_text=row.legacy_diagnosis or "",
        catalogue_version=row.catalogue_version or "",
    )


def _current_row(session: Session, analysis_id: int) -> ClinicianAssessment | None:
    return session.scalars(
        select(ClinicianAssessment).where(ClinicianAssessment.analysis_id == analysis_id)
        .order_by(ClinicianAssessment.version.desc()).limit(1)
    ).first()


def signed_assessment_of(session: Session, analysis_id: int) -> SignedAssessment | None:
    """The current signed version for this analysis, or None when unsigned or its capture is retracted.

    Only this analysis counts: a signature on another picture of the same lesion never applies here.
    """
    analysis = session.get(AnalysisRecord, analysis_id)
    if analysis is None or analysis.capture.retracted_at is not None:
        return None
    row = _current_row(session, analysis_id)
    return _signed(row, session) if row is not None else None


def live_capture(session: Session, capture_id: int) -> ImageCapture:
    """The capture, refusing a missing or retracted one with a clear message."""
    capture = session.get(ImageCapture, capture_id)
    if capture is None:
        raise RecordNotFound(_("This image does not exist."), details=f"capture {capture_id}")
    if capture.retracted_at is not None:
        raise ValidationError(_("This picture was retracted and can no longer be used."), field="capture",
                              details=f"capture {capture_id} retracted")
    return capture


class AssessmentService:
    """Sign and amend assessments, retract captures, follow-up requests, histology and the audit view."""

    def __init__(self, database: Database, audit: AuditLog) -> None:
        self._db = database
        self._audit = audit

    # --- signing ----------------------------------------------------------------------------------
    def sign(self, actor: CurrentUser, analysis_id: int, diagnosis_code: str, plan: Plan, notes: str = "",
             expected_version: int | None = None) -> SignedAssessment:
        """Sign a coded diagnosis and plan for one analysis (dermatologists only).

        The first signature is version 1; signing again amends: a new version superseding the last.
        ``expected_version`` is the version the clinician was looking at (0: none); when someone signed
        in between, a Conflict asks them to look again instead of silently superseding it.
        """
        cat = catalogue()
        diagnosis = cat.get(diagnosis_code)
        if diagnosis.retired:
            raise ValidationError(_("This diagnosis is no longer offered; choose a current one."), field="diagnosis")
        plan = plan.validated()
        notes = notes.strip()
        if len(notes) > MAX_NOTES:
            raise ValidationError(_("The notes are too long."), field="notes")
        try:
            with self._db.session() as session:
                user = authorize(session, actor, SIGNING_ROLES)
                analysis = session.get(AnalysisRecord, analysis_id)
                if analysis is None:
                    raise RecordNotFound(_("This analysis does not exist."), details=f"analysis {analysis_id}")
                capture = live_capture(session, analysis.capture_id)
                if plan.hospital_id is not None:
                    hospital = session.get(ReferralHospital, plan.hospital_id)
                    if hospital is None or hospital.retired or not hospital.accepts_referrals:
                        raise ValidationError(_("This hospital does not take referrals."), field="hospital")
                previous = _current_row(session, analysis.id)
                have = previous.version if previous is not None else 0
                if expected_version is not None and expected_version != have:
                    raise Conflict(_("Someone signed this analysis meanwhile. Look at their signature, then "
                                     "sign again if you still want to amend it."),
                                   details=f"analysis {analysis.id} version {have}, expected {expected_version}")
                row = ClinicianAssessment(
                    lesion_id=capture.lesion_id, analysis_id=analysis.id, version=have + 1,
                    supersedes_id=previous.id if previous is not None else None, diagnosis_code=diagnosis.code,
                    catalogue_version=cat.version, legacy_diagnosis="", plan_kind=plan.kind,
                    plan_follow_up_months=plan.follow_up_months, plan_urgency=plan.urgency,
                    plan_hospital_id=plan.hospital_id, notes=notes, signed_by_id=user.id,
                )
                session.add(row)
                session.flush()
                if previous is not None:
                    self._close_follow_ups(session, actor, previous.id, FollowUpStatus.CANCELLED)
                signed = _signed(row, session)
                due = signed.follow_up_due()
                if due is not None:
                    request = FollowUpRequestRow(patient_id=capture.lesion.patient_id, lesion_id=capture.lesion_id,
                                                 assessment_id=row.id, kind=plan.kind.value, due_on=due)
                    session.add(request)
                    session.flush()
                    self._audit.record(session, actor.id, AuditAction.CREATE, "follow_up_requests", request.id,
                                       f"assessment={row.id}")
                self._audit.record(session, actor.id, AuditAction.CREATE, "clinician_assessments", row.id,
                                   f"analysis={analysis.id} version={row.version} code={diagnosis.code} "
                                   f"plan={plan.kind.value}")
        except (IntegrityError, DuplicateRecord) as exc:  # two clinicians signed the same version at once
            raise Conflict(_("Someone signed this analysis at the same moment. Look at their signature, then "
                             "sign again if needed."), details=f"analysis {analysis_id}") from exc
        log.info("user %d signed analysis %d (version %d)", actor.id, analysis_id, signed.version)
        return signed

    def current(self, actor: CurrentUser, analysis_id: int) -> SignedAssessment | None:
        """The current signed version for this analysis (None: not signed, or the picture was retracted)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            if session.get(AnalysisRecord, analysis_id) is None:
                raise RecordNotFound(_("This analysis does not exist."), details=f"analysis {analysis_id}")
            signed = signed_assessment_of(session, analysis_id)
            self._audit.record(session, actor.id, AuditAction.VIEW, "analyses", analysis_id, "assessment")
            return signed

    def versions(self, actor: CurrentUser, analysis_id: int) -> tuple[SignedAssessment, ...]:
        """Every signed version for this analysis, newest first (amendments keep the old ones)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            rows = session.scalars(
                select(ClinicianAssessment).where(ClinicianAssessment.analysis_id == analysis_id)
                .order_by(ClinicianAssessment.version.desc())
            ).all()
            self._audit.record(session, actor.id, AuditAction.VIEW, "analyses", analysis_id, "assessment versions")
            return tuple(_signed(r, session) for r in rows)

    def current_for_analyses(self, actor: CurrentUser,
                             analysis_ids: tuple[int, ...]) -> dict[int, SignedAssessment]:
        """The current signature of each of these analyses that has one (for lists)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            out = {}
            for analysis_id in analysis_ids:
                signed = signed_assessment_of(session, analysis_id)
                if signed is not None:
                    out[analysis_id] = signed
            self._audit.record(session, actor.id, AuditAction.VIEW, "analyses", None,
                               f"assessments of {len(analysis_ids)} analyses")
            return out

    def legacy_for_lesion(self, actor: CurrentUser, lesion_id: int) -> tuple[SignedAssessment, ...]:
        """Free-text signatures from before coding that named no analysis (shown as written, uncoded)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            rows = session.scalars(
                select(ClinicianAssessment).where(ClinicianAssessment.lesion_id == lesion_id,
                                                  ClinicianAssessment.analysis_id.is_(None))
                .order_by(ClinicianAssessment.signed_at.desc())
            ).all()
            self._audit.record(session, actor.id, AuditAction.VIEW, "lesions", lesion_id, "uncoded assessments")
            return tuple(_signed(r, session) for r in rows)

    # --- retraction -------------------------------------------------------------------------------
    def retract_capture(self, actor: CurrentUser, capture_id: int, reason: RetractionReason, note: str = "") -> None:
        """Take a wrongly stored picture back (dermatologists only): out of history, comparisons, reports.

        The row, its file, its analyses and signatures stay for the audit trail; open follow-up requests
        that its signatures made are cancelled.
        """
        reason = RetractionReason(reason)
        note = note.strip()
        if len(note) > MAX_NOTES:
            raise ValidationError(_("The note is too long."), field="note")
        with self._db.session() as session:
            user = authorize(session, actor, SIGNING_ROLES)
            capture = live_capture(session, capture_id)
            capture.retracted_at = utcnow()
            capture.retracted_by_id = user.id
            capture.retraction_reason = reason
            capture.retraction_note = note
            assessment_ids = session.scalars(
                select(ClinicianAssessment.id).join(AnalysisRecord, AnalysisRecord.id == ClinicianAssessment.analysis_id)
                .where(AnalysisRecord.capture_id == capture.id)
            ).all()
            for assessment_id in assessment_ids:
                self._close_follow_ups(session, actor, assessment_id, FollowUpStatus.CANCELLED)
            self._audit.record(session, actor.id, AuditAction.UPDATE, "image_captures", capture.id,
                               f"retracted reason={reason.value}")
        log.info("user %d retracted capture %d (%s)", actor.id, capture_id, reason.value)

    # --- follow-up requests -----------------------------------------------------------------------
    def _close_follow_ups(self, session: Session, actor: CurrentUser, assessment_id: int,
                          status: FollowUpStatus) -> None:
        for request in session.scalars(select(FollowUpRequestRow).where(
                FollowUpRequestRow.assessment_id == assessment_id, FollowUpRequestRow.status == FollowUpStatus.OPEN)):
            request.status = status
            request.closed_at = utcnow()
            request.closed_by_id = actor.id
            self._audit.record(session, actor.id, AuditAction.UPDATE, "follow_up_requests", request.id,
                               f"status={status.value}")

    def follow_up_requests(self, actor: CurrentUser, *, due_by: date | None = None,
                           status: FollowUpStatus = FollowUpStatus.OPEN) -> tuple[FollowUpRequest, ...]:
        """Follow-ups signed plans ask for, soonest first (reception and dermatologists)."""
        with self._db.session() as session:
            authorize(session, actor, RECEPTION_ROLES)
            query = (select(FollowUpRequestRow, Patient, Lesion, ClinicianAssessment, User.full_name)
                     .join(Patient, Patient.id == FollowUpRequestRow.patient_id)
                     .join(Lesion, Lesion.id == FollowUpRequestRow.lesion_id)
                     .join(ClinicianAssessment, ClinicianAssessment.id == FollowUpRequestRow.assessment_id)
                     .join(User, User.id == ClinicianAssessment.signed_by_id)
                     .where(FollowUpRequestRow.status == status)
                     .order_by(FollowUpRequestRow.due_on, FollowUpRequestRow.id))
            if due_by is not None:
                query = query.where(FollowUpRequestRow.due_on <= due_by)
            rows = session.execute(query).all()
            self._audit.record(session, actor.id, AuditAction.VIEW, "follow_up_requests", None,
                               f"list {status.value} n={len(rows)}")
            return tuple(
                FollowUpRequest(r.id, p.id, f"{p.family_name}, {p.given_name}", p.record_number, lesion.id,
                                lesion.body_site, a.id, PlanKind(r.kind), r.due_on, r.status, signer, r.appointment_id)
                for r, p, lesion, a, signer in rows
            )

    def mark_follow_up_booked(self, actor: CurrentUser, request_id: int, appointment_id: int | None = None) -> None:
        """Reception booked the visit a follow-up request asked for."""
        with self._db.session() as session:
            authorize(session, actor, RECEPTION_ROLES)
            request = session.get(FollowUpRequestRow, request_id)
            if request is None:
                raise RecordNotFound(_("This follow-up request does not exist."), details=f"request {request_id}")
            if request.status != FollowUpStatus.OPEN:
                raise Conflict(_("This follow-up is no longer waiting to be booked."),
                               details=f"request {request_id} {request.status}")
            request.status = FollowUpStatus.BOOKED
            request.appointment_id = appointment_id
            request.closed_at = utcnow()
            request.closed_by_id = actor.id
            self._audit.record(session, actor.id, AuditAction.UPDATE, "follow_up_requests", request.id,
                               f"status=booked appointment={appointment_id}")

    # --- histology --------------------------------------------------------------------------------
    def record_histology(self, actor: CurrentUser, lesion_id: int, diagnosis_code: str, reported_on: date,
                         notes: str = "", assessment_id: int | None = None) -> HistologyResult:
        """Record the coded histopathology result of a lesion (a correction is a new result)."""
        diagnosis = catalogue().get(diagnosis_code)
        if diagnosis.category == Category.UNCERTAIN:
            raise ValidationError(_("A histology result names what the specimen showed; choose a definite "
                                    "diagnosis."), field="diagnosis")
        notes = notes.strip()
        if len(notes) > MAX_NOTES:
            raise ValidationError(_("The notes are too long."), field="notes")
        with self._db.session() as session:
            user = authorize(session, actor, SIGNING_ROLES)
            if session.get(Lesion, lesion_id) is None:
                raise RecordNotFound(_("This lesion does not exist."), details=f"lesion {lesion_id}")
            if assessment_id is not None:
                assessment = session.get(ClinicianAssessment, assessment_id)
                if assessment is None or assessment.lesion_id != lesion_id:
                    raise ValidationError(_("This assessment belongs to another lesion."), field="assessment")
            row = HistologyResultRow(lesion_id=lesion_id, assessment_id=assessment_id, diagnosis_code=diagnosis.code,
                                     catalogue_version=catalogue().version, reported_on=reported_on, notes=notes,
                                     recorded_by_id=user.id)
            session.add(row)
            session.flush()
            self._audit.record(session, actor.id, AuditAction.CREATE, "histology_results", row.id,
                               f"lesion={lesion_id} code={diagnosis.code}")
            return HistologyResult(row.id, lesion_id, assessment_id, diagnosis, reported_on, notes, user.full_name,
                                   row.recorded_at)

    def histology(self, actor: CurrentUser, lesion_id: int) -> tuple[HistologyResult, ...]:
        """The lesion's histology results, newest first."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            rows = session.execute(
                select(HistologyResultRow, User.full_name).join(User, User.id == HistologyResultRow.recorded_by_id)
                .where(HistologyResultRow.lesion_id == lesion_id)
                .order_by(HistologyResultRow.reported_on.desc(), HistologyResultRow.id.desc())
            ).all()
            self._audit.record(session, actor.id, AuditAction.VIEW, "histology_results", None, f"lesion={lesion_id}")
            return tuple(HistologyResult(r.id, r.lesion_id, r.assessment_id, catalogue().get(r.diagnosis_code),
                                         r.reported_on, r.notes, name, r.recorded_at) for r, name in rows)

    # --- audit: model against histology and against the signed diagnosis ---------------------------
    def audit_rows(self, actor: CurrentUser, *, with_histology_only: bool = False) -> tuple[AuditRow, ...]:
        """Every current coded signature of a live capture, with the AI score and the lesion's latest histology."""
        with self._db.session() as session:
            authorize(session, actor, SIGNING_ROLES)
            latest_version = (select(ClinicianAssessment.analysis_id, func.max(ClinicianAssessment.version).label("v"))
                              .where(ClinicianAssessment.analysis_id.is_not(None))
                              .group_by(ClinicianAssessment.analysis_id).subquery())
            rows = session.execute(
                select(ClinicianAssessment, AnalysisRecord, ImageCapture, Patient.record_number)
                .join(latest_version, (latest_version.c.analysis_id == ClinicianAssessment.analysis_id)
                      & (latest_version.c.v == ClinicianAssessment.version))
                .join(AnalysisRecord, AnalysisRecord.id == ClinicianAssessment.analysis_id)
                .join(ImageCapture, ImageCapture.id == AnalysisRecord.capture_id)
                .join(Lesion, Lesion.id == ImageCapture.lesion_id)
                .join(Patient, Patient.id == Lesion.patient_id)
                .where(ImageCapture.retracted_at.is_(None), ClinicianAssessment.diagnosis_code.is_not(None))
                .order_by(ImageCapture.taken_at.desc(), AnalysisRecord.id.desc())
            ).all()
            histology: dict[int, Diagnosis] = {}
            for h in session.scalars(select(HistologyResultRow).order_by(HistologyResultRow.reported_on,
                                                                         HistologyResultRow.id)):
                histology[h.lesion_id] = catalogue().get(h.diagnosis_code)  # the latest wins
            out = []
            for a, analysis, capture, record_number in rows:
                stored = stored_analysis(analysis, capture)
                result = histology.get(capture.lesion_id)
                if with_histology_only and result is None:
                    continue
                out.append(AuditRow(stored.id, capture.lesion_id, record_number, capture.taken_at,
                                    stored.prediction, stored.malignancy, stored.threshold,
                                    catalogue().get(a.diagnosis_code), a.signed_at, result))  # type: ignore[arg-type]
            self._audit.record(session, actor.id, AuditAction.VIEW, "clinician_assessments", None,
                               f"audit view n={len(out)}")
            return tuple(out)

