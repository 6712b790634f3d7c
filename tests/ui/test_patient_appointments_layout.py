"""The patient's appointments in the chart show in full: long names and reasons wrap, never run off the edge.

Real widgets on a real database, at the two screen sizes clinics use (1366×768 laptops, 1920×1080
desktops), with a long patient name, a long reason, an empty list and a load that fails."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication
from records_fixtures import with_clock

from dermstation.services.reception_types import BookingInput
from dermstation.services.types import PatientInput
from dermstation.ui.patients.page import PatientsPage

LONG_NAME = ("Maximilian Alexander Konstantin", "von Hohenzollern-Sigmaringen")
LONG_REASON = "Follow-up of the pigmented lesion on the left shoulder blade, dermoscopy and total-body photographs"


@pytest.fixture
def appointments(services, receptionist, dermatologist):
    reception = with_clock(services, lambda: datetime(2026, 3, 2, 7, 0, tzinfo=UTC)).reception
    patient = services.patients.create(receptionist, PatientInput("MRN-123456", *LONG_NAME, date(1950, 1, 2)))
    for day, reason in ((3, LONG_REASON), (10, ""), (17, "Excision")):
        reception.appointments.book(receptionist, BookingInput(patient.id, dermatologist.id,
                                                               datetime(2026, 3, day, 9, 0), 20, reason=reason))
    return reception.appointments


def _page(qtbot, services, user, ops, appointments, size: tuple[int, int]) -> PatientsPage:
    page = PatientsPage(services.patients, user, ops, appointments)
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    with qtbot.waitSignal(page.results_shown, timeout=5000):
        page.refresh()
    return page


def _shot(widget, name: str) -> None:
    QApplication.processEvents()  # pending layout requests first: the picture a user would see
    if shots := os.environ.get("DERMSTATION_SCREENSHOTS"):
        widget.grab().save(str(Path(shots) / name))


def _assert_shown_in_full(listing) -> None:
    """No horizontal scrolling, and every row tall enough for its wrapped text."""
    assert listing.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    viewport = listing.viewport().width()
    fm = listing.fontMetrics()
    for row in range(listing.count()):
        item = listing.item(row)
        rect = listing.visualItemRect(item)
        assert rect.right() <= viewport, item.text()
        needed = fm.boundingRect(QRect(0, 0, rect.width() - 8, 100000), Qt.TextFlag.TextWordWrap, item.text())
        assert needed.height() <= rect.height() + 1, (item.text(), needed.height(), rect.height())


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_upcoming_appointments_wrap_instead_of_being_cut(qtbot, services, dermatologist, ops, appointments,
                                                         size) -> None:
    page = _page(qtbot, services, dermatologist, ops, appointments, size)
    with qtbot.waitSignal(page.appointments.shown, timeout=5000):
        page.table.setFocus()
        qtbot.keyClick(page.table, Qt.Key.Key_Down)  # keyboard: the first (only) patient
    upcoming = page.appointments.upcoming
    assert upcoming.count() == 3
    first = upcoming.item(0)
    assert LONG_REASON in first.text() and "Dr Derma" in first.text()
    assert LONG_REASON in first.toolTip() and LONG_REASON in first.data(Qt.ItemDataRole.AccessibleTextRole)
    _assert_shown_in_full(upcoming)
    _shot(page, f"patient_appointments_{size[0]}x{size[1]}.png")

    # a narrow chart (the splitter dragged left): the long reason wraps onto more lines, still in full
    page.panel.parentWidget().parentWidget().setSizes([size[0] - 360, 340])
    qtbot.waitUntil(lambda: upcoming.viewport().width() < 340)
    _assert_shown_in_full(upcoming)
    assert upcoming.visualItemRect(first).height() >= 3 * upcoming.fontMetrics().height()
    _shot(page, f"patient_appointments_narrow_{size[0]}x{size[1]}.png")


def test_an_empty_list_and_a_failed_load_say_so(qtbot, services, dermatologist, receptionist, ops,
                                                appointments) -> None:
    services.patients.create(receptionist, PatientInput("MRN-2", "Kim", "Zhou", None))
    page = _page(qtbot, services, dermatologist, ops, appointments, (1366, 768))
    panel = page.appointments
    zhou = services.patients.search(dermatologist, "Zhou")[0].id
    with qtbot.waitSignal(panel.shown, timeout=5000):
        panel.show_patient(zhou)
    assert [panel.upcoming.item(0).text(), panel.past.item(0).text()] == ["No upcoming appointments.",
                                                                          "No past appointments."]
    assert not panel.upcoming.item(0).flags() & Qt.ItemFlag.ItemIsSelectable
    _shot(page, "patient_appointments_empty_1366x768.png")

    # the long-named patient's list first, then a load that fails: nothing of the previous list stays
    long_named = services.patients.search(dermatologist, "Hohenzollern")[0].id
    with qtbot.waitSignal(panel.shown, timeout=5000):
        panel.show_patient(long_named)
    assert panel.upcoming.count() == 3
    with qtbot.waitSignal(panel.failed, timeout=5000) as failed:
        panel.show_patient(10**6)  # no such patient: the service refuses
    assert "could not be loaded" in failed.args[0]
    assert panel.upcoming.count() == 1 and panel.upcoming.item(0).text() == failed.args[0]
    assert panel.past.count() == 0
    _assert_shown_in_full(panel.upcoming)
    _shot(panel, "patient_appointments_error.png")


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_todays_list_in_the_schedule_wraps_a_long_name(qtbot, services, receptionist, dermatologist, ops,
                                                      size) -> None:
    from dermstation.ui.schedule.page import SchedulePage

    reception = with_clock(services, lambda: datetime(2026, 3, 2, 7, 0, tzinfo=UTC)).reception
    patient = services.patients.create(receptionist, PatientInput("MRN-123456", *LONG_NAME, date(1950, 1, 2)))
    reception.appointments.book(receptionist, BookingInput(patient.id, dermatologist.id, datetime(2026, 3, 2, 9, 0),
                                                           20, reason=LONG_REASON))
    page = SchedulePage(reception.appointments, services.users, services.patients, receptionist, ops)
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    QApplication.processEvents()
    today = page.today_list
    assert today.rowCount() == 1
    cell = today.item(0, 1)
    assert ", ".join(reversed(LONG_NAME)) in cell.text() and LONG_REASON in cell.toolTip()
    width = today.columnWidth(1)
    needed = today.fontMetrics().boundingRect(QRect(0, 0, width - 8, 100000), Qt.TextFlag.TextWordWrap, cell.text())
    assert today.wordWrap() and needed.height() <= today.rowHeight(0), (needed.height(), today.rowHeight(0))
    _shot(page, f"schedule_today_{size[0]}x{size[1]}.png")
