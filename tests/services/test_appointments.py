"""AppointmentService: double booking (also from two workstations at once), statuses, DST, free slots."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from records_fixtures import with_clock

from dermstation.core.config import Paths
from dermstation.core.domain import AppointmentStatus, Role, Sex
from dermstation.core.errors import Conflict, PermissionDenied, ValidationError
from dermstation.core.i18n import set_language
from dermstation.services.appointments import AppointmentService
from dermstation.services.container import Services, build_services
from dermstation.services.icalendar import parse_events
from dermstation.services.reception import ReceptionServices
from dermstation.services.reception_types import BookingInput, DayHours, WorkingHours
from dermstation.services.types import CurrentUser, PatientInput

BERLIN = "Europe/Berlin"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 1, 7, 0, tzinfo=UTC))


@pytest.fixture
def reception(services: Services, admin: CurrentUser, clock: Clock) -> ReceptionServices:
    store = services.settings_store
    store.save(admin, store.load().with_changes(timezone=BERLIN, clinic_name="Hautpraxis Mitte"))
    return with_clock(services, clock).reception


@pytest.fixture
def appts(reception: ReceptionServices) -> AppointmentService:
    return reception.appointments


@pytest.fixture
def derm2(services: Services, admin: CurrentUser) -> CurrentUser:
    services.users.create_user(admin, "derm2", "Dr Second", Role.DERMATOLOGIST, "derm2-password")
    return services.auth.sign_in("derm2", "derm2-password")


def make_patient(services: Services, actor: CurrentUser, number: str, family: str = "Müller") -> int:
    return services.patients.create(
        actor, PatientInput(f"MRN-{number}", "Anna", family, date(1980, 1, 2), Sex.FEMALE)
    ).id


@pytest.fixture
def anna(services: Services, receptionist: CurrentUser) -> int:
    return make_patient(services, receptionist, "1")


@pytest.fixture
def ben(services: Services, receptionist: CurrentUser) -> int:
    return make_patient(services, receptionist, "2", "Becker")


def plain(text: str) -> str:
    """CLDR puts a narrow no-break space before AM/PM."""
    return text.replace("\u202f", " ")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A naive wall-clock time in the clinic (March 2026: 2 March is a Monday)."""
    return datetime(2026, month, day, hour, minute)


def book(appts, actor, patient, derm, start, minutes=20, **kw):  # type: ignore[no-untyped-def]
    return appts.book(actor, BookingInput(patient, derm.id, start, minutes, **kw))


# --- conflicts -------------------------------------------------------------------------------------


def test_book_stores_utc_and_returns_local_time(appts, receptionist, dermatologist, anna) -> None:  # type: ignore[no-untyped-def]
    a = book(appts, receptionist, anna, dermatologist, at(2, 9), reason="Mole check")
    assert a.start.utcoffset() == timedelta(hours=1)  # CET
    assert a.start.replace(tzinfo=None) == at(2, 9)
    assert a.start.astimezone(UTC) == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert (a.duration_minutes, a.status, a.reason) == (20, AppointmentStatus.BOOKED, "Mole check")
    assert a.patient_name == "Müller, Anna" and a.dermatologist_name == "Dr Derma"


def test_dermatologist_double_booking_is_refused(appts, receptionist, dermatologist, anna, ben) -> None:  # type: ignore[no-untyped-def]
    book(appts, receptionist, anna, dermatologist, at(2, 9), 30)
    with pytest.raises(Conflict) as info:
        book(appts, receptionist, ben, dermatologist, at(2, 9, 20))
    assert "dermatologist" in info.value.message and "9:00 AM to 9:30 AM" in plain(info.value.message)
    assert "Müller" not in str(info.value)  # time, never the other patient's name
    assert len(appts.day(receptionist, date(2026, 3, 2))) == 1


def test_patient_double_booking_with_another_dermatologist_is_refused(  # type: ignore[no-untyped-def]
    appts, receptionist, dermatologist, derm2, anna
) -> None:
    book(appts, receptionist, anna, dermatologist, at(2, 10))
    with pytest.raises(Conflict) as info:
        book(appts, receptionist, anna, derm2, at(2, 10, 10))
    assert "patient" in info.value.message


def test_adjacent_slots_are_allowed(appts, receptionist, dermatologist, anna, ben) -> None:  # type: ignore[no-untyped-def]
    book(appts, receptionist, anna, dermatologist, at(2, 9), 20)
    book(appts, receptionist, ben, dermatologist, at(2, 9, 20), 20)
    book(appts, receptionist, anna, dermatologist, at(2, 8, 40), 20)
    assert [a.start.strftime("%H:%M") for a in appts.day(receptionist, date(2026, 3, 2))] == [
        "08:40", "09:00", "09:20"
    ]


def test_cancelled_and_no_show_appointments_do_not_block(appts, receptionist, dermatologist, anna, ben) -> None:  # type: ignore[no-untyped-def]
    first = book(appts, receptionist, anna, dermatologist, at(2, 9))
    appts.cancel(receptionist, first.id)
    second = book(appts, receptionist, ben, dermatologist, at(2, 9))
    appts.no_show(receptionist, second.id)
    third = book(appts, receptionist, anna, dermatologist, at(2, 9))
    assert third.status is AppointmentStatus.BOOKED
    # the no-show who turns up late cannot take the time back from the patient now booked there
    with pytest.raises(Conflict):
        appts.check_in(receptionist, second.id)


def test_move_checks_conflicts_and_keeps_length(appts, receptionist, dermatologist, derm2, anna, ben) -> None:  # type: ignore[no-untyped-def]
    a = book(appts, receptionist, anna, dermatologist, at(2, 9), 30)
    b = book(appts, receptionist, ben, dermatologist, at(2, 11))
    with pytest.raises(Conflict):
        appts.move(receptionist, b.id, at(2, 9, 15))
    moved = appts.move(receptionist, b.id, at(2, 9, 30))
    assert moved.start.replace(tzinfo=None) == at(2, 9, 30) and moved.duration_minutes == 20
    # moving onto itself (overlapping its own old time) is fine
    assert appts.move(receptionist, a.id, at(2, 8, 50)).end.replace(tzinfo=None) == at(2, 9, 20)
    other = appts.move(receptionist, b.id, at(2, 9), dermatologist_id=derm2.id)
    assert other.dermatologist_id == derm2.id
    appts.check_in(receptionist, other.id)
    with pytest.raises(ValidationError):
        appts.move(receptionist, other.id, at(2, 14))


def test_status_transitions(appts, receptionist, dermatologist, anna) -> None:  # type: ignore[no-untyped-def]
    a = book(appts, receptionist, anna, dermatologist, at(2, 9))
    assert appts.check_in(receptionist, a.id).status is AppointmentStatus.CHECKED_IN
    assert appts.complete(dermatologist, a.id).status is AppointmentStatus.COMPLETED
    with pytest.raises(ValidationError) as info:
        appts.cancel(receptionist, a.id)
    assert "Completed" in info.value.message


def test_past_and_bad_bookings_are_refused(appts, receptionist, dermatologist, admin, anna) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        book(appts, receptionist, anna, dermatologist, datetime(2026, 2, 27, 9))
    assert info.value.field == "start"
    with pytest.raises(ValidationError) as info:
        book(appts, receptionist, anna, admin, at(2, 9))  # an administrator is not a dermatologist
    assert info.value.field == "dermatologist"
    with pytest.raises(ValidationError) as info:
        book(appts, receptionist, anna, dermatologist, at(2, 9), 2)
    assert info.value.field == "duration"


def test_working_hours_limit_booking_unless_overridden(appts, receptionist, dermatologist, anna) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        book(appts, receptionist, anna, dermatologist, at(2, 16, 50), 20)  # ends 17:10, after 17:00
    assert info.value.field == "outside_hours"
    with pytest.raises(ValidationError):
        book(appts, receptionist, anna, dermatologist, at(7, 10))  # Saturday
    assert book(appts, receptionist, anna, dermatologist, at(7, 10), outside_hours_ok=True).id


def test_working_hours_settings(appts, receptionist, dermatologist, derm2, admin) -> None:  # type: ignore[no-untyped-def]
    default = appts.working_hours(receptionist, dermatologist.id)
    assert default.is_default and default.slot_minutes == 20
    week = (DayHours(time(7, 30), time(12, 0)), None, None, None, None, DayHours(time(9), time(13)), None)
    saved = appts.set_working_hours(dermatologist, WorkingHours(dermatologist.id, 15, week))
    assert (saved.slot_minutes, saved.days, saved.is_default) == (15, week, False)
    with pytest.raises(PermissionDenied):
        appts.set_working_hours(receptionist, WorkingHours(dermatologist.id, 15, week))
    with pytest.raises(PermissionDenied):
        appts.set_working_hours(derm2, WorkingHours(dermatologist.id, 15, week))
    appts.set_working_hours(admin, WorkingHours(derm2.id, 30, week))
    bad = (DayHours(time(12), time(8)),) + week[1:]
    with pytest.raises(ValidationError):
        appts.set_working_hours(admin, WorkingHours(derm2.id, 30, bad))


def test_next_free_slot_follows_hours_bookings_and_patient(appts, receptionist, dermatologist, derm2, anna, ben, clock) -> None:  # type: ignore[no-untyped-def]
    monday_only = (DayHours(time(8), time(9)),) + (None,) * 6
    appts.set_working_hours(dermatologist, WorkingHours(dermatologist.id, 20, monday_only))
    book(appts, receptionist, anna, dermatologist, at(2, 8))
    book(appts, receptionist, ben, derm2, at(2, 8, 20))
    free = appts.next_free_slot(receptionist, dermatologist.id)
    assert free is not None and free.replace(tzinfo=None) == at(2, 8, 20)
    # Ben is with Dr Second at 08:20, so his next slot with Dr Derma is 08:40
    free = appts.next_free_slot(receptionist, dermatologist.id, patient_id=ben)
    assert free.replace(tzinfo=None) == at(2, 8, 40)
    # an hour does not fit before 09:00 on 2 March: next Monday
    free = appts.next_free_slot(receptionist, dermatologist.id, duration_minutes=60)
    assert free.replace(tzinfo=None) == at(9, 8)
    # never in the past
    clock.now = datetime(2026, 3, 2, 7, 25, tzinfo=UTC)  # 08:25 in Berlin
    free = appts.next_free_slot(receptionist, dermatologist.id)
    assert free.replace(tzinfo=None) == at(2, 8, 40)
    assert appts.next_free_slot(receptionist, dermatologist.id, search_days=0, duration_minutes=80) is None


# --- lists -----------------------------------------------------------------------------------------


def test_day_week_today_and_patient_lists(appts, receptionist, dermatologist, derm2, anna, ben, clock) -> None:  # type: ignore[no-untyped-def]
    a1 = book(appts, receptionist, anna, dermatologist, at(2, 9))
    book(appts, receptionist, ben, derm2, at(2, 9))
    a3 = book(appts, receptionist, anna, dermatologist, at(6, 10))
    book(appts, receptionist, ben, dermatologist, at(9, 10))  # next week
    assert len(appts.day(receptionist, date(2026, 3, 2))) == 2
    assert [a.id for a in appts.day(receptionist, date(2026, 3, 2), dermatologist.id)] == [a1.id]
    assert len(appts.week(receptionist, date(2026, 3, 4))) == 3
    assert len(appts.week(receptionist, date(2026, 3, 4), derm2.id)) == 1
    clock.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 local on Monday
    appts.check_in(receptionist, a1.id)
    today = appts.today(receptionist)
    assert [a.status for a in today] == [AppointmentStatus.CHECKED_IN, AppointmentStatus.BOOKED]
    mine = appts.for_patient(receptionist, anna)
    assert [a.id for a in mine.past] == [a1.id]
    assert [a.id for a in mine.upcoming] == [a3.id]


# --- daylight saving (Europe/Berlin) ----------------------------------------------------------------


def test_booking_in_the_spring_forward_gap_is_refused_with_the_next_valid_time(  # type: ignore[no-untyped-def]
    appts, receptionist, dermatologist, anna
) -> None:
    with pytest.raises(ValidationError) as info:
        book(appts, receptionist, anna, dermatologist, datetime(2026, 3, 29, 2, 30), outside_hours_ok=True)
    assert info.value.field == "start"
    message = plain(info.value.message)
    assert "2:30 AM does not exist" in message and "first valid time is 3:00 AM" in message
    set_language("de")
    try:
        with pytest.raises(ValidationError) as info:
            book(appts, receptionist, anna, dermatologist, datetime(2026, 3, 29, 2, 30), outside_hours_ok=True)
        assert "02:30" in info.value.message and "03:00" in info.value.message  # the clinic's locale
    finally:
        set_language("en")


def test_spring_forward_day_lists_and_lengths(appts, receptionist, dermatologist, anna, ben) -> None:  # type: ignore[no-untyped-def]
    before = book(appts, receptionist, anna, dermatologist, datetime(2026, 3, 29, 1, 30), 60, outside_hours_ok=True)
    # 01:30 CET + 60 minutes = 03:30 CEST: a real hour, which reads as two on the wall clock
    assert before.end.replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)
    assert before.duration_minutes == 60
    with pytest.raises(Conflict):
        book(appts, receptionist, ben, dermatologist, datetime(2026, 3, 29, 3, 0), outside_hours_ok=True)
    after = book(appts, receptionist, ben, dermatologist, datetime(2026, 3, 29, 3, 30), outside_hours_ok=True)
    assert after.start.utcoffset() == timedelta(hours=2)
    assert [a.id for a in appts.day(receptionist, date(2026, 3, 29))] == [before.id, after.id]
    assert appts.day(receptionist, date(2026, 3, 28)) == []


def test_repeated_autumn_hour_uses_fold(appts, receptionist, dermatologist, anna, ben) -> None:  # type: ignore[no-untyped-def]
    first = book(appts, receptionist, anna, dermatologist, datetime(2026, 10, 25, 2, 30), 20, outside_hours_ok=True)
    second = book(
        appts, receptionist, ben, dermatologist, datetime(2026, 10, 25, 2, 30, fold=1), 20, outside_hours_ok=True
    )
    assert first.start.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # CEST
    assert second.start.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # CET
    assert (first.start.fold, second.start.fold) == (0, 1)
    # the same wall-clock time twice, an hour apart: no clash; but the first occurrence is taken
    with pytest.raises(Conflict):
        book(appts, receptionist, ben, dermatologist, datetime(2026, 10, 25, 2, 40), outside_hours_ok=True)
    assert len(appts.day(receptionist, date(2026, 10, 25))) == 2  # a 25-hour day
    assert appts.day(receptionist, date(2026, 10, 26)) == []


def test_next_free_slot_skips_the_gap(appts, receptionist, dermatologist, clock) -> None:  # type: ignore[no-untyped-def]
    night = (None,) * 6 + (DayHours(time(1, 0), time(4, 0)),)  # Sundays 01:00-04:00
    appts.set_working_hours(dermatologist, WorkingHours(dermatologist.id, 30, night))
    clock.now = datetime(2026, 3, 29, 0, 45, tzinfo=UTC)  # 01:45 CET
    free = appts.next_free_slot(receptionist, dermatologist.id)
    assert free.replace(tzinfo=None) == datetime(2026, 3, 29, 3, 0)  # 02:00 and 02:30 do not exist
    assert free.utcoffset() == timedelta(hours=2)


# --- iCalendar export -----------------------------------------------------------------------------


def test_day_export_hides_patient_names_unless_asked(appts, receptionist, dermatologist, anna) -> None:  # type: ignore[no-untyped-def]
    a = book(appts, receptionist, anna, dermatologist, at(2, 9), reason="Mole check")
    plain = appts.export_day(receptionist, date(2026, 3, 2))
    assert plain.filename == "schedule-2026-03-02.ics"
    (event,) = parse_events(plain.text)
    assert "Müller" not in plain.text
    assert event["DTSTART"] == "20260302T080000Z" and event["DTEND"] == "20260302T082000Z"
    assert "DTSTART;TZID=Europe/Berlin:20260302T090000" in plain.text  # the clinic's 09:00, not 09:00 UTC
    assert event["UID"] == f"appointment-{a.id}@hautpraxis-mitte.dermstation"
    named = appts.export_day(receptionist, date(2026, 3, 2), with_patient_names=True)
    assert parse_events(named.text)[0]["SUMMARY"].startswith("Müller, Anna")
    single = appts.export_appointment(receptionist, a.id)
    (event,) = parse_events(single.text)
    assert event["SUMMARY"] == "Hautpraxis Mitte: appointment with Dr Derma"
    assert event["DESCRIPTION"] == "Mole check" and event["LOCATION"] == "Hautpraxis Mitte"


# --- two workstations booking at once ------------------------------------------------------------


@pytest.fixture
def second_workstation(paths: Paths, database_url: str, services: Services, clock: Clock) -> Iterator[AppointmentService]:
    other = build_services(paths, database_url)
    yield with_clock(other, clock).reception.appointments
    other.close()


def _race(bookers: list, args: list) -> tuple[list, list]:  # type: ignore[type-arg]
    ready = threading.Barrier(len(bookers))
    results: list = []
    errors: list = []

    def run(service: AppointmentService, actor: CurrentUser, data: BookingInput) -> None:
        ready.wait(timeout=10)
        try:
            results.append(service.book(actor, data))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s, *a)) for s, a in zip(bookers, args, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_two_workstations_booking_the_same_dermatologist_at_once(  # type: ignore[no-untyped-def]
    appts, second_workstation, receptionist, dermatologist, anna, ben, monkeypatch
) -> None:
    # Widen the race window: each booking pauses after taking its locks and before checking for a
    # clash, until the other booking arrives there too (or a second passes). Without the locks both
    # would check an empty calendar and both would succeed; with them the second one is still
    # waiting for the lock, so the first commits alone and the second then sees its appointment.
    pause = threading.Barrier(2, timeout=1.0)
    original = AppointmentService._check_free

    def paused_check(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with contextlib.suppress(threading.BrokenBarrierError):
            pause.wait()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AppointmentService, "_check_free", paused_check)
    results, errors = _race(
        [appts, second_workstation],
        [
            (receptionist, BookingInput(anna, dermatologist.id, at(2, 9), 20)),
            (receptionist, BookingInput(ben, dermatologist.id, at(2, 9, 10), 20)),
        ],
    )
    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert len(appts.day(receptionist, date(2026, 3, 2))) == 1


def test_many_bookings_for_one_patient_at_once_exactly_one_wins(  # type: ignore[no-untyped-def]
    services, appts, second_workstation, receptionist, admin, anna
) -> None:
    doctors = []
    for n in range(4):
        services.users.create_user(admin, f"doc{n}", f"Dr {n}", Role.DERMATOLOGIST, "doctor-password")
        doctors.append(services.auth.sign_in(f"doc{n}", "doctor-password"))
    bookers = [appts, second_workstation] * 2
    results, errors = _race(
        bookers, [(receptionist, BookingInput(anna, d.id, at(3, 11), 30)) for d in doctors]
    )
    assert len(results) == 1, errors
    assert len(errors) == 3 and all(isinstance(e, Conflict) for e in errors)
