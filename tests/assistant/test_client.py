"""PerplexityClient against the local fake server: citations, bad key, rate limits, 5xx, timeouts, bad JSON."""

from __future__ import annotations

import logging
import random
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fake_perplexity import VALID_KEY, FakePerplexity, Reply, error_body, success_body

from dermstation.assistant.client import (
    AssistantBadResponse,
    AssistantKeyRejected,
    AssistantOffline,
    AssistantRateLimited,
    AssistantRefused,
    AssistantTimeout,
    AssistantUnavailable,
    PerplexityClient,
    RetryPolicy,
    retry_after_seconds,
)
from dermstation.core.errors import AssistantError

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is a mole?"}]


class Sleeps:
    """Records requested sleeps instead of sleeping (tests never wait on wall-clock backoff)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client(server: FakePerplexity, sleeps: Sleeps | None = None, key: str = VALID_KEY, **kw) -> PerplexityClient:
    return PerplexityClient(key, base_url=server.base_url, sleep=sleeps or Sleeps(), rng=random.Random(7),
                            connect_timeout_s=2.0, read_timeout_s=kw.pop("read_timeout_s", 5.0), **kw)


def test_success_returns_text_and_cited_sources(fake_perplexity: FakePerplexity) -> None:
    completion = client(fake_perplexity).complete(MESSAGES)
    assert completion.text.startswith("A mole is a harmless")
    assert [c.url for c in completion.citations] == [
        "https://www.nhs.uk/conditions/moles/", "https://www.aad.org/public/diseases/a-z/moles-overview"]
    assert completion.citations[0].title == "Source 1"
    assert completion.model == "sonar" and completion.finish_reason == "stop"
    assert completion.created == datetime.fromtimestamp(1_763_900_000, UTC)
    assert completion.total_tokens == 200
    (seen,) = fake_perplexity.requests
    assert seen.path == "/chat/completions"
    assert seen.headers["Authorization"] == f"Bearer {VALID_KEY}"
    assert seen.headers["Content-Type"] == "application/json"
    body = seen.json
    assert body["model"] == "sonar" and body["messages"] == MESSAGES
    assert 0 <= body["temperature"] <= 1 and body["max_tokens"] > 0


def test_search_results_without_citations_still_give_sources(fake_perplexity: FakePerplexity) -> None:
    body = success_body()
    body.pop("citations")
    fake_perplexity.queue(Reply(body=body))
    completion = client(fake_perplexity).complete(MESSAGES)
    assert [c.title for c in completion.citations] == ["Source 1", "Source 2"]


def test_bad_key_is_a_clear_error_and_not_retried(fake_perplexity: FakePerplexity) -> None:
    sleeps = Sleeps()
    with pytest.raises(AssistantKeyRejected) as info:
        client(fake_perplexity, sleeps, key="pplx-wrong").complete(MESSAGES)
    assert "API key" in info.value.message and "Settings" in info.value.message
    assert "401" in info.value.details and "Invalid API key" in info.value.details
    assert len(fake_perplexity.requests) == 1 and sleeps.calls == []


def test_429_then_success_honours_retry_after(fake_perplexity: FakePerplexity) -> None:
    sleeps = Sleeps()
    fake_perplexity.queue(Reply(429, error_body("rate limited", "rate_limit_exceeded", 429), {"Retry-After": "2"}))
    completion = client(fake_perplexity, sleeps).complete(MESSAGES)
    assert completion.text
    assert sleeps.calls == [2.0]
    assert len(fake_perplexity.requests) == 2


def test_retry_after_beyond_the_ceiling_fails_at_once(fake_perplexity: FakePerplexity) -> None:
    sleeps = Sleeps()
    fake_perplexity.queue(Reply(429, error_body("slow down", "rate_limit_exceeded", 429), {"Retry-After": "3600"}))
    with pytest.raises(AssistantRateLimited) as info:
        client(fake_perplexity, sleeps).complete(MESSAGES)
    assert sleeps.calls == [] and len(fake_perplexity.requests) == 1
    assert "3600" in info.value.details


def test_429_without_retry_after_uses_bounded_backoff(fake_perplexity: FakePerplexity) -> None:
    sleeps = Sleeps()
    fake_perplexity.queue(*[Reply(429, error_body("busy", "rate_limit_exceeded", 429)) for _ in range(3)])
    policy = RetryPolicy(max_attempts=3, backoff_base_s=0.5, backoff_max_s=0.75)
    with pytest.raises(AssistantRateLimited) as info:
        client(fake_perplexity, sleeps, retry=policy).complete(MESSAGES)
    assert len(fake_perplexity.requests) == 3 and len(sleeps.calls) == 2
    assert 0 <= sleeps.calls[0] <= 0.5 and 0 <= sleeps.calls[1] <= 0.75  # full jitter, capped
    assert "3 attempts" in info.value.details


def test_500_exhausts_retries_with_exponential_backoff(fake_perplexity: FakePerplexity) -> None:
    sleeps = Sleeps()
    fake_perplexity.queue(*[Reply(500, error_body("internal", "server_error", 500)) for _ in range(4)])
    policy = RetryPolicy(max_attempts=4, backoff_base_s=1.0, backoff_max_s=100.0)
    with pytest.raises(AssistantUnavailable) as info:
        client(fake_perplexity, sleeps, retry=policy).complete(MESSAGES)
    assert len(fake_perplexity.requests) == 4
    assert len(sleeps.calls) == 3
    for attempt, slept in enumerate(sleeps.calls, start=1):
        assert 0 <= slept <= 2 ** (attempt - 1)
    assert "temporarily unavailable" in info.value.message and "HTTP 500" in info.value.details


def test_503_then_success(fake_perplexity: FakePerplexity) -> None:
    fake_perplexity.queue(Reply(503, b"<html>maintenance</html>"))
    assert client(fake_perplexity).complete(MESSAGES).text


def test_slow_response_is_a_timeout_error_not_a_hang(fake_perplexity: FakePerplexity) -> None:
    fake_perplexity.queue(Reply(delay_s=30))
    with pytest.raises(AssistantTimeout) as info:
        client(fake_perplexity, read_timeout_s=0.3).complete(MESSAGES)
    assert "too long" in info.value.message
    assert len(fake_perplexity.requests) == 1  # a slow answer is not retried


def test_malformed_json_is_a_bad_response(fake_perplexity: FakePerplexity) -> None:
    fake_perplexity.queue(Reply(200, b'{"choices": [ not json'))
    with pytest.raises(AssistantBadResponse):
        client(fake_perplexity).complete(MESSAGES)


@pytest.mark.parametrize("body", [{"choices": []}, {"id": "x"}, [1, 2], {"choices": [{"message": "hi"}]}])
def test_json_of_the_wrong_shape_is_a_bad_response(fake_perplexity: FakePerplexity, body) -> None:
    fake_perplexity.queue(Reply(200, body))
    with pytest.raises(AssistantBadResponse):
        client(fake_perplexity).complete(MESSAGES)


@pytest.mark.parametrize("body", [
    success_body(content="", finish_reason="stop"),
    success_body(content="I can't help with that.", finish_reason="content_filter"),
])
def test_refusals_are_reported(fake_perplexity: FakePerplexity, body) -> None:
    fake_perplexity.queue(Reply(200, body))
    with pytest.raises(AssistantRefused):
        client(fake_perplexity).complete(MESSAGES)


def test_400_is_a_refusal(fake_perplexity: FakePerplexity) -> None:
    fake_perplexity.queue(Reply(400, error_body("Invalid model", "invalid_model", 400)))
    with pytest.raises(AssistantRefused):
        client(fake_perplexity).complete(MESSAGES)


def test_no_network_is_a_clear_offline_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    c = PerplexityClient(VALID_KEY, base_url=f"http://127.0.0.1:{port}", sleep=sleeps,
                         retry=RetryPolicy(max_attempts=2), connect_timeout_s=1, read_timeout_s=1)
    with pytest.raises(AssistantOffline) as info:
        c.complete(MESSAGES)
    assert "cannot be reached" in info.value.message
    assert len(sleeps.calls) == 1
    assert isinstance(info.value, AssistantError)


def test_the_key_never_reaches_the_log(fake_perplexity: FakePerplexity, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    c = client(fake_perplexity)
    c.complete(MESSAGES)
    fake_perplexity.queue(Reply(500), Reply(500), Reply(500))
    with pytest.raises(AssistantUnavailable) as info:
        c.complete(MESSAGES)
    assert VALID_KEY not in repr(c)
    text = caplog.text + str(info.value) + repr(info.value)
    assert caplog.records and VALID_KEY not in text


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
