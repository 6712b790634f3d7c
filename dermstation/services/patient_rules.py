"""Validation of patient input and parsing of search text; pure functions, tested with hypothesis."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from dermstation.core.domain import FITZPATRICK_TYPES, Sex
from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _
from dermstation.records.names import words
from dermstation.services.types import PatientInput

MAX_RECORD_NUMBER = 32
MAX_NAME = 100
MAX_PHONE = 50
MAX_EMAIL = 254
MAX_ADDRESS = 500
MAX_NOTES = 20_000  # a long clinical history fits; a pasted document does not
MAX_SEARCH = 200  # longer than any name + record number + date typed together
# DICOM person-name delimiters (component ^, value \, representation =): refused in names so that an
# exported PatientName always splits back into the same family and given name
_NAME_DELIMITERS = frozenset("^\\=")
EARLIEST_BIRTH = date(1900, 1, 1)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")


def clean_patient_input(data: PatientInput, today: date | None = None) -> PatientInput:
    """``data`` trimmed and checked; ValidationError naming the first bad field."""
    today = today or date.today()
    record_number = data.record_number.strip()
    if not record_number:
        raise ValidationError(_("Please enter the medical record number."), field="record_number")
    if len(record_number) > MAX_RECORD_NUMBER:
        raise ValidationError(
            _("The medical record number has at most {n} characters.").format(n=MAX_RECORD_NUMBER),
            field="record_number",
        )
    if any(not ch.isprintable() for ch in record_number):
        raise ValidationError(
            _("The medical record number contains invalid characters."), field="record_number"
        )
    given, family = data.given_name.strip(), data.family_name.strip()
    for field, value, label in (
        ("given_name", given, _("given name")),
        ("family_name", family, _("family name")),
    ):
        if not value:
            raise ValidationError(_("Please enter the {what}.").format(what=label), field=field)
        if len(value) > MAX_NAME:
            raise ValidationError(
                _("The {what} is too long (at most {n} characters).").format(what=label, n=MAX_NAME), field=field
            )
        if any(ch in _NAME_DELIMITERS or not ch.isprintable() for ch in value):
            raise ValidationError(
                _("The {what} may not contain line breaks or the characters ^ \\ =.").format(what=label),
                field=field,
            )
    dob = data.date_of_birth
    if dob is not None:
        if isinstance(dob, datetime) or not isinstance(dob, date):
            raise ValidationError(_("The date of birth is not a date."), field="date_of_birth")
        if dob > today:
            raise ValidationError(_("The date of birth is in the future."), field="date_of_birth")
        if dob < EARLIEST_BIRTH:
            raise ValidationError(_("The date of birth is before 1900."), field="date_of_birth")
    try:
        sex = Sex(data.sex)
    except ValueError:
        raise ValidationError(_("Please choose a valid sex."), field="sex") from None
    fitzpatrick = data.fitzpatrick
    if fitzpatrick is not None and (
        isinstance(fitzpatrick, bool)
        or not isinstance(fitzpatrick, int)
        or fitzpatrick not in FITZPATRICK_TYPES
    ):
        raise ValidationError(_("The Fitzpatrick skin type is 1 to 6."), field="fitzpatrick")
    email = data.email.strip()
    if email and (len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email)):
        raise ValidationError(_("The e-mail address does not look right."), field="email")
    phone = data.phone.strip()
    if len(phone) > MAX_PHONE:
        raise ValidationError(
            _("The phone number is too long (at most {n} characters).").format(n=MAX_PHONE), field="phone"
        )
    if len(data.address.strip()) > MAX_ADDRESS:
        raise ValidationError(
            _("The address is too long (at most {n} characters).").format(n=MAX_ADDRESS), field="address"
        )
    if len(data.notes) > MAX_NOTES:
        raise ValidationError(
            _("The notes are too long (at most {n} characters).").format(n=MAX_NOTES), field="notes"
        )
    return replace(
        data,
        record_number=record_number,
        given_name=given,
        family_name=family,
        sex=sex,
        email=email,
        phone=phone,
        address=data.address.strip(),
    )


def parse_date(text: str) -> date | None:
    """A date typed as 2001-04-23, 23.04.2001 or 23/04/2001; None if ``text`` is not one."""
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class SearchQuery:
    """Search text split into dates of birth and folded words (each word must match)."""

    dates: tuple[date, ...]
    terms: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.dates and not self.terms


MAX_QUERY_TOKENS = 8  # more words than any name has; keeps the SQL small whatever is pasted in


def check_search_text(text: str) -> None:
    """ValidationError for search text longer than anyone types (say so, rather than fail in SQL)."""
    if len(text) > MAX_SEARCH:
        raise ValidationError(
            _("The search text is too long (at most {n} characters).").format(n=MAX_SEARCH), field="search"
        )


def parse_query(text: str) -> SearchQuery:
    """Split ``text`` on white space; date-shaped tokens become dates, the rest search terms."""
    dates: list[date] = []
    terms: list[str] = []
    for token in text.split()[:MAX_QUERY_TOKENS]:
        parsed = parse_date(token)
        if parsed is not None:
            dates.append(parsed)
        else:
            terms.append(token)
    return SearchQuery(dates=tuple(dates), terms=tuple(terms))


def term_words(term: str) -> list[str]:
    """The folded name words of one search term (``"Müller-L"`` -> ``["muller", "l"]``)."""
    return words(term)
