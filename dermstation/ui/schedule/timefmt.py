"""Times and days for the schedule, in the clinic's language (Babel)."""

from __future__ import annotations

from datetime import date, datetime, time

from babel.dates import format_date, format_time

from dermstation.core.i18n import current_language


def clock_label(value: datetime | time) -> str:
    """"9:00 AM" in English, "09:00" in German: the locale's short time."""
    wall = value.time() if isinstance(value, datetime) else value
    return format_time(wall, format="short", locale=current_language())


def hour_label(hour: int) -> str:
    return clock_label(time(hour % 24, 0))


def day_heading(value: date) -> str:
    """"Monday, 2 March 2026"."""
    return format_date(value, format="full", locale=current_language())


def short_day(value: date) -> str:
    """"Mon 2 Mar" style: weekday and day for week columns."""
    return format_date(value, format="EEE d MMM", locale=current_language())


def range_heading(first: date, last: date) -> str:
    return f"{format_date(first, format='medium', locale=current_language())} – " \
        f"{format_date(last, format='medium', locale=current_language())}"
