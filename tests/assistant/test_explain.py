"""Explainer: online answers with sources, offline answers clearly labelled, every failure explained."""

from __future__ import annotations

import json

import pytest
from fake_perplexity import VALID_KEY, FakePerplexity, Reply, error_body
from memory_keyring import MemoryKeyring

from dermstation.assistant.client import PerplexityClient, RetryPolicy
from dermstation.assistant.explain import Explainer, Origin
from dermstation.assistant.keys import KeyStore
from dermstation.assistant.privacy import PatientContext, ScrubTerms

CONTEXT = PatientContext("nv", (("nv", 0.9), ("mel", 0.1)), "en", age_band="30-39")


def explainer(server: FakePerplexity) -> Explainer:
    return Explainer(KeyStore(), lambda key: PerplexityClient(
        key, base_url=server.base_url, retry=RetryPolicy(max_attempts=2), sleep=lambda _s: None,
        read_timeout_s=0.5))


def test_online_answer_has_sources_and_origin(fake_perplexity: FakePerplexity, memory_keyring: MemoryKeyring) -> None:
    KeyStore().set(VALID_KEY)
    answer = explainer(fake_perplexity).explain(CONTEXT, "Is it harmless?")
    assert answer.origin is Origin.PERPLEXITY and not answer.offline and answer.notice == ""
    assert [s.url for s in answer.sources][0] == "https://www.nhs.uk/conditions/moles/"
    assert answer.model == "sonar" and answer.sent_question == "Is it harmless?"
    assert answer.text.startswith("A mole is a harmless cluster")
    assert answer.text.endswith("Please follow your dermatologist's advice.")  # the reviewed disclaimer


def test_no_key_answers_offline_without_any_request(fake_perplexity: FakePerplexity,
                                                    memory_keyring: MemoryKeyring) -> None:
    answer = explainer(fake_perplexity).explain(CONTEXT, "")
    assert answer.origin is Origin.OFFLINE and answer.offline
    assert "No API key" in answer.notice
    assert answer.text.startswith("About your result: Melanocytic naevus")
    assert all(s.url.startswith("https://") for s in answer.sources)
    assert fake_perplexity.requests == []


def test_offline_when_the_clinic_forbids_online(fake_perplexity: FakePerplexity, memory_keyring: MemoryKeyring) -> None:
    KeyStore().set(VALID_KEY)
    answer = explainer(fake_perplexity).explain(CONTEXT, "Question?", online=False)
    assert answer.offline and fake_perplexity.requests == []
    assert answer.notice.startswith("The offline knowledge base cannot answer individual questions")
    assert answer.text.startswith("About your result")  # the patient's copy holds no note to the clinician


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
    assert "About your result" in answer.text


def test_the_question_is_scrubbed_before_it_is_sent(fake_perplexity: FakePerplexity,
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
