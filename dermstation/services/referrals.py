"""Referrals of a patient to a hospital: create with linked analyses, track the status."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dermstation.core.domain import AuditAction, ReferralStatus, ReferralUrgency
from dermstation.core.errors import RecordNotFound, ValidationError
from dermstation.core.i18n import _
from dermstation.records.database import Database
from dermstation.records.models import (
    AnalysisRecord,
    ImageCapture,
    Lesion,
    Patient,
    Referral,
    ReferralHospital,
)
from dermstation.services.assessments import signed_assessment_of
from dermstation.services.audit import AuditLog
from dermstation.services.permissions import CLINICAL_ROLES, PATIENT_DESK, authorize, can_read_notes
from dermstation.services.reception_types import AnalysisChoice, ReferralInfo, ReferralInput
from dermstation.services.stored_analyses import stored_analysis
from dermstation.services.types import CurrentUser

log = logging.getLogger(__name__)

MAX_REASON = 4000

# The life of a referral: drafted, sent, answered (accepted or declined), the patient seen, closed.
# A draft or a sent referral can be withdrawn (closed) at any time.
TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.DRAFT: frozenset({ReferralStatus.SENT, ReferralStatus.CLOSED}),
    ReferralStatus.SENT: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.CLOSED}),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.SEEN, ReferralStatus.CLOSED}),
    ReferralStatus.DECLINED: frozenset({ReferralStatus.CLOSED}),
    ReferralStatus.SEEN: frozenset({ReferralStatus.CLOSED}),
    ReferralStatus.CLOSED: frozenset(),
}


def referral_status_label(status: ReferralStatus) -> str:
    return {
        ReferralStatus.DRAFT: _("Draft"),
        ReferralStatus.SENT: _("Sent"),
        ReferralStatus.ACCEPTED: _("Accepted"),
        ReferralStatus.DECLINED: _("Declined"),
        ReferralStatus.SEEN: _("Seen"),
        ReferralStatus.CLOSED: _("Closed"),
    }[ReferralStatus(status)]


def urgency_label(urgency: ReferralUrgency) -> str:
    return {
        ReferralUrgency.ROUTINE: _("Routine"),
        ReferralUrgency.SOON: _("Soon"),
        ReferralUrgency.URGENT: _("Urgent"),
    }[ReferralUrgency(urgency)]


class ReferralService:
    def __init__(self, database: Database, audit: AuditLog) -> None:
        self._db = database
        self._audit = audit

    def create(self, actor: CurrentUser, data: ReferralInput) -> ReferralInfo:
        """A draft referral (clinical roles); the analyses must belong to the same patient."""
        reason = data.reason.strip()
        if not reason:
            raise ValidationError(_("Please give the reason for the referral."), field="reason")
        if len(reason) > MAX_REASON:
            raise ValidationError(_("The reason is too long."), field="reason")
        try:
            urgency = ReferralUrgency(data.urgency)
        except ValueError:
            raise ValidationError(_("Please choose the urgency."), field="urgency") from None
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            if session.get(Patient, data.patient_id) is None:
                raise ValidationError(_("Please choose a patient."), field="patient")
            hospital = session.get(ReferralHospital, data.hospital_id)
            if hospital is None or hospital.retired:
                raise ValidationError(_("Please choose a hospital from the directory."), field="hospital")
            if not hospital.accepts_referrals:
                raise ValidationError(_("This hospital does not accept referrals."), field="hospital")
            analyses = self._analyses(session, data.patient_id, data.analysis_ids)
            referral = Referral(
                patient_id=data.patient_id,
                hospital_id=hospital.id,
                urgency=urgency,
                reason=reason,
                status=ReferralStatus.DRAFT,
                created_by_id=actor.id,
            )
            referral.analyses = analyses
            session.add(referral)
            session.flush()
            self._audit.record(
                session, actor.id, AuditAction.CREATE, "referrals", referral.id,
                f"patient={data.patient_id} hospital={hospital.id} analyses={len(analyses)}",
            )
            log.info("user %d created referral %d", actor.id, referral.id)
            return self._info(referral, hospital.name, with_reason=True)

    def set_status(self, actor: CurrentUser, referral_id: int, status: ReferralStatus) -> ReferralInfo:
        """Move a referral on (any role: the front desk records sending and answers)."""
        status = ReferralStatus(status)
        with self._db.session() as session:
            user = authorize(session, actor, PATIENT_DESK)
            referral = self._get(session, referral_id)
            if status is not referral.status and status not in TRANSITIONS[referral.status]:
                raise ValidationError(
                    _("A referral that is “{old}” cannot become “{new}”.").format(
                        old=referral_status_label(referral.status), new=referral_status_label(status)
                    ),
                    field="status",
                )
            old = referral.status
            referral.status = status
            session.flush()
            self._audit.record(
                session, actor.id, AuditAction.UPDATE, "referrals", referral.id, f"status {old.value}->{status.value}"
            )
            hospital = session.get(ReferralHospital, referral.hospital_id)
            return self._info(referral, hospital.name if hospital else "", with_reason=can_read_notes(user))

    def for_patient(self, actor: CurrentUser, patient_id: int) -> list[ReferralInfo]:
        """The patient's referrals, newest first; the reason only for clinical roles."""
        with self._db.session() as session:
            user = authorize(session, actor, PATIENT_DESK)
            if session.get(Patient, patient_id) is None:
                raise RecordNotFound(_("This patient does not exist."), details=f"patient {patient_id}")
            rows = session.execute(
                select(Referral, ReferralHospital.name)
                .join(ReferralHospital, ReferralHospital.id == Referral.hospital_id)
                .where(Referral.patient_id == patient_id)
                .options(selectinload(Referral.analyses))
                .order_by(Referral.created_at.desc(), Referral.id.desc())
            ).all()
            self._audit.record(session, actor.id, AuditAction.VIEW, "referrals", None, f"patient={patient_id}")
            return [self._info(r, name, with_reason=can_read_notes(user)) for r, name in rows]

    def analyses_for_patient(self, actor: CurrentUser, patient_id: int) -> list[AnalysisChoice]:
        """The patient's analyses, newest first, to attach to a referral (clinical roles)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            rows = session.execute(
                select(AnalysisRecord, Lesion.body_site)
                .join(ImageCapture, ImageCapture.id == AnalysisRecord.capture_id)
                .join(Lesion, Lesion.id == ImageCapture.lesion_id)
                .where(Lesion.patient_id == patient_id, ImageCapture.retracted_at.is_(None))
                .order_by(AnalysisRecord.created_at.desc(), AnalysisRecord.id.desc())
            ).all()
            self._audit.record(session, actor.id, AuditAction.VIEW, "analyses", None, f"patient={patient_id}")
            stored = [(stored_analysis(a, a.capture), site) for a, site in rows]
            return [
                AnalysisChoice(
                    id=a.id, created_at=a.created_at, prediction=a.prediction,
                    malignancy_score=a.malignancy, body_site=site,
                    signed=signed_assessment_of(session, a.id),
                )
                for a, site in stored
            ]

    @staticmethod
    def _analyses(session: Session, patient_id: int, ids: tuple[int, ...]) -> list[AnalysisRecord]:
        wanted = set(ids)
        if not wanted:
            return []
        rows = session.execute(
            select(AnalysisRecord, Lesion.patient_id)
            .join(ImageCapture, ImageCapture.id == AnalysisRecord.capture_id)
            .join(Lesion, Lesion.id == ImageCapture.lesion_id)
            .where(AnalysisRecord.id.in_(wanted), ImageCapture.retracted_at.is_(None))
        ).all()
        found = {a.id: (a, owner) for a, owner in rows}
        if set(found) != wanted or any(owner != patient_id for _a, owner in found.values()):
            raise ValidationError(
                _("Only this patient's analyses can be attached."), field="analyses",
                details=f"asked {sorted(wanted)}",
            )
        return [found[i][0] for i in sorted(wanted)]

    @staticmethod
    def _get(session: Session, referral_id: int) -> Referral:
        referral = session.get(Referral, referral_id)
        if referral is None:
            raise RecordNotFound(_("This referral does not exist."), details=f"referral {referral_id}")
        return referral

    @staticmethod
    def _info(r: Referral, hospital_name: str, *, with_reason: bool) -> ReferralInfo:
        return ReferralInfo(
            id=r.id,
            patient_id=r.patient_id,
            hospital_id=r.hospital_id,
            hospital_name=hospital_name,
            urgency=r.urgency,
            reason=r.reason if with_reason else "",
            status=r.status,
            analysis_ids=tuple(sorted(a.id for a in r.analyses)),
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
