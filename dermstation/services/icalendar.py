"""Calendar files (RFC 5545) through the ``icalendar`` package, in the clinic's time zone.

Times are written as clinic wall-clock with ``TZID`` and a ``VTIMEZONE`` covering the events, so a
09:00 booking in Zürich is 09:00 Europe/Zurich in the patient's calendar, on either side of a
daylight-saving change; a clinic on UTC gets plain UTC times (``...Z``), and so does a time in the
second pass of the repeated autumn hour (a TZID time there means the first pass, RFC 5545 3.3.5). ``icalendar`` does the
escaping, CRLF line ends and folding at 75 octets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

CRLF = "\r\n"
MAX_OCTETS = 75


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start_utc: datetime
    end_utc: datetime
    summary: str
    description: str = ""
    location: str = ""
    cancelled: bool = False
    sequence: int = 0


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the iCalendar writer")
    return value


def write_calendar(
    events: Iterable[CalendarEvent], *, product: str, zone: ZoneInfo | None = None, calendar_name: str = "",
    now: datetime | None = None,
) -> str:
    """The whole calendar as text with CRLF line ends (write it as UTF-8 bytes, newline='')."""
    events = list(events)
    local = zone is not None and zone.key not in ("UTC", "Etc/UTC")
    stamp = _aware(now or datetime.now(UTC)).astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", product)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if calendar_name:
        cal.add("x-wr-calname", calendar_name)
    if local and events:
        assert zone is not None
        first = min(_aware(e.start_utc) for e in events).astimezone(zone).date() - timedelta(days=1)
        last = max(_aware(e.end_utc) for e in events).astimezone(zone).date() + timedelta(days=1)
        cal.add_component(Timezone.from_tzinfo(zone, tzid=zone.key, first_date=first, last_date=last))
    for e in events:
        event = Event()
        event.add("uid", e.uid)
        event.add("dtstamp", stamp)
        for name, value in (("dtstart", e.start_utc), ("dtend", e.end_utc)):
            moment = _aware(value).astimezone(zone if local else UTC)
            if moment.fold and moment.replace(fold=0).utcoffset() != moment.utcoffset():
                # the repeated autumn hour's second pass: a TZID time would name the first, so say UTC
                moment = moment.astimezone(UTC)
            event.add(name, moment)
        event.add("sequence", e.sequence)
        event.add("summary", e.summary)
        if e.description:
            event.add("description", e.description)
        if e.location:
            event.add("location", e.location)
        event.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical().decode("utf-8")


@dataclass(frozen=True)
class ReadEvent:
    """One VEVENT as another calendar program reads it (for tests and imports)."""

    uid: str
    start: datetime  # aware, in the zone the file names
    end: datetime
    summary: str
    description: str
    location: str
    status: str
    sequence: int
    tzid: str  # the TZID parameter of DTSTART ("" for UTC)


def read_events(text: str) -> list[ReadEvent]:
    """Every VEVENT of ``text``, parsed by ``icalendar`` (TZID resolved)."""
    out = []
    for ev in Calendar.from_ical(text).walk("VEVENT"):
        out.append(ReadEvent(
            uid=str(ev.get("uid", "")), start=ev.decoded("dtstart"), end=ev.decoded("dtend"),
            summary=str(ev.get("summary", "")), description=str(ev.get("description", "")),
            location=str(ev.get("location", "")), status=str(ev.get("status", "")),
            sequence=int(ev.get("sequence", 0)), tzid=str(ev["dtstart"].params.get("TZID", ""))))
    return out


def parse_events(text: str) -> list[dict[str, str]]:
    """Each VEVENT's properties as text, times given as UTC (``YYYYMMDDTHHMMSSZ``) whatever the TZID."""
    out = []
    for event in read_events(text):
        out.append({
            "UID": event.uid, "SUMMARY": event.summary, "DESCRIPTION": event.description,
            "LOCATION": event.location, "STATUS": event.status, "SEQUENCE": str(event.sequence),
            "DTSTART": event.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
            "DTEND": event.end.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
        })
    return out


def calendar_lines_ok(text: str) -> Sequence[str]:
    """Problems with line ends and folding (empty when the text is well-formed)."""
    problems = []
    if not text.endswith(CRLF):
        problems.append("does not end with CRLF")
    body = text[: -len(CRLF)] if text.endswith(CRLF) else text
    for number, line in enumerate(body.split(CRLF), start=1):
        if "\n" in line or "\r" in line:
            problems.append(f"line {number}: bare LF or CR")
        if len(line.encode("utf-8")) > MAX_OCTETS:
            problems.append(f"line {number}: longer than {MAX_OCTETS} octets")
    return problems
