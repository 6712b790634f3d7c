"""AssistantService: explanations stored with the analysis and audited; revisions; clinic settings; keys."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "assistant"))

from analysis_rows import measured
from fake_perplexity import VALID_KEY, FakePerplexity, Reply, success_body  # noqa: E402
from memory_keyring import MemoryKeyring  # noqa: E402

from dermstation.assistant.keys import KeySource  # noqa: E402
from dermstation.core.assessments import Plan, PlanKind  # noqa: E402
from dermstation.core.domain import AuditAction, CaptureSource  # noqa: E402
from dermstation.core.errors import PermissionDenied, RecordNotFound, ValidationError  # noqa: E402
from dermstation.core.patient_text import patient_text  # noqa: E402
from dermstation.records.assistant_models import AssistantExchange  # noqa: E402
from dermstation.records.models import AnalysisRecord, AuditEvent  # noqa: E402
from dermstation.services.assessments import AssessmentService  # noqa: E402
from dermstation.services.assistant import AssistantDisabled, AssistantService  # noqa: E402
from dermstation.services.container import Services  # noqa: E402
from dermstation.services.types import CurrentUser, PatientInput  # noqa: E402

IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8



@pytest.fixture
def analysis_id(services: Services, dermatologist: CurrentUser) -> int:
    """An analysis the model called a naevus, signed by the dermatologist as a compound naevus to watch."""
    patient = services.patients.create(dermatologist, PatientInput(
        "MRN-31337", "Zofia", "Wiśniewska", date(1975, 5, 17), phone="0301234567", email="zofia@example.org"))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "back", "L1")
    capture = services.captures.add_capture(dermatologist, lesion.id, IMAGE, CaptureSource.FILE, 10, 10)
    with services.database.session() as session:
        row = AnalysisRecord(capture_id=capture.id, model_name="classifier", model_version="1.0",
                             probabilities={"mel": 0.2, "nv": 0.75, "bkl": 0.05}, prediction="nv",
                             malignancy_score=0.2,
                             measurements=measured({"area": (14.2, "mm²"), "diameter": (5.1, "mm")}),
                             quality_flags=["blurred"], created_by_id=dermatologist.id)
        session.add(row)
        session.flush()
        analysis = row.id
    AssessmentService(services.database, services.audit).sign(
        dermatologist, analysis, "nv.compound", Plan(PlanKind.MONITOR, follow_up_months=6))
    return analysis


def allow_online(assistant: AssistantService, services: Services) -> None:
    admin = services.auth.sign_in("admin", "admin-password")
    assistant.set_api_key(admin, VALID_KEY)
    assistant.configure(admin, enabled=True, online=True)


def events(services: Services, table: str) -> list[AuditEvent]:
    with services.database.session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.table_name == table)
                                    .order_by(AuditEvent.id)))


def test_online_explanation_is_stored_and_audited(services: Services, assistant: AssistantService,
                                                  dermatologist: CurrentUser, analysis_id: int,
                                                  fake_perplexity: FakePerplexity) -> None:
    allow_online(assistant, services)
    fake_perplexity.queue(Reply(body=success_body("Ein Muttermal ist meist harmlos [1]. Ihre Ärztin sieht es sich "
                                                  "in sechs Monaten wieder an [2].")))
    explanation = assistant.explain(dermatologist, analysis_id,
                                    "Is Zofia Wisniewska (MRN-31337, born 17.05.1975) at risk?", "de")
    assert explanation.origin == "perplexity" and not explanation.offline and explanation.written_by == "online"
    assert explanation.sources[0].url == "https://www.nhs.uk/conditions/moles/"
    assert explanation.question == "Is [name] [name] ([number], born [date]) at risk?"
    assert explanation.author == "derm"
    body = fake_perplexity.requests[0].raw.decode()
    for secret in ("Zofia", "Wisniewska", "Wiśniewska", "31337", "1975", "0301234567", "zofia@"):
        assert secret not in body
    assert "Patient age band: 50-59" in body or "Patient age band: 40-49" in body
    assert "nv.compound" in body and "clinical review" in body and "0.75" not in body and "blurred" not in body
    with services.database.session() as session:
        row = session.get(AssistantExchange, explanation.id)
        assert row is not None and row.analysis_id == analysis_id and row.question == explanation.question
        assert "Zofia" not in row.question
    (created,) = events(services, "assistant_exchanges")
    assert created.action == AuditAction.CREATE and created.record_id == explanation.id
    assert created.user_id == dermatologist.id and "Zofia" not in created.detail
    assert any(e.detail.startswith("assistant context") for e in events(services, "analyses"))


def test_without_a_key_the_knowledge_base_answers_and_is_labelled(assistant: AssistantService,
                                                                   dermatologist: CurrentUser, analysis_id: int,
                                                                   fake_perplexity: FakePerplexity) -> None:
    explanation = assistant.explain(dermatologist, analysis_id, "", "ar")
    assert explanation.offline and explanation.model == "knowledge-base"
    assert explanation.language == "ar" and patient_text("ar").diagnosis("benign_naevus").name in explanation.text
    assert explanation.written_by == "offline"
    assert fake_perplexity.requests == []


def test_revisions_are_new_rows_and_the_approved_one_is_found(services: Services, assistant: AssistantService,
                                                              dermatologist: CurrentUser, analysis_id: int) -> None:
    first = assistant.explain(dermatologist, analysis_id, "", "en")
    assert assistant.approved_explanation(dermatologist, analysis_id) is None
    edited = assistant.revise(dermatologist, first.id, "Your mole looks harmless. Keep an eye on it.")
    approved = assistant.revise(dermatologist, edited.id, "Your mole looks harmless.", approve=True)
    assert (edited.origin, edited.revises_id, edited.approved) == ("clinician", first.id, False)
    assert approved.approved and approved.sources == first.sources
    found = assistant.approved_explanation(dermatologist, analysis_id)
    assert found is not None and found.id == approved.id and found.text == "Your mole looks harmless."
    history = assistant.history(dermatologist, analysis_id)
    assert [e.id for e in history] == [first.id, edited.id, approved.id]
    assert history[0].text == first.text  # the original answer is kept unchanged
    actions = [e.action for e in events(services, "assistant_exchanges")]
    assert actions.count(AuditAction.UPDATE) == 2 and AuditAction.CREATE in actions
    with pytest.raises(ValidationError):
        assistant.revise(dermatologist, first.id, "   ")
    with pytest.raises(RecordNotFound):
        assistant.revise(dermatologist, 99_999, "text")


def test_receptionists_cannot_ask_or_read(assistant: AssistantService, receptionist: CurrentUser,
                                          analysis_id: int) -> None:
    with pytest.raises(PermissionDenied):
        assistant.explain(receptionist, analysis_id, "", "en")
    with pytest.raises(PermissionDenied):
        assistant.history(receptionist, analysis_id)


def test_unknown_analysis(assistant: AssistantService, dermatologist: CurrentUser) -> None:
    with pytest.raises(RecordNotFound):
        assistant.explain(dermatologist, 12345, "", "en")


def test_clinic_can_switch_off_or_go_offline_only(services: Services, assistant: AssistantService, admin: CurrentUser,
                                                  dermatologist: CurrentUser, analysis_id: int,
                                                  fake_perplexity: FakePerplexity) -> None:
    assistant.set_api_key(admin, VALID_KEY)
    assert not assistant.status().online_allowed  # off until an administrator allows it
    status = assistant.configure(admin, enabled=True, online=False)
    assert status.enabled and not status.online_allowed and not status.online
    explanation = assistant.explain(dermatologist, analysis_id, "Is it ok?", "en")
    assert explanation.offline and fake_perplexity.requests == []
    assert "cannot answer individual questions" in explanation.notice and "No API key" not in explanation.notice
    assistant.configure(admin, enabled=False, online=True)
    assert not services.settings_store.load().assistant_enabled
    with pytest.raises(AssistantDisabled):
        assistant.explain(dermatologist, analysis_id, "", "en")
    with pytest.raises(PermissionDenied):
        assistant.configure(dermatologist, enabled=True, online=True)
    assert any("assistant enabled=False" in e.detail for e in events(services, "settings"))


def test_only_admins_manage_the_key_and_it_never_reaches_the_database(
    services: Services, assistant: AssistantService, admin: CurrentUser, dermatologist: CurrentUser,
    ring: MemoryKeyring, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    with pytest.raises(PermissionDenied):
        assistant.set_api_key(dermatologist, VALID_KEY)
    assert assistant.set_api_key(admin, VALID_KEY).key_source is KeySource.KEYRING
    assert VALID_KEY in ring.store.values()
    assert VALID_KEY not in caplog.text
    assert VALID_KEY not in services.paths.settings_file.read_text(encoding="utf-8") \
        if services.paths.settings_file.exists() else True
    for e in events(services, "settings"):
        assert VALID_KEY not in e.detail
    db_file = services.paths.database_file
    if db_file.exists():
        assert VALID_KEY.encode() not in db_file.read_bytes()
    assert assistant.clear_api_key(admin).key_source is KeySource.NONE


def test_rate_limited_online_answer_falls_back(services: Services, assistant: AssistantService, admin: CurrentUser,
                                               dermatologist: CurrentUser, analysis_id: int,
                                               fake_perplexity: FakePerplexity) -> None:
    allow_online(assistant, services)
    fake_perplexity.queue(Reply(429, headers={"Retry-After": "600"}))
    explanation = assistant.explain(dermatologist, analysis_id, "", "fr")
    assert explanation.offline and "trop" not in explanation.notice and "busy" in explanation.notice
    assert patient_text("fr").diagnosis("benign_naevus").plain in explanation.text
