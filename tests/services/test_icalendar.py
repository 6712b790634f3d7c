"""Calendar files: the clinic's wall-clock with TZID + VTIMEZONE (read back by icalendar), UTC for a UTC clinic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from dermstation.services.icalendar import (
    CRLF,
    CalendarEvent,
    calendar_lines_ok,
    parse_events,
    read_events,
    write_calendar,
)

ZURICH = ZoneInfo("Europe/Zurich")
START = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def event_at(local: datetime, minutes: int = 20, **kwargs: object) -> CalendarEvent:
    start = local.astimezone(UTC)
    return CalendarEvent("a-1@x", start, start + timedelta(minutes=minutes), "Check", **kwargs)  # type: ignore[arg-type]


def test_calendar_structure_escaping_and_folding_round_trip() -> None:
    summary = "Müller, Anna; follow-up \\ check\nsecond line " + "ä€😀" * 30
    event = CalendarEvent("a-1@x", START, START + timedelta(minutes=20), summary, description="a,b;c",
                          location="Hautpraxis", cancelled=True, sequence=2)
    text = write_calendar([event], product="-//T//T//EN", calendar_name="Day", now=START)
    assert calendar_lines_ok(text) == []  # CRLF everywhere, no line over 75 octets
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace(CRLF, "")
    (parsed,) = parse_events(text)
    assert parsed["SUMMARY"] == summary and parsed["DESCRIPTION"] == "a,b;c"
    assert parsed["STATUS"] == "CANCELLED" and parsed["SEQUENCE"] == "2"
    assert parsed["DTSTART"] == "20261025T003000Z" and parsed["DTEND"] == "20261025T005000Z"
    assert "DTSTAMP:20261025T003000Z" in text


@pytest.mark.parametrize(("local", "offset"), [
    (datetime(2026, 3, 27, 9, 0), 1),   # the Friday before the clocks go forward: CET
    (datetime(2026, 3, 30, 9, 0), 2),   # the Monday after: CEST
    (datetime(2026, 3, 29, 3, 0), 2),   # the first hour after the gap
    (datetime(2026, 10, 23, 9, 0), 2),  # before the clocks go back: CEST
    (datetime(2026, 10, 26, 9, 0), 1),  # after: CET
])
def test_a_nine_oclock_booking_in_zurich_is_nine_oclock_zurich_in_the_file(local: datetime, offset: int) -> None:
    booked = local.replace(tzinfo=ZURICH)
    text = write_calendar([event_at(booked)], product="p", zone=ZURICH, now=START)
    wall = local.strftime("%Y%m%dT%H%M%S")
    assert f"DTSTART;TZID=Europe/Zurich:{wall}" in text
    (event,) = read_events(text)
    assert event.tzid == "Europe/Zurich" and event.start.replace(tzinfo=None) == local
    assert event.start.utcoffset() == timedelta(hours=offset)
    assert event.start == booked  # the same instant as booked
    # the file carries its own VTIMEZONE with the offsets of both seasons around the event
    (vtimezone,) = Calendar.from_ical(text).walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/Zurich"
    offsets = {sub.decoded("TZOFFSETTO") for sub in vtimezone.subcomponents}
    assert timedelta(hours=offset) in offsets


def test_repeated_autumn_hour_keeps_the_right_instant() -> None:
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZURICH)  # 02:30 CET, the second time round
    text = write_calendar([event_at(second)], product="p", zone=ZURICH, now=START)
    assert parse_events(text)[0]["DTSTART"] == second.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") == "20261025T013000Z"


def test_a_utc_clinic_writes_utc_and_naive_times_are_refused() -> None:
    local = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    text = write_calendar([CalendarEvent("u", local, local + timedelta(hours=1), "x")], product="p",
                          zone=ZoneInfo("UTC"), now=START)
    assert "DTSTART:20260329T013000Z" in text and "VTIMEZONE" not in text
    with pytest.raises(ValueError):
        write_calendar([CalendarEvent("u", datetime(2026, 1, 1), datetime(2026, 1, 2), "x")], product="p")
