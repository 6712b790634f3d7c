"""The assistant panel and settings card, with real services, a temporary database and the fake server."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "assistant"))

from fake_perplexity import VALID_KEY, FakePerplexity, Reply  # noqa: E402
from memory_keyring import MemoryKeyring  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from dermstation.assistant.keys import KeySource  # noqa: E402
from dermstation.core.assessments import Plan, PlanKind  # noqa: E402
from dermstation.core.domain import CaptureSource  # noqa: E402
from dermstation.core.patient_text import patient_text  # noqa: E402
from dermstation.records.models import AnalysisRecord  # noqa: E402
from dermstation.services.assessments import AssessmentService  # noqa: E402
from dermstation.services.assistant import AssistantService  # noqa: E402
from dermstation.services.container import Services  # noqa: E402
from dermstation.services.types import CurrentUser, PatientInput  # noqa: E402
from dermstation.ui.assistant_panel import AssistantPanel, RequestPreviewDialog  # noqa: E402
from dermstation.ui.assistant_settings import AssistantSettings  # noqa: E402
from dermstation.ui.errors import ErrorPresenter  # noqa: E402
from dermstation.ui.operations import Operations  # noqa: E402

SHOTS = Path(os.environ.get("DERMSTATION_SCREENSHOTS", "")) if os.environ.get("DERMSTATION_SCREENSHOTS") else None
ANSWER = ("A mole (melanocytic naevus) is a common, harmless cluster of pigment cells [1]. The analysis found "
          "features typical of a mole. Keep an eye on it and show your dermatologist any change in size, shape "
          "or colour [2].")



@pytest.fixture
def unsigned_analysis_id(services: Services, dermatologist: CurrentUser) -> int:
    patient = services.patients.create(dermatologist, PatientInput("MRN-555", "Lea", "Okafor", date(1990, 2, 3)))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "arm", "L1")
    capture = services.captures.add_capture(dermatologist, lesion.id, b"\x89PNG" + bytes(200), CaptureSource.FILE, 8, 8)
    with services.database.session() as session:
        row = AnalysisRecord(capture_id=capture.id, model_name="classifier", model_version="1.0",
                             probabilities={"nv": 0.9, "mel": 0.1}, prediction="nv", malignancy_score=0.1)
        session.add(row)
        session.flush()
        return row.id


@pytest.fixture
def analysis_id(services: Services, dermatologist: CurrentUser, unsigned_analysis_id: int) -> int:
    """The same analysis, signed as a compound naevus to review in six months."""
    AssessmentService(services.database, services.audit).sign(
        dermatologist, unsigned_analysis_id, "nv.compound", Plan(PlanKind.MONITOR, follow_up_months=6))
    return unsigned_analysis_id


def allow_online(assistant: AssistantService, admin: CurrentUser) -> None:
    assistant.set_api_key(admin, VALID_KEY)
    assistant.configure(admin, enabled=True, online=True)


def confirm(qtbot, panel: AssistantPanel, send: bool = True, shot_name: str = "") -> str:
    """Wait for the exact-request preview, answer it, and return the request it showed."""
    with qtbot.waitSignal(panel.preview_opened, timeout=10000) as opened:
        pass
    dialog: RequestPreviewDialog = opened.args[0]
    text = dialog.request.toPlainText()
    if SHOTS is not None and shot_name:
        SHOTS.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(SHOTS / shot_name))
    (dialog.accept if send else dialog.reject)()
    return text


def make_panel(qtbot, assistant: AssistantService, user: CurrentUser, ops: Operations, analysis_id: int,
               language: str = "en") -> AssistantPanel:
    panel = AssistantPanel(assistant, user, ops)
    qtbot.addWidget(panel)
    panel.resize(640, 720)
    with qtbot.waitSignal(panel.status_loaded, timeout=5000):
        panel.set_analysis(analysis_id, language)
    qtbot.waitUntil(lambda: not ops.busy(), timeout=5000)
    return panel


def shot(qtbot, panel: AssistantPanel, name: str) -> None:
    panel.show()
    qtbot.waitUntil(panel.ask_button.isEnabled, timeout=5000)
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        panel.grab().save(str(SHOTS / name))


def test_online_answer_with_links_edit_and_approve(qtbot, ops: Operations, assistant: AssistantService,
                                                   services: Services,
                                                   admin: CurrentUser, dermatologist: CurrentUser, analysis_id: int,
                                                   fake_perplexity: FakePerplexity) -> None:
    allow_online(assistant, admin)
    from fake_perplexity import success_body
    fake_perplexity.queue(Reply(body=success_body(content=ANSWER)))
    panel = make_panel(qtbot, assistant, dermatologist, ops, analysis_id)
    assert "written online" in panel.mode.text() and "after you confirm" in panel.mode.text()
    panel.question.setText("Is Lea Okafor's mole (MRN-555) dangerous?")
    with qtbot.waitSignal(panel.answered, timeout=10000) as blocker:
        qtbot.mouseClick(panel.ask_button, Qt.MouseButton.LeftButton)
        preview = confirm(qtbot, panel)
    assert "Lea" not in preview and "Okafor" not in preview and "555" not in preview and "nv.compound" in preview
    explanation = blocker.args[0]
    assert explanation.origin == "perplexity"
    raw = fake_perplexity.requests[0].raw.decode()
    assert raw == preview  # what was shown is what was sent
    assert panel.badge.text() == "Online AI service (Perplexity)" and panel.badge.isVisibleTo(panel)
    assert not panel.notice.isVisibleTo(panel)
    html = panel.answer.toHtml()
    assert 'href="https://www.nhs.uk/conditions/moles/"' in html and "Sources" in html
    assert panel.editor.toPlainText().startswith(ANSWER)
    assert patient_text("en").explanation["disclaimer"] in panel.editor.toPlainText()
    assert panel.question.text() == ""
    shot(qtbot, panel, "assistant_online.png")

    panel.editor.setPlainText(ANSWER + " Come back in six months.")
    assert panel.save_button.isEnabled()
    with qtbot.waitSignal(panel.approved, timeout=5000) as approved:
        qtbot.mouseClick(panel.approve_button, Qt.MouseButton.LeftButton)
    assert approved.args[0].approved and approved.args[0].text.endswith("six months.")
    assert "Approved for the patient" in panel.state.text()
    assert not panel.approve_button.isEnabled()
    found = assistant.approved_explanation(dermatologist, analysis_id)
    assert found is not None and found.id == approved.args[0].id

    # reopening the analysis shows the approved version
    again = make_panel(qtbot, assistant, dermatologist, ops, analysis_id)
    qtbot.waitUntil(lambda: again.current is not None, timeout=5000)
    assert again.current.id == found.id
    assert again.badge.text() == "Online AI service (Perplexity) · edited by clinician"
    assert "Approved for the patient" in again.state.text()

    # the dermatologist amends the diagnosis: the old approval is shown as such, never printed
    AssessmentService(services.database, services.audit).sign(
        dermatologist, analysis_id, "mel.ssm", Plan(PlanKind.EXCISION))
    stale = make_panel(qtbot, assistant, dermatologist, ops, analysis_id)
    qtbot.waitUntil(lambda: "earlier signature" in stale.state.text(), timeout=5000)
    assert assistant.approved_explanation(dermatologist, analysis_id) is None


def test_cancelling_the_preview_sends_nothing(qtbot, ops: Operations, assistant: AssistantService,
                                              admin: CurrentUser, dermatologist: CurrentUser, analysis_id: int,
                                              fake_perplexity: FakePerplexity) -> None:
    allow_online(assistant, admin)
    panel = make_panel(qtbot, assistant, dermatologist, ops, analysis_id)
    panel.question.setText("Will it grow?")
    panel.ask()
    confirm(qtbot, panel, send=False, shot_name="assistant_request_preview.png")
    qtbot.waitUntil(lambda: panel.state.text() == "Nothing was sent.", timeout=5000)
    assert fake_perplexity.requests == [] and panel.current is None
    qtbot.waitUntil(panel.ask_button.isEnabled, timeout=5000)


def test_without_a_signed_diagnosis_the_panel_says_why(qtbot, ops: Operations, assistant: AssistantService,
                                                       dermatologist: CurrentUser, unsigned_analysis_id: int) -> None:
    panel = make_panel(qtbot, assistant, dermatologist, ops, unsigned_analysis_id)
    with qtbot.waitSignal(panel.refused, timeout=10000) as refused:
        panel.ask()
    assert "No diagnosis has been signed" in refused.args[0]
    assert panel.notice.isVisibleTo(panel) and "Sign a coded diagnosis" in panel.notice.text()
    assert panel.current is None and panel.editor.toPlainText() == ""
    shot(qtbot, panel, "assistant_unsigned.png")


def test_offline_arabic_answer_is_right_to_left_and_labelled(qtbot, ops: Operations, assistant: AssistantService,
                                                             dermatologist: CurrentUser, analysis_id: int) -> None:
    panel = make_panel(qtbot, assistant, dermatologist, ops, analysis_id, "ar")
    assert "built-in knowledge base" in panel.mode.text() and "nothing leaves" in panel.mode.text()
    with qtbot.waitSignal(panel.answered, timeout=10000) as blocker:
        panel.ask()
    explanation = blocker.args[0]
    assert explanation.offline and explanation.language == "ar"
    assert panel.badge.text() == "Built-in knowledge base"
    assert not panel.notice.isVisibleTo(panel)  # offline by the clinic's choice: nothing to explain
    assert panel.answer.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert panel.editor.document().defaultTextOption().textDirection() == Qt.LayoutDirection.RightToLeft
    name = patient_text("ar").diagnosis("benign_naevus").name
    assert 'dir="rtl"' in panel.answer.toHtml() or name in panel.answer.toPlainText()
    assert panel.editor.toPlainText().startswith(name)
    shot(qtbot, panel, "assistant_offline_ar.png")


def test_slow_server_does_not_freeze_and_falls_back(qtbot, ops: Operations, assistant: AssistantService,
                                                    admin: CurrentUser, dermatologist: CurrentUser, analysis_id: int,
                                                    fake_perplexity: FakePerplexity) -> None:
    allow_online(assistant, admin)
    fake_perplexity.queue(Reply(delay_s=30))
    panel = make_panel(qtbot, assistant, dermatologist, ops, analysis_id, "de")
    panel.ask()
    assert not panel.ask_button.isEnabled() and panel.ask_button.text() == "Asking…"
    with qtbot.waitSignal(panel.answered, timeout=10000) as blocker:
        confirm(qtbot, panel)
    assert blocker.args[0].offline and "too long" in panel.notice.text()
    qtbot.waitUntil(panel.ask_button.isEnabled, timeout=5000)
    assert panel.ask_button.text() == "Explain"
    assert panel.editor.toPlainText().startswith(patient_text("de").diagnosis("benign_naevus").name)


def test_errors_reach_the_presenter(qtbot, ops: Operations, presenter: ErrorPresenter, assistant: AssistantService,
                                    receptionist: CurrentUser, analysis_id: int) -> None:
    panel = AssistantPanel(assistant, receptionist, ops)
    qtbot.addWidget(panel)
    panel.set_analysis(analysis_id)
    with qtbot.waitSignal(presenter.presented, timeout=5000) as blocker:
        pass
    assert "role" in blocker.args[0].message
    for box in presenter.open_boxes():
        box.close()


def test_switched_off_clinic_disables_the_panel(qtbot, ops: Operations, assistant: AssistantService,
                                                admin: CurrentUser, dermatologist: CurrentUser,
                                                analysis_id: int) -> None:
    assistant.configure(admin, enabled=False, online=True)
    panel = make_panel(qtbot, assistant, dermatologist, ops, analysis_id)
    assert not panel.question.isEnabled() and not panel.ask_button.isEnabled()
    assert "switched off" in panel.mode.text()


def test_settings_card_sets_the_key_and_switches(qtbot, ops: Operations, assistant: AssistantService,
                                                 admin: CurrentUser, ring: MemoryKeyring, services: Services) -> None:
    card = AssistantSettings(assistant, admin, ops)
    qtbot.addWidget(card)
    qtbot.waitUntil(lambda: not ops.busy(), timeout=5000)
    assert card.enabled.isChecked() and "not set" in card.key_status.text()
    assert card.key.echoMode() == card.key.EchoMode.Password
    card.key.setText(VALID_KEY)
    with qtbot.waitSignal(card.changed, timeout=5000) as blocker:
        qtbot.mouseClick(card.save_key_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].key_source is KeySource.KEYRING and card.key.text() == ""
    assert VALID_KEY in ring.store.values() and "keyring" in card.key_status.text()
    card.online.setChecked(False)
    with qtbot.waitSignal(card.changed, timeout=5000):
        card.apply_button.click()
    assert services.settings_store.load().assistant_online is False
    with qtbot.waitSignal(card.changed, timeout=5000) as cleared:
        card.clear_key_button.click()
    assert cleared.args[0].key_source is KeySource.NONE


def test_answer_html_escapes_untrusted_text() -> None:
    from datetime import UTC, datetime

    from dermstation.assistant.knowledge_base import Source
    from dermstation.services.assistant import Explanation
    from dermstation.ui.assistant_panel import answer_html

    explanation = Explanation(
        id=1, analysis_id=1, text="**Bold** <script>alert(1)</script>\n\n## Heading\nbody", language="en",
        sources=(Source('x" onclick="y', 'javascript:alert(1)'), Source("<b>NHS</b>", "https://www.nhs.uk/")),
        origin="perplexity", model="sonar", created_at=datetime.now(UTC), question="")
    out = answer_html(explanation)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<b>Bold</b>" in out and "<b>Heading</b>" in out
    assert "javascript:" not in out and "&lt;b&gt;NHS&lt;/b&gt;" in out and "(nhs.uk)" in out
