"""The chart's body map: a marker per lesion at its site, coloured by the stored status; click or Enter opens."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from analysis_rows import measured
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sample_data import ph2_case

from dermstation.core.assessments import Plan, PlanKind, RetractionReason
from dermstation.core.body_sites import parse_body_site
from dermstation.core.domain import CaptureSource, ReferralUrgency
from dermstation.records.models import AnalysisRecord, ReferralHospital
from dermstation.services.assessments import AssessmentService
from dermstation.services.container import Services
from dermstation.services.lesion_status import LesionStatus
from dermstation.services.reports import ReportService
from dermstation.services.types import CurrentUser, PatientChart, PatientInput
from dermstation.ui.operations import Operations
from dermstation.ui.patients.body_map import STATUS_COLOURS
from dermstation.ui.patients.chart import PatientPanel
from dermstation.ui.patients.page import PatientsPage

SCREENSHOTS = Path(os.environ.get("DERMSTATION_SCREENSHOTS", "/tmp/dermstation-screenshots"))


def _png(rgb: np.ndarray) -> bytes:
    return cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()


def _metrics(diameter: float, unit: str = "mm") -> dict[str, tuple[float, str]]:
    return {"diameter": (diameter, unit), "area": (diameter * diameter * 0.7, "mm²" if unit == "mm" else "px²")}


def _analysed(services: Services, actor: CurrentUser, lesion_id: int, when: datetime,
              metrics: dict[str, dict[str, object]]) -> tuple[int, int]:
    """A stored picture of the lesion and an analysis of it: (capture id, analysis id)."""
    rgb, _mask = ph2_case("IMD002")
    capture = services.captures.add_capture(actor, lesion_id, _png(rgb), CaptureSource.FILE, rgb.shape[1],
                                            rgb.shape[0], "x.png", 0.02, when)
    with services.database.session() as session:
        row = AnalysisRecord(capture_id=capture.id, model_name="ham10000", model_version="1",
                             probabilities={"mel": 0.6, "nv": 0.4}, prediction="mel", malignancy_score=0.6,
                             measurements=measured(metrics), quality_flags=[], provider="CPU")
        session.add(row)
        session.flush()
        return capture.id, row.id


JAN, JUL = datetime(2026, 1, 12, 9, tzinfo=UTC), datetime(2026, 7, 13, 9, tzinfo=UTC)


@pytest.fixture
def chart(services: Services, dermatologist: CurrentUser) -> tuple[PatientChart, dict[str, int]]:
    """One lesion per status, one lesion whose site is not on the outline, and a retracted follow-up."""
    patient = services.patients.create(
        dermatologist, PatientInput("MRN-77", "Wilhelmina-Konstanze", "Oppenheimer-Castellanos", date(1961, 3, 4)))
    ids: dict[str, int] = {}

    def lesion(key: str, site: str) -> int:
        ids[key] = services.patients.add_lesion(dermatologist, patient.id, site, key.upper()[:3]).id
        return ids[key]

    _analysed(services, dermatologist, lesion("new", "left forearm"), JAN, _metrics(6.0))
    for key, site, after in (("stable", "upper back", 6.3), ("changed", "right thigh", 8.0)):
        lesion(key, site)
        _analysed(services, dermatologist, ids[key], JAN, _metrics(6.0))
        _analysed(services, dermatologist, ids[key], JUL, _metrics(after))
    lesion("uncompared", "abdomen")
    _analysed(services, dermatologist, ids["uncompared"], JAN, _metrics(300.0, "px"))
    _analysed(services, dermatologist, ids["uncompared"], JUL, _metrics(900.0, "px"))
    _c, analysis = _analysed(services, dermatologist, lesion("excised", "chest"), JAN, _metrics(7.0))
    AssessmentService(services.database, services.audit).sign(dermatologist, analysis, "mel.suspected", Plan(PlanKind.EXCISION))
    with services.database.session() as session:
        hospital = ReferralHospital(name="St Mary's", city="London", country="United Kingdom")
        session.add(hospital)
        session.flush()
        hospital_id = hospital.id
    _c, analysis = _analysed(services, dermatologist, lesion("referred", "left shoulder"), JAN, _metrics(5.0))
    AssessmentService(services.database, services.audit).sign(dermatologist, analysis, "mel.suspected",
                              Plan(PlanKind.REFERRAL, urgency=ReferralUrgency.URGENT, hospital_id=hospital_id))
    # a follow-up picture retracted as the wrong lesion: the lesion is still "new"
    _analysed(services, dermatologist, lesion("retracted", "right knee"), JAN, _metrics(6.0))
    wrong, _a = _analysed(services, dermatologist, ids["retracted"], JUL, _metrics(12.0))
    AssessmentService(services.database, services.audit).retract_capture(dermatologist, wrong, RetractionReason.WRONG_LESION)
    lesion("unplaced", "behind the curtain")
    for key, site in (("nose", "nose"), ("finger", "left index finger"), ("heel", "right heel")):
        _analysed(services, dermatologist, lesion(key, site), JAN, _metrics(3.0))
    return services.patients.chart(dermatologist, patient.id), ids


EXPECTED = {"new": LesionStatus.NEW, "stable": LesionStatus.STABLE, "changed": LesionStatus.CHANGED,
            "uncompared": LesionStatus.NOT_COMPARED, "excised": LesionStatus.EXCISED,
            "referred": LesionStatus.REFERRED, "retracted": LesionStatus.NEW,
            "nose": LesionStatus.NEW, "finger": LesionStatus.NEW, "heel": LesionStatus.NEW}


def test_status_from_stored_data(chart: tuple[PatientChart, dict[str, int]]) -> None:
    data, ids = chart
    status = {lesion.id: lesion.status for lesion in data.lesions}
    assert {key: status[ids[key]] for key in EXPECTED} == EXPECTED


def _panel(qtbot: QtBot, data: PatientChart, size: tuple[int, int] = (900, 1000)) -> PatientPanel:
    panel = PatientPanel(clinical=True)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show_patient(data.patient, data)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_markers_at_their_sites_in_their_colours(qtbot: QtBot, chart: tuple[PatientChart, dict[str, int]]) -> None:
    data, ids = chart
    panel = _panel(qtbot, data)
    body_map = panel.body_map.map
    by_lesion = {m.lesion_id: m for m in body_map.markers}
    assert set(by_lesion) == {ids[k] for k in EXPECTED}  # every lesion with a known site, nothing else
    for key, status in EXPECTED.items():
        marker = by_lesion[ids[key]]
        site = parse_body_site(next(lesion.body_site for lesion in data.lesions if lesion.id == ids[key]))
        assert marker.site == site
        assert body_map.marker_colour(ids[key]) == STATUS_COLOURS[status]
        # drawn where the picker places the site: the pixel there has the status colour
        pos = body_map.marker_position(marker)
        assert (pos - body_map.site_position(site)).manhattanLength() < 1
        pixel = body_map.grab().toImage().pixelColor(int(pos.x()), int(pos.y()))
        colour = STATUS_COLOURS[status]
        assert abs(pixel.red() - colour.red()) + abs(pixel.green() - colour.green()) \
            + abs(pixel.blue() - colour.blue()) < 40, key
    assert "behind the curtain" in panel.body_map.unplaced.text()
    assert panel.lesion_titles()  # the lesion list stays


def test_click_and_keyboard_open_the_lesion(qtbot: QtBot, chart: tuple[PatientChart, dict[str, int]]) -> None:
    data, ids = chart
    panel = _panel(qtbot, data)
    body_map = panel.body_map.map
    marker = next(m for m in body_map.markers if m.lesion_id == ids["changed"])
    with qtbot.waitSignal(panel.lesion_opened) as opened:
        qtbot.mouseClick(body_map, Qt.MouseButton.LeftButton, pos=body_map.marker_position(marker).toPoint())
    assert opened.args == [ids["changed"]]

    body_map.setFocus(Qt.FocusReason.TabFocusReason)
    start = body_map.current
    assert start is not None
    qtbot.keyClick(body_map, Qt.Key.Key_Right)
    moved = body_map.current
    assert moved is not None and moved != start
    with qtbot.waitSignal(panel.lesion_opened) as opened:
        qtbot.keyClick(body_map, Qt.Key.Key_Return)
    assert opened.args == [moved.lesion_id]
    # Tab from "Add lesion…" reaches the map
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=5000)
    panel.add_lesion_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(panel.add_lesion_button, Qt.Key.Key_Tab)
    assert body_map.hasFocus()


def test_close_ups_of_head_hands_and_feet(qtbot: QtBot, chart: tuple[PatientChart, dict[str, int]]) -> None:
    data, ids = chart
    panel = _panel(qtbot, data)
    close_ups = panel.body_map.close_ups
    assert {k: [m.lesion_id for m in c.markers] for k, c in close_ups.items()} == {
        "head": [ids["nose"]], "hands": [ids["finger"]], "feet": [ids["heel"]]}
    assert all(c.isVisible() for c in close_ups.values())
    hands, feet = close_ups["hands"], close_ups["feet"]
    # the patient's left finger is drawn on the viewer's right, the right heel on the viewer's left
    assert hands.marker_position(hands.markers[0]).x() > hands.width() / 2
    assert feet.marker_position(feet.markers[0]).x() < feet.width() / 2
    assert hands.marker_colour(ids["finger"]) == STATUS_COLOURS[LesionStatus.NEW]
    with qtbot.waitSignal(panel.lesion_opened) as opened:
        qtbot.mouseClick(hands, Qt.MouseButton.LeftButton, pos=hands.marker_position(hands.markers[0]).toPoint())
    assert opened.args == [ids["finger"]]
    with qtbot.waitSignal(panel.lesion_opened) as opened:
        qtbot.keyClick(feet, Qt.Key.Key_Return)
    assert opened.args == [ids["heel"]]


def test_close_ups_hidden_without_lesions_there(qtbot: QtBot, chart: tuple[PatientChart, dict[str, int]]) -> None:
    data, ids = chart
    trunk_only = replace(data, lesions=tuple(x for x in data.lesions if x.id == ids["stable"]))
    panel = _panel(qtbot, trunk_only)
    assert [m.lesion_id for m in panel.body_map.map.markers] == [ids["stable"]]
    assert not any(c.isVisible() for c in panel.body_map.close_ups.values())


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_screenshot(qtbot: QtBot, services: Services, dermatologist: CurrentUser, ops: Operations,
                    chart: tuple[PatientChart, dict[str, int]], size: tuple[int, int]) -> None:
    """The whole Patients section with a long name, the map, its legend and the list (looked at by a person)."""
    data, _ids = chart
    reports = ReportService(services.database, services.audit, services.image_store, services.settings_store)
    page = PatientsPage(services.patients, dermatologist, ops, reports=reports)
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    with qtbot.waitSignal(page.patient_shown, timeout=10000):
        page.open_patient(data.patient.id)
    page.panel.body_map.map.setFocus()
    assert page.panel.body_map.isVisible() and page.panel.visit_report_button.isVisible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = page.grab()
    page.panel.ensureWidgetVisible(page.panel.body_map.close_ups["feet"])
    assert page.panel.body_map.grab().save(str(SCREENSHOTS / f"body_map_panel_{size[0]}x{size[1]}.png"))
    assert shot.save(str(SCREENSHOTS / f"body_map_{size[0]}x{size[1]}.png"))


def test_many_lesions_at_one_site_stay_apart(qtbot: QtBot, chart: tuple[PatientChart, dict[str, int]]) -> None:
    """Seven naevi on the upper back: seven markers, none on top of another, each opens its own lesion."""
    data, _ids = chart
    back = next(x for x in data.lesions if x.body_site == "upper back")
    many = replace(data, lesions=tuple(replace(back, id=1000 + n, label=f"N{n}") for n in range(7)))
    panel = _panel(qtbot, many)
    body_map = panel.body_map.map
    positions = [body_map.marker_position(m) for m in body_map.markers]
    assert len(positions) == 7
    for i, a in enumerate(positions):
        for b in positions[i + 1:]:
            assert (a - b).manhattanLength() >= 2 * 7.0  # at least a marker's width apart
    for marker in body_map.markers:
        assert body_map.marker_at(body_map.marker_position(marker)) == marker
