"""One "what changed" signal: a write in one page reaches the others through ``Operations.changed``.

Real widgets in one real main window (the one service container on a temporary SQLite file, the fake
analyser); no page calls another page's ``refresh()``, so each test fails if the signal is not sent or
not listened to.
"""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from pathlib import Path

import pytest
from analysis_fixtures import fake_analysis  # noqa: F401 - the fast analyser fixture
from PySide6.QtCore import QPoint, Qt
from windows import open_main_window

from dermstation.core.assessments import PlanKind
from dermstation.core.body_sites import BodySite, Laterality, View
from dermstation.services.types import PatientInput
from dermstation.ui.lesion_dialog import NewLesionDialog
from dermstation.ui.navigation import Section
from dermstation.ui.operations import Changed, Kind


@pytest.fixture
def window(qtbot, services, dermatologist, ops, fake_analysis):  # type: ignore[no-untyped-def]  # noqa: F811
    return open_main_window(qtbot, replace(services, analysis=fake_analysis), dermatologist, ops)


@pytest.fixture
def heard(ops) -> list[Changed]:  # type: ignore[no-untyped-def]
    found: list[Changed] = []
    ops.changed.connect(found.append)
    return found


def _open_in_both(qtbot, window, patient_id: int, lesion_id: int):  # type: ignore[no-untyped-def]
    patients, analysis = window.pages[Section.PATIENTS], window.pages[Section.ANALYSIS]
    with qtbot.waitSignal(patients.patient_shown, timeout=10000):
        patients.open_patient(patient_id)
    window.show_section(Section.ANALYSIS)
    with qtbot.waitSignal(analysis.lesions_loaded, timeout=10000):
        analysis.show_patient(patient_id, lesion_id)
    return patients, analysis


def _captures_column(patients) -> list[str]:  # type: ignore[no-untyped-def]
    tree = patients.panel.lesions
    return [tree.topLevelItem(i).text(1) for i in range(tree.topLevelItemCount())]


def test_changed_is_frozen_and_names_its_kind(ops, heard) -> None:  # type: ignore[no-untyped-def]
    ops.announce(Kind.ANALYSES, 7, 8)
    assert heard == [Changed(Kind.ANALYSES, (7, 8))]
    with pytest.raises(dataclasses.FrozenInstanceError):
        heard[0].ids = ()  # type: ignore[misc]


def test_a_picture_imported_in_analysis_shows_in_the_patient_chart(  # type: ignore[no-untyped-def]
    qtbot, window, services, dermatologist, heard, test_data: Path
) -> None:
    patient = services.patients.create(dermatologist, PatientInput("MRN-7", "Jo", "March", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")
    patients, analysis = _open_in_both(qtbot, window, patient.id, lesion.id)
    assert _captures_column(patients) == ["0 captures"]

    with qtbot.waitSignal(analysis.analysis_shown, timeout=60000) as shown:
        analysis.import_files([test_data / "ph2" / "images" / "IMD006.jpg"])
    # the chart in the Patients section (not on screen) reloaded by itself, and so did the history tab
    qtbot.waitUntil(lambda: _captures_column(patients) == ["1 capture"], timeout=10000)
    entries = lambda: analysis.history.entries  # noqa: E731
    qtbot.waitUntil(lambda: len(entries()) == 1 and entries()[0].analysis is not None, timeout=10000)
    assert entries()[0].analysis.id == shown.args[0].stored.id
    kinds = [c.kind for c in heard]
    assert Kind.PICTURES in kinds and Changed(Kind.ANALYSES, (shown.args[0].stored.id,)) in heard


def test_a_lesion_added_in_the_chart_appears_in_the_analysis_page(  # type: ignore[no-untyped-def]
    qtbot, window, services, dermatologist
) -> None:
    patient = services.patients.create(dermatologist, PatientInput("MRN-8", "Ada", "Byron", None))
    first = services.patients.add_lesion(dermatologist, patient.id, "back", "L1")
    patients, analysis = _open_in_both(qtbot, window, patient.id, first.id)
    assert analysis.lesion.count() == 1

    window.show_section(Section.PATIENTS)
    patients.panel.add_lesion_button.click()
    dialog = patients.findChild(NewLesionDialog)
    dialog.resize(440, 520)
    qtbot.waitExposed(dialog)
    pos = dialog.picker.diagram.site_position(BodySite("lower_leg", Laterality.RIGHT, View.FRONT))
    qtbot.mouseClick(dialog.picker.diagram, Qt.MouseButton.LeftButton, pos=QPoint(round(pos.x()), round(pos.y())))
    dialog.label.setText("L2")
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: analysis.lesion.count() == 2, timeout=10000)
    assert analysis.lesion_id == first.id  # what the dermatologist had open stays open
    qtbot.waitUntil(lambda: len(patients.panel.lesion_titles()) == 2, timeout=10000)


def test_a_patient_registered_in_patients_is_offered_in_the_analysis_chooser(  # type: ignore[no-untyped-def]
    qtbot, window
) -> None:
    analysis = window.pages[Section.ANALYSIS]
    with qtbot.waitSignal(analysis.patients_found, timeout=10000):
        window.show_section(Section.ANALYSIS)  # lists the recent patients once shown
    assert analysis.patient.findText("Hopper", Qt.MatchFlag.MatchContains) < 0

    patients = window.show_section(Section.PATIENTS)
    dialog = patients.new_patient()
    dialog.record_number.setText("MRN-0042")
    dialog.given_name.setText("Grace")
    dialog.family_name.setText("Hopper")
    with qtbot.waitSignal(analysis.patients_found, timeout=10000):
        dialog.save_button.click()
    assert analysis.patient.findText("Hopper", Qt.MatchFlag.MatchContains) > 0


def test_a_refused_write_announces_nothing(qtbot, window, services, dermatologist, heard) -> None:  # type: ignore[no-untyped-def]
    services.patients.create(dermatologist, PatientInput("MRN-1", "Jo", "March", None))
    patients = window.pages[Section.PATIENTS]
    dialog = patients.new_patient()
    dialog.record_number.setText("MRN-1")  # taken
    dialog.given_name.setText("Other")
    dialog.family_name.setText("Person")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.errors.message_for("record_number") != "", timeout=10000)
    assert heard == []


def test_a_follow_up_signed_in_analysis_appears_in_the_schedule(  # type: ignore[no-untyped-def]
    qtbot, window, services, dermatologist, test_data: Path
) -> None:
    patient = services.patients.create(dermatologist, PatientInput("MRN-9", "Kim", "Zhou", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")
    schedule = window.pages[Section.SCHEDULE]
    with qtbot.waitSignal(schedule.follow_ups.shown, timeout=10000):
        window.show_section(Section.SCHEDULE)
    assert schedule.follow_ups.table.rowCount() == 0

    _patients, analysis = _open_in_both(qtbot, window, patient.id, lesion.id)
    with qtbot.waitSignal(analysis.analysis_shown, timeout=60000):
        analysis.import_files([test_data / "ph2" / "images" / "IMD006.jpg"])
    form = analysis.assessment
    qtbot.waitUntil(lambda: "Not signed yet" in form.status.text(), timeout=10000)
    qtbot.keyClicks(form.picker.search, "dysplastic")
    qtbot.keyClick(form.picker.search, Qt.Key.Key_Return)
    form.plan.kind.setCurrentIndex(form.plan.kind.findData(PlanKind.DERMOSCOPIC_FOLLOW_UP))
    form.plan.interval.setCurrentIndex(form.plan.interval.findData(3))
    with qtbot.waitSignal(schedule.follow_ups.shown, timeout=10000):
        form.sign_button.click()
    assert schedule.follow_ups.table.rowCount() == 1
    assert "Zhou, Kim" in schedule.follow_ups.table.item(0, 1).text()
