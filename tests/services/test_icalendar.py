"""The RFC 5545 writer: CRLF, folding at 75 octets without splitting characters, escaping, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dermstation.services.icalendar import (
    CRLF,
    CalendarEvent,
    calendar_lines_ok,
    escape_text,
    fold,
    parse_events,
    parse_utc,
    unescape_text,
    unfold,
    write_calendar,
)

START = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_calendar_structure_and_round_trip() -> None:
    summary = "Müller, Anna; follow-up \\ check\nsecond line " + "ä€😀" * 30
    event = CalendarEvent("a-1@x", START, START + timedelta(minutes=20), summary, description="a,b;c",
                          location="Hautpraxis", cancelled=True, sequence=2)
    text = write_calendar([event], product="-//T//T//EN", calendar_name="Day", now=START)
    assert calendar_lines_ok(text) == []
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace(CRLF, "")
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    (parsed,) = parse_events(text)
    assert parsed["SUMMARY"] == summary
    assert parsed["DESCRIPTION"] == "a,b;c"
    assert parsed["STATUS"] == "CANCELLED" and parsed["SEQUENCE"] == "2"
    assert parse_utc(parsed["DTSTART"]) == START and parsed["DTEND"] == "20261025T005000Z"
    assert parsed["DTSTAMP"] == "20261025T003000Z"


@pytest.mark.parametrize("line", ["x" * 75, "x" * 76, "SUMMARY:" + "é" * 100, "S:" + "😀" * 50, "a" * 300])
def test_folding_never_exceeds_75_octets_or_splits_a_character(line: str) -> None:
    folded = fold(line)
    pieces = folded.split(CRLF)
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert "".join([pieces[0], *(p[1:] for p in pieces[1:])]) == line
    assert len(pieces) == (1 if len(line.encode()) <= 75 else len(pieces))


def test_escaping_round_trips() -> None:
    for text in ("a;b,c\\d", "line1\nline2", "crlf\r\nend", ""):
        assert unescape_text(escape_text(text)) == text.replace("\r\n", "\n")
    assert escape_text("a;b,c\\d\n") == "a\\;b\\,c\\\\d\\n"


def test_times_are_written_in_utc() -> None:
    local = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    text = write_calendar([CalendarEvent("u", local, local + timedelta(hours=1), "x")], product="p", now=START)
    assert parse_events(text)[0]["DTSTART"] == "20260329T013000Z"
    with pytest.raises(ValueError):
        write_calendar([CalendarEvent("u", datetime(2026, 1, 1), datetime(2026, 1, 2), "x")], product="p")
