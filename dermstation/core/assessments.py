"""What a dermatologist signs about one analysis of one picture: a coded diagnosis, a plan, notes.

These frozen values cross every layer: the services build them from the records, reports and the
assistant read them. Patient-facing text derives from ``diagnosis`` (its ``patient_key``) and ``plan``
only; ``notes`` and ``legacy_text`` are free text that nothing interprets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from dermstation.core.diagnoses import Category, Diagnosis
from dermstation.core.domain import ReferralUrgency
from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _


class PlanKind(StrEnum):
    REASSURE_SELF_EXAM = "reassure_self_exam"
    MONITOR = "monitor"  # clinical review after an interval: a follow-up request for reception
    DERMOSCOPIC_FOLLOW_UP = "dermoscopic_follow_up"  # repeat dermoscopy after an interval (also a request)
    BIOPSY = "biopsy"
    EXCISION = "excision"
    REFERRAL = "referral"


FOLLOW_UP_KINDS = frozenset({PlanKind.MONITOR, PlanKind.DERMOSCOPIC_FOLLOW_UP})
FOLLOW_UP_MONTHS: tuple[int, ...] = (1, 3, 6, 12, 24)
"""The intervals the signing form offers (3 months: short-term sequential dermoscopy)."""
PLAN_URGENCIES = (ReferralUrgency.URGENT, ReferralUrgency.ROUTINE)


class FollowUpStatus(StrEnum):
    OPEN = "open"  # reception still has to book it
    BOOKED = "booked"
    CANCELLED = "cancelled"  # superseded by an amended plan, or the capture was retracted


class RetractionReason(StrEnum):
    WRONG_PATIENT = "wrong_patient"
    WRONG_LESION = "wrong_lesion"
    NOT_A_LESION = "not_a_lesion"
    UNUSABLE = "unusable"


@dataclass(frozen=True)
class Plan:
    """What happens next. ``follow_up_months`` for MONITOR/DERMOSCOPIC_FOLLOW_UP; ``urgency`` and
    ``hospital_id`` for REFERRAL (``hospital_name`` is filled in when read back, for display)."""

    kind: PlanKind
    follow_up_months: int | None = None
    urgency: ReferralUrgency | None = None
    hospital_id: int | None = None
    hospital_name: str = ""

    def validated(self) -> Plan:
        """This plan (enum fields made enums) if it is complete and consistent; else a ValidationError."""
        try:
            kind = PlanKind(self.kind)
            urgency = ReferralUrgency(self.urgency) if self.urgency is not None else None
        except ValueError as exc:
            raise ValidationError(_("Choose the plan from the list."), field="plan", details=str(exc)) from exc
        if (kind, urgency) != (self.kind, self.urgency) or type(self.kind) is not PlanKind:
            return replace(self, kind=kind, urgency=urgency).validated()
        if self.kind in FOLLOW_UP_KINDS:
            if self.follow_up_months is None or not 1 <= self.follow_up_months <= 36:
                raise ValidationError(_("Choose when the follow-up should be."), field="follow_up")
        elif self.follow_up_months is not None:
            raise ValidationError(_("Only a follow-up plan has a follow-up interval."), field="follow_up")
        if self.kind == PlanKind.REFERRAL:
            if self.urgency not in PLAN_URGENCIES:
                raise ValidationError(_("Choose whether the referral is urgent or routine."), field="urgency")
            if self.hospital_id is None:
                raise ValidationError(_("Choose the hospital to refer to."), field="hospital")
        elif self.urgency is not None or self.hospital_id is not None:
            raise ValidationError(_("Only a referral names a hospital and an urgency."), field="hospital")
        return self


@dataclass(frozen=True)
class SignedAssessment:
    """One signed version of the assessment of one analysis.

    ``diagnosis`` is None only for assessments signed before coding existed (migrated, "uncoded"):
    their free text is in ``legacy_text`` and is shown to clinicians as written, never interpreted.
    ``analysis_id`` is None only for such old lesion-level signatures.
    """

    id: int
    lesion_id: int
    analysis_id: int | None
    capture_id: int | None
    version: int  # 1 for the first signature of the analysis, +1 per amendment
    diagnosis: Diagnosis | None
    plan: Plan | None
    notes: str
    signed_by: str  # the signer's full name
    signed_by_id: int
    signed_at: datetime
    supersedes_id: int | None = None
    legacy_text: str = ""
    catalogue_version: str = ""

    @property
    def coded(self) -> bool:
        return self.diagnosis is not None

    @property
    def category(self) -> Category | None:
        return self.diagnosis.category if self.diagnosis else None

    def diagnosis_name(self, language: str) -> str:
        """The clinician-facing name (the old free text, marked, for an uncoded signature)."""
        if self.diagnosis is not None:
            return self.diagnosis.name(language)
        return _("{text} (uncoded)").format(text=self.legacy_text)

    def follow_up_due(self) -> date | None:
        """The date a follow-up plan asks for (signing date + interval), else None."""
        if self.plan is None or self.plan.kind not in FOLLOW_UP_KINDS or not self.plan.follow_up_months:
            return None
        return add_months(self.signed_at.date(), self.plan.follow_up_months)


@dataclass(frozen=True)
class HistologyResult:
    """A coded histopathology result recorded on a lesion (closes the loop on a biopsy/excision)."""

    id: int
    lesion_id: int
    assessment_id: int | None  # the signed assessment whose plan led to the specimen, when known
    diagnosis: Diagnosis
    reported_on: date
    notes: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class FollowUpRequest:
    """A follow-up a signed plan asks for, as reception sees it in the Schedule."""

    id: int
    patient_id: int
    patient_name: str  # "Family, Given" for the reception list
    record_number: str
    lesion_id: int
    lesion_site: str
    assessment_id: int
    kind: PlanKind
    due_on: date
    status: FollowUpStatus
    requested_by: str
    appointment_id: int | None = None


def plan_text(plan: Plan | None) -> str:
    """The plan in the clinician's words ("Dermoscopic follow-up in 3 months", "Urgent referral to …")."""
    if plan is None:
        return _("No plan recorded")
    months = plan.follow_up_months or 0
    if plan.kind == PlanKind.REASSURE_SELF_EXAM:
        return _("Reassure; self-examination")
    if plan.kind == PlanKind.MONITOR:
        return _("Clinical review in {n} months").format(n=months) if months != 1 else _("Clinical review in 1 month")
    if plan.kind == PlanKind.DERMOSCOPIC_FOLLOW_UP:
        return (_("Dermoscopic follow-up in {n} months").format(n=months) if months != 1
                else _("Dermoscopic follow-up in 1 month"))
    if plan.kind == PlanKind.BIOPSY:
        return _("Biopsy")
    if plan.kind == PlanKind.EXCISION:
        return _("Excision")
    hospital = plan.hospital_name or _("a hospital")
    if plan.urgency == ReferralUrgency.URGENT:
        return _("Urgent referral to {hospital}").format(hospital=hospital)
    return _("Routine referral to {hospital}").format(hospital=hospital)


def plan_kind_label(kind: PlanKind) -> str:
    return {
        PlanKind.REASSURE_SELF_EXAM: _("Reassure, self-examination"),
        PlanKind.MONITOR: _("Clinical review (follow-up visit)"),
        PlanKind.DERMOSCOPIC_FOLLOW_UP: _("Dermoscopic follow-up"),
        PlanKind.BIOPSY: _("Biopsy"),
        PlanKind.EXCISION: _("Excision"),
        PlanKind.REFERRAL: _("Referral to a hospital"),
    }[kind]


def retraction_reason_label(reason: RetractionReason) -> str:
    return {
        RetractionReason.WRONG_PATIENT: _("Wrong patient"),
        RetractionReason.WRONG_LESION: _("Wrong lesion"),
        RetractionReason.NOT_A_LESION: _("Not a skin lesion"),
        RetractionReason.UNUSABLE: _("Unusable picture"),
    }[reason]


def diagnosis_codes(diagnosis: Diagnosis | None) -> str:
    """"SNOMED CT 254730000 · ICD-10 C43.9" (only the codes the catalogue holds)."""
    if diagnosis is None:
        return ""
    parts = []
    if diagnosis.snomed:
        parts.append(f"SNOMED CT {diagnosis.snomed}")
    if diagnosis.icd10:
        parts.append(f"ICD-10 {diagnosis.icd10}")
    if diagnosis.icd11:
        parts.append(f"ICD-11 {diagnosis.icd11}")
    return " · ".join(parts)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the month's last day (31 Jan + 1 month -> 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover
