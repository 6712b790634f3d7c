"""Appointments: booking without double booking, status changes, day/week lists, free slots, iCalendar.

Times are stored in UTC and shown in the clinic's zone (``ClinicSettings.timezone``). The double-booking
rule is checked inside the writing transaction after locking the rows it depends on: on PostgreSQL
the dermatologist's ``users`` row and the patient's ``patients`` row are taken ``FOR UPDATE`` (always
in that order, so two bookings never deadlock), and a second workstation booking the same person
waits there until the first commits, then sees its appointment. On SQLite every transaction already
starts with ``BEGIN IMMEDIATE`` (see ``records/database.py``), which serialises writers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from dermstation.core.config import ClinicSettings
from dermstation.core.domain import AppointmentStatus, AuditAction, Role
from dermstation.core.errors import Conflict, PermissionDenied, RecordNotFound, ValidationError
from dermstation.core.i18n import _, format_day
from dermstation.records.columns import utcnow
from dermstation.records.database import Database
from dermstation.records.models import Appointment, DermatologistSchedule, Patient, User
from dermstation.services import clinic_time
from dermstation.services.audit import AuditLog
from dermstation.services.icalendar import CalendarEvent, write_calendar
from dermstation.services.permissions import ALL_ROLES, PATIENT_DESK, authorize
from dermstation.services.reception_types import (
    AppointmentInfo,
    BookingInput,
    DayHours,
    PatientAppointments,
    ScheduleExport,
    WorkingHours,
)
from dermstation.services.settings import SettingsStore
from dermstation.services.types import CurrentUser

log = logging.getLogger(__name__)

DEFAULT_SLOT_MINUTES = 20
DEFAULT_DAYS: tuple[DayHours | None, ...] = (
    *(DayHours(time(8, 0), time(17, 0)) for _day in range(5)),
    None,
    None,
)


def opening_days(hours: tuple[str, ...]) -> tuple[DayHours | None, ...]:
    """The clinic's opening hours (``"08:00-17:00"`` or ``""`` per weekday) as a working week."""
    if len(hours) != 7:
        return DEFAULT_DAYS
    return tuple(DayHours(time.fromisoformat(h[:5]), time.fromisoformat(h[6:])) if h else None for h in hours)


MAX_DURATION_MINUTES = 8 * 60
PAST_GRACE = timedelta(minutes=5)
NEXT_FREE_SEARCH_DAYS = 90
PRODUCT_ID = "-//DermStation//Schedule 1.0//EN"

# Which status may follow which. Completed is final; a no-show can still arrive late, and a
# cancellation can be undone while its time is still free.
TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.BOOKED: frozenset(
        {AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED,
         AppointmentStatus.NO_SHOW}
    ),
    AppointmentStatus.CHECKED_IN: frozenset({AppointmentStatus.COMPLETED, AppointmentStatus.BOOKED}),
    AppointmentStatus.NO_SHOW: frozenset({AppointmentStatus.CHECKED_IN, AppointmentStatus.BOOKED}),
    AppointmentStatus.CANCELLED: frozenset({AppointmentStatus.BOOKED}),
    AppointmentStatus.COMPLETED: frozenset(),
}
# Cancelled and no-show appointments leave their time free for someone else.
BLOCKING = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


def status_label(status: AppointmentStatus) -> str:
    return {
        AppointmentStatus.BOOKED: _("Booked"),
        AppointmentStatus.CHECKED_IN: _("Arrived"),
        AppointmentStatus.COMPLETED: _("Completed"),
        AppointmentStatus.CANCELLED: _("Cancelled"),
        AppointmentStatus.NO_SHOW: _("No-show"),
    }[AppointmentStatus(status)]


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _parse_hhmm(text: str) -> time:
    if text == "24:00":
        return time(23, 59)
    return time.fromisoformat(text)


def hours_from_json(dermatologist_id: int, slot_minutes: int, raw: list) -> WorkingHours:
    days: list[DayHours | None] = []
    for entry in list(raw)[:7]:
        days.append(DayHours(_parse_hhmm(entry[0]), _parse_hhmm(entry[1])) if entry else None)
    days += [None] * (7 - len(days))
    return WorkingHours(dermatologist_id, slot_minutes, tuple(days))


def hours_to_json(hours: WorkingHours) -> list:
    return [[_hhmm(d.start), _hhmm(d.end)] if d else None for d in hours.days]


def check_working_hours(hours: WorkingHours) -> None:
    if not 5 <= hours.slot_minutes <= 240:
        raise ValidationError(_("The slot length must be between 5 and 240 minutes."), field="slot_minutes")
    if len(hours.days) != 7:
        raise ValidationError(_("Working hours need an entry for each day of the week."), field="days")
    for index, day in enumerate(hours.days):
        if day is not None and day.end <= day.start:
            raise ValidationError(
                _("On day {n} the working hours end before they start.").format(n=index + 1), field="days"
            )


def _clean_text(value: str, limit: int, field: str, label: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(_("The {label} is too long.").format(label=label), field=field)
    return value


_SLUG = re.compile(r"[^a-z0-9]+")


class AppointmentService:
    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        settings_store: SettingsStore,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = database
        self._audit = audit
        self._settings = settings_store
        self._clock = clock

    # --- time zone -----------------------------------------------------------------------------
    def zone(self) -> ZoneInfo:
        return clinic_time.clinic_zone(self._settings.load().timezone)

    def clinic_name(self) -> str:
        return self._settings.load().clinic_name

    def now_local(self) -> datetime:
        return self._clock().astimezone(self.zone())

    # --- working hours -------------------------------------------------------------------------
    def working_hours(self, actor: CurrentUser, dermatologist_id: int) -> WorkingHours:
        with self._db.session() as session:
            authorize(session, actor, ALL_ROLES)
            return self._hours(session, dermatologist_id)

    def set_working_hours(self, actor: CurrentUser, hours: WorkingHours) -> WorkingHours:
        """Save a dermatologist's week (an administrator, or the dermatologist for themself)."""
        check_working_hours(hours)
        with self._db.session() as session:
            user = authorize(session, actor, ALL_ROLES)
            if Role.ADMIN not in user.roles and user.id != hours.dermatologist_id:
                raise PermissionDenied(_("Only an administrator can change another person's working hours."))
            self._dermatologist(session, hours.dermatologist_id)
            row = session.get(DermatologistSchedule, hours.dermatologist_id)
            if row is None:
                row = DermatologistSchedule(dermatologist_id=hours.dermatologist_id)
                session.add(row)
            row.slot_minutes = hours.slot_minutes
            row.hours = hours_to_json(hours)
            row.updated_by_id = actor.id
            session.flush()
            self._audit.record(
                session, actor.id, AuditAction.UPDATE, "dermatologist_schedules", hours.dermatologist_id
            )
            return self._hours(session, hours.dermatologist_id)

    def _hours(self, session: Session, dermatologist_id: int) -> WorkingHours:
        row = session.get(DermatologistSchedule, dermatologist_id)
        if row is None:  # no week of their own: the clinic's opening hours
            days = opening_days(self._settings.load(session).opening_hours)
            return WorkingHours(dermatologist_id, DEFAULT_SLOT_MINUTES, days, is_default=True)
        return hours_from_json(dermatologist_id, row.slot_minutes, row.hours)

    # --- booking ---------------------------------------------------------------------------------
    def book(self, actor: CurrentUser, data: BookingInput) -> AppointmentInfo:
        """Book ``data``; Conflict if the dermatologist or the patient is busy then."""
        zone = self.zone()
        start_utc = clinic_time.to_utc(data.start.replace(second=0, microsecond=0), zone)
        reason = _clean_text(data.reason, 200, "reason", _("reason"))
        notes = _clean_text(data.notes, 4000, "notes", _("note"))
        with self._db.session() as session:
            authorize(session, actor, PATIENT_DESK)
            self._lock(session, data.dermatologist_id, data.patient_id)
            hours = self._hours(session, data.dermatologist_id)
            duration = data.duration_minutes or hours.slot_minutes
            end_utc = self._check_times(start_utc, duration, zone)
            if not data.outside_hours_ok:
                self._check_within_hours(hours, start_utc, end_utc, zone)
            self._check_free(session, data.dermatologist_id, data.patient_id, start_utc, end_utc, None, zone)
            appointment = Appointment(
                patient_id=data.patient_id,
                dermatologist_id=data.dermatologist_id,
                start_utc=start_utc,
                end_utc=end_utc,
                status=AppointmentStatus.BOOKED,
                reason=reason,
                notes=notes,
                created_by_id=actor.id,
            )
            session.add(appointment)
            session.flush()
            self._audit.record(
                session, actor.id, AuditAction.CREATE, "appointments", appointment.id,
                f"patient={data.patient_id} dermatologist={data.dermatologist_id}",
            )
            log.info("user %d booked appointment %d at %s", actor.id, appointment.id, start_utc.isoformat())
            return self._info(session, appointment, zone)

    def move(
        self,
        actor: CurrentUser,
        appointment_id: int,
        new_start: datetime,
        dermatologist_id: int | None = None,
        *,
        outside_hours_ok: bool = False,
    ) -> AppointmentInfo:
        """Move a booked appointment (same length) to ``new_start``, optionally to another dermatologist."""
        zone = self.zone()
        start_utc = clinic_time.to_utc(new_start.replace(second=0, microsecond=0), zone)
        with self._db.session() as session:
            authorize(session, actor, PATIENT_DESK)
            current = self._get(session, appointment_id)
            derm_id = dermatologist_id or current.dermatologist_id
            self._lock(session, derm_id, current.patient_id)
            appointment = self._get(session, appointment_id, for_update=True)
            if appointment.status is not AppointmentStatus.BOOKED:
                raise ValidationError(
                    _("Only a booked appointment can be moved (this one is “{status}”).").format(
                        status=status_label(appointment.status)
                    ),
                    field="status",
                )
            duration = int((appointment.end_utc - appointment.start_utc).total_seconds() // 60)
            end_utc = self._check_times(start_utc, duration, zone)
            if not outside_hours_ok:
                self._check_within_hours(self._hours(session, derm_id), start_utc, end_utc, zone)
            self._check_free(session, derm_id, appointment.patient_id, start_utc, end_utc, appointment.id, zone)
            appointment.start_utc, appointment.end_utc = start_utc, end_utc
            appointment.dermatologist_id = derm_id
            session.flush()
            self._audit.record(session, actor.id, AuditAction.UPDATE, "appointments", appointment.id, "moved")
            return self._info(session, appointment, zone)

    def update_details(self, actor: CurrentUser, appointment_id: int, reason: str, notes: str) -> AppointmentInfo:
        reason = _clean_text(reason, 200, "reason", _("reason"))
        notes = _clean_text(notes, 4000, "notes", _("note"))
        with self._db.session() as session:
            authorize(session, actor, PATIENT_DESK)
            appointment = self._get(session, appointment_id)
            appointment.reason, appointment.notes = reason, notes
            session.flush()
            self._audit.record(session, actor.id, AuditAction.UPDATE, "appointments", appointment.id, "details")
            return self._info(session, appointment, self.zone())

    def cancel(self, actor: CurrentUser, appointment_id: int, reason: str = "") -> AppointmentInfo:
        return self.set_status(actor, appointment_id, AppointmentStatus.CANCELLED, reason=reason)

    def check_in(self, actor: CurrentUser, appointment_id: int) -> AppointmentInfo:
        return self.set_status(actor, appointment_id, AppointmentStatus.CHECKED_IN)

    def complete(self, actor: CurrentUser, appointment_id: int) -> AppointmentInfo:
        return self.set_status(actor, appointment_id, AppointmentStatus.COMPLETED)

    def no_show(self, actor: CurrentUser, appointment_id: int) -> AppointmentInfo:
        return self.set_status(actor, appointment_id, AppointmentStatus.NO_SHOW)

    def set_status(
        self, actor: CurrentUser, appointment_id: int, status: AppointmentStatus, *, reason: str = ""
    ) -> AppointmentInfo:
        """Change the status if ``TRANSITIONS`` allows it; undoing a cancel or no-show re-checks the slot.

        ``reason`` (why it was cancelled, say) is kept in the appointment's notes and the audit trail.
        """
        status = AppointmentStatus(status)
        reason = _clean_text(reason, 200, "reason", _("reason"))
        zone = self.zone()
        with self._db.session() as session:
            authorize(session, actor, PATIENT_DESK)
            appointment = self._get(session, appointment_id)
            if status is appointment.status:
                return self._info(session, appointment, zone)
            if status not in TRANSITIONS[appointment.status]:
                raise ValidationError(
                    _("An appointment that is “{old}” cannot become “{new}”.").format(
                        old=status_label(appointment.status), new=status_label(status)
                    ),
                    field="status",
                )
            if appointment.status not in BLOCKING and status in BLOCKING:
                # a no-show who turns up takes their time back only if nobody else has it now
                self._lock(session, appointment.dermatologist_id, appointment.patient_id)
                self._check_free(
                    session, appointment.dermatologist_id, appointment.patient_id,
                    appointment.start_utc, appointment.end_utc, appointment.id, zone,
                )
            old = appointment.status
            appointment.status = status
            if reason:
                line = _("{status}: {reason}").format(status=status_label(status), reason=reason)
                appointment.notes = f"{appointment.notes}\n{line}".strip()
            session.flush()
            self._audit.record(
                session, actor.id, AuditAction.UPDATE, "appointments", appointment.id,
                f"status {old.value}->{status.value}" + (f" ({reason})" if reason else ""),
            )
            return self._info(session, appointment, zone)

    # --- lists -----------------------------------------------------------------------------------
    def get(self, actor: CurrentUser, appointment_id: int) -> AppointmentInfo:
        with self._db.session() as session:
            authorize(session, actor, PATIENT_DESK)
            appointment = self._get(session, appointment_id)
            self._audit.record(session, actor.id, AuditAction.VIEW, "appointments", appointment.id)
            return self._info(session, appointment, self.zone())

    def day(self, actor: CurrentUser, day: date, dermatologist_id: int | None = None) -> list[AppointmentInfo]:
        """Every appointment starting on the local ``day`` (cancelled ones too), by time."""
        return self._between(actor, day, day + timedelta(days=1), dermatologist_id)

    def week(self, actor: CurrentUser, day: date, dermatologist_id: int | None = None) -> list[AppointmentInfo]:
        """Monday to Sunday of ``day``'s week."""
        monday = clinic_time.week_start(day)
        return self._between(actor, monday, monday + timedelta(days=7), dermatologist_id)

    def today(self, actor: CurrentUser, dermatologist_id: int | None = None) -> list[AppointmentInfo]:
        """Today's list for the front desk, with arrival status."""
        return self.day(actor, self.now_local().date(), dermatologist_id)

    def for_patient(self, actor: CurrentUser, patient_id: int) -> PatientAppointments:
        """A patient's upcoming (soonest first) and past (latest first) appointments."""
        zone = self.zone()
        now = self._clock()
        with self._db.session() as session:
            authorize(session, actor, PATIENT_DESK)
            if session.get(Patient, patient_id) is None:
                raise RecordNotFound(_("This patient does not exist."), details=f"patient {patient_id}")
            rows = self._rows(session, Appointment.patient_id == patient_id)
            self._audit.record(session, actor.id, AuditAction.VIEW, "appointments", None, f"patient={patient_id}")
            infos = [self._row_info(row, zone) for row in rows]
            upcoming = tuple(a for a in infos if a.end > now)
            past = tuple(reversed([a for a in infos if a.end <= now]))
            return PatientAppointments(upcoming=upcoming, past=past)

    def next_free_slot(
        self,
        actor: CurrentUser,
        dermatologist_id: int,
        after: datetime | None = None,
        duration_minutes: int | None = None,
        patient_id: int | None = None,
        search_days: int = NEXT_FREE_SEARCH_DAYS,
    ) -> datetime | None:
        """The first start on the dermatologist's slot grid, inside working hours, free for both people.

        ``after`` defaults to now; the answer is an aware datetime in the clinic's zone, or None if
        nothing is free within ``search_days``.
        """
        zone = self.zone()
        earliest = max((after or self._clock()).astimezone(UTC), self._clock())
        with self._db.session() as session:
            authorize(session, actor, PATIENT_DESK)
            self._dermatologist(session, dermatologist_id)
            hours = self._hours(session, dermatologist_id)
            duration = timedelta(minutes=duration_minutes or hours.slot_minutes)
            first_day = earliest.astimezone(zone).date()
            horizon_start, _unused = clinic_time.day_bounds(first_day, zone)
            _unused2, horizon_end = clinic_time.day_bounds(first_day + timedelta(days=search_days), zone)
            who = Appointment.dermatologist_id == dermatologist_id
            if patient_id is not None:
                who = or_(who, Appointment.patient_id == patient_id)
            busy = [
                (row.start_utc, row.end_utc)
                for row in session.scalars(
                    select(Appointment).where(
                        who,
                        Appointment.status.in_(BLOCKING),
                        Appointment.end_utc > horizon_start,
                        Appointment.start_utc < horizon_end,
                    )
                )
            ]
            for offset in range(search_days + 1):
                day = first_day + timedelta(days=offset)
                for start in self._slots(hours, day, zone):
                    end = start + duration
                    if start < earliest or not self._within(hours, start, end, zone):
                        continue
                    if not any(b_start < end and b_end > start for b_start, b_end in busy):
                        return start.astimezone(zone)
            return None

    # --- iCalendar -----------------------------------------------------------------------------
    def export_day(
        self, actor: CurrentUser, day: date, dermatologist_id: int | None = None, *, with_patient_names: bool = False
    ) -> ScheduleExport:
        """The day's (not cancelled) appointments as an .ics file; patient names only if asked for."""
        settings = self._settings.load()
        appointments = [a for a in self.day(actor, day, dermatologist_id) if a.status is not AppointmentStatus.CANCELLED]
        events = []
        for a in appointments:
            who = f"{a.patient_name} — " if with_patient_names else ""
            events.append(
                CalendarEvent(
                    uid=self._uid(a.id, settings),
                    start_utc=a.start,
                    end_utc=a.end,
                    summary=f"{who}{a.reason or _('Appointment')} ({a.dermatologist_name})",
                    location=settings.clinic_name,
                )
            )
        text = write_calendar(
            events, product=PRODUCT_ID, zone=self.zone(),
            calendar_name=f"{settings.clinic_name} {day.isoformat()}".strip(), now=self._clock(),
        )
        with self._db.session() as session:
            authorize(session, actor, PATIENT_DESK)
            self._audit.record(
                session, actor.id, AuditAction.EXPORT, "appointments", None,
                f"ics day={day.isoformat()} n={len(events)} names={'yes' if with_patient_names else 'no'}",
            )
        return ScheduleExport(filename=f"schedule-{day.isoformat()}.ics", text=text)

    def export_appointment(self, actor: CurrentUser, appointment_id: int) -> ScheduleExport:
        """One appointment as an .ics for the patient: the clinic's name, dermatologist and reason."""
        settings = self._settings.load()
        with self._db.session() as session:
            authorize(session, actor, PATIENT_DESK)
            appointment = self._get(session, appointment_id)
            info = self._info(session, appointment, self.zone())
            self._audit.record(session, actor.id, AuditAction.EXPORT, "appointments", appointment.id, "ics")
        clinic = settings.clinic_name or _("Dermatology clinic")
        event = CalendarEvent(
            uid=self._uid(info.id, settings),
            start_utc=info.start,
            end_utc=info.end,
            summary=_("{clinic}: appointment with {doctor}").format(clinic=clinic, doctor=info.dermatologist_name),
            description=info.reason,
            location=clinic,
            cancelled=info.status is AppointmentStatus.CANCELLED,
        )
        text = write_calendar([event], product=PRODUCT_ID, zone=self.zone(), now=self._clock())
        return ScheduleExport(filename=f"appointment-{info.start.date().isoformat()}-{info.id}.ics", text=text)

    @staticmethod
    def _uid(appointment_id: int, settings: ClinicSettings) -> str:
        slug = _SLUG.sub("-", settings.clinic_name.lower()).strip("-") or "clinic"
        return f"appointment-{appointment_id}@{slug}.dermstation"

    # --- helpers ---------------------------------------------------------------------------------
    def _between(
        self, actor: CurrentUser, first: date, end: date, dermatologist_id: int | None
    ) -> list[AppointmentInfo]:
        zone = self.zone()
        start_utc, _unused = clinic_time.day_bounds(first, zone)
        end_utc, _unused = clinic_time.day_bounds(end, zone)
        with self._db.session() as session:
            authorize(session, actor, PATIENT_DESK)
            where = [Appointment.start_utc >= start_utc, Appointment.start_utc < end_utc]
            if dermatologist_id is not None:
                where.append(Appointment.dermatologist_id == dermatologist_id)
            rows = self._rows(session, and_(*where))
            self._audit.record(
                session, actor.id, AuditAction.VIEW, "appointments", None,
                f"from={first.isoformat()} to={end.isoformat()} n={len(rows)}",
            )
            return [self._row_info(row, zone) for row in rows]

    @staticmethod
    def _rows(session: Session, where: object) -> list:
        return list(
            session.execute(
                select(Appointment, Patient.given_name, Patient.family_name, Patient.record_number, User.full_name)
                .join(Patient, Patient.id == Appointment.patient_id)
                .join(User, User.id == Appointment.dermatologist_id)
                .where(where)  # type: ignore[arg-type]
                .order_by(Appointment.start_utc, Appointment.id)
            ).all()
        )

    @staticmethod
    def _row_info(row: tuple, zone: ZoneInfo) -> AppointmentInfo:
        a, given, family, record_number, doctor = row
        return AppointmentInfo(
            id=a.id,
            patient_id=a.patient_id,
            patient_name=f"{family}, {given}",
            record_number=record_number,
            dermatologist_id=a.dermatologist_id,
            dermatologist_name=doctor,
            start=a.start_utc.astimezone(zone),
            end=a.end_utc.astimezone(zone),
            status=a.status,
            reason=a.reason,
            notes=a.notes,
        )

    def _info(self, session: Session, a: Appointment, zone: ZoneInfo) -> AppointmentInfo:
        patient = session.get(Patient, a.patient_id)
        doctor = session.get(User, a.dermatologist_id)
        assert patient is not None and doctor is not None
        return self._row_info((a, patient.given_name, patient.family_name, patient.record_number, doctor.full_name), zone)

    @staticmethod
    def _get(session: Session, appointment_id: int, *, for_update: bool = False) -> Appointment:
        stmt = select(Appointment).where(Appointment.id == appointment_id)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        appointment = session.scalar(stmt)
        if appointment is None:
            raise RecordNotFound(_("This appointment does not exist."), details=f"appointment {appointment_id}")
        return appointment

    @staticmethod
    def _dermatologist(session: Session, user_id: int) -> User:
        user = session.get(User, user_id)
        if user is None or user.disabled or Role.DERMATOLOGIST not in user.roles:
            raise ValidationError(_("Please choose an active dermatologist."), field="dermatologist")
        return user

    def _lock(self, session: Session, dermatologist_id: int, patient_id: int) -> None:
        """Serialise bookings that involve the same dermatologist or patient (see module docstring)."""
        doctor = session.scalar(
            select(User).where(User.id == dermatologist_id).with_for_update().execution_options(populate_existing=True)
        )
        if doctor is None or doctor.disabled or Role.DERMATOLOGIST not in doctor.roles:
            raise ValidationError(_("Please choose an active dermatologist."), field="dermatologist")
        patient = session.scalar(select(Patient.id).where(Patient.id == patient_id).with_for_update())
        if patient is None:
            raise ValidationError(_("Please choose a patient."), field="patient")

    def _check_times(self, start_utc: datetime, duration: int, zone: ZoneInfo) -> datetime:
        if not 5 <= duration <= MAX_DURATION_MINUTES:
            raise ValidationError(_("An appointment lasts between 5 minutes and 8 hours."), field="duration")
        if start_utc < self._clock() - PAST_GRACE:
            raise ValidationError(_("This time has already passed."), field="start")
        return start_utc + timedelta(minutes=duration)

    def _check_within_hours(self, hours: WorkingHours, start: datetime, end: datetime, zone: ZoneInfo) -> None:
        if not self._within(hours, start, end, zone):
            local_start = start.astimezone(zone)
            raise ValidationError(
                _("{day} {time} is outside this dermatologist's working hours.").format(
                    day=format_day(local_start.date()), time=clinic_time.format_clock(local_start)
                ),
                field="outside_hours",
            )

    @staticmethod
    def _within(hours: WorkingHours, start: datetime, end: datetime, zone: ZoneInfo) -> bool:
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        day = hours.days[local_start.weekday()]
        if day is None or local_end.date() != local_start.date() and local_end.time() != time(0):
            return False
        # compare elapsed minutes, not wall-clock times, so a day with a DST change still adds up
        day_start = datetime.combine(local_start.date(), day.start, tzinfo=zone)
        day_end = datetime.combine(local_start.date(), day.end, tzinfo=zone)
        return day_start <= local_start and local_end <= day_end

    @staticmethod
    def _slots(hours: WorkingHours, day: date, zone: ZoneInfo) -> list[datetime]:
        """The slot starts (UTC) of ``day``; a start in a DST gap is skipped."""
        spec = hours.days[day.weekday()]
        if spec is None:
            return []
        starts = []
        local = datetime.combine(day, spec.start)
        stop = datetime.combine(day, spec.end)
        step = timedelta(minutes=hours.slot_minutes)
        while local < stop:
            if clinic_time.exists_locally(local, zone):
                starts.append(local.replace(tzinfo=zone).astimezone(UTC))
            local += step
        return starts

    def _check_free(
        self,
        session: Session,
        dermatologist_id: int,
        patient_id: int,
        start_utc: datetime,
        end_utc: datetime,
        own_id: int | None,
        zone: ZoneInfo,
    ) -> None:
        stmt = select(Appointment).where(
            Appointment.status.in_(BLOCKING),
            Appointment.start_utc < end_utc,
            Appointment.end_utc > start_utc,
            or_(Appointment.dermatologist_id == dermatologist_id, Appointment.patient_id == patient_id),
        )
        if own_id is not None:
            stmt = stmt.where(Appointment.id != own_id)
        clash = session.scalars(stmt.order_by(Appointment.start_utc).limit(1)).first()
        if clash is None:
            return
        begins = clash.start_utc.astimezone(zone)
        ends = clash.end_utc.astimezone(zone)
        span = {"day": format_day(begins.date()), "start": clinic_time.format_clock(begins),
                "end": clinic_time.format_clock(ends)}
        log.info(
            "booking refused: appointment %d already holds %s-%s", clash.id,
            clash.start_utc.isoformat(), clash.end_utc.isoformat(),
        )
        if clash.dermatologist_id == dermatologist_id:
            message = _("The dermatologist already has an appointment on {day} from {start} to {end}.")
        else:
            message = _("The patient already has an appointment on {day} from {start} to {end}.")
        details = _("Booked there: {reason}.").format(reason=clash.reason) if clash.reason else ""
        raise Conflict(message.format(**span), details=details)
