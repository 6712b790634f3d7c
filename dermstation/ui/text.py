"""Display text for values shared by several views: names, sexes, skin types, dates, ages."""

from __future__ import annotations

import re
from datetime import date

from dermstation.core.domain import Sex
from dermstation.core.i18n import _, format_day

_ZWSP = "\u200b"
_LONG_WORD = re.compile(r"\S{24,}")


def breakable(text: str, every: int = 16) -> str:
    """Allow a wrapping label to break very long words (hyphenated names, e-mail addresses).

    QLabel wraps only at spaces, so one 60-letter word would force the whole panel wider than the
    window; zero-width spaces give it places to break without changing what the user reads.
    """

    def split(match: re.Match[str]) -> str:
        word = match.group(0)
        return _ZWSP.join(word[i : i + every] for i in range(0, len(word), every))

    return _LONG_WORD.sub(split, text)


def sex_label(sex: Sex) -> str:
    return {
        Sex.FEMALE: _("Female"),
        Sex.MALE: _("Male"),
        Sex.OTHER: _("Other"),
        Sex.UNKNOWN: _("Not recorded"),
    }[Sex(sex)]


def fitzpatrick_label(skin_type: int | None) -> str:
    if skin_type is None:
        return _("Not recorded")
    roman = ("I", "II", "III", "IV", "V", "VI")[skin_type - 1]
    return _("Type {roman}").format(roman=roman)


def day_or_blank(value: date | None) -> str:
    return format_day(value) if value is not None else "—"


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def birth_label(born: date | None, today: date | None = None) -> str:
    """"12 Mar 1980 (45 years)", or "Date of birth not recorded"."""
    if born is None:
        return _("Date of birth not recorded")
    years = age_on(born, today or date.today())
    return _("born {date} ({age} years)").format(date=format_day(born), age=years)
