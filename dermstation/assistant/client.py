"""A small, blocking client for the Perplexity chat-completions API (run it on a worker thread).

The API (https://docs.perplexity.ai), as this client uses it::

    POST {base_url}/chat/completions                     base_url = https://api.perplexity.ai
    Authorization: Bearer <key>
    Content-Type: application/json

    {"model": "sonar",
     "messages": [{"role": "system", "content": "..."}, {"role": "user", "content": "..."}],
     "temperature": 0.2, "max_tokens": 600,
     "search_domain_filter": ["who.int", "aad.org", ...]}          # optional

    200 → {"id": "...", "model": "sonar", "created": 1700000000,
           "choices": [{"index": 0, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "... [1] ..."}}],
           "citations": ["https://...", ...],                       # [n] in the text is citations[n-1]
           "search_results": [{"title": "...", "url": "https://...", "date": "2024-01-01"}],
           "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}
    401 → bad or revoked key;  429 → rate limited (``Retry-After`` seconds or HTTP date);  5xx → server trouble
    errors carry {"error": {"message": "...", "type": "...", "code": ...}}

Behaviour: separate connect and read timeouts; 429, 5xx and failed connections are retried with
exponential backoff and full jitter, honouring ``Retry-After`` up to a ceiling (a longer wait is
not slept through: the call fails at once and the caller answers offline); at most
``max_attempts`` tries. Every failure is an :class:`~dermstation.core.errors.AssistantError`
subclass with a plain message. The key and the request body are never logged.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from dermstation.core.errors import AssistantError
from dermstation.core.i18n import _

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.perplexity.ai"
DEFAULT_MODEL = "sonar"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REPUTABLE_DOMAINS: tuple[str, ...] = (
    "who.int", "aad.org", "nhs.uk", "dermnetnz.org", "skincancer.org", "cancer.org", "cancer.gov",
    "bad.org.uk", "medlineplus.gov",
)


# --- errors ------------------------------------------------------------------------------------
class AssistantKeyRejected(AssistantError):
    """401/403: the key is wrong, revoked or out of credit."""


class AssistantOffline(AssistantError):
    """No connection to the service (no network, DNS failure, proxy, refused connection)."""


class AssistantTimeout(AssistantError):
    """The service accepted the connection but did not answer in time."""


class AssistantRateLimited(AssistantError):
    """429 after every retry, or a ``Retry-After`` longer than we are willing to wait."""


class AssistantUnavailable(AssistantError):
    """5xx after every retry, or another unexpected HTTP status."""


class AssistantRefused(AssistantError):
    """The service declined to answer (content filter, empty answer, request rejected)."""


class AssistantBadResponse(AssistantError):
    """The answer was not the documented JSON."""


# --- values ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Citation:
    url: str
    title: str = ""


@dataclass(frozen=True)
class Completion:
    text: str
    citations: tuple[Citation, ...]
    model: str
    response_id: str
    created: datetime
    finish_reason: str
    total_tokens: int | None = None


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff_base_s: float = 0.5
    backoff_max_s: float = 8.0
    max_retry_after_s: float = 20.0  # a longer Retry-After fails at once (the caller answers offline)


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("type") or "")[:200]
        if isinstance(error, str):
            return error[:200]
        if isinstance(body.get("detail"), str):
            return body["detail"][:200]
    return ""


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def parse_completion(body: Any) -> Completion:
    """A :class:`Completion` from the documented JSON, or ``AssistantBadResponse``/``AssistantRefused``."""
    bad = AssistantBadResponse(_("The online assistant sent an answer DermStation cannot read."))
    if not isinstance(body, dict):
        bad.details = "body is not an object"
        raise bad
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        bad.details = "no choices"
        raise bad
    choice = choices[0]
    message = choice.get("message")
    if not isinstance(message, dict):
        bad.details = "choice without message"
        raise bad
    finish = str(choice.get("finish_reason") or "")
    content = message.get("content")
    refusal = message.get("refusal")
    if refusal or finish == "content_filter":
        raise AssistantRefused(
            _("The online assistant declined to answer this question."),
            details=f"finish_reason={finish}",
        )
    if not isinstance(content, str) or not content.strip():
        raise AssistantRefused(_("The online assistant gave an empty answer."), details=f"finish_reason={finish}")
    titles: dict[str, str] = {}
    for result in body.get("search_results") or ():
        if isinstance(result, dict) and isinstance(result.get("url"), str):
            titles[result["url"]] = str(result.get("title") or "")
    urls: list[str] = [u for u in (body.get("citations") or ()) if isinstance(u, str)]
    if not urls:  # newer responses may carry only search_results
        urls = list(titles)
    seen: set[str] = set()
    citations = []
    for url in urls:
        if url.startswith(("https://", "http://")) and url not in seen:
            seen.add(url)
            citations.append(Citation(url, titles.get(url, "")))
    created_raw = body.get("created")
    try:
        created = datetime.fromtimestamp(float(created_raw), UTC) if created_raw is not None else datetime.now(UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        created = datetime.now(UTC)
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    total = usage.get("total_tokens")
    return Completion(
        text=content.strip(),
        citations=tuple(citations),
        model=str(body.get("model") or ""),
        response_id=str(body.get("id") or ""),
        created=created,
        finish_reason=finish,
        total_tokens=int(total) if isinstance(total, int | float) else None,
    )


class PerplexityClient:
    """Blocking chat-completions calls with timeouts and retries. One instance per key; thread-safe
    for sequential use from the worker pool (``requests.Session`` is not shared across threads here:
    each call opens its own unless a session is given)."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 45.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        domain_filter: Sequence[str] | None = REPUTABLE_DOMAINS,
    ) -> None:
        if not api_key:
            raise AssistantKeyRejected(_("No API key is set for the online assistant."))
        self._key = api_key
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeouts = (connect_timeout_s, read_timeout_s)
        self.retry = retry or RetryPolicy()
        self._session = session
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._domain_filter = tuple(domain_filter) if domain_filter else ()

    def __repr__(self) -> str:
        return f"PerplexityClient(base_url={self.base_url!r}, model={self.model!r}, key=<hidden>)"

    def request_body(self, messages: Sequence[dict[str, str]], *, temperature: float = 0.2,
                     max_tokens: int = 600) -> dict[str, Any]:
        """The JSON body that :meth:`complete` sends (tests inspect it)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        if self._domain_filter:
            body["search_domain_filter"] = list(self._domain_filter)
        return body

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry.backoff_max_s, self.retry.backoff_base_s * (2 ** (attempt - 1)))
        return self._rng.uniform(0.0, ceiling)  # full jitter: clients that failed together spread out

    def request_text(self, messages: Sequence[dict[str, str]]) -> str:
        """The exact request body :meth:`send` posts, as the clinician is shown it before confirming."""
        return json.dumps(self.request_body(messages), ensure_ascii=False, indent=2)

    def complete(self, messages: Sequence[dict[str, str]], *, temperature: float = 0.2,
                 max_tokens: int = 600) -> Completion:
        """Send ``messages`` and return the answer. Raises an ``AssistantError`` subclass."""
        body = self.request_body(messages, temperature=temperature, max_tokens=max_tokens)
        return self.send(json.dumps(body, ensure_ascii=False))

    def send(self, body_text: str) -> Completion:
        """Post ``body_text`` byte for byte (UTF-8 JSON) and return the answer. Raises an ``AssistantError``."""
        data = body_text.encode("utf-8")
        url = f"{self.base_url}/chat/completions"
        headers = {"Authorization": f"Bearer {self._key}", "Content-Type": "application/json",
                   "Accept": "application/json"}
        attempts = max(1, self.retry.max_attempts)
        last_error: AssistantError | None = None
        for attempt in range(1, attempts + 1):
            wait: float | None = None
            try:
                poster = self._session.post if self._session is not None else requests.post
                response = poster(url, data=data, headers=headers, timeout=self.timeouts)
            except requests.exceptions.ConnectTimeout as exc:
                last_error = AssistantOffline(
                    _("The online assistant cannot be reached (no network connection?)."),
                    details=f"connect timeout after {self.timeouts[0]} s",
                )
                log.info("assistant: connect timeout (attempt %d/%d)", attempt, attempts)
                exc_to_chain: BaseException | None = exc
            except requests.exceptions.Timeout as exc:
                # A slow answer is not retried: the clinician would wait several read timeouts.
                raise AssistantTimeout(
                    _("The online assistant took too long to answer."),
                    details=f"no answer within {self.timeouts[1]} s",
                ) from exc
            except requests.exceptions.ConnectionError as exc:
                last_error = AssistantOffline(
                    _("The online assistant cannot be reached (no network connection?)."),
                    details=type(exc).__name__,
                )
                log.info("assistant: connection failed (attempt %d/%d)", attempt, attempts)
                exc_to_chain = exc
            except requests.exceptions.RequestException as exc:
                raise AssistantOffline(
                    _("The online assistant cannot be reached."), details=type(exc).__name__
                ) from exc
            else:
                exc_to_chain = None
                status = response.status_code
                if status == 200:
                    try:
                        payload = response.json()
                    except ValueError as exc:
                        raise AssistantBadResponse(
                            _("The online assistant sent an answer DermStation cannot read."),
                            details="invalid JSON",
                        ) from exc
                    completion = parse_completion(payload)
                    log.info("assistant: answer received (attempt %d, %d citations)", attempt,
                             len(completion.citations))
                    return completion
                detail = _error_message(response)
                log.info("assistant: HTTP %d (attempt %d/%d)", status, attempt, attempts)
                if status in (401, 403):
                    raise AssistantKeyRejected(
                        _("The online assistant rejected the API key. Ask an administrator to check it in "
                          "Settings."),
                        details=f"HTTP {status} {detail}".strip(),
                    )
                if status == 429:
                    last_error = AssistantRateLimited(
                        _("The online assistant is busy (too many requests). Try again in a minute."),
                        details=f"HTTP 429 {detail}".strip(),
                    )
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    if wait is not None and wait > self.retry.max_retry_after_s:
                        last_error.details += f"; Retry-After {wait:.0f} s"
                        raise last_error
                elif status in RETRY_STATUSES:
                    last_error = AssistantUnavailable(
                        _("The online assistant is temporarily unavailable."),
                        details=f"HTTP {status} {detail}".strip(),
                    )
                elif status in (400, 422):
                    raise AssistantRefused(
                        _("The online assistant did not accept this question."),
                        details=f"HTTP {status} {detail}".strip(),
                    )
                else:
                    raise AssistantUnavailable(
                        _("The online assistant answered with an unexpected error."),
                        details=f"HTTP {status} {detail}".strip(),
                    )
            if attempt < attempts:
                self._sleep(wait if wait is not None else self._backoff(attempt))
        assert last_error is not None
        last_error.details = f"{last_error.details}; {attempts} attempts"
        if exc_to_chain is not None:
            raise last_error from exc_to_chain
        raise last_error
