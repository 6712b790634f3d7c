"""The patient summary: the patient's language, plain words per diagnosis, next steps, prevention."""

from __future__ import annotations

import json

import pytest
from pdf_text import norm, pdf_pages, pdf_text, pdftotext
from report_samples import summary_data

from dermstation.core.domain import LESION_CLASSES, MALIGNANT_CLASSES
from dermstation.core.errors import ValidationError
from dermstation.reports import render_patient_summary
from dermstation.reports.patient_summary import NEXT_STEPS, TEXT_DIR, available_languages, patient_text

REQUIRED = ("en", "de", "es", "fr", "hi", "ar", "ta", "te")


def _keys(value: object, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        out = set()
        for k, v in value.items():
            out |= {prefix + k} | _keys(v, prefix + k + ".")
        return out
    return set()


def test_every_language_file_is_complete() -> None:
    assert set(REQUIRED) <= set(available_languages())
    english = json.loads((TEXT_DIR / "en.json").read_text(encoding="utf-8"))
    assert set(english["classes"]) == set(LESION_CLASSES)
    assert set(english["next_steps"]) == set(NEXT_STEPS)
    for lang in available_languages():
        text = patient_text(lang)
        assert text["language"] == lang
        assert _keys(text) == _keys(english), lang
        assert len(text["prevention"]) == len(english["prevention"])
        assert len(text["warning_signs"]) == len(english["warning_signs"])
        assert all(isinstance(v, str) and v.strip() for v in text["labels"].values())


@pytest.mark.parametrize("lang", ["en", "de", "es", "fr"])
def test_latin_languages(lang: str) -> None:
    pdf = render_patient_summary(summary_data(lang))
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    t = patient_text(lang)
    for expected in ("Adaeze Okonkwo", "MRN-004711", "Addenbrooke's Hospital", t["title"], t["classes"]["mel"]["name"],
                     t["next_steps"]["biopsy"], t["prevention"][2], t["warning_signs"][0], t["ai_note"],
                     t["reassurance_malignant"]):
        assert norm(expected) in text, (lang, expected)


def test_hindi_summary_extracts() -> None:
    pdf = render_patient_summary(summary_data("hi", name="राम कुमार शर्मा"))
    assert pdf_pages(pdf) == 1
    flat = pdf_text(pdf).replace(" ", "")
    for word in ("नाम", "राम", "कुमार", "मेलेनोमा", "नंबर", "MRN-004711", "Addenbrooke'sHospital", "SPF30"):
        assert word in flat, word
    poppler = pdftotext(pdf)
    assert poppler is None or ("राम कुमार" in poppler and "नाम" in poppler)
    from dermstation.reports import text_layer

    if text_layer.available():  # conjuncts keep their characters (reports/text_layer.py)
        assert "त्वचा" in flat and "प्रकार" in flat


def test_arabic_summary_extracts() -> None:
    pdf = render_patient_summary(summary_data("ar", name="فاطمة الزهراء"))
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    for word in ("فاطمة", "الزهراء", "الاسم", "طبيبك", "الشمس", "MRN-004711", "Addenbrooke's Hospital"):
        assert word in text, word


@pytest.mark.parametrize(("lang", "name"), [("ta", "செல்வி முருகன்"), ("te", "లక్ష్మి రెడ్డి")])
def test_tamil_and_telugu_summaries_fit_one_page(lang: str, name: str) -> None:
    # vowel signs drawn before their consonant come out of the text layer in drawing order, so only the
    # Latin parts are compared here; test_fonts checks the shaping and the conjuncts' characters
    pdf = render_patient_summary(summary_data(lang, name=name))
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    assert "MRN-004711" in text and "Addenbrooke's Hospital" in text and "SPF 30" in text


def test_tamil_and_telugu_names_render_in_english_summary() -> None:
    pdf = render_patient_summary(summary_data("en", name="தமிழ் செல்வி / తెలుగు"))
    assert pdf.startswith(b"%PDF-")


@pytest.mark.parametrize("cls", LESION_CLASSES)
def test_each_class_and_undecided(cls: str) -> None:
    text = pdf_text(render_patient_summary(summary_data("en", diagnosis_class=cls, next_steps=("self_check",))))
    t = patient_text("en")
    assert norm(t["classes"][cls]["plain"]) in text
    assert (norm(t["reassurance_malignant"]) in text) == (cls in MALIGNANT_CLASSES)


def test_undecided_and_follow_up_date() -> None:
    text = pdf_text(render_patient_summary(summary_data("de", diagnosis_class=None, next_steps=("follow_up",))))
    assert norm(patient_text("de")["undecided"]) in text
    assert "1. Juni 2026" in text


def test_unknown_language_falls_back_to_english() -> None:
    text = pdf_text(render_patient_summary(summary_data("xx")))
    assert norm(patient_text("en")["title"]) in text


def test_bad_inputs() -> None:
    with pytest.raises(ValidationError):
        render_patient_summary(summary_data("en", diagnosis_class="cancer"))
    with pytest.raises(ValidationError):
        render_patient_summary(summary_data("en", next_steps=("pray",)))
