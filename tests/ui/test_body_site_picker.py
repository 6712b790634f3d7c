"""Body site picker: clicking the diagram picks a site the rest of the app reads back the same way."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QPoint, Qt

from dermstation.core.body_sites import BodySite, Laterality, View, parse_body_site
from dermstation.reports.body_diagram import MIDLINE_REGIONS, site_point
from dermstation.ui.analysis.body_site_picker import VIEW_REGIONS, BodySitePicker, nearest_site, site_text


def _all_sites():
    for view, regions in VIEW_REGIONS.items():
        for region in regions:
            sides = (Laterality.UNKNOWN,) if region in MIDLINE_REGIONS else (Laterality.LEFT, Laterality.RIGHT)
            for side in sides:
                yield BodySite(region, side, view)


@pytest.mark.parametrize("site", list(_all_sites()), ids=lambda s: f"{s.view}-{s.laterality or 'mid'}-{s.region}")
def test_every_site_round_trips(site: BodySite) -> None:
    assert nearest_site(site.view, *site_point(site)) == site
    assert parse_body_site(site_text(site)) == site


def _click(qtbot, picker: BodySitePicker, site: BodySite) -> str:
    pos = picker.diagram.site_position(site)
    with qtbot.waitSignal(picker.site_changed, timeout=2000) as changed:
        qtbot.mouseClick(picker.diagram, Qt.MouseButton.LeftButton, pos=QPoint(round(pos.x()), round(pos.y())))
    return changed.args[0]


def test_clicking_picks_front_and_back_sites(qtbot) -> None:
    picker = BodySitePicker()
    qtbot.addWidget(picker)
    picker.resize(420, 460)
    picker.show()
    assert _click(qtbot, picker, BodySite("forearm", Laterality.LEFT, View.FRONT)) == "left forearm"
    assert "Forearm" in picker.caption.text() and "left" in picker.caption.text()
    assert _click(qtbot, picker, BodySite("upper_back", Laterality.RIGHT, View.BACK)) == "right upper back"
    assert _click(qtbot, picker, BodySite("thigh", Laterality.LEFT, View.BACK)) == "left thigh, posterior"
    assert picker.site() == BodySite("thigh", Laterality.LEFT, View.BACK)


def test_clicking_outside_the_body_picks_nothing(qtbot) -> None:
    picker = BodySitePicker()
    qtbot.addWidget(picker)
    picker.resize(420, 460)
    picker.show()
    qtbot.mouseClick(picker.diagram, Qt.MouseButton.LeftButton, pos=QPoint(2, picker.diagram.height() - 2))
    assert picker.site() is None and picker.site_text() == ""


def test_stored_free_text_is_shown(qtbot) -> None:
    picker = BodySitePicker()
    qtbot.addWidget(picker)
    picker.set_site_text("L forearm")
    assert picker.site() == BodySite("forearm", Laterality.LEFT, View.FRONT)
    picker.set_site_text("somewhere odd")
    assert picker.site() is None


def test_new_lesion_dialog_saves_the_picked_site(qtbot, services, dermatologist, ops,
                                                 fake_analysis) -> None:  # noqa: F811
    from dermstation.services.types import PatientInput
    from dermstation.ui.analysis.page import AnalysisPage

    patient = services.patients.create(dermatologist, PatientInput("R9", "Ana", "Lopez", None))
    page = AnalysisPage(replace(services, analysis=fake_analysis).workstation, services.patients, dermatologist, ops)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        page.show_patient(patient.id)
    dialog = page.new_lesion()
    dialog.resize(440, 520)
    qtbot.waitExposed(dialog)
    assert not dialog.save_button.isEnabled()
    _click(qtbot, dialog.picker, BodySite("lower_leg", Laterality.RIGHT, View.FRONT))
    dialog.label.setText("L2")
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        dialog.save_button.click()
    assert page.lesion.currentText() == "right lower leg — L2"
    assert services.patients.chart(dermatologist, patient.id).lesions[0].body_site == "right lower leg"


import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import fake_analysis  # noqa: E402, F401, I001
