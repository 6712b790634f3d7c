"""The use case "explain this diagnosis to the patient": prepare, preview, ask, store, revise, approve, audit.

The explanation is written from the clinician's signed, coded diagnosis and plan of one analysis,
never from the model's output. Four steps, so that no database session waits on the network and
nothing leaves the machine unseen (the UI runs 1 and 4 on the database thread, 2 and 3 on the
worker pool; :meth:`AssistantService.explain` chains them for the CLI and tests):

1. :meth:`prepare` reads the signed assessment and the patient, checks the role and the clinic
   setting, and returns a :class:`PreparedExplanation`: the allow-listed context (diagnosis code and
   wording, plan category, age band, body region, language) and, kept in memory only, the identifiers
   known to the record (patient, staff, places) to remove from a typed question. Without a signed,
   coded diagnosis and plan it refuses with the reason.
2. :meth:`draft` de-identifies the question and, when the answer would go online, returns the exact
   request text for the clinician to confirm.
3. :meth:`ask` answers: Perplexity only when online answers are allowed, a key is set and the
   clinician confirmed; otherwise (or when online fails, or answers in another language) the
   offline knowledge base, labelled as such.
4. :meth:`record` stores the exchange with the analysis and audits it in the same transaction.

A clinician's edit or approval (:meth:`revise`) is a new row, never an update. Settings: the clinic
can switch the assistant off (``ClinicSettings.assistant_enabled``); online answers stay off until an
administrator allows them (``ClinicSettings.assistant_online``, default off); the API key is kept in
the OS keyring by :meth:`set_api_key` (administrators), never in the database, the settings file or
the audit trail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from dermstation.assistant.deidentify import ScrubTerms
from dermstation.assistant.explain import OFFLINE_MODEL, Answer, Draft, Explainer, Origin
from dermstation.assistant.keys import KeySource, KeyStore
from dermstation.assistant.privacy import PatientContext
from dermstation.core.assessments import SignedAssessment
from dermstation.core.domain import AuditAction
from dermstation.core.errors import AssistantError, RecordNotFound, ValidationError
from dermstation.core.i18n import SUPPORTED_LANGUAGES, _
from dermstation.core.patient_text import Source, require_coded
from dermstation.records.assistant_models import AssistantExchange
from dermstation.records.database import Database
from dermstation.records.models import AnalysisRecord, ImageCapture, Lesion, Patient, ReferralHospital, User
from dermstation.services.assessments import signed_assessment_of
from dermstation.services.audit import AuditLog
from dermstation.services.permissions import ADMIN_ONLY, CLINICAL_ROLES, authorize
from dermstation.services.settings import SettingsStore
from dermstation.services.types import CurrentUser

log = logging.getLogger(__name__)

TABLE = "assistant_exchanges"
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

    @property
    def written_by(self) -> str:
        """Where the text the patient reads came from: "online" (an AI service) or "offline" (the built-in
        knowledge base); a clinician's edit keeps the origin of the answer it revises."""
        return "offline" if self.model == OFFLINE_MODEL else "online"


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
    """What :meth:`AssistantService.draft` and :meth:`~AssistantService.ask` need.

    ``terms`` holds identifiers: never log or send it."""

    analysis_id: int
    assessment_id: int
    context: PatientContext
    terms: ScrubTerms
    online: bool

    def __repr__(self) -> str:
        return (f"PreparedExplanation(analysis_id={self.analysis_id}, assessment_id={self.assessment_id}, "
                f"context={self.context!r}, terms=<hidden>)")


def _region(phone: str) -> str:
    """The country of the clinic's phone number ("GB"), so nationally written numbers are recognised."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(phone, None)) or ""
    except phonenumbers.NumberParseException:
        return ""


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
        """Step 1 (database thread): the allow-listed context of ``analysis_id``'s signed assessment."""
        status = self.status()
        if not status.enabled:
            raise AssistantDisabled(_("The explanation assistant is switched off for this clinic."))
        if language not in SUPPORTED_LANGUAGES:
            raise ValidationError(_("Unsupported language."), field="language")
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            lesion, patient = self._lesion_and_patient(session, analysis_id)
            signed = require_coded(signed_assessment_of(session, analysis_id))
            context = PatientContext.from_assessment(signed, language, born=patient.date_of_birth,
                                                     body_site=lesion.body_site)
            terms = self._terms(session, patient)
            self._audit.record(session, actor.id, AuditAction.VIEW, "analyses", analysis_id,
                               f"assistant context (assessment {signed.id})")
        return PreparedExplanation(analysis_id, signed.id, context, terms, status.online)

    def _terms(self, session: Session, patient: Patient) -> ScrubTerms:
        """Everything the record knows that could identify someone in a typed question."""
        settings = self._settings.load(session)
        staff = tuple(session.scalars(select(User.full_name)))
        hospitals = session.execute(select(ReferralHospital.name, ReferralHospital.address, ReferralHospital.city)).all()
        return ScrubTerms(
            names=(patient.given_name, patient.family_name),
            record_number=patient.record_number,
            date_of_birth=patient.date_of_birth,
            phone=patient.phone,
            email=patient.email,
            people=staff,
            places=(patient.address, settings.clinic_address, *(h.address for h in hospitals),
                    *(h.city for h in hospitals)),
            institutions=(settings.clinic_name, *(h.name for h in hospitals)),
            region=_region(settings.clinic_phone),
        )

    def draft(self, prepared: PreparedExplanation, question: str) -> Draft:
        """Step 2 (no database): the de-identified question and, when it would go online, the exact request."""
        return self._explainer.draft(prepared.context, question, prepared.terms, online=prepared.online)

    def ask(self, prepared: PreparedExplanation, draft: Draft, *, confirmed: bool) -> Answer:
        """Step 3 (worker pool, no database): the answer; online only when the clinician ``confirmed`` the draft."""
        if draft.context != prepared.context:
            raise ValidationError(_("This request belongs to another explanation."), field="draft")
        return self._explainer.answer(draft, confirmed=confirmed)

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

    def explain(self, actor: CurrentUser, analysis_id: int, question: str, language: str, *,
                confirmed: bool = True) -> Explanation:
        """Steps 1-4 in one blocking call (CLI, tests: ``confirmed`` stands for the person who ran it)."""
        prepared = self.prepare(actor, analysis_id, language)
        draft = self.draft(prepared, question)
        return self.record(actor, prepared, self.ask(prepared, draft, confirmed=confirmed))

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

    def approved_explanation(self, actor: CurrentUser, analysis_id: int, language: str | None = None
                             ) -> Explanation | None:
        """The explanation approved for the patient under the current signed assessment, or None."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            found = current_approved_explanation(session, analysis_id, language)
            if found is not None:
                self._audit.record(session, actor.id, AuditAction.VIEW, TABLE, found.id, "approved explanation")
            return found

    @staticmethod
    def _lesion_and_patient(session: Session, analysis_id: int) -> tuple[Lesion, Patient]:
        row = session.execute(
            select(Lesion, Patient)
            .join(ImageCapture, ImageCapture.lesion_id == Lesion.id)
            .join(AnalysisRecord, AnalysisRecord.capture_id == ImageCapture.id)
            .join(Patient, Lesion.patient_id == Patient.id)
            .where(AnalysisRecord.id == analysis_id)
        ).first()
        if row is None:
            raise RecordNotFound(_("This analysis does not exist."), details=f"analysis {analysis_id}")
        return row[0], row[1]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def current_approved_explanation(session: Session, analysis_id: int, language: str | None = None,
                                 signed: SignedAssessment | None = None) -> Explanation | None:
    """The newest approved explanation of ``analysis_id`` (in ``language``) whose first answer was written
    after the current signed version: one written for an earlier diagnosis is never printed."""
    signed = signed if signed is not None else signed_assessment_of(session, analysis_id)
    if signed is None or not signed.coded:
        return None
    query = select(AssistantExchange).where(AssistantExchange.analysis_id == analysis_id,
                                            AssistantExchange.approved.is_(True))
    if language is not None:
        query = query.where(AssistantExchange.language == language)
    for row in session.scalars(query.order_by(AssistantExchange.id.desc())):
        root = row
        while root.revises_id is not None:
            parent = session.get(AssistantExchange, root.revises_id)
            if parent is None:
                break
            root = parent
        if _aware(root.created_at) >= _aware(signed.signed_at):
            return _explanation(row)
    return None
