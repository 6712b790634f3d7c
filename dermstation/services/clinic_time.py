"""Clinic wall-clock time <-> UTC, with daylight-saving gaps and repeated hours made explicit.

The database stores UTC; people book in the clinic's local time. A local time in the spring-forward
gap (02:30 on 2026-03-29 in Europe/Berlin) does not exist and is refused with a message naming the
first valid time; a local time in the repeated autumn hour exists twice and ``fold`` (0 = first,
1 = second occurrence) chooses, as in :mod:`zoneinfo`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_time

from dermstation.core.errors import ConfigError, ValidationError
from dermstation.core.i18n import _, current_language, format_day


def format_clock(value: datetime | time) -> str:
    """A wall-clock time in the user's language ("9:00 AM", "09:00")."""
    wall = value.time() if isinstance(value, datetime) else value
    return format_time(wall, format="short", locale=current_language())


def clinic_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(_("The clinic's time zone is not known: {zone}").format(zone=name)) from exc


def exists_locally(local: datetime, zone: ZoneInfo) -> bool:
    """False for a wall-clock time skipped when the clocks go forward."""
    naive = local.replace(tzinfo=None)
    round_trip = local.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return round_trip == naive


def is_ambiguous(local: datetime, zone: ZoneInfo) -> bool:
    """True for a wall-clock time that happens twice when the clocks go back."""
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=zone, fold=0).utcoffset()
    second = naive.replace(tzinfo=zone, fold=1).utcoffset()
    return first != second and exists_locally(naive, zone)


def to_utc(value: datetime, zone: ZoneInfo, field: str = "start") -> datetime:
    """An aware UTC datetime for ``value`` (naive: clinic wall-clock; aware: any zone).

    Raises ``ValidationError`` for a wall-clock time that does not exist in ``zone``.
    """
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    if not exists_locally(value, zone):
        after = first_valid_after(value, zone)
        raise ValidationError(
            _(
                "{time} does not exist on {day}: the clocks go forward that night. "
                "The first valid time is {after}."
            ).format(
                time=format_clock(value), day=format_day(value.date()), after=format_clock(after)
            ),
            field=field,
            details=f"nonexistent local time in {zone.key}",
        )
    return value.replace(tzinfo=zone).astimezone(UTC)


def first_valid_after(value: datetime, zone: ZoneInfo) -> datetime:
    """The first existing wall-clock minute at or after ``value`` (naive, local)."""
    probe = value.replace(tzinfo=None, second=0, microsecond=0)
    for _step in range(24 * 60):
        if exists_locally(probe, zone):
            return probe
        probe += timedelta(minutes=1)
    return probe


def local(value: datetime, zone: ZoneInfo) -> datetime:
    """An aware UTC datetime in the clinic's zone (keeps ``fold`` right in the repeated hour)."""
    return value.astimezone(zone)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC start (inclusive) and end (exclusive) of the local calendar ``day``."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (ISO weeks)."""
    return day - timedelta(days=day.weekday())
