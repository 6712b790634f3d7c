"""Property tests for patient validation and search-text parsing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dermstation.core.errors import ValidationError
from dermstation.services.patient_rules import MAX_QUERY_TOKENS, clean_patient_input, parse_date, parse_query
from dermstation.services.types import PatientInput

TODAY = date(2026, 1, 1)
BASE = PatientInput("MRN-1", "Anna", "Muster", date(1980, 5, 17))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)))
def test_every_date_format_parses_back(day: date) -> None:
    for text in (day.isoformat(), day.strftime("%d.%m.%Y"), day.strftime("%d/%m/%Y")):
        if len(text) == 10:  # strftime pads years to 4 digits only from 1000 on
            assert parse_date(text) == day
            assert parse_query(f"  {text}  ").dates == (day,)


@given(st.text(max_size=60))
def test_parse_query_keeps_every_token(text: str) -> None:
    query = parse_query(text)
    assert len(query.dates) + len(query.terms) == min(len(text.split()), MAX_QUERY_TOKENS)
    assert query.empty == (not text.split())


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY), st.integers(min_value=1, max_value=6))
def test_valid_patients_pass_and_are_trimmed(day: date, skin: int) -> None:
    data = replace(BASE, record_number=" MRN-1 ", given_name=" Anna", date_of_birth=day, fitzpatrick=skin)
    clean = clean_patient_input(data, today=TODAY)
    assert clean.record_number == "MRN-1" and clean.given_name == "Anna"
    assert clean.date_of_birth == day and clean.fitzpatrick == skin


@given(st.dates().filter(lambda d: d > TODAY or d < date(1900, 1, 1)))
def test_dates_out_of_range_are_refused(day: date) -> None:
    with pytest.raises(ValidationError) as info:
        clean_patient_input(replace(BASE, date_of_birth=day), today=TODAY)
    assert info.value.field == "date_of_birth"


@given(st.integers().filter(lambda n: not 1 <= n <= 6))
def test_fitzpatrick_out_of_range_is_refused(skin: int) -> None:
    with pytest.raises(ValidationError) as info:
        clean_patient_input(replace(BASE, fitzpatrick=skin), today=TODAY)
    assert info.value.field == "fitzpatrick"


@given(st.text(min_size=33, max_size=60).filter(lambda s: len(s.strip()) > 32))
def test_long_record_numbers_are_refused(number: str) -> None:
    with pytest.raises(ValidationError) as info:
        clean_patient_input(replace(BASE, record_number=number), today=TODAY)
    assert info.value.field == "record_number"


@pytest.mark.parametrize("email", ["a@b.de", "first.last+tag@clinic.example.org"])
def test_good_emails(email: str) -> None:
    assert clean_patient_input(replace(BASE, email=f" {email} "), today=TODAY).email == email


@pytest.mark.parametrize("email", ["plain", "a@b", "a b@c.de", "@c.de", "a@@c.de"])
def test_bad_emails(email: str) -> None:
    with pytest.raises(ValidationError) as info:
        clean_patient_input(replace(BASE, email=email), today=TODAY)
    assert info.value.field == "email"


def test_pasted_essays_are_cut_to_a_few_terms() -> None:
    query = parse_query("word " * 1000)
    assert len(query.terms) == MAX_QUERY_TOKENS



@pytest.mark.parametrize("bad", ["Anna^Maria", "Back\\slash", "A=B", "Line\nbreak", "Tab\there", "Nul\x00"])
@pytest.mark.parametrize("field", ["given_name", "family_name"])
def test_names_refuse_dicom_delimiters_and_line_breaks(bad: str, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        clean_patient_input(replace(BASE, **{field: bad}), TODAY)
    assert info.value.field == field
    assert "^" in info.value.message and "line breaks" in info.value.message


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [("address", "x" * 501, "address is too long"), ("notes", "y" * 20_001, "notes are too long"),
     ("phone", "1" * 51, "phone number is too long"), ("given_name", "z" * 101, "given name is too long")],
)
def test_long_fields_are_refused_with_their_limit(field: str, value: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        clean_patient_input(replace(BASE, **{field: value}), TODAY)
    assert info.value.field == field and words in info.value.message and "at most" in info.value.message
