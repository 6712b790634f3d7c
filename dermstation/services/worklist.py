"""Fill the day from the hospital's Modality Worklist (C-FIND MWL).

Each scheduled procedure step becomes one appointment. The patient is matched by Patient ID == record
number; a patient the clinic does not know is created with the worklist's demographics; a patient whose
name or date of birth differs from the record is never merged silently (the step is listed with the
reason and left for reception to check). Filling the same day twice adds nothing: each step is linked to
its appointment (``worklist_links``). The scheduled time is the clinic's wall-clock time.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermstation.core.domain import AuditAction, Role, Sex
from dermstation.core.errors import DermStationError, PermissionDenied
from dermstation.core.i18n import _
from dermstation.dicom import network
from dermstation.dicom.network import WorklistEntry
from dermstation.records.database import Database
from dermstation.records.models import Patient, User, UserRole
from dermstation.records.pacs_models import WorklistLink
from dermstation.services.appointments import AppointmentService
from dermstation.services.audit import AuditLog
from dermstation.services.pacs import DIMSE, Destination, PacsService
from dermstation.services.patients import PatientService
from dermstation.services.permissions import ALL_ROLES, authorize
from dermstation.services.reception_types import AppointmentInfo, BookingInput
from dermstation.services.types import CurrentUser, PatientInput

if TYPE_CHECKING:
    from dermstation.services.container import Services  # the container imports this module

log = logging.getLogger(__name__)

_SEX = {"F": Sex.FEMALE, "M": Sex.MALE, "O": Sex.OTHER}


@dataclass(frozen=True)
class WorklistStep:
    """One step of the day's worklist and what filling would do with it."""

    entry: WorklistEntry
    patient_id: int | None  # the matching patient, None when one would be created
    appointment_id: int | None  # set when this step is already in the day
    problem: str  # why it cannot be added as it is ("" when it can)


@dataclass(frozen=True)
class FillResult:
    booked: tuple[AppointmentInfo, ...]
    patients_created: int
    already_there: int
    skipped: tuple[tuple[WorklistEntry, str], ...]  # (step, reason)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def _differs(entry: WorklistEntry, patient: Patient) -> bool:
    given, family = _fold(entry.given_name + entry.family_name), _fold(patient.given_name + patient.family_name)
    if given and given != family and sorted(given) != sorted(family):
        return True
    return bool(entry.birth_date and patient.date_of_birth and entry.birth_date != patient.date_of_birth)


def _start_time(entry: WorklistEntry) -> time | None:
    digits = entry.start_time.split(".")[0]
    if len(digits) < 4 or not digits[:4].isdigit():
        return None
    try:
        return time(int(digits[:2]), int(digits[2:4]))
    except ValueError:
        return None


def _named_doctor(physician: str, doctors: Sequence[tuple[int, set[str]]]) -> int | None:
    """The one dermatologist whose name holds the worklist physician's family and given names."""
    parts = physician.split("^")
    wanted = {_fold(w) for part in parts[:2] for w in part.split()} - {""}
    if not wanted:
        return None
    found = [uid for uid, words in doctors if wanted <= words]
    return found[0] if len(found) == 1 else None


class WorklistService:
    def __init__(self, database: Database, audit: AuditLog, pacs: PacsService, patients: PatientService,
                 appointments: AppointmentService) -> None:
        self._db = database
        self._audit = audit
        self._pacs = pacs
        self._patients = patients
        self._appointments = appointments

    def worklist_destinations(self, actor: CurrentUser) -> list[tuple[int, str]]:
        """(id, name) of the destinations configured to serve the worklist."""
        return [(d.id, d.name) for d in self._pacs.destinations(actor) if d.worklist and d.kind == DIMSE]

    def fetch(self, actor: CurrentUser, destination_id: int, day: date) -> list[WorklistStep]:
        """The steps scheduled on ``day`` and how each matches the records (nothing is changed)."""
        dest = self._destination(actor, destination_id)
        entries = network.find_worklist(self._pacs.dimse_peer(dest), day, station_ae=dest.calling_ae)
        with self._db.session() as session:
            authorize(session, actor, ALL_ROLES)
            self._audit.record(session, actor.id, AuditAction.SEARCH, "worklist_links", None,
                               f"worklist {day.isoformat()} destination={destination_id} steps={len(entries)}")
            steps = []
            for entry in entries:
                link = session.scalar(select(WorklistLink).where(
                    WorklistLink.destination_id == destination_id, WorklistLink.accession_number == entry.accession_number,
                    WorklistLink.step_id == entry.step_id))
                patient = self._patient(session, entry.patient_id)
                steps.append(WorklistStep(entry, patient.id if patient else None,
                                          link.appointment_id if link else None, self._problem(entry, patient)))
            return steps

    def fill_day(self, actor: CurrentUser, destination_id: int, day: date, *,
                 dermatologist_id: int | None = None, steps: Sequence[WorklistStep] | None = None) -> FillResult:
        """Book every step of ``day`` that is not in the day yet (creating patients the clinic does not know).

        The dermatologist is the step's performing physician when a dermatologist has that name, else
        ``dermatologist_id``. ``steps`` (from ``fetch``) avoids asking the server twice.
        """
        steps = list(steps) if steps is not None else self.fetch(actor, destination_id, day)
        with self._db.session() as session:
            authorize(session, actor, ALL_ROLES)
            doctors = [(uid, {_fold(w) for w in name.split()}) for uid, name in session.execute(
                select(User.id, User.full_name).join(UserRole, UserRole.user_id == User.id)
                .where(User.disabled.is_(False), UserRole.role == Role.DERMATOLOGIST))]
        now = self._appointments.now_local().replace(tzinfo=None, second=0, microsecond=0)
        booked: list[AppointmentInfo] = []
        skipped: list[tuple[WorklistEntry, str]] = []
        created = already = 0
        for step in steps:
            entry = step.entry
            if step.appointment_id is not None:
                already += 1
                continue
            if step.problem:
                skipped.append((entry, step.problem))
                continue
            doctor = _named_doctor(entry.performing_physician, doctors) or dermatologist_id
            start = _start_time(entry)
            if doctor is None:
                skipped.append((entry, _("No dermatologist is named: choose one for the worklist.")))
                continue
            if start is None or entry.start_date is None:
                skipped.append((entry, _("The worklist gives no time for this step.")))
                continue
            if datetime.combine(entry.start_date, start) < now:  # checked before a patient is created for it
                skipped.append((entry, _("This step's time has already passed.")))
                continue
            try:
                patient_id = step.patient_id
                if patient_id is None:
                    patient_id = self._patients.create(actor, PatientInput(
                        entry.patient_id, entry.given_name or "-", entry.family_name or "-", entry.birth_date,
                        _SEX.get(entry.sex, Sex.UNKNOWN))).id
                    created += 1
                appointment = self._appointments.book(actor, BookingInput(
                    patient_id, doctor, datetime.combine(entry.start_date, start),
                    reason=(entry.description or _("Worklist"))[:200], outside_hours_ok=True))
            except DermStationError as exc:  # a clash with another booking, a duplicate record number, a bad name
                skipped.append((entry, exc.message))
                continue
            with self._db.session() as session:
                link = WorklistLink(destination_id=destination_id, appointment_id=appointment.id, patient_id=patient_id,
                                    accession_number=entry.accession_number[:64],
                                    requested_procedure_id=entry.requested_procedure_id[:64],
                                    step_id=entry.step_id[:64], study_uid=entry.study_uid[:64],
                                    description=entry.description[:200], created_by_id=actor.id)
                session.add(link)
                session.flush()
                self._audit.record(session, actor.id, AuditAction.CREATE, "worklist_links", link.id,
                                   f"appointment={appointment.id} destination={destination_id}")
            booked.append(appointment)
        log.info("user %d filled %s from the worklist: %d booked, %d patients created, %d already there, %d skipped",
                 actor.id, day.isoformat(), len(booked), created, already, len(skipped))
        return FillResult(tuple(booked), created, already, tuple(skipped))

    # --- helpers ---------------------------------------------------------------------------------------
    def _destination(self, actor: CurrentUser, destination_id: int) -> Destination:
        dest = next((d for d in self._pacs.destinations(actor) if d.id == destination_id), None)
        if dest is None or not dest.worklist or dest.kind != DIMSE:
            raise PermissionDenied(_("This destination is not configured as a worklist."),
                                   details=f"destination {destination_id}")
        return dest

    @staticmethod
    def _patient(session: Session, record_number: str) -> Patient | None:
        if not record_number.strip():
            return None
        return session.scalar(select(Patient).where(Patient.record_number == record_number.strip()))

    @staticmethod
    def _problem(entry: WorklistEntry, patient: Patient | None) -> str:
        if not entry.patient_id.strip():
            return _("The worklist step has no patient ID.")
        if patient is not None and _differs(entry, patient):
            return _("The patient's name or date of birth in the worklist differs from the record with this "
                     "record number. Check the patient before adding the appointment.")
        if patient is None and not (entry.family_name or entry.given_name):
            return _("The worklist step has no patient name.")
        return ""


def build_worklist_service(services: Services, pacs: PacsService, appointments: AppointmentService) -> WorklistService:
    return WorklistService(services.database, services.audit, pacs, services.patients, appointments)
