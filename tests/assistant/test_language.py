"""Is an answer in the patient's language? Script first, then a language identifier for Latin-script ones."""

from __future__ import annotations

import pytest

from dermstation.assistant.language import check_language
from dermstation.core.i18n import SUPPORTED_LANGUAGES
from dermstation.core.patient_text import patient_text

pytestmark = pytest.mark.clinical_safety

EN = "A melanoma is a type of skin cancer [1]. Your doctor will remove it with a margin of healthy skin."
ES = "El melanoma es un tipo de cáncer de piel [1]. Su médico lo quitará con un margen de piel sana."


@pytest.mark.parametrize("language", list(SUPPORTED_LANGUAGES))
def test_our_own_texts_are_recognised(language: str) -> None:
    text = patient_text(language)
    for key in ("melanoma_in_situ", "benign_naevus", "uncertain"):
        entry = text.diagnosis(key)
        check = check_language(f"{entry.plain} {entry.treatment}", language)
        assert check.matches, (language, key, check)


@pytest.mark.parametrize("language", [lang for lang in SUPPORTED_LANGUAGES if lang != "en"])
def test_an_english_answer_is_not_taken_for_another_language(language: str) -> None:
    assert not check_language(EN, language).matches


def test_close_languages_are_told_apart() -> None:
    assert check_language(ES, "es").matches
    assert check_language(ES, "fr").detected == "es"
    assert check_language(EN, "de").detected == "en"


def test_drug_names_citations_and_links_do_not_tip_a_hindi_answer() -> None:
    answer = ("मेलेनोमा त्वचा का कैंसर है [1]। डॉक्टर इसे ऑपरेशन से निकालते हैं, कभी-कभी Nivolumab या "
              "Pembrolizumab जैसी दवाएँ दी जाती हैं। https://www.nhs.uk/conditions/melanoma-skin-cancer/ SPF 30")
    assert check_language(answer, "hi").matches


def test_mixed_answers_and_too_little_text_do_not_pass() -> None:
    mixed = "मेलेनोमा त्वचा का कैंसर है। " + EN + " " + EN
    assert not check_language(mixed, "hi").matches
    assert check_language("OK [1]", "en").detected == ""
    assert not check_language(patient_text("ta").diagnosis("bcc").plain, "te").matches
