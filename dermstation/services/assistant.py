"""The use case "explain this result to the patient": ask, store, revise, approve, audit.

Three steps, so that no database session waits on the network (the UI runs 1 and 3 on the
database thread and 2 on the worker pool; :meth:`AssistantService.explain` chains them for the
CLI and tests):

1. :meth:`prepare` reads the analysis and the patient, checks the role and the clinic setting,
   and returns a :class:`PreparedExplanation`: the allow-listed context and, kept in memory only,
   the patient's own identifiers to scrub from the question.
2. :meth:`ask` answers it: Perplexity when a key is set and online use is allowed, otherwise (or
   when online fails) the offline knowledge base, labelled as such.
3. :meth:`record` stores the exchange with the analysis and audits it in the same transaction.

A clinician's edit or approval (:meth:`revise`) is a new row, never an update. Settings: the clinic
can switch the assistant off (``Settings.assistant_enabled``) or keep it offline-only
(``ClinicSettings.assistant_online``); the API key is kept in the OS keyring by
:meth:`set_api_key` (administrators), never in the database, the settings file or the audit trail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermstation.assistant.explain import Answer, Explainer, Origin
from dermstation.assistant.keys import KeySource, KeyStore
from dermstation.assistant.knowledge_base import Source
from dermstation.assistant.privacy import PatientContext, ScrubTerms
from dermstation.core.domain import AuditAction
from dermstation.core.errors import AssistantError, RecordNotFound, ValidationError
from dermstation.core.i18n import SUPPORTED_LANGUAGES, _
from dermstation.records.assistant_models import AssistantExchange
from dermstation.records.database import Database
from dermstation.records.models import AnalysisRecord, ImageCapture, Lesion, Patient
from dermstation.services.audit import AuditLog
from dermstation.services.permissions import ADMIN_ONLY, CLINICAL_ROLES, authorize
from dermstation.services.settings import SettingsStore
from dermstation.services.types import CurrentUser

log = logging.getLogger(__name__)

TABLE = "assistant_exchanges"
ONLINE_SETTING = "assistant_online"
MAX_EXPLANATION_CHARS = 10_000


class AssistantDisabled(AssistantError):
    """The clinic has switched the assistant off."""


@dataclass(frozen=True)
class Explanation:
    """One stored exchange or revision, as the UI and the reports see it."""

    id: int
    analysis_id: int
    text: str
    sources: tuple[Source, ...]
    origin: str  # "perplexity" | "offline" | "clinician"
    model: str
    created_at: datetime
    language: str
    question: str  # scrubbed
    notice: str = ""
    approved: bool = False
    revises_id: int | None = None
    author: str = ""

    @property
    def offline(self) -> bool:
        return self.origin == Origin.OFFLINE.value


@dataclass(frozen=True)
class AssistantStatus:
    enabled: bool
    online_allowed: bool
    key_source: KeySource
    environment_overrides: bool

    @property
    def online(self) -> bool:
        """True when questions will be sent to Perplexity (else the offline knowledge base answers)."""
        return self.enabled and self.online_allowed and self.key_source is not KeySource.NONE


@dataclass(frozen=True, repr=False)
class PreparedExplanation:
    """What :meth:`AssistantService.ask` needs. ``terms`` holds identifiers: never log or send it."""

    analysis_id: int
    context: PatientContext
    terms: ScrubTerms
    online: bool

    def __repr__(self) -> str:
        return f"PreparedExplanation(analysis_id={self.analysis_id}, context={self.context!r}, terms=<hidden>)"


def _explanation(row: AssistantExchange, author: str = "") -> Explanation:
    return Explanation(
        id=row.id,
        analysis_id=row.analysis_id,
        text=row.answer,
        sources=tuple(Source(str(s.get("title", "")), str(s.get("url", ""))) for s in row.sources or ()
                      if isinstance(s, dict)),
        origin=row.origin,
        model=row.model,
        created_at=row.created_at,
        language=row.language,
        question=row.question,
        notice=row.notice,
        approved=row.approved,
        revises_id=row.revises_id,
        author=author,
    )


class AssistantService:
    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        settings_store: SettingsStore,
        explainer: Explainer | None = None,
        keys: KeyStore | None = None,
    ) -> None:
        self._db = database
        self._audit = audit
        self._settings = settings_store
        self._keys = keys or KeyStore()
        self._explainer = explainer or Explainer(self._keys)

    # --- settings ------------------------------------------------------------------------------
    def status(self) -> AssistantStatus:
        settings = self._settings.load()
        return AssistantStatus(
            enabled=settings.assistant_enabled,
            online_allowed=settings.assistant_online,
            key_source=self._keys.get().source,
            environment_overrides=self._keys.environment_overrides(),
        )

    def configure(self, actor: CurrentUser, *, enabled: bool, online: bool) -> AssistantStatus:
        """Switch the assistant on or off, and allow or forbid online answers (administrators)."""
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            settings = self._settings.load(session)
            self._settings.save(actor, settings.with_changes(assistant_enabled=bool(enabled),
                                                             assistant_online=bool(online)), session)
            self._audit.record(session, actor.id, AuditAction.UPDATE, "settings", None,
                               f"assistant enabled={bool(enabled)} online={bool(online)}")
        return self.status()

    def set_api_key(self, actor: CurrentUser, key: str) -> AssistantStatus:
        """Store the Perplexity API key in the OS keyring (administrators). The key is never logged."""
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            self._keys.set(key)
            self._audit.record(session, actor.id, AuditAction.UPDATE, "settings", None, "assistant API key set")
        return self.status()

    def clear_api_key(self, actor: CurrentUser) -> AssistantStatus:
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            self._keys.clear()
            self._audit.record(session, actor.id, AuditAction.DELETE, "settings", None,
                               "assistant API key removed")
        return self.status()

    # --- explaining ----------------------------------------------------------------------------
    def prepare(self, actor: CurrentUser, analysis_id: int, language: str) -> PreparedExplanation:
        """Step 1 (database thread): the allow-listed context of ``analysis_id`` in ``language``."""
        status = self.status()
        if not status.enabled:
            raise AssistantDisabled(_("The explanation assistant is switched off for this clinic."))
        if language not in SUPPORTED_LANGUAGES:
            raise ValidationError(_("Unsupported language."), field="language")
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            analysis, patient = self._analysis_and_patient(session, analysis_id)
            context = PatientContext.from_values(
                analysis.prediction,
                analysis.probabilities or {},
                language,
                born=patient.date_of_birth,
                malignancy=analysis.malignancy_score,
                metrics=analysis.metrics or {},
                quality_flags=analysis.quality_flags or (),
            )
            terms = ScrubTerms(
                names=(patient.given_name, patient.family_name),
                record_number=patient.record_number,
                date_of_birth=patient.date_of_birth,
                phone=patient.phone,
                email=patient.email,
            )
            self._audit.record(session, actor.id, AuditAction.VIEW, "analyses", analysis_id, "assistant context")
        return PreparedExplanation(analysis_id, context, terms, status.online_allowed)

    def ask(self, prepared: PreparedExplanation, question: str) -> Answer:
        """Step 2 (worker pool, no database): the answer, online or from the knowledge base."""
        return self._explainer.explain(prepared.context, question, prepared.terms, online=prepared.online)

    def record(self, actor: CurrentUser, prepared: PreparedExplanation, answer: Answer) -> Explanation:
        """Step 3 (database thread): store the exchange with the analysis and audit it."""
        with self._db.session() as session:
            user = authorize(session, actor, CLINICAL_ROLES)
            if session.get(AnalysisRecord, prepared.analysis_id) is None:
                raise RecordNotFound(_("This analysis does not exist."), details=f"analysis {prepared.analysis_id}")
            row = AssistantExchange(
                analysis_id=prepared.analysis_id,
                language=answer.language,
                question=answer.sent_question,
                answer=answer.text[:MAX_EXPLANATION_CHARS],
                sources=[{"title": s.title, "url": s.url} for s in answer.sources],
                origin=answer.origin.value,
                model=answer.model[:100],
                notice=answer.notice[:500],
                approved=False,
                answered_at=answer.created_at,
                created_by_id=actor.id,
            )
            session.add(row)
            session.flush()
            self._audit.record(session, actor.id, AuditAction.CREATE, TABLE, row.id,
                               f"analysis {prepared.analysis_id} {answer.origin.value} {answer.language}"
                               f"{' scrubbed ' + str(answer.scrubbed) if answer.scrubbed else ''}")
            return _explanation(row, user.username)

    def explain(self, actor: CurrentUser, analysis_id: int, question: str, language: str) -> Explanation:
        """Steps 1-3 in one blocking call (CLI, tests)."""
        prepared = self.prepare(actor, analysis_id, language)
        return self.record(actor, prepared, self.ask(prepared, question))

    # --- clinician review ----------------------------------------------------------------------
    def revise(self, actor: CurrentUser, exchange_id: int, text: str, *, approve: bool = False) -> Explanation:
        """Save the clinician's version of an explanation (a new row); ``approve`` marks it for the patient."""
        text = (text or "").strip()
        if not text:
            raise ValidationError(_("The explanation is empty."), field="text")
        if len(text) > MAX_EXPLANATION_CHARS:
            raise ValidationError(_("The explanation is too long."), field="text")
        with self._db.session() as session:
            user = authorize(session, actor, CLINICAL_ROLES)
            base = session.get(AssistantExchange, exchange_id)
            if base is None:
                raise RecordNotFound(_("This explanation does not exist."), details=f"exchange {exchange_id}")
            row = AssistantExchange(
                analysis_id=base.analysis_id,
                revises_id=base.id,
                language=base.language,
                question=base.question,
                answer=text,
                sources=list(base.sources or []),
                origin="clinician",
                model=base.model,
                notice="",
                approved=bool(approve),
                answered_at=datetime.now(UTC),
                created_by_id=actor.id,
            )
            session.add(row)
            session.flush()
            self._audit.record(session, actor.id, AuditAction.UPDATE, TABLE, row.id,
                               f"revises {base.id}{' approved' if approve else ''}")
            return _explanation(row, user.username)

    def history(self, actor: CurrentUser, analysis_id: int) -> list[Explanation]:
        """Every exchange and revision for ``analysis_id``, oldest first."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            rows = session.scalars(
                select(AssistantExchange).where(AssistantExchange.analysis_id == analysis_id)
                .order_by(AssistantExchange.id)
            ).all()
            self._audit.record(session, actor.id, AuditAction.VIEW, TABLE, None, f"analysis {analysis_id} history")
            return [_explanation(r) for r in rows]

    def approved_explanation(self, actor: CurrentUser, analysis_id: int) -> Explanation | None:
        """The newest explanation approved for the patient (for the printed summary), or None."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            row = session.scalars(
                select(AssistantExchange)
                .where(AssistantExchange.analysis_id == analysis_id, AssistantExchange.approved.is_(True))
                .order_by(AssistantExchange.id.desc()).limit(1)
            ).first()
            if row is None:
                return None
            self._audit.record(session, actor.id, AuditAction.VIEW, TABLE, row.id, "approved explanation")
            return _explanation(row)

    @staticmethod
    def _analysis_and_patient(session: Session, analysis_id: int) -> tuple[AnalysisRecord, Patient]:
        row = session.execute(
            select(AnalysisRecord, Patient)
            .join(ImageCapture, AnalysisRecord.capture_id == ImageCapture.id)
            .join(Lesion, ImageCapture.lesion_id == Lesion.id)
            .join(Patient, Lesion.patient_id == Patient.id)
            .where(AnalysisRecord.id == analysis_id)
        ).first()
        if row is None:
            raise RecordNotFound(_("This analysis does not exist."), details=f"analysis {analysis_id}")
        return row[0], row[1]
