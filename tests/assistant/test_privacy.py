"""What leaves the machine: only the allow-listed context and a scrubbed question."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest
from fake_perplexity import VALID_KEY
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dermstation.assistant.client import PerplexityClient
from dermstation.assistant.privacy import (
    PLACEHOLDERS,
    Metric,
    PatientContext,
    Scrubbed,
    ScrubTerms,
    age_band,
    build_messages,
    clean_question,
    fold,
    scrub,
)
from dermstation.core.errors import ValidationError

CONTEXT = PatientContext(
    lesion_class="nv",
    probabilities=(("mel", 0.1), ("nv", 0.85), ("bkl", 0.05)),
    language="de",
    age_band="40-49",
    malignancy=0.1,
    suspicious=False,
    metrics=(Metric("area_mm2", 12.5, "mm²"), Metric("asymmetry", 0.2)),
    quality_flags=("blurry",),
)
TERMS = ScrubTerms(names=("Anna", "Müller-Lüdenscheidt"), record_number="MRN-4711",
                   date_of_birth=date(1980, 3, 12), phone="+49 30 1234567", email="anna@example.org")


def outgoing_body(question: str, terms: ScrubTerms = TERMS) -> str:
    """Exactly the JSON the client would POST."""
    client = PerplexityClient(VALID_KEY, base_url="http://127.0.0.1:9")
    return json.dumps(client.request_body(build_messages(CONTEXT, clean_question(question, terms))),
                      ensure_ascii=False)


def test_the_prompt_holds_the_allow_listed_context_only() -> None:
    messages = build_messages(CONTEXT, scrub("Is it dangerous?"))
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "nv" in user and "nv 0.85" in user and "area_mm2 12.5 mm²" in user
    assert "Patient age band: 40-49" in user and "blurry" in user
    assert "German" in messages[0]["content"] and "dermatologist" in messages[0]["content"]
    assert user.endswith("Is it dangerous?")


def test_an_unscrubbed_question_cannot_be_sent() -> None:
    with pytest.raises(TypeError):
        build_messages(CONTEXT, "raw question")  # type: ignore[arg-type]


@pytest.mark.parametrize("question,gone", [
    ("Is Anna Müller-Lüdenscheidt's mole dangerous?", ["Anna", "Müller", "Lüdenscheidt"]),
    ("ANNA MULLER-LUDENSCHEIDT asks", ["ANNA", "MULLER", "LUDENSCHEIDT"]),
    ("record MRN-4711, born 12/03/1980", ["4711", "1980", "12/03"]),
    ("her number is 4711", ["4711"]),
    ("born 1980-03-12 or 12.3.1980 or March 12, 1980 or 12 March 1980", ["1980", "March 12", "12.3"]),
    ("call +49 30 1234567 or (030) 555-0199 or mail anna@example.org", ["1234567", "555", "example.org"]),
    ("other mail x.y+z@clinic.co.uk", ["clinic.co.uk", "x.y"]),
    ("Patient ID: AB-99812 and case 0012345678", ["99812", "0012345678"]),
    ("Mrs Smith and Herr Dr. Schmidt asked", ["Smith", "Schmidt"]),
    ("see https://portal.example.com/patients/123", ["portal.example.com"]),
    ("geboren am 12. März 1980", ["März 1980", "1980"]),
])
def test_identifiers_typed_into_the_question_are_scrubbed(question: str, gone: list[str]) -> None:
    body = outgoing_body(question)
    for fragment in gone:
        assert fragment.casefold() not in body.casefold(), fragment


def test_clinical_words_and_numbers_survive() -> None:
    result = scrub("Can a 6 mm mole with ABCDE signs grow 2 mm in 3 months? p=0.85", TERMS)
    assert result.text == "Can a 6 mm mole with ABCDE signs grow 2 mm in 3 months? p=0.85"
    assert not result.changed


def test_placeholders_are_used_and_counted() -> None:
    result = scrub("Anna (MRN-4711) anna@example.org", TERMS)
    assert result.text == "[name] ([number]) [email]"
    assert result.replacements == 3


def test_question_too_long_is_rejected() -> None:
    with pytest.raises(ValidationError):
        clean_question("x" * 1001)


def test_scrub_terms_never_show_in_a_repr() -> None:
    assert "Anna" not in repr(TERMS) and "4711" not in repr(TERMS)


@pytest.mark.parametrize("kwargs", [
    {"lesion_class": "Anna"},
    {"language": "xx"},
    {"age_band": "born 1980"},
    {"probabilities": (("nv", 1.5),)},
    {"probabilities": (("Anna Müller", 0.5),)},
    {"metrics": (Metric("Anna Müller", 1.0),)},
    {"metrics": (Metric("area", 1.0, "MRN-4711"),)},
    {"metrics": (Metric("area", float("nan")),)},
    {"quality_flags": ("call Anna on 0301234567",)},
])
def test_the_context_accepts_no_free_text(kwargs: dict) -> None:
    base = {"lesion_class": "nv", "probabilities": (("nv", 0.9),), "language": "en"}
    with pytest.raises(ValidationError):
        PatientContext(**{**base, **kwargs})


def test_from_values_drops_what_is_not_allow_listed() -> None:
    ctx = PatientContext.from_values(
        "mel", {"mel": 0.7, "nv": 0.3, "patient": 0.0}, "fr", born=date(1950, 1, 1),
        malignancy=0.7, metrics={"area_mm2": 3.0, "note": "Anna", "diameter_mm": {"value": 2.0, "unit": "mm"}},
        quality_flags=["blurry", "Anna Müller"],
    )
    assert ctx.probabilities == (("mel", 0.7), ("nv", 0.3))
    assert [m.name for m in ctx.metrics] == ["area_mm2", "diameter_mm"]
    assert ctx.quality_flags == ("blurry",)
    assert ctx.age_band in ("70-79", "80+")


@pytest.mark.parametrize("born,band", [
    (None, "unknown"), (date(2020, 6, 1), "0-17"), (date(2000, 6, 1), "18-29"),
    (date(1980, 6, 2), "40-49"), (date(1980, 6, 1), "40-49"), (date(1940, 1, 1), "80+"), (date(2030, 1, 1), "unknown"),
])
def test_age_bands(born, band) -> None:
    assert age_band(born, today=date(2026, 6, 1)) == band


# --- property: random names and dates typed anywhere never leave ---------------------------------
NAME_ALPHABET = st.sampled_from("abcdefghijklmnopqrstuvwxyzäöüéèçñåøßłšžğı")
names = st.text(NAME_ALPHABET, min_size=3, max_size=12).map(str.capitalize)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%B %d, %Y", "%d %B %Y", "%d-%m-%Y", "%d %b %Y"]
TEMPLATES = [
    "Is {x}'s lesion dangerous?", "{x} asks whether this is cancer", "What should {x} do next?",
    "Mole of {x}, please explain.", "can {x} go swimming", "({x}) itching since last week",
]


def _case(text: str, how: int) -> str:
    return (text, text.upper(), text.lower(), fold(text).capitalize())[how]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(given_name=names, family_name=names, born=dates, fmt=st.sampled_from(DATE_FORMATS),
       template=st.sampled_from(TEMPLATES), case=st.integers(0, 3), seed=st.integers(0, 2**16))
def test_random_names_and_dates_never_reach_the_request_body(
    given_name: str, family_name: str, born: date, fmt: str, template: str, case: int, seed: int
) -> None:
    for name in (given_name, family_name):
        # a name that is also an ordinary word of the prompt could not be told apart: skip those
        assume(fold(name) not in fold(outgoing_body("", ScrubTerms())))
        assume(all(fold(name) not in fold(p) for p in PLACEHOLDERS))
    terms = ScrubTerms(names=(given_name, family_name), date_of_birth=born)
    typed_name = _case(random.Random(seed).choice([given_name, family_name, f"{given_name} {family_name}"]), case)
    typed_date = born.strftime(fmt)
    question = template.format(x=typed_name) + f" Born {typed_date}."
    body = fold(outgoing_body(question, terms))
    assert fold(given_name) not in body
    assert fold(family_name) not in body
    assert fold(typed_date) not in body
    assert str(born.year) not in body


@settings(max_examples=100, deadline=None)
@given(born=dates, fmt=st.sampled_from(DATE_FORMATS))
def test_any_date_is_scrubbed_even_when_it_is_not_the_patients(born: date, fmt: str) -> None:
    typed = born.strftime(fmt)
    result = scrub(f"Her mother was born on {typed} and had melanoma")
    assert typed not in result.text and str(born.year) not in result.text
    assert isinstance(result, Scrubbed) and result.changed
