"""The signed diagnosis, not the model, speaks to the patient; without a signature nothing does."""

from __future__ import annotations

import json

import pytest
from clinic_fixtures import HOSPITAL, MODEL_SAYS, Clinic, sign
from fake_perplexity import VALID_KEY, FakePerplexity, Reply, success_body
from pdf_text import norm, pdf_text

from dermstation.core.errors import ValidationError
from dermstation.core.patient_text import patient_text
from dermstation.records.models import ClinicianAssessment
from dermstation.services.assessments import AssessmentService
from dermstation.services.assistant import AssistantService
from dermstation.services.container import Services
from dermstation.services.reports import ReportService
from dermstation.services.types import CurrentUser

pytestmark = pytest.mark.clinical_safety

BKL = patient_text("en").diagnosis("benign_keratosis")
MELANOMA = patient_text("en").diagnosis("melanoma_invasive")


def test_the_model_says_bkl_but_the_signed_melanoma_is_what_the_patient_reads(
    services: Services, admin: CurrentUser, dermatologist: CurrentUser, clinic: Clinic,
    assessments: AssessmentService, reports: ReportService, assistant: AssistantService,
    fake_perplexity: FakePerplexity,
) -> None:
    assert max(MODEL_SAYS, key=MODEL_SAYS.__getitem__) == "bkl"
    sign(assessments, dermatologist, clinic, "mel.ssm", "referral_urgent")

    # the printed summary
    summary = pdf_text(reports.patient_summary(dermatologist, clinic.analysis_id, language="en").pdf)
    assert norm(MELANOMA.name) in summary and norm(MELANOMA.plain) in summary
    assert norm(patient_text("en").plan["referral_urgent"]) in summary and HOSPITAL in summary
    for wrong in (BKL.name, BKL.plain, "harmless", "not cancer", "Check your skin once a month"):
        assert norm(wrong) not in summary, wrong

    # the offline answer
    offline = assistant.explain(dermatologist, clinic.analysis_id, "", "en")
    assert offline.offline and offline.text.startswith(MELANOMA.name) and BKL.name not in offline.text

    # the request the online service receives (after the administrator allowed it)
    assistant.set_api_key(admin, VALID_KEY)
    assistant.configure(admin, enabled=True, online=True)
    fake_perplexity.queue(Reply(body=success_body("Melanoma is a skin cancer of the pigment cells [1]. Your "
                                                  "dermatologist has referred you urgently to a hospital [2].")))
    online = assistant.explain(dermatologist, clinic.analysis_id, "What does this mean?", "en")
    assert online.origin == "perplexity"
    body = json.loads(fake_perplexity.requests[0].raw)
    prompt = body["messages"][1]["content"]
    assert "Superficial spreading melanoma" in prompt and "mel.ssm" in prompt and "urgent referral" in prompt
    for leaked in ("bkl", "keratosis", "0.9", "probabilit", "malignancy", HOSPITAL, "Okonkwo", "Adaeze", "004711"):
        assert leaked not in json.dumps(body, ensure_ascii=False), leaked


def test_amending_the_diagnosis_changes_every_text_and_retires_the_old_explanation(
    dermatologist: CurrentUser, clinic: Clinic, assessments: AssessmentService, reports: ReportService,
    assistant: AssistantService,
) -> None:
    sign(assessments, dermatologist, clinic, "nv.compound", "reassure_self_exam")
    first = assistant.explain(dermatologist, clinic.analysis_id, "", "en")
    approved = assistant.revise(dermatologist, first.id, first.text, approve=True)
    summary = pdf_text(reports.patient_summary(dermatologist, clinic.analysis_id, language="en").pdf)
    assert norm(patient_text("en").explanation["heading"]) in summary
    assert assistant.approved_explanation(dermatologist, clinic.analysis_id, "en").id == approved.id

    sign(assessments, dermatologist, clinic, "mel.lentigo_maligna", "excision")  # version 2 supersedes
    summary = pdf_text(reports.patient_summary(dermatologist, clinic.analysis_id, language="en").pdf)
    lm = patient_text("en").diagnosis("melanoma_in_situ")
    assert norm(lm.name) in summary and norm(patient_text("en").plan["excision"]) in summary
    assert "harmless" not in summary.split(norm(patient_text("en").labels["warning_signs"]))[0]
    # the explanation approved for the naevus is not printed beside the lentigo maligna
    assert norm(patient_text("en").explanation["heading"]) not in summary
    assert assistant.approved_explanation(dermatologist, clinic.analysis_id, "en") is None


def test_an_approved_explanation_is_printed_with_its_origin_and_numbered_sources(
    dermatologist: CurrentUser, clinic: Clinic, assessments: AssessmentService, reports: ReportService,
    assistant: AssistantService,
) -> None:
    sign(assessments, dermatologist, clinic, "bcc.nodular", "excision")
    answer = assistant.explain(dermatologist, clinic.analysis_id, "", "de")
    assistant.revise(dermatologist, answer.id, answer.text, approve=True)
    text = pdf_text(reports.patient_summary(dermatologist, clinic.analysis_id, language="de").pdf)
    words = patient_text("de").explanation
    assert norm(words["heading"]) in text and norm(words["offline"]) in text
    assert f"[1] {answer.sources[0].title}" in text and answer.sources[0].url in text
    # an explanation in another language is not printed on this summary
    english = pdf_text(reports.patient_summary(dermatologist, clinic.analysis_id, language="en").pdf)
    assert norm(patient_text("en").explanation["heading"]) not in english


def test_without_a_signed_coded_diagnosis_there_is_no_summary_and_no_explanation(
    services: Services, dermatologist: CurrentUser, clinic: Clinic, reports: ReportService,
    assistant: AssistantService,
) -> None:
    with pytest.raises(ValidationError, match="No diagnosis has been signed"):
        reports.patient_summary(dermatologist, clinic.analysis_id, language="en")
    with pytest.raises(ValidationError, match="No diagnosis has been signed"):
        assistant.explain(dermatologist, clinic.analysis_id, "", "en")
    # a signature from before coding (free text) is never read: still no patient text
    with services.database.session() as session:
        session.add(ClinicianAssessment(lesion_id=clinic.lesion_id, analysis_id=clinic.analysis_id, version=1,
                                        diagnosis_code=None, legacy_diagnosis="Melanoma ruled out – benign naevus",
                                        signed_by_id=dermatologist.id))
    with pytest.raises(ValidationError, match="free text"):
        reports.patient_summary(dermatologist, clinic.analysis_id, language="de")
    with pytest.raises(ValidationError, match="free text"):
        assistant.explain(dermatologist, clinic.analysis_id, "", "de")


def test_a_signature_on_another_picture_does_not_apply(
    services: Services, dermatologist: CurrentUser, clinic: Clinic, assessments: AssessmentService,
    reports: ReportService,
) -> None:
    sign(assessments, dermatologist, clinic, "mel.ssm", "excision")
    with services.database.session() as session:
        from dermstation.records.models import AnalysisRecord

        first = session.get(AnalysisRecord, clinic.analysis_id)
        later = AnalysisRecord(capture_id=first.capture_id, model_name="m", model_version="1",
                               probabilities=MODEL_SAYS, prediction="bkl", malignancy_score=0.05)
        session.add(later)
        session.flush()
        later_id = later.id
    with pytest.raises(ValidationError, match="No diagnosis has been signed"):
        reports.patient_summary(dermatologist, later_id, language="en")
