"""The referral letter: recipient, patient, urgency, reason, lesions with the AI result as support."""

from __future__ import annotations

from pdf_text import norm, pdf_pages, pdf_text
from report_samples import referral_data

from dermstation.reports import render_referral_letter
from dermstation.reports.data import ReferralLesion


def test_letter_text() -> None:
    pdf = render_referral_letter(referral_data())
    assert pdf_pages(pdf) == 1
    text = pdf_text(pdf)
    for expected in ("Addenbrooke's Hospital — Dermatology", "Hills Road", "Cambridge CB2 0QQ", "United Kingdom",
                     "Okonkwo-Whitfield, Adaeze Margarethe", "MRN-004711", "April 23, 1979", "Urgency: Urgent",
                     "Changing pigmented lesion on the left upper back, suspected melanoma.",
                     "Clinical diagnosis: Superficial spreading melanoma", "SNOMED CT 254730000 · ICD-10 C43.5",
                     "Plan: Urgent referral to Addenbrooke's Hospital", "Signed by Dr Derma Smith, May 14, 2026",
                     "Clinician's notes: Asymmetric, 4 colours, grew 1 mm in 6 months.",
                     "AI score (decision support): 46.7% (threshold 35.0%; above)", norm("Area: 38.5 mm²"),
                     "change since last visit +23.3%", "decision support only", "ham10000-effnet-b0 1.3.0",
                     "Dr Derma Smith", "May 14, 2026", "+44 7700 900123"):
        assert expected in text, expected
    assert "Melanocytic nevus" not in text and "most likely class" not in text  # never the model's class


def test_routine_letter_without_lesions_or_ai() -> None:
    data = referral_data(urgency="routine", lesions=(ReferralLesion("scalp", "Seborrhoeic keratosis"),),
                         models=(), patient_phone="", patient_address="")
    text = pdf_text(render_referral_letter(data))
    assert "Urgency: Routine" in text and "Seborrhoeic keratosis" in text
    assert "AI score" not in text


def test_many_lesions_flow_onto_more_pages() -> None:
    lesion = referral_data().lesions[0]
    pdf = render_referral_letter(referral_data(lesions=(lesion,) * 6))
    assert pdf_pages(pdf) >= 2
    assert pdf_text(pdf).count("Clinical diagnosis: Superficial spreading melanoma") == 6
