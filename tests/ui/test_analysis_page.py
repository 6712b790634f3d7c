"""The Analysis page through its real widgets: import, analysis, overlays, signing, live view, errors.

The analyser is the fake one (fake_analysis.py: real decoding, quality and metrics, no neural networks);
the models themselves are tested in tests/inference and tests/models. Only the test of what the models
decide about a poor picture uses them here."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from dermstation.core.assessments import Plan, PlanKind
from dermstation.core.domain import CaptureSource
from dermstation.services.types import PatientInput
from dermstation.ui.analysis.page import AnalysisPage
from dermstation.ui.analysis.probability_chart import class_label

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import analysis_service, fake_analysis, ph2_video  # noqa: E402, F401


@pytest.fixture
def ws(services, fake_analysis):  # noqa: F811
    return replace(services, analysis=fake_analysis).workstation


@pytest.fixture
def real_ws(services, analysis_service):  # noqa: F811
    return replace(services, analysis=analysis_service).workstation


@pytest.fixture
def lesion(services, dermatologist):
    patient = services.patients.create(dermatologist, PatientInput("MRN-7", "Jo", "March", None))
    return services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")


def _page(qtbot, services, user, ops, ws, lesion=None) -> AnalysisPage:
    page = AnalysisPage(ws, services.patients, user, ops)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    if lesion is not None:
        patient_id = services.patients.search(user, "March")[0].id
        with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
            page.show_patient(patient_id, lesion.id)
        assert page.lesion_id == lesion.id
    return page


def test_empty_page_says_how_to_start(qtbot, services, dermatologist, ops, ws) -> None:
    page = _page(qtbot, services, dermatologist, ops, ws)
    assert page.result_stack.currentWidget() is page.empty
    assert "patient" in page.empty.text()
    assert not page.import_button.isEnabled()


def test_find_patient_then_import_analyse_toggle_and_sign(qtbot, services, dermatologist, ops, ws, lesion,
                                                          test_data: Path) -> None:
    page = _page(qtbot, services, dermatologist, ops, ws)
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        page.search.setText("march")  # one match: chosen, its newest lesion selected
    assert page.lesion_id == lesion.id and page.import_button.isEnabled()

    with qtbot.waitSignal(page.analysis_shown, timeout=120000) as shown:
        page.import_files([test_data / "ph2" / "images" / "IMD006.jpg"])
    result = shown.args[0]
    stored = result.stored
    assert stored.prediction in ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
    assert page.result_stack.currentIndex() == 1
    assert class_label(stored.prediction) in page.headline.text()
    assert len(page.chart.rows()) == 7 and page.chart.rows()[0].startswith(class_label(stored.prediction))
    assert "diameter" in page.metrics.values and "px" in page.metrics.values["diameter"].text()
    assert stored.model_name in page.model_line.text()
    assert "Imported 1 picture." in page.message.text()
    timeline = ws.records.timeline(dermatologist, lesion.id)
    assert timeline[0].capture.source == CaptureSource.FILE and timeline[0].analysis.id == stored.id

    view = page.image_view
    assert view.contour_item.isVisible() and not view.contour_item.path().isEmpty()
    view.contour_toggle.click()
    assert not view.contour_item.isVisible()
    assert view.heatmap_toggle.isEnabled() and not view.heatmap_item.isVisible()
    view.heatmap_toggle.click()
    assert view.heatmap_item.isVisible() and view.opacity.isEnabled()
    view.opacity.setValue(80)
    assert view.heatmap_item.opacity() == pytest.approx(0.8)
    before = view.view.zoom()
    view.zoom_in.click()
    assert view.view.zoom() > before

    form = page.assessment
    qtbot.waitUntil(lambda: "Not signed yet" in form.status.text(), timeout=10000)
    assert not form.sign_button.isEnabled()  # nothing chosen yet
    qtbot.keyClicks(form.picker.search, "compound")
    qtbot.keyClick(form.picker.search, Qt.Key.Key_Return)
    assert form.picker.chosen.code == "nv.compound"
    form.plan.kind.setCurrentIndex(form.plan.kind.findData(PlanKind.MONITOR))
    form.plan.interval.setCurrentIndex(form.plan.interval.findData(6))
    form.notes.setPlainText("Regular network; review in 6 months.")
    assert form.sign_button.isEnabled()
    with qtbot.waitSignal(form.signed, timeout=10000) as signed:
        form.sign_button.click()
    assert signed.args[0].diagnosis.code == "nv.compound" and signed.args[0].analysis_id == stored.id
    qtbot.waitUntil(lambda: "Dr Derma" in form.status.text(), timeout=10000)
    assert ws.assessments.current(dermatologist, stored.id).plan == Plan(PlanKind.MONITOR, follow_up_months=6)


def test_bad_file_shows_a_clear_message(qtbot, services, dermatologist, ops, ws, lesion, tmp_path) -> None:
    page = _page(qtbot, services, dermatologist, ops, ws, lesion)
    bad = tmp_path / "scan.jpg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    with qtbot.waitSignal(page.imported, timeout=10000) as imported:
        page.import_files([bad])
    assert imported.args[0].failures and not imported.args[0].imported
    assert page.message.isVisible() and "scan.jpg" in page.message.text()
    assert page.result_stack.currentWidget() is page.empty


def test_an_it_administrator_opens_no_pictures(services, admin, ws, lesion) -> None:
    from dermstation.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):  # administration is not a clinical role (issue 14)
        ws.records.timeline(admin, lesion.id)


def test_live_view_shows_frames_and_space_captures(qtbot, services, dermatologist, ops, ws, lesion,
                                                   ph2_video: Path) -> None:  # noqa: F811
    page = _page(qtbot, services, dermatologist, ops, ws, lesion)
    live = page.live
    page.tabs.setCurrentWidget(live)
    with qtbot.waitSignal(live.frame_shown, timeout=10000):
        live.start_camera(str(ph2_video))
    assert not live.preview.pixmap().isNull()
    with qtbot.waitSignal(live.analysis_shown, timeout=60000) as analysed:
        pass
    outline = analysed.args[0].contour  # the fake analyser's lesion, in the 640 x 480 frame's pixels
    assert analysed.args[0].top_class == "nv" and len(outline) >= 3
    assert outline[:, 0].max() < 640 and outline[:, 1].max() < 480 and outline.min() >= 0
    assert live.top_class.text().startswith(class_label("nv") + " (")  # the class the analyser gave, shown
    qtbot.waitUntil(lambda: "fps" in live.fps.text(), timeout=5000)

    live.setFocus()
    with qtbot.waitSignal(live.captured, timeout=10000) as captured:
        qtbot.keyClick(live, Qt.Key.Key_Space)
    capture = captured.args[0]
    assert capture.source == CaptureSource.CAMERA and (capture.width, capture.height) == (640, 480)
    assert "Captured 640 × 480" in live.capture_note.text()
    with qtbot.waitSignal(page.analysis_shown, timeout=120000):
        pass  # the capture is analysed for the Analysis tab
    page.tabs.setCurrentIndex(0)  # leaving the live tab gives the camera back
    assert not live.running


def test_unavailable_camera_says_so(qtbot, services, dermatologist, ops, ws, lesion, tmp_path) -> None:
    page = _page(qtbot, services, dermatologist, ops, ws, lesion)
    page.tabs.setCurrentWidget(page.live)
    with qtbot.waitSignal(page.live.camera_message, timeout=10000,
                          check_params_cb=lambda text: bool(text)) as message:
        page.live.start_camera(str(tmp_path / "unplugged.avi"))
    assert "not available" in message.args[0] and page.live.message.isVisible()
    page.live.stop_camera()


@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent:DeprecationWarning")  # the only constructor Qt has
def test_dropping_files_imports_them(qtbot, services, dermatologist, ops, ws, lesion, test_data: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    page = _page(qtbot, services, dermatologist, ops, ws, lesion)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(test_data / "ph2" / "images" / n)) for n in ("IMD006.jpg", "IMD010.jpg")])
    enter = QDragEnterEvent(page.rect().center(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    page.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(page.rect().center()), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(page.analysis_shown, timeout=120000), \
            qtbot.waitSignal(page.imported, timeout=20000) as imported:
        page.dropEvent(drop)
    assert len(imported.args[0].imported) == 2
    assert "Imported 2 pictures." in page.message.text()
    qtbot.waitUntil(lambda: page.history.timeline.count() == 2, timeout=10000)


class _SlowAnalysis:
    """The real analysis, held at a gate: shows what the UI does while inference is busy."""

    def __init__(self, real) -> None:
        import threading

        self.real = real
        self.gate = threading.Event()
        self.calls = 0

    def analyze_image(self, image, pixel_spacing_mm=None, tta=False):
        self.calls += 1
        self.gate.wait(30)
        return self.real.analyze_image(image, pixel_spacing_mm, tta)

    def analyze_loaded(self, loaded, pixel_spacing_mm=None, tta=False):
        self.calls += 1
        self.gate.wait(30)
        return self.real.analyze_loaded(loaded, pixel_spacing_mm, tta)


def test_preview_stays_live_while_inference_is_busy(qtbot, services, dermatologist, ops, ws, lesion,
                                                    ph2_video: Path) -> None:  # noqa: F811
    slow = _SlowAnalysis(ws.analysis)
    page = _page(qtbot, services, dermatologist, ops, replace(ws, analysis=slow), lesion)
    live = page.live
    page.tabs.setCurrentWidget(live)
    shown: list[int] = []
    live.frame_shown.connect(shown.append)
    live.start_camera(str(ph2_video))
    qtbot.waitUntil(lambda: len(shown) >= 8, timeout=10000)  # frames keep coming while the analyser waits
    assert slow.calls == 1  # busy analyser: newer frames were dropped, not queued
    with qtbot.waitSignal(live.analysis_shown, timeout=60000):
        slow.gate.set()
    live.stop_camera()
    assert slow.calls <= 3


def test_a_running_analysis_can_be_cancelled(qtbot, services, dermatologist, ops, ws, lesion,
                                             test_data: Path) -> None:
    slow = _SlowAnalysis(ws.analysis)
    page = _page(qtbot, services, dermatologist, ops, replace(ws, analysis=slow), lesion)
    shown: list[object] = []
    page.analysis_shown.connect(shown.append)
    with qtbot.waitSignal(page.imported, timeout=20000):
        page.import_files([test_data / "ph2" / "images" / "IMD006.jpg"])
    qtbot.waitUntil(lambda: slow.calls == 1 and page.busy.isVisible(), timeout=10000)
    with qtbot.waitSignal(ops.settled, timeout=10000, check_params_cb=lambda key: key.endswith("-analysis")):
        page.cancel_button.click()
    slow.gate.set()
    assert not page.busy.isVisible() and not shown
    assert page.result_stack.currentWidget() is page.empty
    assert ws.records.timeline(dermatologist, lesion.id)[0].analysis is None  # nothing stored


def test_camera_message_clears_when_the_camera_returns(qtbot, services, dermatologist, ops, ws, lesion,
                                                       ph2_video: Path, tmp_path: Path) -> None:  # noqa: F811
    page = _page(qtbot, services, dermatologist, ops, ws, lesion)
    live = page.live
    live.analyse_live.setChecked(False)
    page.tabs.setCurrentWidget(live)
    source = tmp_path / "usb-camera.avi"
    with qtbot.waitSignal(live.camera_message, timeout=10000, check_params_cb=bool):
        live.start_camera(str(source))
    with qtbot.waitSignal(live.camera_message, timeout=20000, check_params_cb=lambda text: text == ""):
        source.write_bytes(ph2_video.read_bytes())  # plugged in
    assert not live.message.isVisible()
    with qtbot.waitSignal(live.frame_shown, timeout=10000):
        pass
    live.stop_camera()


def test_poor_picture_shows_a_prominent_quality_warning(qtbot, services, dermatologist, ops, real_ws, lesion,
                                                        test_data: Path, tmp_path: Path) -> None:
    import cv2

    image = cv2.imread(str(test_data / "ph2" / "images" / "IMD018.jpg"))
    cv2.imwrite(str(tmp_path / "soft.png"), cv2.GaussianBlur(image, (0, 0), 3))  # out of focus
    page = _page(qtbot, services, dermatologist, ops, real_ws, lesion)
    with qtbot.waitSignal(page.analysis_shown, timeout=120000) as shown:
        page.import_files([tmp_path / "soft.png"])
    flags = shown.args[0].stored.quality_flags
    assert "blurred" in flags
    assert page.quality.isVisible() and page.quality.level == "severe"
    assert "blurred" in page.quality.text()
    assert page.headline.style_name in ("neutral", "suspicious")  # never green over a poor picture
    # nearly black and out of focus: nothing to judge, so no score at all (issue 15)
    dark = cv2.GaussianBlur((image * 0.15).astype("uint8"), (31, 31), 0)
    cv2.imwrite(str(tmp_path / "dark.png"), dark)
    with qtbot.waitSignal(page.analysis_refused, timeout=120000) as refused:
        page.import_files([tmp_path / "dark.png"])
    assert refused.args[0].reasons == ("too_dark",)
    assert page.result_stack.currentWidget() is page.refusal and "too dark" in page.refusal.banner.text()


def test_switching_patients_by_search(qtbot, services, dermatologist, ops, ws, lesion) -> None:
    other = services.patients.create(dermatologist, PatientInput("MRN-8", "Kim", "Zhou", None))
    services.patients.add_lesion(dermatologist, other.id, "right thigh, posterior", "Z1")
    page = _page(qtbot, services, dermatologist, ops, ws, lesion)
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        page.search.setText("zhou")
    assert page.lesion.currentText() == "right thigh, posterior — Z1"
    assert "Zhou, Kim" in page.patient.currentText()


# --- reports and the patient explanation ---------------------------------------------------------------
@pytest.fixture
def offline_assistant(services, monkeypatch: pytest.MonkeyPatch):
    """The real assistant service with no API key (an in-memory keyring): it answers offline."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "assistant"))
    from memory_keyring import use_memory_keyring

    from dermstation.assistant.keys import KeyStore
    from dermstation.services.assistant import AssistantService

    monkeypatch.delenv("DERMSTATION_PERPLEXITY_API_KEY", raising=False)
    with use_memory_keyring():
        yield AssistantService(services.database, services.audit, services.settings_store, keys=KeyStore())


def _analysed_page(qtbot, services, user, ops, ws, lesion, test_data: Path, **extra) -> AnalysisPage:
    page = AnalysisPage(ws, services.patients, user, ops, **extra)
    qtbot.addWidget(page)
    page.resize(1280, 820)
    page.show()
    patient_id = services.patients.search(user, "March")[0].id
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        page.show_patient(patient_id, lesion.id)
    with qtbot.waitSignal(page.analysis_shown, timeout=120000):
        page.import_files([test_data / "ph2" / "images" / "IMD006.jpg"])
    return page


def test_lesion_report_and_german_summary_from_a_stored_analysis(qtbot, services, dermatologist, ops, ws, lesion,
                                                                 test_data: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader
    from test_report_preview import save_shot

    page = _analysed_page(qtbot, services, dermatologist, ops, ws, lesion, test_data, reports=services.reports)
    assert page.report_button.isVisible() and page.report_button.isEnabled()
    # the PACS/FHIR actions follow (the container always has the hospital link; tests/ui/test_hospital_link.py)
    assert [a.text() for a in page.report_button.menu().actions()][:2] == ["Lesion report…", "Patient summary…"]
    if (shots := os.environ.get("DERMSTATION_SCREENSHOTS")):
        page.grab().save(str(Path(shots) / "analysis_page_report_button.png"))

    with qtbot.waitSignal(page.report_opened, timeout=60000) as opened:
        page.lesion_report_action.trigger()
    dialog = opened.args[0]
    assert dialog.isVisible() and dialog.windowTitle() == "Lesion report"
    assert dialog.page_count() >= 1
    save_shot(qtbot, dialog, "report_preview_lesion.png")
    target = tmp_path / dialog.report.suggested_name
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        dialog.save_to(target)
    text = " ".join(page_.extract_text() for page_ in PdfReader(str(target)).pages)
    assert "MRN-7" in text
    dialog.close_button.click()

    # the summary is written from the signed, coded diagnosis and plan of this analysis
    from dermstation.core.assessments import Plan, PlanKind
    from dermstation.services.assessments import AssessmentService

    AssessmentService(services.database, services.audit).sign(dermatologist, page.shown.stored.id, "mel.ssm",
                                                               Plan(PlanKind.EXCISION))
    chooser = page.patient_summary()  # asks the language, the UI's by default
    assert chooser is not None and chooser.chosen() == "en" and chooser.language.count() == 8
    chooser.language.setCurrentIndex(chooser.language.findData("de"))
    if (shots := os.environ.get("DERMSTATION_SCREENSHOTS")):
        chooser.grab().save(str(Path(shots) / "summary_language.png"))
    with qtbot.waitSignal(page.report_opened, timeout=60000) as opened:
        chooser.accept()
    summary = opened.args[0]
    assert summary.report.suggested_name.endswith("-de.pdf") and summary.page_count() >= 1
    german = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(summary.report.pdf)).pages).split())
    assert "MRN-7" in german and "Ihr" in german and "Melanom, eine Form von Hautkrebs" in german
    save_shot(qtbot, summary, "report_preview_summary_de.png")
    summary.close()


def test_explain_tab_answers_offline_for_the_stored_analysis(qtbot, services, dermatologist, ops, ws, lesion,
                                                             test_data: Path, offline_assistant) -> None:
    page = _analysed_page(qtbot, services, dermatologist, ops, ws, lesion, test_data,
                          assistant=offline_assistant)
    panel = page.assistant_panel
    assert panel is not None and page.tabs.tabText(page.tabs.indexOf(panel)) == "Explain to patient"
    assert page.tabs.isTabEnabled(page.tabs.indexOf(panel))
    page.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: "built-in knowledge base" in panel.mode.text(), timeout=10000)
    qtbot.waitUntil(panel.ask_button.isEnabled, timeout=10000)
    with qtbot.waitSignal(panel.refused, timeout=20000) as refused:  # nothing signed yet: it says why
        panel.ask()
    assert "No diagnosis has been signed" in refused.args[0] and panel.current is None
    qtbot.waitUntil(panel.ask_button.isEnabled, timeout=10000)
    from dermstation.core.assessments import Plan, PlanKind
    from dermstation.services.assessments import AssessmentService

    AssessmentService(services.database, services.audit).sign(dermatologist, page.shown.stored.id, "bcc.nodular",
                                                               Plan(PlanKind.EXCISION))
    with qtbot.waitSignal(panel.answered, timeout=20000) as answered:
        panel.ask()
    explanation = answered.args[0]
    assert explanation.offline and explanation.analysis_id == page.shown.stored.id
    assert explanation.text.startswith("Basal cell carcinoma")  # the signed code, whatever the model said
    assert panel.badge.text() == "Built-in knowledge base" and panel.answer.toPlainText().strip()
    qtbot.waitUntil(panel.ask_button.isEnabled, timeout=10000)  # the exchange is stored
    if (shots := os.environ.get("DERMSTATION_SCREENSHOTS")):
        page.grab().save(str(Path(shots) / "analysis_page_explain_tab.png"))


def test_reports_and_explanation_are_hidden_without_services_or_role(qtbot, services, dermatologist, receptionist,
                                                                     ops, ws, offline_assistant) -> None:
    plain = AnalysisPage(ws, services.patients, dermatologist, ops)
    qtbot.addWidget(plain)
    assert plain.report_button.isHidden() and plain.assistant_panel is None
    assert [plain.tabs.tabText(i) for i in range(plain.tabs.count())] == ["Analysis", "Live view", "History", "AI audit"]
    clerk = AnalysisPage(ws, services.patients, receptionist, ops, reports=services.reports,
                         assistant=offline_assistant)
    qtbot.addWidget(clerk)
    assert clerk.report_button.isHidden() and clerk.assistant_panel is None and clerk.tabs.count() == 3
