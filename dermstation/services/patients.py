"""Patients: search, demographics, the clinical chart and lesions."""

from __future__ import annotations

import logging
from dataclasses import fields
from datetime import date

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from dermstation.core.domain import AuditAction
from dermstation.core.errors import DuplicateRecord, RecordNotFound, ValidationError
from dermstation.core.i18n import _
from dermstation.records.database import Database
from dermstation.records.models import ImageCapture, Lesion, Patient
from dermstation.services.audit import AuditLog
from dermstation.services.lesion_status import lesion_status
from dermstation.services.patient_rules import check_search_text, clean_patient_input, parse_query, term_words
from dermstation.services.permissions import CLINICAL_ROLES, PATIENT_DESK, authorize, can_read_notes
from dermstation.services.types import (
    CaptureSummary,
    CurrentUser,
    LesionSummary,
    PatientChart,
    PatientDetail,
    PatientInput,
    PatientSummary,
)

log = logging.getLogger(__name__)

MAX_SEARCH_RESULTS = 500
_LIKE_ESCAPE = "/"
_INPUT_FIELDS = tuple(f.name for f in fields(PatientInput))


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _summary(p: Patient) -> PatientSummary:
    return PatientSummary(
        id=p.id,
        record_number=p.record_number,
        given_name=p.given_name,
        family_name=p.family_name,
        date_of_birth=p.date_of_birth,
        sex=p.sex,
    )


def _detail(p: Patient, with_notes: bool) -> PatientDetail:
    return PatientDetail(
        id=p.id,
        record_number=p.record_number,
        given_name=p.given_name,
        family_name=p.family_name,
        date_of_birth=p.date_of_birth,
        sex=p.sex,
        phone=p.phone,
        email=p.email,
        address=p.address,
        fitzpatrick=p.fitzpatrick,
        notes=p.notes if with_notes else "",
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def capture_summary(c: ImageCapture, analysis_count: int) -> CaptureSummary:
    return CaptureSummary(
        id=c.id,
        taken_at=c.taken_at,
        source=c.source,
        width=c.width,
        height=c.height,
        sha256=c.sha256,
        analysis_count=analysis_count,
    )


def search_statement(text: str, limit: int, backend: str) -> Select[tuple[Patient]]:
    """The query behind ``PatientService.search``; the same SQL meaning on SQLite and PostgreSQL."""
    query = parse_query(text)
    limit = max(1, min(int(limit), MAX_SEARCH_RESULTS))
    stmt = select(Patient)
    if query.empty:
        return stmt.order_by(Patient.updated_at.desc(), Patient.id.desc()).limit(limit)
    for day in query.dates:
        stmt = stmt.where(Patient.date_of_birth == day)
    for term in query.terms:
        # record numbers: ASCII case-insensitive prefix (both backends' lower() agree on ASCII)
        ascii_lower = "".join(ch.lower() if ch.isascii() else ch for ch in term)
        matches = [
            func.lower(Patient.record_number).like(_escape_like(ascii_lower) + "%", escape=_LIKE_ESCAPE)
        ]
        if term.isdigit() and len(term) == 4 and 1880 <= int(term) <= date.today().year:
            # a year alone finds everyone born that year (and record numbers that start with it)
            year = int(term)
            matches.append(Patient.date_of_birth.between(date(year, 1, 1), date(year, 12, 31)))
        name_words = term_words(term)
        if name_words:
            # name_key is " word word ": "% w%" is a prefix match on any name word
            matches.append(
                and_(
                    *(Patient.name_key.like(f"% {_escape_like(w)}%", escape=_LIKE_ESCAPE) for w in name_words)
                )
            )
        stmt = stmt.where(or_(*matches))
    sort = Patient.sort_key.collate("C") if backend == "postgresql" else Patient.sort_key
    return stmt.order_by(sort, Patient.id).limit(limit)


class PatientService:
    def __init__(self, database: Database, audit: AuditLog) -> None:
        self._db = database
        self._audit = audit

    def search(self, actor: CurrentUser, text: str, limit: int = 50) -> list[PatientSummary]:
        """Patients whose names, record number or date of birth match ``text``; newest first if empty."""
        check_search_text(text)
        with self._db.session() as session:
            authorize(session, actor, PATIENT_DESK)
            rows = session.scalars(search_statement(text, limit, self._db.backend)).all()
            query = parse_query(text)
            # never the search text itself: it may be a name
            self._audit.record(
                session,
                actor.id,
                AuditAction.SEARCH,
                "patients",
                None,
                f"terms={len(query.terms)} dates={len(query.dates)} results={len(rows)}",
            )
            return [_summary(p) for p in rows]

    def get(self, actor: CurrentUser, patient_id: int) -> PatientDetail:
        with self._db.session() as session:
            user = authorize(session, actor, PATIENT_DESK)
            patient = self._get(session, patient_id)
            self._audit.record(session, actor.id, AuditAction.VIEW, "patients", patient.id)
            return _detail(patient, can_read_notes(user))

    def create(self, actor: CurrentUser, data: PatientInput) -> PatientDetail:
        clean = clean_patient_input(data)
        with self._db.session() as session:
            user = authorize(session, actor, PATIENT_DESK)
            self._check_unique(session, clean.record_number, None)
            values = {name: getattr(clean, name) for name in _INPUT_FIELDS}
            if not can_read_notes(user):
                values["notes"] = ""
            patient = Patient(**values, created_by_id=actor.id)
            session.add(patient)
            session.flush()
            self._audit.record(session, actor.id, AuditAction.CREATE, "patients", patient.id)
            log.info("user %d created patient %d", actor.id, patient.id)
            return _detail(patient, can_read_notes(user))

    def update(self, actor: CurrentUser, patient_id: int, data: PatientInput) -> PatientDetail:
        """Replace the patient's fields with ``data``; a receptionist's update never touches notes."""
        clean = clean_patient_input(data)
        with self._db.session() as session:
            user = authorize(session, actor, PATIENT_DESK)
            patient = self._get(session, patient_id)
            self._check_unique(session, clean.record_number, patient.id)
            editable = (
                _INPUT_FIELDS if can_read_notes(user) else tuple(f for f in _INPUT_FIELDS if f != "notes")
            )
            changed = [name for name in editable if getattr(patient, name) != getattr(clean, name)]
            for name in changed:
                setattr(patient, name, getattr(clean, name))
            session.flush()
            self._audit.record(
                session, actor.id, AuditAction.UPDATE, "patients", patient.id, "fields=" + ",".join(changed)
            )
            return _detail(patient, can_read_notes(user))

    def chart(self, actor: CurrentUser, patient_id: int) -> PatientChart:
        """The patient with every lesion and capture (clinical roles only)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            patient = self._get(session, patient_id)
            lesions = session.scalars(
                select(Lesion)
                .where(Lesion.patient_id == patient.id)
                .options(selectinload(Lesion.captures).selectinload(ImageCapture.analyses))
                .order_by(Lesion.id)
            ).all()
            self._audit.record(session, actor.id, AuditAction.VIEW, "patients", patient.id, "chart")
            return PatientChart(
                patient=_detail(patient, with_notes=True),
                lesions=tuple(
                    LesionSummary(
                        id=lesion.id,
                        body_site=lesion.body_site,
                        label=lesion.label,
                        created_at=lesion.created_at,
                        captures=tuple(capture_summary(c, len(c.analyses)) for c in lesion.captures
                                       if c.retracted_at is None),  # retracted pictures leave the chart
                        status=lesion_status(session, lesion),
                    )
                    for lesion in lesions
                ),
            )

    def add_lesion(self, actor: CurrentUser, patient_id: int, body_site: str, label: str) -> LesionSummary:
        body_site, label = body_site.strip(), label.strip()
        if not body_site:
            raise ValidationError(_("Please enter the body site."), field="body_site")
        if len(body_site) > 100:
            raise ValidationError(_("The body site is too long."), field="body_site")
        if len(label) > 100:
            raise ValidationError(_("The label is too long."), field="label")
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            patient = self._get(session, patient_id)
            lesion = Lesion(patient_id=patient.id, body_site=body_site, label=label, created_by_id=actor.id)
            session.add(lesion)
            session.flush()
            self._audit.record(
                session, actor.id, AuditAction.CREATE, "lesions", lesion.id, f"patient={patient.id}"
            )
            return LesionSummary(
                id=lesion.id,
                body_site=lesion.body_site,
                label=lesion.label,
                created_at=lesion.created_at,
                captures=(),
            )

    @staticmethod
    def _get(session: Session, patient_id: int) -> Patient:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise RecordNotFound(_("This patient does not exist."), details=f"patient {patient_id}")
        return patient

    @staticmethod
    def _check_unique(session: Session, record_number: str, own_id: int | None) -> None:
        other = session.scalar(select(Patient.id).where(Patient.record_number == record_number))
        if other is not None and other != own_id:
            raise DuplicateRecord(
                _("Another patient already has this medical record number."), details="patients.record_number"
            )
