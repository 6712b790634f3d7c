"""Lesion history: the timeline of captures and two dates side by side with the change highlighted."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dermstation.core.domain import CaptureSource
from dermstation.inference.follow_up import DIAMETER_NOISE_PCT, Note, Verdict
from dermstation.services.types import PatientInput
from dermstation.ui.analysis.history import HistoryView

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import fake_analysis  # noqa: E402, F401 - the fast analyser (real models: tests/inference)


@pytest.fixture(scope="module")
def two_results(fake_analysis, test_data: Path):  # noqa: F811
    """A small lesion (IMD006) and a larger one (IMD010), both at 0.01 mm per pixel."""
    return [fake_analysis.analyze_file(test_data / "ph2" / "images" / f"{n}.jpg", pixel_spacing_mm=0.01)
            for n in ("IMD006", "IMD010")]


def _lesion_with_history(services, user, ws, test_data, results):
    patient = services.patients.create(user, PatientInput("R1", "Jo", "March", None))
    lesion = services.patients.add_lesion(user, patient.id, "upper back", "L1")
    analyses = []
    for days_ago, name, result in zip((300, 10), ("IMD006", "IMD010"), results, strict=True):
        data = (test_data / "ph2" / "images" / f"{name}.jpg").read_bytes()
        capture = services.captures.add_capture(user, lesion.id, data, CaptureSource.FILE, 1, 1, f"{name}.jpg", 0.01,
                                                datetime.now(UTC) - timedelta(days=days_ago))
        analyses.append(ws.records.save(user, capture.id, result))
    # a third picture, not analysed yet
    data = (test_data / "ph2" / "images" / "IMD018.jpg").read_bytes()
    services.captures.add_capture(user, lesion.id, data, CaptureSource.FILE, 1, 1, "IMD018.jpg")
    return lesion, analyses


def test_timeline_and_side_by_side_comparison(qtbot, services, dermatologist, ops, fake_analysis,  # noqa: F811
                                              two_results, test_data) -> None:
    ws = replace(services, analysis=fake_analysis).workstation
    lesion, (old, new) = _lesion_with_history(services, dermatologist, ws, test_data, two_results)
    view = HistoryView(ws.records, dermatologist, ops)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    with qtbot.waitSignal(view.compared, timeout=20000) as compared:
        view.set_lesion(lesion.id)
    assert view.timeline.count() == 3
    assert "not analysed" in view.timeline.item(0).text()  # newest on top
    change = compared.args[0]
    # two different PH² lesions stand in for two visits: they cannot be aligned, so each is measured on
    # its own (both have a pixel size) and the view says the same lesion was not checked
    assert not change.aligned and Note.NOT_ALIGNED in change.notes
    d_old, d_new = old.metric("diameter").value, new.metric("diameter").value
    assert change.diameter_before == pytest.approx(d_old, rel=0.03)
    assert change.diameter_after == pytest.approx(d_new, rel=0.03)
    flagged = abs(change.diameter_change_pct) > DIAMETER_NOISE_PCT
    assert view.delta_labels["diameter"].property("flagged") is flagged
    assert ("Changed" in view.summary.text()) is (change.verdict is Verdict.CHANGED)
    assert "could not be aligned" in view.summary.text()
    assert "_" not in view.delta_labels["colours"].text()
    assert not view.left_pane.image.pixmap().isNull() and not view.right_pane.image.pixmap().isNull()
    assert not view.mode_buttons["blink"].isEnabled()  # nothing to blink between unaligned pictures

    with qtbot.waitSignal(view.thumbnails_shown, timeout=20000):
        view.refresh()
    assert all(not view.timeline.item(i).icon().isNull() for i in range(3))

    with qtbot.waitSignal(view.open_capture, timeout=2000) as opened:
        view.timeline.itemActivated.emit(view.timeline.item(2))
    assert opened.args[0] == old.capture_id


def test_one_picture_cannot_be_compared(qtbot, services, dermatologist, ops, fake_analysis) -> None:  # noqa: F811
    ws = replace(services, analysis=fake_analysis).workstation
    patient = services.patients.create(dermatologist, PatientInput("R2", "Al", "Bee", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "chest", "")
    view = HistoryView(ws.records, dermatologist, ops)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.timeline_shown, timeout=10000) as shown:
        view.set_lesion(lesion.id)
    assert shown.args[0] == 0 and view.empty.isVisibleTo(view)
    assert "two pictures" in view.summary.text() and not view.compare_area.isEnabled()


def test_aligned_follow_up_links_the_panes_blinks_and_overlays(qtbot, services, dermatologist, ops,
                                                              fake_analysis, test_data, tmp_path) -> None:  # noqa: F811
    import cv2

    ws = replace(services, analysis=fake_analysis).workstation
    patient = services.patients.create(dermatologist, PatientInput("R3", "Ed", "Gar", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left shin", "L1")
    first = (test_data / "ph2" / "images" / "IMD010.jpg").read_bytes()
    turned = cv2.rotate(cv2.imread(str(test_data / "ph2" / "images" / "IMD010.jpg")), cv2.ROTATE_90_CLOCKWISE)
    ok, second = cv2.imencode(".png", cv2.resize(turned, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA))
    assert ok
    later = tmp_path / "later.png"
    later.write_bytes(second.tobytes())
    for days_ago, data, name, spacing in ((200, first, "IMD010.jpg", 0.01), (5, second.tobytes(), "later.png", 0.02)):
        capture = services.captures.add_capture(dermatologist, lesion.id, data, CaptureSource.FILE, 1, 1, name,
                                                spacing, datetime.now(UTC) - timedelta(days=days_ago))
        path = test_data / "ph2" / "images" / name if name.endswith(".jpg") else later
        ws.records.save(dermatologist, capture.id, fake_analysis.analyze_file(path, pixel_spacing_mm=spacing))
    view = HistoryView(ws.records, dermatologist, ops)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    with qtbot.waitSignal(view.compared, timeout=30000) as compared:
        view.set_lesion(lesion.id)
    change = compared.args[0]
    assert change.aligned and change.same_lesion and change.verdict is Verdict.STABLE
    assert "No change in size" in view.summary.text()
    assert not view.right_pane.earlier.path().isEmpty()  # the earlier outline on the aligned later picture
    # linked zoom and pan: zooming the left pane zooms the right one the same way
    view.left_pane.view.zoom_by(2.0)
    assert view.right_pane.view.zoom() == pytest.approx(view.left_pane.view.zoom())
    view.left_pane.view.horizontalScrollBar().setValue(40)
    assert view.right_pane.view.horizontalScrollBar().value() == view.left_pane.view.horizontalScrollBar().value()
    # blink: the right pane alternates between the two dates
    view.set_mode("blink")
    first_frame = view.right_pane.image.pixmap().toImage()
    view._blink_step()
    assert view.right_pane.image.pixmap().toImage() != first_frame
    # outlines: both outlines on the earlier picture
    view.set_mode("outlines")
    assert not view.right_pane.isVisible()
    assert not view.left_pane.earlier.path().isEmpty() and not view.left_pane.outline.path().isEmpty()
