"""What the fake Perplexity server receives: only structured, non-identifying fields and de-identified
questions, and only after an administrator allowed online answers and the clinician confirmed the request."""

from __future__ import annotations

from datetime import date

import pytest
from clinic_fixtures import Clinic, sign
from fake_perplexity import VALID_KEY, FakePerplexity, Reply, success_body
from identifiers import CASES

from dermstation.assistant.deidentify import ascii_digits, fold
from dermstation.core.domain import Role
from dermstation.core.errors import ValidationError
from dermstation.core.i18n import SUPPORTED_LANGUAGES
from dermstation.services.assessments import AssessmentService
from dermstation.services.assistant import AssistantService
from dermstation.services.container import Services
from dermstation.services.types import CurrentUser, PatientInput

pytestmark = pytest.mark.clinical_safety

# The record's own identifiers: the clinic fixture's patient, staff, hospital and clinic.
RECORD = ("Adaeze", "Okonkwo", "MRN-004711", "004711", "1979", "7700 900123", "900123", "adaeze.okonkwo",
          "Orchard", "CB1 2AB", "Dr Derma", "Ada Admin", "Addenbrooke", "Hills Road", "Riverside")


def _allow_online(assistant: AssistantService, admin: CurrentUser) -> None:
    assistant.set_api_key(admin, VALID_KEY)
    assistant.configure(admin, enabled=True, online=True)


def test_online_answers_are_off_until_an_administrator_turns_them_on(
    admin: CurrentUser, dermatologist: CurrentUser, clinic: Clinic, assessments: AssessmentService,
    assistant: AssistantService, fake_perplexity: FakePerplexity,
) -> None:
    sign(assessments, dermatologist, clinic, "mel.ssm", "excision")
    assistant.set_api_key(admin, VALID_KEY)  # a key alone does not switch online answers on
    status = assistant.status()
    assert status.enabled and not status.online_allowed and not status.online
    answer = assistant.explain(dermatologist, clinic.analysis_id, "Is it serious?", "en")
    assert answer.offline and fake_perplexity.requests == []
    assistant.configure(admin, enabled=True, online=True)
    assert assistant.status().online
    fake_perplexity.queue(Reply(body=success_body("Melanoma is a skin cancer of the pigment cells [1]. Your "
                                                  "dermatologist will remove it with a margin of skin [2].")))
    assert not assistant.explain(dermatologist, clinic.analysis_id, "", "en").offline
    assert len(fake_perplexity.requests) == 1


def test_nothing_is_sent_without_the_clinicians_confirmation(
    admin: CurrentUser, dermatologist: CurrentUser, clinic: Clinic, assessments: AssessmentService,
    assistant: AssistantService, fake_perplexity: FakePerplexity,
) -> None:
    sign(assessments, dermatologist, clinic, "nv.dysplastic", "dermoscopic_follow_up")
    _allow_online(assistant, admin)
    prepared = assistant.prepare(dermatologist, clinic.analysis_id, "fr")
    draft = assistant.draft(prepared, "Est-ce grave ?")
    assert draft.online and "Est-ce grave ?" in draft.request_text
    with pytest.raises(ValidationError):
        assistant.ask(prepared, draft, confirmed=False)
    assert fake_perplexity.requests == []
    fake_perplexity.queue(Reply(body=success_body("Un grain de beauté atypique n'est pas un cancer [1]. Votre "
                                                  "médecin le surveillera avec des images agrandies [2].")))
    answer = assistant.ask(prepared, draft, confirmed=True)
    assert fake_perplexity.requests[0].raw == draft.request_text.encode("utf-8")  # the exact preview, byte for byte
    assert answer.origin.value == "perplexity" and answer.language == "fr"


@pytest.mark.parametrize("language", list(SUPPORTED_LANGUAGES))
def test_request_bodies_hold_none_of_the_identifiers(
    language: str, services: Services, admin: CurrentUser, dermatologist: CurrentUser, clinic: Clinic,
    assessments: AssessmentService, assistant: AssistantService, fake_perplexity: FakePerplexity,
) -> None:
    # the multilingual identifiers of the question list are on file for this patient and this clinic's staff
    services.patients.update(dermatologist, clinic.patient_id, PatientInput(
        "MRN-004711", "Adaeze", "Okonkwo-Whitfield", date(1979, 4, 23), phone="+44 7700 900123",
        email="adaeze.okonkwo@example.org", address="4 Orchard Way, Cambridge CB1 2AB"))
    for n, name in enumerate(("Derma Smith", "Rita Reception", "प्रिया शर्मा", "செல்வி முருகன்", "లక్ష్మి రెడ్డి", "فاطمة الزهراء")):
        services.users.create_user(admin, f"staff{n}", name, Role.RECEPTIONIST, "staff-password-1")
    sign(assessments, dermatologist, clinic, "mel.lentigo_maligna", "referral_urgent")
    _allow_online(assistant, admin)
    for case in CASES:
        fake_perplexity.queue(Reply(body=success_body("x [1]")))  # the answer itself does not matter here
        assistant.explain(dermatologist, clinic.analysis_id, case.question, language)
    assert len(fake_perplexity.requests) == len(CASES)
    bodies = [r.raw.decode("utf-8") for r in fake_perplexity.requests]
    everything = fold(" ".join(bodies))
    digits = ascii_digits(" ".join(bodies))
    for case, body in zip(CASES, bodies, strict=True):
        for fragment in case.gone:
            assert fold(fragment) not in fold(body), (language, fragment)
    for fragment in RECORD:
        assert fold(fragment) not in everything, (language, fragment)
    assert "1979" not in digits and "004711" not in digits
