"""Explainer: a confirmed request goes online with sources; everything else answers from the knowledge base,
labelled, in the patient's language."""

from __future__ import annotations

import json

import pytest
from fake_perplexity import VALID_KEY, FakePerplexity, Reply, error_body, success_body
from memory_keyring import MemoryKeyring

from dermstation.assistant.client import PerplexityClient, RetryPolicy
from dermstation.assistant.deidentify import ScrubTerms
from dermstation.assistant.explain import Explainer, Origin
from dermstation.assistant.keys import KeyStore
from dermstation.assistant.privacy import PatientContext
from dermstation.core.errors import ValidationError
from dermstation.core.patient_text import patient_text

CONTEXT = PatientContext("nv.compound", "en", "reassure_self_exam", age_band="30-39", body_region="upper_back")
GERMAN = PatientContext("mel.ssm", "de", "excision", age_band="50-59")
GERMAN_ANSWER = ("Ein Melanom ist eine Form von Hautkrebs, die von den Pigmentzellen ausgeht [1]. Ihre Ärztin oder "
                 "Ihr Arzt entfernt die Stelle mit einem Sicherheitsabstand und lässt sie untersuchen [2].")


def explainer(server: FakePerplexity) -> Explainer:
    return Explainer(KeyStore(), lambda key: PerplexityClient(
        key, base_url=server.base_url, retry=RetryPolicy(max_attempts=2), sleep=lambda _s: None,
        read_timeout_s=0.5))


def test_a_confirmed_draft_is_sent_byte_for_byte(fake_perplexity: FakePerplexity, memory_keyring: MemoryKeyring) -> None:
    KeyStore().set(VALID_KEY)
    draft = explainer(fake_perplexity).draft(CONTEXT, "Is it harmless?", online=True)
    assert draft.online and "Is it harmless?" in draft.request_text
    answer = explainer(fake_perplexity).answer(draft, confirmed=True)
    (seen,) = fake_perplexity.requests
    assert seen.raw == draft.request_text.encode("utf-8")  # exactly what the clinician was shown
    assert answer.origin is Origin.PERPLEXITY and not answer.offline and answer.notice == ""
    assert [s.url for s in answer.sources][0] == "https://www.nhs.uk/conditions/moles/"
    assert answer.text.startswith("A mole is a harmless cluster")
    assert answer.text.endswith(patient_text("en").explanation["disclaimer"])


def test_an_unconfirmed_draft_is_never_sent(fake_perplexity: FakePerplexity, memory_keyring: MemoryKeyring) -> None:
    KeyStore().set(VALID_KEY)
    draft = explainer(fake_perplexity).draft(CONTEXT, "", online=True)
    with pytest.raises(ValidationError):
        explainer(fake_perplexity).answer(draft, confirmed=False)
    assert fake_perplexity.requests == []


def test_no_key_answers_offline_without_any_request(fake_perplexity: FakePerplexity,
                                                    memory_keyring: MemoryKeyring) -> None:
    draft = explainer(fake_perplexity).draft(CONTEXT, "", online=True)
    assert not draft.online and draft.request_text == ""
    answer = explainer(fake_perplexity).answer(draft, confirmed=False)
    assert answer.origin is Origin.OFFLINE and "No API key" in answer.notice
    assert answer.text.startswith(patient_text("en").diagnosis("benign_naevus").name)
    assert all(s.url.startswith("https://") for s in answer.sources) and fake_perplexity.requests == []


def test_offline_when_the_clinic_has_not_allowed_online(fake_perplexity: FakePerplexity,
                                                         memory_keyring: MemoryKeyring) -> None:
    KeyStore().set(VALID_KEY)
    answer = explainer(fake_perplexity).explain(CONTEXT, "Question?", online=False)
    assert answer.offline and fake_perplexity.requests == []
    assert answer.notice.startswith("The offline knowledge base cannot answer individual questions")


@pytest.mark.parametrize("replies,phrase", [
    ([Reply(401, error_body("bad key", "invalid_api_key", 401))], "rejected the API key"),
    ([Reply(500), Reply(503)], "temporarily unavailable"),
    ([Reply(delay_s=10)], "took too long"),
    ([Reply(200, b"nonsense")], "cannot read"),
])
def test_online_failures_fall_back_offline_and_say_why(fake_perplexity: FakePerplexity, memory_keyring: MemoryKeyring,
                                                       replies, phrase: str) -> None:
    KeyStore().set(VALID_KEY)
    fake_perplexity.queue(*replies)
    answer = explainer(fake_perplexity).explain(CONTEXT, "Is it harmless?")
    assert answer.offline and phrase in answer.notice
    assert patient_text("en").diagnosis("benign_naevus").plain in answer.text


@pytest.mark.clinical_safety
def test_an_online_answer_in_the_wrong_language_falls_back(fake_perplexity: FakePerplexity,
                                                           memory_keyring: MemoryKeyring) -> None:
    KeyStore().set(VALID_KEY)
    fake_perplexity.queue(Reply(body=success_body("A melanoma is a skin cancer of the pigment cells [1]. It is "
                                                  "usually removed with a margin of healthy skin [2].")))
    answer = explainer(fake_perplexity).explain(GERMAN, "")
    assert answer.offline and answer.language == "de" and "not written in Deutsch" in answer.notice
    assert patient_text("de").diagnosis("melanoma_invasive").plain in answer.text
    fake_perplexity.queue(Reply(body=success_body(GERMAN_ANSWER)))
    right = explainer(fake_perplexity).explain(GERMAN, "")
    assert right.origin is Origin.PERPLEXITY and right.text.startswith("Ein Melanom")


def test_the_question_is_deidentified_before_it_is_sent(fake_perplexity: FakePerplexity,
                                                        memory_keyring: MemoryKeyring) -> None:
    KeyStore().set(VALID_KEY)
    terms = ScrubTerms(names=("Zoltan", "Kowalczyk"), record_number="MRN-777")
    answer = explainer(fake_perplexity).explain(CONTEXT, "Is Zoltan Kowalczyk (MRN-777) ok? zk@mail.example", terms)
    raw = fake_perplexity.requests[0].raw.decode()
    for secret in ("Zoltan", "Kowalczyk", "777", "zk@mail"):
        assert secret not in raw
    assert answer.scrubbed == 4
    assert json.loads(raw)["messages"][1]["content"].endswith("Is [name] [name] ([number]) ok? [email]")


def test_default_client_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from dermstation.assistant.explain import default_client

    assert default_client("k").base_url == "https://api.perplexity.ai" and default_client("k").model == "sonar"
    monkeypatch.setenv("DERMSTATION_PERPLEXITY_BASE_URL", "http://127.0.0.1:1/")
    monkeypatch.setenv("DERMSTATION_PERPLEXITY_MODEL", "sonar-pro")
    client = default_client("k")
    assert (client.base_url, client.model) == ("http://127.0.0.1:1", "sonar-pro")


@pytest.mark.clinical_safety
def test_an_online_answer_calling_a_signed_cancer_harmless_is_not_shown(fake_perplexity: FakePerplexity,
                                                                         memory_keyring: MemoryKeyring) -> None:
    KeyStore().set(VALID_KEY)
    lentigo_maligna = PatientContext("mel.lentigo_maligna", "en", "excision")
    fake_perplexity.queue(Reply(body=success_body("A lentigo maligna is a harmless age spot that needs no "
                                                  "treatment [1]. Keep an eye on it [2].")))
    answer = explainer(fake_perplexity).explain(lentigo_maligna, "")
    assert answer.offline and "contradicts" in answer.notice
    assert answer.text.startswith(patient_text("en").diagnosis("melanoma_in_situ").name)
    # the same words about a signed benign naevus are what the patient should read
    fake_perplexity.queue(Reply(body=success_body("A compound naevus is a harmless mole [1]. Check it monthly and "
                                                  "show your doctor any change [2].")))
    assert not explainer(fake_perplexity).explain(CONTEXT, "").offline
