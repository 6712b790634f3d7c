"""Main window: sections by role, status bar, menus, and the pure helpers behind them."""

from dataclasses import replace

import pytest
from windows import open_main_window

from dermstation.core.domain import Role
from dermstation.ui.main_window import MainWindow, describe_database
from dermstation.ui.navigation import Section, sections_for, sees_clinical_data
from dermstation.ui.settings_page import SettingsPage


def _window(qtbot, services, user, ops, **replaced) -> MainWindow:
    """``replaced``: services swapped in the one container (``analysis=`` a fake analyser)."""
    return open_main_window(qtbot, replace(services, **replaced) if replaced else services, user, ops)


def test_sections_by_role() -> None:
    assert sections_for({Role.RECEPTIONIST}) == (Section.PATIENTS, Section.SCHEDULE, Section.HOSPITALS)
    assert Section.ANALYSIS in sections_for({Role.DERMATOLOGIST})
    assert Section.SETTINGS in sections_for({Role.DERMATOLOGIST})
    # administration is not a clinical role: an IT administrator sees no patients or images
    assert sections_for({Role.ADMIN}) == (Section.HOSPITALS, Section.SETTINGS)
    assert set(sections_for({Role.ADMIN, Role.DERMATOLOGIST})) == set(Section)
    assert not sees_clinical_data({Role.RECEPTIONIST})
    assert not sees_clinical_data({Role.ADMIN})
    assert sees_clinical_data({Role.DERMATOLOGIST, Role.ADMIN})


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("sqlite:////data/dermstation.sqlite3", "SQLite · /data/dermstation.sqlite3"),
        ("postgresql+psycopg://clinic:s3cret@db.example.org:5433/derm", "PostgreSQL · db.example.org:5433/derm"),
        ("postgresql://clinic:s3cret@db.example.org/derm", "PostgreSQL · db.example.org/derm"),
    ],
)
def test_database_label_never_shows_a_password(url: str, shown: str) -> None:
    assert describe_database(url) == shown
    assert "s3cret" not in describe_database(url)


def test_receptionist_sees_neither_analysis_nor_settings(qtbot, services, receptionist, ops) -> None:
    window = _window(qtbot, services, receptionist, ops)
    titles = [window.navigation.item(i).text() for i in range(window.navigation.count())]
    assert titles == ["Patients", "Schedule", "Hospitals"]
    assert not any(isinstance(page, SettingsPage) for page in window.pages.values())
    assert "Receptionist" in window.user_label.text()


def test_it_administrator_sees_no_patients_and_the_status_bar(qtbot, services, admin, ops) -> None:
    window = _window(qtbot, services, admin, ops)
    assert window.section_names() == [Section.HOSPITALS, Section.SETTINGS]
    assert window.user_label.text() == "Ada Admin · Administrator"
    assert window.clinic_label.text() == "Riverside Dermatology"
    assert window.database_label.text().startswith("SQLite · ")


def test_a_dermatologist_who_administers_sees_everything(qtbot, services, admin, ops) -> None:
    services.users.create_user(admin, "boss", "Dr Boss", frozenset({Role.DERMATOLOGIST, Role.ADMIN}), "boss-password")
    boss = services.auth.sign_in("boss", "boss-password")
    window = _window(qtbot, services, boss, ops)
    assert window.section_names() == list(Section)
    assert window.user_label.text() == "Dr Boss · Dermatologist, Administrator"
    from dermstation.ui.analysis.page import AnalysisPage
    from dermstation.ui.hospitals.page import HospitalsPage
    from dermstation.ui.schedule.page import SchedulePage

    page = window.show_section(Section.SCHEDULE)
    assert window.stack.currentWidget() is page
    # every section is the real page, built from the one container (no placeholders)
    kinds = {Section.ANALYSIS: AnalysisPage, Section.SCHEDULE: SchedulePage, Section.HOSPITALS: HospitalsPage,
             Section.SETTINGS: SettingsPage}
    assert all(isinstance(window.pages[s], k) for s, k in kinds.items())


def test_about_names_the_licence_and_decision_support(qtbot, services, dermatologist, ops) -> None:
    window = _window(qtbot, services, dermatologist, ops)
    text = window.about_text()
    assert "CC BY-NC-SA 4.0" in text and "HAM10000" in text
    assert "not a diagnosis" in text
    from dermstation.services.installation import model_versions

    assert all(f"{m.name} {m.version}" in text and m.sha256[:16] in text for m in model_versions())
    box = window.show_about()
    assert box.isVisible()
    box.close()


def test_sign_out_closes_with_its_reason(qtbot, services, dermatologist, ops) -> None:
    window = _window(qtbot, services, dermatologist, ops)
    with qtbot.waitSignal(window.closed) as blocker:
        window.sign_out_action.trigger()
    assert blocker.args == ["sign_out"]
    assert not window.isVisible()


def test_a_receptionist_gets_the_schedule_and_hospitals_pages(qtbot, services, receptionist, ops) -> None:
    from dermstation.ui.hospitals.page import HospitalsPage
    from dermstation.ui.schedule.page import SchedulePage

    window = _window(qtbot, services, receptionist, ops)
    assert isinstance(window.pages[Section.SCHEDULE], SchedulePage)
    assert isinstance(window.pages[Section.HOSPITALS], HospitalsPage)
    schedule = window.pages[Section.SCHEDULE]
    with qtbot.waitSignal(schedule.loaded, timeout=5000):
        window.show_section(Section.SCHEDULE)  # opening the section loads it
    hospitals = window.pages[Section.HOSPITALS]
    with qtbot.waitSignal(hospitals.loaded, timeout=5000):
        window.show_section(Section.HOSPITALS)


def test_analysis_page_gets_reports_and_the_assistant(qtbot, services, dermatologist, ops) -> None:
    from dermstation.ui.analysis.page import AnalysisPage

    window = _window(qtbot, services, dermatologist, ops)  # the models would load on the first analysis
    page = window.show_section(Section.ANALYSIS)
    assert isinstance(page, AnalysisPage)
    assert not page.report_button.isHidden() and not page.report_button.isEnabled()  # nothing analysed yet
    assert page.assistant_panel is not None and not page.tabs.isTabEnabled(page.tabs.indexOf(page.assistant_panel))


def test_double_clicking_a_lesion_in_the_chart_opens_it_in_the_analysis_view(
    qtbot, services, dermatologist, ops
) -> None:
    from dermstation.services.types import PatientInput

    patient = services.patients.create(dermatologist, PatientInput("R5", "Lea", "Kraus", None))
    services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")
    second = services.patients.add_lesion(dermatologist, patient.id, "right shin", "L2")
    window = _window(qtbot, services, dermatologist, ops)
    patients = window.pages[Section.PATIENTS]
    with qtbot.waitSignal(patients.patient_shown, timeout=5000):
        patients.open_patient(patient.id)
    tree = patients.panel.lesions
    item = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).text(0).startswith("right shin"))
    analysis = window.pages[Section.ANALYSIS]
    with qtbot.waitSignal(analysis.lesions_loaded, timeout=5000):
        tree.itemActivated.emit(item, 0)
    assert window.stack.currentWidget() is analysis
    assert analysis.lesion_id == second.id


def test_keyboard_first_sections_quit_and_the_shortcut_list(qtbot, services, dermatologist, ops) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeySequence
    from PySide6.QtWidgets import QApplication

    from dermstation.ui.shortcuts import ShortcutsDialog, shortcut_rows

    for _ in range(5):  # a dialog another test left open would keep this window from being active
        if (modal := QApplication.activeModalWidget()) is not None:
            modal.close()
    window = _window(qtbot, services, dermatologist, ops)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    sections = window.section_names()
    assert len(window.section_actions) == len(sections)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.pages[sections[1]]
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.pages[sections[0]]
    quit_keys = window.menuBar().actions()[0].menu().actions()[-1].shortcuts()  # File → Quit
    assert QKeySequence("Ctrl+Q") in quit_keys
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.table.rowCount() == len(shortcut_rows())
    keys = {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    native = QKeySequence.SequenceFormat.NativeText
    assert {QKeySequence("F1").toString(native), QKeySequence("Ctrl+Q").toString(native)} <= keys
    dialog.close()
    with qtbot.waitSignal(window.closed, timeout=5000) as closed:
        qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert closed.args[0] == "quit"
