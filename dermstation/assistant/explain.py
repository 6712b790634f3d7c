"""One answer to "explain this result to the patient": online (Perplexity) when possible, else the
offline knowledge base, always labelled with where it came from.

Online is tried only when a key is set and online use is allowed. Any online failure (no network,
timeout, rate limit, server trouble, a refusal, a rejected key) falls back to the knowledge base,
and the answer carries a plain ``notice`` saying why, so the clinician is never left without an
explanation and always knows which kind they are reading.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from dermstation.assistant.client import (
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    AssistantKeyRejected,
    Completion,
    PerplexityClient,
)
from dermstation.assistant.keys import ApiKey, KeyStore
from dermstation.assistant.knowledge_base import KnowledgeBase, Source, knowledge_base
from dermstation.assistant.privacy import PatientContext, Scrubbed, ScrubTerms, build_messages, clean_question
from dermstation.core.errors import AssistantError
from dermstation.core.i18n import _

log = logging.getLogger(__name__)


class Origin(StrEnum):
    PERPLEXITY = "perplexity"
    OFFLINE = "offline"


@dataclass(frozen=True)
class Answer:
    """An explanation and its provenance. ``sent_question`` is exactly what left the machine (or would have)."""

    text: str
    sources: tuple[Source, ...]
    origin: Origin
    model: str
    created_at: datetime
    language: str
    sent_question: str
    notice: str = ""  # why an offline answer was given although online was wanted ("" otherwise)
    scrubbed: int = 0  # how many identifiers were removed from the question

    @property
    def offline(self) -> bool:
        return self.origin is Origin.OFFLINE


ClientFactory = Callable[[str], PerplexityClient]

BASE_URL_ENV = "DERMSTATION_PERPLEXITY_BASE_URL"
MODEL_ENV = "DERMSTATION_PERPLEXITY_MODEL"


def default_client(key: str) -> PerplexityClient:
    """The production client; the endpoint and model can be changed by the environment (a proxy, a newer model)."""
    return PerplexityClient(
        key,
        base_url=os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL,
        model=os.environ.get(MODEL_ENV, "").strip() or DEFAULT_MODEL,
    )


class Explainer:
    """Turns an allow-listed context and a question into an :class:`Answer`."""

    def __init__(
        self,
        keys: KeyStore | None = None,
        client_factory: ClientFactory | None = None,
        knowledge: Callable[[str], KnowledgeBase] = knowledge_base,
    ) -> None:
        self._keys = keys or KeyStore()
        self._client_factory = client_factory or default_client
        self._knowledge = knowledge

    def key(self) -> ApiKey:
        return self._keys.get()

    def explain(self, context: PatientContext, question: str, terms: ScrubTerms | None = None, *,
                online: bool = True) -> Answer:
        """Answer ``question`` about ``context`` (blocking: call it on a worker thread)."""
        scrubbed = clean_question(question, terms)
        if scrubbed.changed:
            log.info("assistant: %d identifier(s) removed from the question", scrubbed.replacements)
        if not online:
            return self.offline(context, scrubbed, _question_notice(scrubbed))
        key = self._keys.get()
        if not key.present:
            return self.offline(context, scrubbed, _join(_("No API key is set: this answer comes from the offline "
                                                           "knowledge base."), _question_notice(scrubbed)))
        try:
            completion = self._client_factory(key.value).complete(build_messages(context, scrubbed))
        except AssistantKeyRejected as exc:
            return self.offline(context, scrubbed, _join(exc.message, _question_notice(scrubbed)))
        except AssistantError as exc:
            log.info("assistant: online answer failed (%s); answering offline", type(exc).__name__)
            reason = _("{reason} This answer comes from the offline knowledge base.").format(reason=exc.message)
            return self.offline(context, scrubbed, _join(reason, _question_notice(scrubbed)))
        return _online_answer(completion, context, scrubbed, self._knowledge(context.language).label("disclaimer"))

    def offline(self, context: PatientContext, scrubbed: Scrubbed, notice: str = "") -> Answer:
        kb = self._knowledge(context.language)
        entry = kb.entry(context.lesion_class)
        text = kb.render(context.lesion_class)
        return Answer(
            text=text,
            sources=entry.sources,
            origin=Origin.OFFLINE,
            model="knowledge-base",
            created_at=datetime.now(UTC),
            language=kb.language,
            sent_question=scrubbed.text,
            notice=notice,
            scrubbed=scrubbed.replacements,
        )


def _question_notice(scrubbed: Scrubbed) -> str:
    """Said to the clinician (not printed for the patient) when a typed question gets general information."""
    if not scrubbed.text.strip():
        return ""
    return _("The offline knowledge base cannot answer individual questions: it shows general information "
             "about this result.")


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _online_answer(completion: Completion, context: PatientContext, scrubbed: Scrubbed, disclaimer: str) -> Answer:
    # Whatever the online model wrote, the patient's copy ends with the reviewed disclaimer in their language.
    text = completion.text if disclaimer in completion.text else f"{completion.text}\n\n{disclaimer}"
    return Answer(
        text=text,
        sources=tuple(Source(c.title or c.url, c.url) for c in completion.citations),
        origin=Origin.PERPLEXITY,
        model=completion.model,
        created_at=completion.created,
        language=context.language,
        sent_question=scrubbed.text,
        scrubbed=scrubbed.replacements,
    )
