"""The reviewed patient wording: complete in every language, medically consistent with the catalogue."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dermstation.core.diagnoses import Category, PatientKey, catalogue
from dermstation.core.errors import ConfigError
from dermstation.core.i18n import SUPPORTED_LANGUAGES
from dermstation.core.patient_text import (
    CANCER_KEYS,
    PLAN_TEXT_KEYS,
    REASSURING_WORDS,
    TEXT_DIR,
    load_patient_text,
    patient_text,
    sources_for,
)

pytestmark = pytest.mark.clinical_safety

# the word for "cancer", per language
CANCER = {"en": "cancer", "de": "krebs", "es": "cáncer", "fr": "cancer", "hi": "कैंसर", "ta": "புற்றுநோ",
          "te": "క్యాన్సర్", "ar": "سرطان"}
HARMLESS_KEYS = (PatientKey.BENIGN_NAEVUS, PatientKey.BENIGN_KERATOSIS, PatientKey.VASCULAR,
                 PatientKey.BENIGN_OTHER)


@pytest.mark.parametrize("language", list(SUPPORTED_LANGUAGES))
def test_every_key_and_plan_has_wording(language: str) -> None:
    text = load_patient_text(language)
    assert set(text.diagnoses) == {k.value for k in PatientKey}
    assert set(text.plan) == set(PLAN_TEXT_KEYS)
    for key in PatientKey:
        entry = text.diagnosis(key)
        assert entry.name and len(entry.plain) > 40 and len(entry.treatment) > 30, (language, key)
    if language != "en":  # translated, not copied
        english = patient_text("en")
        for key in PatientKey:
            assert text.diagnosis(key).plain != english.diagnosis(key).plain, (language, key)
        assert all(text.plan[k] != english.plan[k] for k in PLAN_TEXT_KEYS)


@pytest.mark.parametrize("language", list(SUPPORTED_LANGUAGES))
def test_cancers_are_never_called_harmless_and_always_called_cancer(language: str) -> None:
    text = patient_text(language)
    for key in CANCER_KEYS:
        entry = text.diagnosis(key)
        words = f"{entry.name} {entry.plain}".casefold()
        assert CANCER[language] in words, (language, key)
        for harmless in REASSURING_WORDS[language]:
            assert harmless not in words, (language, key, harmless)
    for key in HARMLESS_KEYS:  # and the harmless ones say so
        words = f"{text.diagnosis(key).name} {text.diagnosis(key).plain}".casefold()
        assert any(h in words for h in REASSURING_WORDS[language]), (language, key)


def test_lentigo_maligna_reads_as_melanoma_in_situ() -> None:
    entry = catalogue().get("mel.lentigo_maligna")
    assert entry.patient_key is PatientKey.MELANOMA_IN_SITU
    assert "melanoma" in patient_text("en").diagnosis(entry.patient_key).name.casefold()


def test_every_catalogue_entry_maps_to_wording_of_its_seriousness() -> None:
    for entry in catalogue().entries:
        if entry.category is Category.MALIGNANT:
            assert entry.patient_key in CANCER_KEYS, entry.code
        if entry.category is Category.BENIGN:
            assert entry.patient_key not in CANCER_KEYS, entry.code


def test_every_key_has_reputable_https_sources() -> None:
    allowed = ("www.who.int", "www.aad.org", "www.nhs.uk", "dermnetnz.org", "www.skincancer.org", "www.bad.org.uk")
    for key in PatientKey:
        sources = sources_for(key)
        assert sources, key
        for source in sources:
            assert source.title and source.url.startswith("https://") and source.url.split("/")[2] in allowed


def test_an_incomplete_file_is_a_clear_error(tmp_path: Path) -> None:
    raw = json.loads((TEXT_DIR / "de.json").read_text(encoding="utf-8"))
    del raw["diagnoses"]["melanoma_in_situ"]["plain"]
    (tmp_path / "de.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match="melanoma_in_situ"):
        load_patient_text("de", tmp_path)
    shutil.copy(TEXT_DIR / "en.json", tmp_path / "fr.json")
    with pytest.raises(ConfigError, match="language"):
        load_patient_text("fr", tmp_path)
