"""History's two panes with real widgets: each picture's stored marks drawn over it read-only (the later
picture's turned with it onto the earlier one), the Marks toggle from the keyboard, and nothing of the last
lesion or patient left on screen while the next one loads."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsItem

from dermstation.core.domain import CaptureSource
from dermstation.services.annotations import AnnotationService
from dermstation.services.types import PatientInput
from dermstation.ui.analysis.history import HistoryView
from dermstation.ui.analysis.page import AnalysisPage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import fake_analysis  # noqa: E402, F401 - the fast analyser


@pytest.fixture
def ws(services, fake_analysis):  # noqa: F811
    base = replace(services, analysis=fake_analysis).workstation
    return replace(base, annotations=AnnotationService(services.database, services.audit))


def _turned(x: float, y: float, height: int) -> tuple[float, float]:
    """Where a point of the earlier picture lies in the later one (turned 90° clockwise, half the size)."""
    return (height - 1 - y) / 2, x / 2


def _follow_up(services, ws, user, test_data: Path, tmp_path: Path, record: str = "R7"):
    """IMD010, then the same lesion turned and at half the size (0.02 mm per pixel): they align."""
    patient = services.patients.create(user, PatientInput(record, "Anneliese-Marie",
                                                          "Oberhollenzer-Wittgenstein", None))
    lesion = services.patients.add_lesion(user, patient.id, "left shin", "L1")
    path = test_data / "ph2" / "images" / "IMD010.jpg"
    bgr = cv2.imread(str(path))
    height, width = bgr.shape[:2]
    half = cv2.resize(cv2.rotate(bgr, cv2.ROTATE_90_CLOCKWISE), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    later = tmp_path / "later.png"
    assert cv2.imwrite(str(later), half)
    captures = []
    for days_ago, picture, (w, h), spacing in ((200, path, (width, height), 0.01),
                                               (5, later, half.shape[1::-1], 0.02)):
        capture = services.captures.add_capture(user, lesion.id, picture.read_bytes(), CaptureSource.FILE, w, h,
                                                picture.name, spacing, datetime.now(UTC) - timedelta(days=days_ago))
        ws.records.save(user, capture.id, ws.analysis.analyze_file(picture, pixel_spacing_mm=spacing))
        captures.append(capture)
    return patient, lesion, captures, height


def _ends(item) -> tuple[tuple[float, float], tuple[float, float]]:
    return (item.points[0].x(), item.points[0].y()), (item.points[-1].x(), item.points[-1].y())


def test_both_panes_show_their_marks_read_only_and_the_toggle_hides_them(qtbot, services, ws, dermatologist, ops,
                                                                       test_data, tmp_path) -> None:
    patient, lesion, (first, second), height = _follow_up(services, ws, dermatologist, test_data, tmp_path)
    # a 2 mm ruler on each picture over the same stretch of skin: 200 px at 0.01, 100 px at 0.02 mm per pixel
    a, b = (250.0, 300.0), (450.0, 300.0)
    ws.annotations.add(dermatologist, first.id, "ruler", (a, b))
    ws.annotations.add(dermatologist, second.id, "ruler", (_turned(*a, height), _turned(*b, height)))
    ws.annotations.add(dermatologist, second.id, "arrow", ((20.0, 20.0), (60.0, 60.0)))
    view = HistoryView(ws.records, dermatologist, ops, annotations=ws.annotations)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    with qtbot.waitSignal(view.compared, timeout=30000) as compared:
        view.set_lesion(lesion.id)
    assert compared.args[0].aligned
    left, right = view.left_pane.marks, view.right_pane.marks
    assert [m.kind for m in left] == ["ruler"] and sorted(m.kind for m in right) == ["arrow", "ruler"]
    # each ruler reads its own picture's millimetres, and the later one, turned onto the earlier picture,
    # lands where the earlier one lies
    (left_ruler,) = left
    (right_ruler,) = [m for m in right if m.kind == "ruler"]
    assert left_ruler.label.text() == "2.0 mm" and right_ruler.label.text() == "2.0 mm"
    for (x, y), (ex, ey) in zip(_ends(right_ruler), (a, b), strict=True):
        assert math.dist((x, y), (ex, ey)) < 6, ((x, y), (ex, ey))
    assert _ends(left_ruler) == (a, b)
    # read-only: nothing here can be selected (and so removed)
    assert all(not (m.flags() & QGraphicsItem.GraphicsItemFlag.ItemIsSelectable) for m in left + right)
    assert all(m.isVisible() for m in left + right)
    view.grab().save("/tmp/h17_history_marks.png")

    # the Marks toggle from the keyboard: Space on it hides both panes' marks, again shows them
    assert view.marks.isEnabled() and view.marks.focusPolicy() & Qt.FocusPolicy.TabFocus
    view.marks.setFocus()
    qtbot.keyClick(view.marks, Qt.Key.Key_Space)
    assert not view.marks.isChecked() and not any(m.isVisible() for m in left + right)
    # blink keeps them hidden: the right pane's marks follow the picture it shows
    view.set_mode("blink")
    view._blink_step()
    assert [m.kind for m in view.right_pane.marks] == ["ruler"] and not view.right_pane.marks[0].isVisible()
    view.set_mode("side")
    qtbot.keyClick(view.marks, Qt.Key.Key_Space)
    assert view.marks.isChecked() and all(m.isVisible() for m in view.left_pane.marks + view.right_pane.marks)

    # a mark removed on the Analysis tab is gone when History is shown again
    arrow = next(x for x in ws.annotations.layer(dermatologist, second.id).annotations if x.kind == "arrow")
    ws.annotations.remove(dermatologist, arrow.id)
    view.hide()
    view.show()
    qtbot.waitUntil(lambda: [m.kind for m in view.right_pane.marks] == ["ruler"], timeout=10000)

    # another lesion: the comparison, its marks and the dates go at once, before anything loads
    other = services.patients.add_lesion(dermatologist, patient.id, "chest", "L2")
    view.set_lesion(other.id)
    assert view.current is None and not view.left_pane.isVisible() and not view.right_pane.isVisible()
    assert view.left_pane.marks == [] and view.right_pane.marks == [] and not view.marks.isEnabled()
    assert view.timeline.count() == 0 and view.before.count() == 0 and not view.compare_area.isEnabled()
    with qtbot.waitSignal(view.timeline_shown, timeout=10000) as shown:
        pass
    assert shown.args[0] == 0 and view.current is None


def test_a_late_comparison_of_the_last_lesion_is_dropped(qtbot, services, ws, dermatologist, ops, test_data,
                                                        tmp_path) -> None:
    patient, lesion, _captures, _h = _follow_up(services, ws, dermatologist, test_data, tmp_path)
    other = services.patients.add_lesion(dermatologist, patient.id, "chest", "L2")
    view = HistoryView(ws.records, dermatologist, ops, annotations=ws.annotations)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.timeline_shown, timeout=10000):
        view.set_lesion(lesion.id)
    # the comparison of the first lesion is now running; the user moves on before it ends
    view.set_lesion(other.id)
    qtbot.waitUntil(lambda: not ops.busy(f"compare-{id(view)}"), timeout=30000)
    assert view.current is None and not view.left_pane.isVisible()


def test_switching_patient_clears_history_before_the_next_patient_loads(qtbot, services, ws, dermatologist, ops,
                                                                       test_data, tmp_path) -> None:
    patient, lesion, _captures, _h = _follow_up(services, ws, dermatologist, test_data, tmp_path)
    services.patients.create(dermatologist, PatientInput("R8", "Bo", "Lee", None))
    page = AnalysisPage(ws, services.patients, dermatologist, ops)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    with qtbot.waitSignal(page.history.compared, timeout=60000):
        page.show_patient(patient.id, lesion.id)
    page.tabs.setCurrentWidget(page.history)
    assert page.history.current is not None and page.history.left_pane.isVisible()
    qtbot.waitUntil(lambda: page.patient.count() >= 3, timeout=10000)  # the recent patients are listed
    # the keyboard: the patient drop-down, one down to the other patient
    page.patient.setFocus()
    index = page.patient.currentIndex()
    key = Qt.Key.Key_Down if index + 1 < page.patient.count() and page.patient.itemData(index + 1) else Qt.Key.Key_Up
    qtbot.keyClick(page.patient, key)
    assert page.patient.currentData() not in (None, patient.id)
    # at once, before the other patient's lesions arrive: nothing of the last patient stays on screen
    assert page.history.current is None and not page.history.left_pane.isVisible()
    assert page.history.timeline.count() == 0
    assert page.lesion.count() == 0 and page.shown is None and page.empty.text() == "Loading…"
    assert page.history.empty.text() == "Choose a patient and a lesion above." and not page.history.summary.text()
    page.grab().save("/tmp/h17_history_switched.png")
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000) as loaded:
        pass
    assert loaded.args[0] == 0 and page.lesion.currentData() is None
    assert page.empty.text().startswith("This patient has no lesions yet")
