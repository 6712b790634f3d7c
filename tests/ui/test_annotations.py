"""Marks over the picture with real widgets: a ruler in mm on a calibrated picture (px without a scale),
an arrow, the layer toggle, N and Delete from the keyboard; stored as a layer, never in the picture."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from dermstation.services.annotations import AnnotationService
from dermstation.services.device_profiles import Calibration, DeviceProfileService
from dermstation.services.types import PatientInput
from dermstation.ui.analysis.page import AnalysisPage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import fake_analysis  # noqa: E402, F401


@pytest.fixture
def ws(services, fake_analysis):  # noqa: F811
    base = replace(services, analysis=fake_analysis).workstation
    return replace(base, annotations=AnnotationService(services.database, services.audit),
                   device_profiles=DeviceProfileService(services.database, services.audit))


def _open(qtbot, services, ws, user, ops, picture: Path, profile=None) -> AnalysisPage:
    patient = services.patients.create(user, PatientInput("MRN-9", "Anneliese-Marie", "Oberhollenzer-Wittgenstein",
                                                          None))
    lesion = services.patients.add_lesion(user, patient.id, "left forearm", "L1")
    report = ws.imports.import_files(user, lesion.id, [picture], device_profile=profile)
    assert report.imported, report.failures
    page = AnalysisPage(ws, services.patients, user, ops)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    with qtbot.waitSignal(page.analysis_shown, timeout=60000):
        page.show_patient(patient.id, lesion.id)
    qtbot.waitUntil(lambda: page.annotations._layer is not None, timeout=10000)
    return page


def _drag(qtbot, page: AnalysisPage, start: QPoint, end: QPoint, steps: int = 4) -> None:
    viewport = page.image_view.view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(viewport, start + (end - start) * (i / steps))
    with qtbot.waitSignal(page.annotations.changed, timeout=10000):
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)


def test_ruler_in_mm_arrow_toggle_and_delete_from_the_keyboard(qtbot, services, dermatologist, ops, ws, test_data,
                                                               tmp_path) -> None:
    picture = test_data / "ph2" / "images" / "IMD006.jpg"
    import cv2

    h, w = cv2.imread(str(picture)).shape[:2]
    profile = ws.device_profiles.create(dermatologist, "Heine + phone", "", "", Calibration(w, h, 0.02, "manual", ""))
    original = picture.read_bytes()
    page = _open(qtbot, services, ws, dermatologist, ops, picture, profile)
    tools = page.annotations
    assert tools.status.text() == "Scale known: rulers in mm"
    view = page.image_view.view
    tools.ruler.click()
    assert tools.tool == "ruler" and view.dragMode() == view.DragMode.NoDrag
    start, end = QPoint(200, 300), QPoint(500, 300)
    _drag(qtbot, page, start, end)
    (ruler,) = tools.annotations
    # stored in the stored picture's pixels: the on-screen drag divided by the zoom
    expected_px = (view.mapToScene(end) - view.mapToScene(start)).x()
    assert ruler.kind == "ruler" and ruler.length_px() == pytest.approx(expected_px, rel=0.02)
    label = tools.items[0].label.text()
    assert label.endswith(" mm") and float(label.split()[0]) == pytest.approx(expected_px * 0.02, abs=0.06)

    tools.arrow.click()
    assert not tools.ruler.isChecked()
    _drag(qtbot, page, QPoint(600, 150), QPoint(450, 250))
    stored = ws.annotations.layer(dermatologist, ruler.capture_id).annotations
    assert [a.kind for a in stored] == ["ruler", "arrow"]
    assert ws.records.capture_image(dermatologist, ruler.capture_id).data == original  # never burned in

    if os.environ.get("DERMSTATION_SCREENSHOTS"):
        page.grab().save(str(Path(os.environ["DERMSTATION_SCREENSHOTS"]) / "annotations-1366x768.png"))
        page.resize(1920, 1080)
        qtbot.waitUntil(lambda: page.width() == 1920)
        page.grab().save(str(Path(os.environ["DERMSTATION_SCREENSHOTS"]) / "annotations-1920x1080.png"))

    tools.visible.click()  # hide the layer
    assert not any(item.isVisible() for item in tools.items) and tools.tool is None
    tools.visible.click()
    assert all(item.isVisible() for item in tools.items)

    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_N)
    assert tools.selected is tools.items[0] and tools.remove_button.isEnabled()
    with qtbot.waitSignal(tools.changed, timeout=10000):
        qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert [a.kind for a in ws.annotations.layer(dermatologist, ruler.capture_id).annotations] == ["arrow"]
    assert [i.kind for i in tools.items] == ["arrow"]


def test_without_a_scale_the_ruler_reads_pixels(qtbot, services, dermatologist, ops, ws, test_data) -> None:
    page = _open(qtbot, services, ws, dermatologist, ops, test_data / "ph2" / "images" / "IMD010.jpg")
    tools = page.annotations
    assert tools.status.text() == "No scale: rulers in pixels"
    tools.ruler.click()
    _drag(qtbot, page, QPoint(300, 200), QPoint(300, 420))
    assert tools.items[0].label.text().endswith(" px")
    qtbot.keyClick(page.image_view.view, Qt.Key.Key_Escape)
    assert tools.tool is None


def test_marks_are_drawn_from_the_keyboard_too(qtbot, services, dermatologist, ops, ws, test_data) -> None:
    page = _open(qtbot, services, ws, dermatologist, ops, test_data / "ph2" / "images" / "IMD010.jpg")
    tools = page.annotations
    tools.arrow.setFocus()
    qtbot.keyClick(tools.arrow, Qt.Key.Key_Space)  # choose the tool; the picture takes the focus
    assert tools.tool == "arrow" and page.image_view.view.hasFocus()
    with qtbot.waitSignal(tools.changed, timeout=10000):
        qtbot.keyClick(page.image_view.view, Qt.Key.Key_Return)
    (arrow,) = tools.annotations
    layer = ws.annotations.layer(dermatologist, arrow.capture_id)
    assert arrow.kind == "arrow" and 0 < arrow.points[0][0] < arrow.points[1][0] < layer.width
    assert tools.selected is tools.items[0]  # a new mark is selected: Delete takes it back
    with qtbot.waitSignal(tools.changed, timeout=10000):
        qtbot.keyClick(page.image_view.view, Qt.Key.Key_Delete)
    assert ws.annotations.layer(dermatologist, arrow.capture_id).annotations == ()


def test_a_receptionist_never_gets_the_marks(qtbot, services, receptionist, ops, ws) -> None:
    page = AnalysisPage(ws, services.patients, receptionist, ops)
    qtbot.addWidget(page)
    assert page.annotations is None
