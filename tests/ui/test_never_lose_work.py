"""Dialogs never drop typed data: Enter after a fixed error saves, Cancel/Esc ask first (issue 20)."""

from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from dermstation.ui.date_field import parse_typed_date
from dermstation.ui.patients.editor import PatientDialog
from dermstation.ui.patients.page import PatientsPage


def _page(qtbot, services, user, ops) -> PatientsPage:
    page = PatientsPage(services.patients, user, ops)
    qtbot.addWidget(page)
    page.resize(1000, 650)
    page.show()
    with qtbot.waitSignal(page.results_shown, timeout=5000):
        page.refresh()
    return page


def _new_dialog(qtbot, page: PatientsPage) -> PatientDialog:
    dialog = page.new_patient()
    assert isinstance(dialog, PatientDialog)
    qtbot.waitExposed(dialog)
    return dialog


def test_enter_after_fixing_a_validation_error_saves(qtbot, services, dermatologist, ops) -> None:
    page = _page(qtbot, services, dermatologist, ops)
    dialog = _new_dialog(qtbot, page)
    qtbot.keyClicks(dialog.record_number, "MRN-77")
    qtbot.keyClicks(dialog.family_name, "Lovelace")  # no given name yet
    qtbot.keyClick(dialog.family_name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.errors.message_for("given_name") != "", timeout=5000)
    assert dialog.isVisible()

    qtbot.keyClicks(dialog.given_name, "Ada")
    with qtbot.waitSignal(dialog.finished, timeout=5000) as finished:
        qtbot.keyClick(dialog.given_name, Qt.Key.Key_Return)
    assert finished.args[0] == PatientDialog.DialogCode.Accepted
    assert [p.family_name for p in services.patients.search(dermatologist, "Lovelace")] == ["Lovelace"]


def test_escape_with_typed_data_asks_and_keep_editing_keeps_it(qtbot, services, dermatologist, ops) -> None:
    page = _page(qtbot, services, dermatologist, ops)
    dialog = _new_dialog(qtbot, page)
    qtbot.keyClicks(dialog.family_name, "Hopper")
    qtbot.keyClick(dialog.family_name, Qt.Key.Key_Escape)
    prompt = dialog.discard_prompt
    assert isinstance(prompt, QMessageBox) and prompt.isVisible()
    assert dialog.isVisible()
    qtbot.keyClick(prompt, Qt.Key.Key_Escape)  # Esc on the question keeps the data
    qtbot.waitUntil(lambda: dialog.discard_prompt is None, timeout=2000)
    assert dialog.isVisible() and dialog.family_name.text() == "Hopper"

    dialog.reject()  # Cancel again, and this time discard
    [discard] = [b for b in dialog.discard_prompt.buttons()
                 if dialog.discard_prompt.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole]
    with qtbot.waitSignal(dialog.finished, timeout=2000) as finished:
        discard.click()
    assert finished.args[0] == PatientDialog.DialogCode.Rejected


def test_cancel_on_an_untouched_form_closes_at_once(qtbot, services, dermatologist, ops) -> None:
    page = _page(qtbot, services, dermatologist, ops)
    dialog = _new_dialog(qtbot, page)
    with qtbot.waitSignal(dialog.finished, timeout=2000) as finished:
        qtbot.keyClick(dialog.record_number, Qt.Key.Key_Escape)
    assert finished.args[0] == PatientDialog.DialogCode.Rejected


def test_typed_date_of_birth_is_the_fast_path(qtbot, services, dermatologist, ops) -> None:
    page = _page(qtbot, services, dermatologist, ops)
    dialog = _new_dialog(qtbot, page)
    qtbot.keyClicks(dialog.record_number, "MRN-5")
    qtbot.keyClicks(dialog.given_name, "Grace")
    qtbot.keyClicks(dialog.family_name, "Hopper")
    qtbot.keyClicks(dialog.date_of_birth.edit, "1956-13-45")  # no such day
    qtbot.keyClick(dialog.date_of_birth.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.errors.message_for("date_of_birth") != "", timeout=5000)
    assert "1956-13-45" in dialog.errors.message_for("date_of_birth")
    dialog.date_of_birth.edit.clear()
    qtbot.keyClicks(dialog.date_of_birth.edit, "19561209")
    with qtbot.waitSignal(page.patient_shown, timeout=5000) as shown:
        qtbot.keyClick(dialog.date_of_birth.edit, Qt.Key.Key_Return)
    assert shown.args[0].date_of_birth == date(1956, 12, 9)


def test_calendar_opens_near_an_adults_birth_year_not_1900(qtbot, services, dermatologist, ops) -> None:
    page = _page(qtbot, services, dermatologist, ops)
    dialog = _new_dialog(qtbot, page)
    dialog.date_of_birth.calendar_button.click()
    calendar = dialog.date_of_birth.calendar
    assert calendar is not None and calendar.isVisible()
    assert calendar.yearShown() == date.today().year - 40
    calendar.close()


@pytest.mark.parametrize(("text", "day_first", "expected"), [
    ("1956-12-09", False, date(1956, 12, 9)),
    ("09.12.1956", True, date(1956, 12, 9)),
    ("9/12/1956", True, date(1956, 12, 9)),
    ("09121956", True, date(1956, 12, 9)),
    ("19561209", True, date(1956, 12, 9)),
    ("  ", True, None),
])
def test_parse_typed_date(text: str, day_first: bool, expected: date | None) -> None:
    assert parse_typed_date(text, day_first) == expected


@pytest.mark.parametrize("text", ["12/1956", "yesterday", "1956-02-30", "09.12.56"])
def test_parse_typed_date_refuses_what_is_not_one_day(text: str) -> None:
    with pytest.raises(ValueError):
        parse_typed_date(text, day_first=True)


def test_a_search_that_no_longer_lists_the_open_patient_clears_the_details(qtbot, services, dermatologist, ops) -> None:
    from dermstation.services.types import PatientInput

    services.patients.create(dermatologist, PatientInput("R1", "Marie", "Curie", date(1967, 11, 7)))
    page = _page(qtbot, services, dermatologist, ops)
    with qtbot.waitSignal(page.patient_shown, timeout=5000):
        page.table.selectRow(0)
    assert page.detail.currentWidget() is page.panel
    with qtbot.waitSignal(page.results_shown, timeout=5000):
        page.search.setText("nobody-like-this")
    assert page.results.currentWidget() is page.empty
    assert page.detail.currentWidget() is page.nothing_selected and page.panel.patient is None
    with qtbot.waitSignal(page.results_shown, timeout=5000):
        page.search.setText("1967")  # a year alone finds her
    assert page.model.rowCount() == 1
