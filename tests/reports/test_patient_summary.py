"""The patient summary: the signed diagnosis group and plan in the patient's language, nothing else."""

from __future__ import annotations

from datetime import date

import pytest
from pdf_text import norm, pdf_pages, pdf_text, pdftotext
from report_samples import summary_data

from dermstation.core.diagnoses import PatientKey
from dermstation.core.errors import ValidationError
from dermstation.core.patient_text import CANCER_KEYS, PLAN_TEXT_KEYS, patient_text
from dermstation.reports import SummaryExplanation, render_patient_summary

pytestmark = pytest.mark.clinical_safety


@pytest.mark.parametrize("lang", ["en", "de", "es", "fr"])
def test_latin_languages(lang: str) -> None:
    pdf = render_patient_summary(summary_data(lang))
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    t = patient_text(lang)
    for expected in ("Adaeze Okonkwo", "MRN-004711", "Addenbrooke's Hospital", t.title,
                     t.diagnosis("melanoma_invasive").name, t.diagnosis("melanoma_invasive").plain,
                     t.plan["referral_urgent"], t.prevention[2], t.warning_signs[0], t.ai_note,
                     t.reassurance_malignant):
        assert norm(expected) in text, (lang, expected)


def test_hindi_summary_extracts() -> None:
    pdf = render_patient_summary(summary_data("hi", name="राम कुमार शर्मा"))
    assert pdf_pages(pdf) == 1
    flat = pdf_text(pdf).replace(" ", "")
    for word in ("नाम", "राम", "कुमार", "मेलेनोमा", "नंबर", "MRN-004711", "Addenbrooke'sHospital", "SPF30"):
        assert word in flat, word
    poppler = pdftotext(pdf)
    assert poppler is None or ("राम कुमार" in poppler and "नाम" in poppler)


def test_arabic_summary_extracts() -> None:
    pdf = render_patient_summary(summary_data("ar", name="فاطمة الزهراء"))
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    for word in ("فاطمة", "الزهراء", "الاسم", "طبيبك", "الشمس", "الميلانيني", "MRN-004711", "Addenbrooke's Hospital"):
        assert word in text, word


@pytest.mark.parametrize(("lang", "name"), [("ta", "செல்வி முருகன்"), ("te", "లక్ష్మి రెడ్డి")])
def test_tamil_and_telugu_summaries_fit_one_page(lang: str, name: str) -> None:
    # vowel signs drawn before their consonant come out of the text layer in drawing order, so only the
    # Latin parts are compared here; test_fonts checks the shaping and the conjuncts' characters
    pdf = render_patient_summary(summary_data(lang, name=name))
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    assert "MRN-004711" in text and "Addenbrooke's Hospital" in text and "SPF 30" in text


@pytest.mark.parametrize("key", list(PatientKey))
def test_each_diagnosis_group(key: PatientKey) -> None:
    text = pdf_text(render_patient_summary(summary_data("en", patient_key=key.value, plan="reassure_self_exam")))
    t = patient_text("en")
    assert norm(t.diagnosis(key).plain) in text and norm(t.plan["reassure_self_exam"]) in text
    assert (norm(t.reassurance_malignant) in text) == (key in CANCER_KEYS)


@pytest.mark.parametrize("plan", PLAN_TEXT_KEYS)
def test_what_happens_next_is_the_plan(plan: str) -> None:
    data = summary_data("de", patient_key="uncertain", plan=plan, follow_up_due=date(2026, 8, 14))
    text = pdf_text(render_patient_summary(data))
    assert norm(patient_text("de").plan[plan]) in text
    assert ("14. August 2026" in text) == (plan in ("monitor", "dermoscopic_follow_up"))
    assert ("Addenbrooke's Hospital" in text) == plan.startswith("referral")
    others = [p for p in PLAN_TEXT_KEYS if p != plan]
    assert not any(norm(patient_text("de").plan[p]) in text for p in others)


def test_an_approved_explanation_is_printed_with_its_origin_and_sources() -> None:
    explanation = SummaryExplanation("Melanoma explained in plain words [1].\n\nWhat happens next\nYou will be seen "
                                     "at the hospital [2].",
                                     (("NHS — Melanoma skin cancer", "https://www.nhs.uk/conditions/melanoma-skin-cancer/"),
                                      ("DermNet — Melanoma", "https://dermnetnz.org/topics/melanoma")), "online")
    text = pdf_text(render_patient_summary(summary_data("en", explanation=explanation)))
    words = patient_text("en").explanation
    for expected in (words["heading"], words["online"], "Melanoma explained in plain words [1].",
                     "You will be seen at the hospital [2].", "[1] NHS — Melanoma skin cancer",
                     "[2] DermNet — Melanoma — https://dermnetnz.org/topics/melanoma"):
        assert norm(expected) in text, expected
    offline = pdf_text(render_patient_summary(summary_data("en", explanation=SummaryExplanation(
        "Text", (), "offline"))))
    assert norm(words["offline"]) in offline and norm(words["online"]) not in offline
    assert norm(words["heading"]) not in pdf_text(render_patient_summary(summary_data("en")))


def test_a_child_s_summary_is_addressed_to_the_parents() -> None:
    text = pdf_text(render_patient_summary(summary_data("es", age_band="0-17")))
    assert norm(patient_text("es").for_parents) in text


def test_unknown_language_falls_back_to_english() -> None:
    text = pdf_text(render_patient_summary(summary_data("xx")))
    assert norm(patient_text("en").title) in text


def test_bad_inputs() -> None:
    with pytest.raises(ValidationError):
        render_patient_summary(summary_data("en", patient_key="mel"))  # a model class is not a diagnosis group
    with pytest.raises(ValidationError):
        render_patient_summary(summary_data("en", plan="pray"))
