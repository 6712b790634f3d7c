"""Lesion history: the timeline of captures and two dates side by side with the change highlighted."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dermstation.core.domain import CaptureSource
from dermstation.services.types import PatientInput
from dermstation.services.workstation import build_workstation_services
from dermstation.ui.analysis.history import HistoryView

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import analysis_service  # noqa: E402, F401


@pytest.fixture(scope="module")
def two_results(analysis_service, test_data: Path):  # noqa: F811
    """A small lesion (IMD006) and a larger one (IMD010), both at 0.01 mm per pixel."""
    return [analysis_service.analyze_file(test_data / "ph2" / "images" / f"{n}.jpg", pixel_spacing_mm=0.01)
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


def test_timeline_and_side_by_side_comparison(qtbot, services, dermatologist, ops, analysis_service,  # noqa: F811
                                              two_results, test_data) -> None:
    ws = build_workstation_services(services, analysis_service)
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
    d_old, d_new = old.metric("diameter").value, new.metric("diameter").value
    assert change.diameter_change_pct == pytest.approx(100 * (d_new - d_old) / d_old)
    grew = change.diameter_change_pct > 10
    assert view.delta_labels["diameter"].property("flagged") is grew
    assert ("Changed" in view.summary.text()) is (grew or bool(change.colours_added))
    assert "_" not in view.delta_labels["colours"].text()
    assert not view.left_pane.image.pixmap().isNull() and not view.right_pane.image.pixmap().isNull()
    assert not view.right_pane.earlier.path().isEmpty()  # the earlier outline drawn on the later picture

    with qtbot.waitSignal(view.thumbnails_shown, timeout=20000):
        view.refresh()
    assert all(not view.timeline.item(i).icon().isNull() for i in range(3))

    with qtbot.waitSignal(view.open_capture, timeout=2000) as opened:
        view.timeline.itemActivated.emit(view.timeline.item(2))
    assert opened.args[0] == old.capture_id


def test_one_picture_cannot_be_compared(qtbot, services, dermatologist, ops, analysis_service) -> None:  # noqa: F811
    ws = build_workstation_services(services, analysis_service)
    patient = services.patients.create(dermatologist, PatientInput("R2", "Al", "Bee", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "chest", "")
    view = HistoryView(ws.records, dermatologist, ops)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.timeline_shown, timeout=10000) as shown:
        view.set_lesion(lesion.id)
    assert shown.args[0] == 0 and view.empty.isVisibleTo(view)
    assert "two pictures" in view.summary.text() and not view.compare_area.isEnabled()
