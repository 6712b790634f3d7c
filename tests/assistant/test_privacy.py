"""What leaves the machine: the structured fields of the signed assessment and a de-identified question."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from fake_perplexity import VALID_KEY
from identifiers import CASES, EVERY_IDENTIFIER, TERMS

from dermstation.assistant.client import PerplexityClient
from dermstation.assistant.deidentify import deidentify, fold
from dermstation.assistant.privacy import PatientContext, age_band, build_messages, clean_question
from dermstation.core.assessments import Plan, PlanKind, SignedAssessment
from dermstation.core.diagnoses import catalogue
from dermstation.core.domain import ReferralUrgency
from dermstation.core.errors import ValidationError

pytestmark = pytest.mark.clinical_safety

CONTEXT = PatientContext("mel.ssm", "de", "referral_urgent", age_band="40-49", body_region="upper_back")


def signed(code: str | None, plan: Plan | None, notes: str = "Anna Müller, MRN-4711, seen with her husband Jörg",
           legacy: str = "") -> SignedAssessment:
    return SignedAssessment(
        id=7, lesion_id=3, analysis_id=5, capture_id=4, version=1,
        diagnosis=catalogue().find(code), plan=plan, notes=notes, signed_by="Dr Derma Smith", signed_by_id=2,
        signed_at=datetime(2026, 5, 14, 10, tzinfo=UTC), legacy_text=legacy,
    )


def outgoing_body(question: str, context: PatientContext = CONTEXT) -> str:
    """Exactly the text the client would POST."""
    client = PerplexityClient(VALID_KEY, base_url="http://127.0.0.1:9")
    return client.request_text(build_messages(context, clean_question(question, TERMS)))


def test_the_prompt_holds_the_allow_listed_fields_only() -> None:
    messages = build_messages(CONTEXT, deidentify("Is it dangerous?"))
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    assert "catalogue code mel.ssm" in user and "SNOMED CT" in user and "Superficial spreading melanoma" in user
    assert "Melanoma, a type of skin cancer" in user  # the reviewed patient wording of its group
    assert "urgent referral" in user and "Body region: upper back" in user and "Patient age band: 40-49" in user
    assert "German" in messages[0]["content"] and "never contradict" in messages[0]["content"]
    assert user.endswith("Is it dangerous?")


def test_from_assessment_takes_code_plan_band_region_and_nothing_typed() -> None:
    plan = Plan(PlanKind.REFERRAL, urgency=ReferralUrgency.URGENT, hospital_id=3, hospital_name="Addenbrooke's")
    context = PatientContext.from_assessment(signed("mel.lentigo_maligna", plan), "hi", born=date(1950, 1, 1),
                                             body_site="left cheek")
    assert (context.diagnosis_code, context.plan, context.body_region) == ("mel.lentigo_maligna", "referral_urgent",
                                                                            "face")
    assert context.age_band in ("70-79", "80+")
    body = outgoing_body("", context)
    for secret in ("Anna", "Müller", "4711", "Jörg", "Addenbrooke", "Derma", "1950", "cheek", "left"):
        assert secret not in body, secret
    monitor = PatientContext.from_assessment(signed("nv.compound", Plan(PlanKind.MONITOR, 6)), "en")
    assert (monitor.plan, monitor.follow_up_months) == ("monitor", 6)


@pytest.mark.parametrize("code,plan,legacy", [
    (None, None, "Melanoma ruled out"),  # uncoded free text from before coding: never interpreted
    ("mel.ssm", None, ""),  # no plan
])
def test_no_context_without_a_coded_diagnosis_and_plan(code: str | None, plan: Plan | None, legacy: str) -> None:
    with pytest.raises(ValidationError):
        PatientContext.from_assessment(signed(code, plan, legacy=legacy), "en")
    with pytest.raises(ValidationError):
        PatientContext.from_assessment(None, "en")


def test_an_unscrubbed_question_cannot_be_sent() -> None:
    with pytest.raises(TypeError):
        build_messages(CONTEXT, "raw question")  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [
    {"diagnosis_code": "Anna Müller"},
    {"diagnosis_code": "melanoma"},
    {"language": "xx"},
    {"plan": "call Anna on 0301234567"},
    {"follow_up_months": 240},
    {"age_band": "born 1980"},
    {"body_region": "4 Orchard Way"},
])
def test_the_context_accepts_no_free_text(kwargs: dict) -> None:
    base = {"diagnosis_code": "nv.compound", "language": "en", "plan": "reassure_self_exam"}
    with pytest.raises(ValidationError):
        PatientContext(**{**base, **kwargs})


def test_every_typed_identifier_is_gone_from_the_request_body() -> None:
    bodies = fold(" ".join(outgoing_body(case.question) for case in CASES))
    for fragment in EVERY_IDENTIFIER:
        assert fold(fragment) not in bodies, fragment


def test_the_request_text_is_valid_json_of_the_documented_shape() -> None:
    body = json.loads(outgoing_body("Is it dangerous?"))
    assert body["model"] == "sonar" and [m["role"] for m in body["messages"]] == ["system", "user"]


def test_question_too_long_is_rejected() -> None:
    with pytest.raises(ValidationError):
        clean_question("x" * 1001)


@pytest.mark.parametrize("born,band", [
    (None, "unknown"), (date(2020, 6, 1), "0-17"), (date(2000, 6, 1), "18-29"),
    (date(1980, 6, 2), "40-49"), (date(1980, 6, 1), "40-49"), (date(1940, 1, 1), "80+"), (date(2030, 1, 1), "unknown"),
])
def test_age_bands(born, band) -> None:
    assert age_band(born, today=date(2026, 6, 1)) == band
