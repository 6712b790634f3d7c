"""A small RFC 5545 writer (and the reader its tests use): VCALENDAR with VEVENTs in UTC.

Lines end in CRLF and are folded so that no line is longer than 75 octets (UTF-8 characters are
never split); TEXT values escape backslash, semicolon, comma and newlines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

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


def escape_text(value: str) -> str:
    """TEXT escaping (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def unescape_text(value: str) -> str:
    out: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        out.append("\n" if nxt in ("n", "N") else nxt)
    return "".join(out)


def fold(line: str) -> str:
    """Split ``line`` into CRLF + space continued pieces of at most 75 octets each."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = MAX_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size = " ", 1  # the continuation's leading space counts towards its 75 octets
        current += ch
        size += width
    pieces.append(current)
    return CRLF.join(pieces)


def format_utc(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the iCalendar writer")
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def write_calendar(
    events: Iterable[CalendarEvent], *, product: str, calendar_name: str = "", now: datetime | None = None
) -> str:
    """The whole calendar as text with CRLF line ends (write it as UTF-8 bytes, newline='')."""
    stamp = format_utc(now or datetime.now(UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{product}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if calendar_name:
        lines.append(f"X-WR-CALNAME:{escape_text(calendar_name)}")
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{format_utc(event.start_utc)}",
            f"DTEND:{format_utc(event.end_utc)}",
            f"SEQUENCE:{event.sequence}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        if event.location:
            lines.append(f"LOCATION:{escape_text(event.location)}")
        lines.append("STATUS:CANCELLED" if event.cancelled else "STATUS:CONFIRMED")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


def unfold(text: str) -> list[str]:
    """Content lines with folding undone (CRLF followed by one space or tab joins lines)."""
    lines: list[str] = []
    for raw in text.split(CRLF):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def parse_events(text: str) -> list[dict[str, str]]:
    """Each VEVENT's properties (name -> unescaped value); parameters are dropped. For tests and imports."""
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfold(text):
        name, _sep, value = line.partition(":")
        name = name.split(";", 1)[0].upper()
        if name == "BEGIN" and value == "VEVENT":
            current = {}
        elif name == "END" and value == "VEVENT" and current is not None:
            events.append(current)
            current = None
        elif current is not None:
            current[name] = unescape_text(value)
    return events


def parse_utc(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


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
