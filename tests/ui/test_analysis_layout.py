"""The Analysis page as a clinician reads it: the verdict in view after a new result, nothing of the previous
patient left on screen, a key to the heatmap, class names in full in every language.

Real widgets offscreen, the fake analyser (tests/ui/fake_analysis.py: real decoding, outline, quality and
metrics, fixed probabilities), keyboard where the user has a keyboard path. Screenshots go to
$DERMSTATION_SCREENSHOTS when it is set."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication

from dermstation.core.domain import LESION_CLASSES
from dermstation.core.errors import NotApplicable
from dermstation.core.i18n import set_language
from dermstation.services.types import PatientInput
from dermstation.ui.analysis.page import AnalysisPage
from dermstation.ui.analysis.probability_chart import WRAP, class_label

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import fake_analysis  # noqa: E402, F401

LONG_NAME = ("Maximilian Alexander Konstantin", "von Hohenzollern-Sigmaringen")


@pytest.fixture
def ws(services, fake_analysis):  # noqa: F811
    try:  # the workstation's narrow view of the services (its builder moved into the container)
        from dermstation.services.workstation import build_workstation_services
    except ImportError:
        return replace(services, analysis=fake_analysis).workstation
    return build_workstation_services(services, fake_analysis)


@pytest.fixture
def lesions(services, dermatologist):
    patient = services.patients.create(dermatologist, PatientInput("MRN-123456", *LONG_NAME, None))
    first = services.patients.add_lesion(dermatologist, patient.id, "left shoulder blade", "L1")
    second = services.patients.add_lesion(dermatologist, patient.id, "right forearm", "L2")
    other = services.patients.create(dermatologist, PatientInput("MRN-8", "Kim", "Zhou", None))
    services.patients.add_lesion(dermatologist, other.id, "right thigh, posterior", "Z1")
    return patient, first, second


def _page(qtbot, services, user, ops, ws, patient, lesion, size=(1366, 768)) -> AnalysisPage:
    page = AnalysisPage(ws, services.patients, user, ops)
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        page.show_patient(patient.id, lesion.id)
    assert page.lesion_id == lesion.id
    return page


def _analyse(qtbot, page: AnalysisPage, test_data: Path, name: str = "IMD006") -> None:
    with qtbot.waitSignal(page.analysis_shown, timeout=60000):
        page.import_files([test_data / "ph2" / "images" / f"{name}.jpg"])


def _in_view(page: AnalysisPage, widget) -> bool:
    """The whole widget lies inside the side panel's visible area."""
    viewport = page.side_scroll.viewport()
    top = widget.mapTo(viewport, QPoint(0, 0)).y()
    return widget.isVisible() and top >= 0 and top + widget.height() <= viewport.height()


def _shot(widget, name: str) -> None:
    QApplication.processEvents()  # pending layout requests first: the picture a user would see
    if shots := os.environ.get("DERMSTATION_SCREENSHOTS"):
        widget.grab().save(str(Path(shots) / name))


def test_a_new_result_opens_at_its_verdict(qtbot, services, dermatologist, ops, ws, lesions, test_data) -> None:
    patient, first, _second = lesions
    page = _page(qtbot, services, dermatologist, ops, ws, patient, first, size=(1366, 600))
    _analyse(qtbot, page, test_data)
    qtbot.waitUntil(lambda: _in_view(page, page.headline), timeout=5000)
    bar = page.side_scroll.verticalScrollBar()
    assert bar.maximum() > 0  # the side panel is taller than the window: it scrolls
    bar.setValue(bar.maximum())  # down at the signing form
    assert not _in_view(page, page.headline)

    page.reanalyse_button.setFocus()
    with qtbot.waitSignal(page.analysis_shown, timeout=60000):
        qtbot.keyClick(page.reanalyse_button, Qt.Key.Key_Space)  # "Analyse again" from the keyboard
    qtbot.waitUntil(lambda: _in_view(page, page.headline), timeout=5000)
    assert "Most likely" in page.headline.text()


def test_switching_patient_or_lesion_leaves_nothing_of_the_last_one(qtbot, services, dermatologist, ops, ws,
                                                                     fake_analysis, lesions, test_data,  # noqa: F811
                                                                     tmp_path) -> None:
    patient, first, second = lesions
    page = _page(qtbot, services, dermatologist, ops, ws, patient, first)
    bad = tmp_path / "scan.jpg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    with qtbot.waitSignal(page.imported, timeout=10000):
        page.import_files([bad])
    assert page.message.isVisible() and "scan.jpg" in page.message.text()
    _shot(page, "analysis_error_1366x768.png")

    def refuse(_image) -> None:
        raise NotApplicable("The picture is too dark.", ("too_dark",))

    fake_analysis.analyzer.refuse = refuse
    try:
        with qtbot.waitSignal(page.analysis_refused, timeout=60000):
            page.import_files([test_data / "ph2" / "images" / "IMD010.jpg"])
    finally:
        fake_analysis.analyzer.refuse = lambda _image: None
    assert page.result_stack.currentWidget() is page.refusal and "Not scored" in page.refusal.banner.text()

    # another patient, found from the keyboard: no refusal, no message of the previous one
    page.search.setFocus()
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        qtbot.keyClicks(page.search, "zhou")
    assert "Zhou, Kim" in page.patient.currentText()
    assert page.result_stack.currentWidget() is page.empty
    assert not page.message.isVisible() and page.message.text() == ""
    assert page.refusal.banner.text() == "" and page.refusal.reasons == ()
    _shot(page, "analysis_other_patient_1366x768.png")

    # back to the first patient: a result, then the other lesion chosen with the arrow key
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        page.show_patient(patient.id, first.id)
    with qtbot.waitSignal(page.analysis_shown, timeout=60000):
        page.open_capture(ws.records.timeline(dermatologist, first.id)[-1].capture.id)
    assert "Most likely" in page.headline.text() and page.chart.rows()
    page.lesion.setFocus()
    index = page.lesion.findData(second.id)
    key = Qt.Key.Key_Down if index > page.lesion.currentIndex() else Qt.Key.Key_Up
    qtbot.keyClick(page.lesion, key)
    assert page.lesion_id == second.id
    assert page.result_stack.currentWidget() is page.empty
    assert page.headline.text() == "" and page.chart.rows() == [] and page.metrics.values == {}
    assert page.quality.isHidden()
    assert page.side_scroll.verticalScrollBar().value() == 0


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_heatmap_has_a_legend(qtbot, services, dermatologist, ops, ws, lesions, test_data, size) -> None:
    patient, first, _second = lesions
    page = _page(qtbot, services, dermatologist, ops, ws, patient, first, size=size)
    _analyse(qtbot, page, test_data)
    view = page.image_view
    legend = view.legend
    assert view.has_heatmap and not legend.isVisible()
    view.heatmap_toggle.setFocus()
    qtbot.keyClick(view.heatmap_toggle, Qt.Key.Key_Space)
    assert view.heatmap_item.isVisible() and legend.isVisible()
    assert legend.title.text() == "AI attention" and (legend.low.text(), legend.high.text()) == ("low", "high")
    assert "Not a diagnosis" in legend.note.text() and "Not a diagnosis" in legend.accessibleDescription()
    assert legend.low.geometry().right() < legend.bar.geometry().left() < legend.high.geometry().left()
    assert legend.bar.width() >= 60
    # the bar runs from the heatmap's cold colour to its hot one
    image = legend.bar.grab().toImage()
    left, right = image.pixelColor(3, image.height() // 2), image.pixelColor(image.width() - 4, image.height() // 2)
    assert left.blue() > left.red() and right.red() > right.blue()
    _shot(page, f"analysis_heatmap_legend_{size[0]}x{size[1]}.png")
    qtbot.keyClick(view.heatmap_toggle, Qt.Key.Key_Space)
    assert not view.heatmap_item.isVisible() and not legend.isVisible()


def _assert_names_in_full(chart) -> None:
    width = chart.width()
    label_w = chart.label_width(width) - 8
    fm = chart.fontMetrics()
    for cls, height in zip([c for c, _p in chart._probabilities], chart.label_heights(width), strict=True):
        needed = fm.boundingRect(QRect(0, 0, label_w, 100000), WRAP, class_label(cls))
        assert needed.width() <= label_w, (class_label(cls), needed.width(), label_w)  # no word runs over
        assert needed.height() <= height, (class_label(cls), needed.height(), height)  # every line drawn
    assert chart.height() >= chart.heightForWidth(width)


@pytest.mark.parametrize("language", ["en", "ta", "te"])
def test_long_class_names_show_in_full(qtbot, services, dermatologist, ops, ws, lesions, test_data,
                                       language) -> None:
    set_language(language)  # the autouse fixture puts English back
    patient, first, _second = lesions
    page = _page(qtbot, services, dermatologist, ops, ws, patient, first)
    _analyse(qtbot, page, test_data)
    chart = page.chart
    akiec = class_label("akiec")
    assert akiec != "akiec" and (language == "en") == (akiec == "Actinic keratosis / intraepithelial carcinoma")
    assert akiec in chart.accessibleDescription()  # the full names for screen readers too
    assert len(chart.rows()) == len(LESION_CLASSES)
    _assert_names_in_full(chart)
    long_row = chart.label_heights(chart.width())[[c for c, _p in chart._probabilities].index("akiec")]
    _shot(page, f"analysis_class_names_{language}_1366x768.png")

    # the side panel dragged to its narrowest: the long name wraps onto more lines, still in full
    splitter = page.image_view.parentWidget()
    wide = chart.width()
    splitter.setSizes([page.width(), 1])  # the side panel at its minimum width
    qtbot.waitUntil(lambda: chart.width() < wide, timeout=5000)
    QApplication.processEvents()
    _assert_names_in_full(chart)
    narrow_row = chart.label_heights(chart.width())[[c for c, _p in chart._probabilities].index("akiec")]
    assert narrow_row > chart._row_height() and narrow_row >= long_row  # wrapped, more lines than before
    _shot(page.side_scroll, f"analysis_class_names_{language}_narrow.png")


def test_audit_cells_keep_their_full_text(qtbot, ops, ws, dermatologist) -> None:
    from datetime import UTC, datetime

    from dermstation.core.diagnoses import catalogue
    from dermstation.services.assessments import AuditRow
    from dermstation.ui.analysis.audit import AuditView

    view = AuditView(ws.assessments, dermatologist, ops)
    qtbot.addWidget(view)
    view.resize(1366, 500)
    diagnosis = catalogue().get("nv.compound")
    view.show_rows((AuditRow(1, 1, "MRN-123456", datetime(2026, 3, 2, 9, tzinfo=UTC), "akiec", 0.61, 0.3,
                             diagnosis, datetime(2026, 3, 2, 9, 30, tzinfo=UTC), None),))
    cell = next(view.table.item(0, c) for c in range(view.table.columnCount())
                if view.table.item(0, c).text() == class_label("akiec"))
    assert cell.toolTip() == "Actinic keratosis / intraepithelial carcinoma"
    assert cell.data(Qt.ItemDataRole.AccessibleTextRole) == cell.text()
