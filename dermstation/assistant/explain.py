"""One explanation of a signed diagnosis for the patient: online (Perplexity) when the clinic allows it
and the clinician confirmed the exact request, else the built-in knowledge base; always labelled.

Two steps, so that nothing leaves the machine unseen:

1. :meth:`Explainer.draft` de-identifies the question and, when online answers are allowed and a key
   is set, builds the exact request body (:class:`Draft.request_text`) for the clinician to read.
2. :meth:`Explainer.answer` sends exactly that text, only when ``confirmed``; otherwise, or when the
   online answer fails, is not written in the patient's language, or calls a signed cancer harmless,
   the knowledge base answers and the ``notice`` tells the clinician why.
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
from dermstation.assistant.deidentify import Scrubbed, ScrubTerms
from dermstation.assistant.keys import ApiKey, KeyStore
from dermstation.assistant.knowledge_base import Source, offline_answer
from dermstation.assistant.language import check_language
from dermstation.assistant.privacy import (
    PatientContext,
    build_messages,
    clean_question,
)
from dermstation.core.errors import AssistantError, ValidationError
from dermstation.core.i18n import SUPPORTED_LANGUAGES, _
from dermstation.core.patient_text import patient_text, reassures_about_cancer

log = logging.getLogger(__name__)

OFFLINE_MODEL = "knowledge-base"


class Origin(StrEnum):
    PERPLEXITY = "perplexity"
    OFFLINE = "offline"


@dataclass(frozen=True)
class Answer:
    """An explanation and its provenance. ``sent_question`` is the de-identified question."""

    text: str
    sources: tuple[Source, ...]
    origin: Origin
    model: str
    created_at: datetime
    language: str
    sent_question: str
    notice: str = ""  # to the clinician: why an offline answer was given although online was wanted
    scrubbed: int = 0  # how many identifiers were removed from the question

    @property
    def offline(self) -> bool:
        return self.origin is Origin.OFFLINE


@dataclass(frozen=True, repr=False)
class Draft:
    """A de-identified question and, when it would go online, the exact request body to confirm."""

    context: PatientContext
    question: Scrubbed
    request_text: str = ""  # "" when nothing will leave the machine
    notice: str = ""  # why the answer will come from the knowledge base ("" when online)

    @property
    def online(self) -> bool:
        return bool(self.request_text)

    def __repr__(self) -> str:
        return f"Draft(online={self.online}, replacements={self.question.replacements})"


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

    def __init__(self, keys: KeyStore | None = None, client_factory: ClientFactory | None = None) -> None:
        self._keys = keys or KeyStore()
        self._client_factory = client_factory or default_client

    def key(self) -> ApiKey:
        return self._keys.get()

    def draft(self, context: PatientContext, question: str, terms: ScrubTerms | None = None, *,
              online: bool) -> Draft:
        """Step 1: the de-identified question and, when it would go online, the exact request body."""
        scrubbed = clean_question(question, terms)
        if scrubbed.changed:
            log.info("assistant: %d identifier(s) removed from the question", scrubbed.replacements)
        if not online:
            return Draft(context, scrubbed, notice=_question_notice(scrubbed))
        key = self._keys.get()
        if not key.present:
            return Draft(context, scrubbed, notice=_join(
                _("No API key is set: this answer comes from the offline knowledge base."), _question_notice(scrubbed)))
        request = self._client_factory(key.value).request_text(build_messages(context, scrubbed))
        return Draft(context, scrubbed, request_text=request)

    def answer(self, draft: Draft, *, confirmed: bool) -> Answer:
        """Step 2 (blocking: call it on a worker thread): send exactly ``draft.request_text`` when confirmed."""
        if not draft.online:
            return self.offline(draft.context, draft.question, draft.notice)
        if not confirmed:
            raise ValidationError(_("Please confirm the request before it is sent."), field="confirm")
        key = self._keys.get()
        if not key.present:
            return self.offline(draft.context, draft.question,
                                _("No API key is set: this answer comes from the offline knowledge base."))
        try:
            completion = self._client_factory(key.value).send(draft.request_text)
        except AssistantKeyRejected as exc:
            return self.offline(draft.context, draft.question, exc.message)
        except AssistantError as exc:
            log.info("assistant: online answer failed (%s); answering offline", type(exc).__name__)
            return self.offline(draft.context, draft.question,
                                _("{reason} This answer comes from the offline knowledge base.").format(reason=exc.message))
        check = check_language(completion.text, draft.context.language)
        if not check.matches:
            log.info("assistant: online answer in %r, wanted %r; answering offline", check.detected,
                     draft.context.language)
            language = SUPPORTED_LANGUAGES[draft.context.language]  # the language's own name
            return self.offline(draft.context, draft.question, _(
                "The online answer was not written in {language}. This answer comes from the offline knowledge "
                "base.").format(language=language))
        if reassures_about_cancer(completion.text, draft.context.patient_key, draft.context.language):
            log.info("assistant: online answer called a signed cancer harmless; answering offline")
            return self.offline(draft.context, draft.question, _(
                "The online answer described the signed diagnosis as harmless, which contradicts it. This answer "
                "comes from the offline knowledge base."))
        return _online_answer(completion, draft)

    def explain(self, context: PatientContext, question: str, terms: ScrubTerms | None = None, *,
                online: bool = True, confirmed: bool = True) -> Answer:
        """Both steps at once (CLI and tests: there ``confirmed`` stands for the person who ran it)."""
        return self.answer(self.draft(context, question, terms, online=online), confirmed=confirmed)

    @staticmethod
    def offline(context: PatientContext, scrubbed: Scrubbed, notice: str = "") -> Answer:
        built = offline_answer(context)
        return Answer(
            text=built.text,
            sources=built.sources,
            origin=Origin.OFFLINE,
            model=OFFLINE_MODEL,
            created_at=datetime.now(UTC),
            language=built.language,
            sent_question=scrubbed.text,
            notice=notice,
            scrubbed=scrubbed.replacements,
        )


def _question_notice(scrubbed: Scrubbed) -> str:
    """Said to the clinician (not printed for the patient) when a typed question gets general information."""
    if not scrubbed.text.strip():
        return ""
    return _("The offline knowledge base cannot answer individual questions: it explains the signed diagnosis "
             "and plan.")


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _online_answer(completion: Completion, draft: Draft) -> Answer:
    # Whatever the online model wrote, the patient's copy ends with the reviewed disclaimer in their language.
    disclaimer = patient_text(draft.context.language).explanation["disclaimer"]
    text = completion.text if disclaimer in completion.text else f"{completion.text}\n\n{disclaimer}"
    return Answer(
        text=text,
        sources=tuple(Source(c.title or c.url, c.url) for c in completion.citations),
        origin=Origin.PERPLEXITY,
        model=completion.model,
        created_at=completion.created,
        language=draft.context.language,
        sent_question=draft.question.text,
        scrubbed=draft.question.replacements,
    )
