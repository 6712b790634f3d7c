from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dermstation.core.domain import Sex
from dermstation.records.names import fold
from dermstation.services.container import Services
from dermstation.services.types import CurrentUser, PatientInput

PEOPLE = [
    PatientInput("MRN-001", "Anna Maria", "Müller-Lüdenscheidt", date(2001, 4, 23), Sex.FEMALE),
    PatientInput("MRN-002", "Jürgen", "Smith", date(1970, 1, 2), Sex.MALE),
    PatientInput("MRN-010", "anna", "Smithers", None),
    PatientInput("AB-77", "José", "O'Brien", date(2001, 4, 23)),
    PatientInput("X_1%", "Zoë", "Ångström", date(1950, 12, 31)),
]


@pytest.fixture
def people(services: Services, receptionist: CurrentUser) -> dict[str, int]:
    return {p.record_number: services.patients.create(receptionist, p).id for p in PEOPLE}


def numbers(services: Services, actor: CurrentUser, text: str, limit: int = 50) -> list[str]:
    return [p.record_number for p in services.patients.search(actor, text, limit)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("anna", ["MRN-001", "MRN-010"]),
        ("ANNA", ["MRN-001", "MRN-010"]),
        ("mar", ["MRN-001"]),  # second given name
        ("anna smith", ["MRN-010"]),  # every word must match
        ("smith", ["MRN-002", "MRN-010"]),  # prefix: Smith and Smithers, sorted by family name
        ("smith anna", ["MRN-010"]),
        ("mueller", []),
        ("muller", ["MRN-001"]),  # accents folded
        ("Müller", ["MRN-001"]),
        ("lüdensch", ["MRN-001"]),  # part after a hyphen
        ("Müller-Lü", ["MRN-001"]),
        ("jurgen", ["MRN-002"]),
        ("obrien", []),
        ("o'brien", ["AB-77"]),
        ("brien", ["AB-77"]),
        ("angstrom", ["X_1%"]),
        ("zoe", ["X_1%"]),
        ("nna", []),  # prefix, not infix
        ("mrn-00", ["MRN-001", "MRN-002"]),
        ("mrn-0", ["MRN-001", "MRN-002", "MRN-010"]),
        ("ab-7", ["AB-77"]),
        ("mrn-0%", []),  # wildcards are literal
        ("mrn_0", []),
        ("x_1%", ["X_1%"]),
        ("2001-04-23", ["MRN-001", "AB-77"]),
        ("23.04.2001", ["MRN-001", "AB-77"]),
        ("23/04/2001", ["MRN-001", "AB-77"]),
        ("jose 23.04.2001", ["AB-77"]),
        ("31.12.1950", ["X_1%"]),
        ("02.01.1970 smith", ["MRN-002"]),
        ("23.04.2002", []),
        ("2001", ["MRN-001", "AB-77"]),  # a year alone: born that year
        ("1950", ["X_1%"]),
        ("smith 1970", ["MRN-002"]),
        ("1999", []),
        ("nobody", []),
    ],
)
def test_search(
    services: Services, receptionist: CurrentUser, people: dict[str, int], text: str, expected: list[str]
) -> None:
    assert numbers(services, receptionist, text) == expected


def test_empty_search_lists_recently_updated_first(
    services: Services, receptionist: CurrentUser, people: dict[str, int]
) -> None:
    assert numbers(services, receptionist, "") == [p.record_number for p in reversed(PEOPLE)]
    services.patients.update(receptionist, people["MRN-002"], replace(PEOPLE[1], phone="555"))
    assert numbers(services, receptionist, "   ")[0] == "MRN-002"
    assert numbers(services, receptionist, "", limit=2) == ["MRN-002", "X_1%"]


def test_limit_applies(services: Services, receptionist: CurrentUser, people: dict[str, int]) -> None:
    assert numbers(services, receptionist, "mrn", limit=1) == ["MRN-001"]


def test_results_are_summaries(
    services: Services, dermatologist: CurrentUser, people: dict[str, int]
) -> None:
    (found,) = services.patients.search(dermatologist, "jurgen")
    assert found.id == people["MRN-002"]
    assert found.display_name == "Smith, Jürgen"
    assert found.date_of_birth == date(1970, 1, 2)
    assert found.sex is Sex.MALE


NAME_LETTERS = "abcdeéèäöüßøñçlmnoprstzÅÉÖ"
name_words = st.text(alphabet=NAME_LETTERS, min_size=1, max_size=8)
person_names = st.lists(name_words, min_size=1, max_size=3).map(" ".join)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(given_name=person_names, family_name=person_names, data=st.data())
def test_any_prefix_of_any_name_word_finds_the_patient(
    services: Services, receptionist: CurrentUser, given_name: str, family_name: str, data: st.DataObject
) -> None:
    number = f"H-{uuid.uuid4().hex[:12]}"
    created = services.patients.create(receptionist, PatientInput(number, given_name, family_name, None))
    word = data.draw(st.sampled_from(given_name.split() + family_name.split()), label="word")
    prefix = word[: data.draw(st.integers(min_value=1, max_value=len(word)), label="length")]
    # typed in any case, with or without accents
    typed = data.draw(st.sampled_from([prefix, prefix.upper(), fold(prefix)]), label="typed")
    found = [p.id for p in services.patients.search(receptionist, typed, limit=500)]
    assert created.id in found
    assert created.id in [
        p.id for p in services.patients.search(receptionist, f"{family_name} {given_name}", 500)
    ]


def test_a_pasted_novel_is_too_long_not_a_database_failure(services: Services, receptionist: CurrentUser) -> None:
    """The tester pasted 50,000+ characters and read "The database cannot be reached"."""
    from dermstation.core.errors import ValidationError

    for text in ("Müller " * 8000, "x" * 60_000):
        with pytest.raises(ValidationError) as info:
            services.patients.search(receptionist, text)
        assert "too long" in info.value.message and "200" in info.value.message
    assert services.patients.search(receptionist, "M" * 200) == []  # at the limit it still searches
