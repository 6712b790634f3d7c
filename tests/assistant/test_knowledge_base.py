"""The offline knowledge base: every class, every language, every field, sources that are https URLs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from dermstation.assistant.knowledge_base import (
    ENTRY_FIELDS,
    KNOWLEDGE_BASE_DIR,
    UI_FIELDS,
    knowledge_base,
    load_knowledge_base,
)
from dermstation.core.domain import LESION_CLASSES
from dermstation.core.errors import AssistantError
from dermstation.core.i18n import RIGHT_TO_LEFT, SUPPORTED_LANGUAGES

SCRIPTS = {  # a letter every text in that language must contain at least one of
    "hi": r"[\u0900-\u097F]", "ta": r"[\u0B80-\u0BFF]", "te": r"[\u0C00-\u0C7F]", "ar": r"[\u0600-\u06FF]",
}


@pytest.mark.parametrize("language", list(SUPPORTED_LANGUAGES))
def test_every_class_and_field_is_present_in_every_language(language: str) -> None:
    raw = json.loads((KNOWLEDGE_BASE_DIR / f"{language}.json").read_text(encoding="utf-8"))
    assert raw["language"] == language
    assert set(raw["classes"]) == set(LESION_CLASSES)
    for key in UI_FIELDS:
        assert raw["ui"][key].strip()
    kb = load_knowledge_base(language)
    assert kb.language == language and kb.right_to_left == (language in RIGHT_TO_LEFT)
    for cls in LESION_CLASSES:
        entry = kb.entry(cls)
        for field in ("name", *ENTRY_FIELDS):
            text = getattr(entry, field)
            assert text.strip() and len(text) >= 10 or field == "name", (cls, field)
            if language in SCRIPTS:
                assert re.search(SCRIPTS[language], text), (language, cls, field)
        assert entry.sources
        for source in entry.sources:
            assert source.url.startswith("https://") and " " not in source.url and source.title
        rendered = kb.render(cls)
        assert entry.name in rendered and kb.label("disclaimer") in rendered
        assert "{" not in rendered  # no unfilled placeholders


@pytest.mark.parametrize("language", list(SUPPORTED_LANGUAGES))
def test_texts_are_translated_not_copied(language: str) -> None:
    if language == "en":
        return
    en, kb = knowledge_base("en"), knowledge_base(language)
    for cls in LESION_CLASSES:
        for field in ENTRY_FIELDS:
            assert getattr(kb.entry(cls), field) != getattr(en.entry(cls), field), (cls, field)
    assert kb.label("disclaimer") != en.label("disclaimer")


def test_sources_come_from_reputable_sites() -> None:
    allowed = ("www.who.int", "www.aad.org", "www.nhs.uk", "dermnetnz.org", "www.skincancer.org", "www.bad.org.uk")
    for cls in LESION_CLASSES:
        for source in knowledge_base("en").entry(cls).sources:
            assert source.url.split("/")[2] in allowed, source.url


def test_the_disclaimer_sends_patients_to_their_dermatologist() -> None:
    assert "dermatologist" in knowledge_base("en").label("disclaimer")
    assert "not a diagnosis" in knowledge_base("en").label("disclaimer")


def test_a_missing_language_file_falls_back_to_english(tmp_path: Path) -> None:
    shutil.copy(KNOWLEDGE_BASE_DIR / "en.json", tmp_path / "en.json")
    assert load_knowledge_base("de", tmp_path).language == "en"
    assert load_knowledge_base("xx", tmp_path).language == "en"


def test_a_damaged_file_is_a_clear_error(tmp_path: Path) -> None:
    raw = json.loads((KNOWLEDGE_BASE_DIR / "en.json").read_text(encoding="utf-8"))
    raw["classes"]["mel"]["treatment"] = ""
    (tmp_path / "en.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(AssistantError, match="damaged"):
        load_knowledge_base("en", tmp_path)
    (tmp_path / "en.json").write_text("{", encoding="utf-8")
    with pytest.raises(AssistantError, match="cannot be read"):
        load_knowledge_base("en", tmp_path)
