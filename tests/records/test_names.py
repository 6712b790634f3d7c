from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dermstation.records.names import fold, name_key, sort_key, words


def test_fold_removes_case_and_accents() -> None:
    assert fold("MÜLLER") == "muller"
    assert fold("Ångström") == "angstrom"
    assert fold("Straße") == "strasse"
    assert fold("Łukasz Øster") == "lukasz oster"


def test_words_split_on_punctuation() -> None:
    assert words("  Jean-Luc  O'Brien ") == ["jean", "luc", "o", "brien"]
    assert words("--") == []


def test_name_key_lists_every_word_with_leading_space() -> None:
    assert name_key("Anna Maria", "Müller-Lüdenscheidt") == " anna maria muller ludenscheidt "
    assert name_key("", "") == " "


def test_sort_key_orders_by_family_then_given() -> None:
    keys = [sort_key("Zed", "Smith"), sort_key("Amy", "Smithers"), sort_key("Bob", "smith")]
    assert sorted(keys) == [sort_key("Bob", "smith"), sort_key("Zed", "Smith"), sort_key("Amy", "Smithers")]


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


@given(names)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(names, names)
def test_every_word_and_its_prefixes_are_found_in_the_key(given_name: str, family_name: str) -> None:
    key = name_key(given_name, family_name)
    for word in words(given_name) + words(family_name):
        for end in range(1, len(word) + 1):
            assert f" {word[:end]}" in key
    assert key.startswith(" ") and key.endswith(" ")
