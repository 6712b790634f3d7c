"""Schedule page with qtbot: day/week calendar, drag to move, booking dialog, status buttons, export, print."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from records_fixtures import with_clock

from dermstation.core.domain import Role, Sex
from dermstation.services.container import Services
from dermstation.services.icalendar import calendar_lines_ok, parse_events
from dermstation.services.reception import ReceptionServices
from dermstation.services.reception_types import BookingInput
from dermstation.services.types import CurrentUser, PatientInput
from dermstation.ui.operations import Operations
from dermstation.ui.schedule.booking import BookingDialog
from dermstation.ui.schedule.page import SchedulePage

MONDAY = date(2026, 3, 2)


@pytest.fixture
def reception(services: Services, admin: CurrentUser) -> ReceptionServices:
    store = services.settings_store
    store.save(admin, store.load().with_changes(timezone="Europe/Berlin", clinic_name="Hautpraxis Mitte"))
    return with_clock(services, lambda: datetime(2026, 3, 2, 7, 0, tzinfo=UTC)).reception  # 08:00 local


@pytest.fixture
def people(services: Services, admin: CurrentUser, dermatologist: CurrentUser, receptionist: CurrentUser):  # type: ignore[no-untyped-def]
    services.users.create_user(admin, "derm2", "Dr Zweite", Role.DERMATOLOGIST, "derm2-password")
    second = services.auth.sign_in("derm2", "derm2-password")
    anna = services.patients.create(receptionist, PatientInput("MRN-1", "Anna", "Müller", date(1980, 1, 2), Sex.FEMALE))
    ben = services.patients.create(receptionist, PatientInput("MRN-2", "Ben", "Becker", date(1975, 5, 6), Sex.MALE))
    return dermatologist, second, anna, ben


@pytest.fixture
def page(qtbot, ops: Operations, services: Services, reception: ReceptionServices, receptionist: CurrentUser, people):  # type: ignore[no-untyped-def]
    widget = SchedulePage(reception.appointments, services.users, services.patients, receptionist, ops)
    widget.resize(1200, 800)
    qtbot.addWidget(widget)
    widget.show()
    with qtbot.waitSignal(widget.loaded, timeout=5000):
        widget.refresh()
    return widget


def book(reception, actor, patient, derm, hour, minute=0, minutes=20):  # type: ignore[no-untyped-def]
    return reception.appointments.book(
        actor, BookingInput(patient.id, derm.id, datetime(2026, 3, 2, hour, minute), minutes, reason="Mole check")
    )


def reload(qtbot, page: SchedulePage) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()


def test_day_view_has_a_column_per_dermatologist_and_today_list(qtbot, page, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    derm, second, anna, ben = people
    book(reception, receptionist, anna, derm, 9)
    book(reception, receptionist, ben, second, 9)
    reload(qtbot, page)
    assert page.current_day() == MONDAY
    assert [c.title for c in page.calendar.columns()] == ["Dr Derma", "Dr Zweite"]
    assert len(page.calendar.appointments()) == 2
    assert page.today_list.rowCount() == 2
    assert "0 arrived · 2 expected" in page.today_summary.text()
    # one dermatologist only
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.set_dermatologist(second.id)
    assert [c.title for c in page.calendar.columns()] == ["Dr Zweite"]
    assert [a.patient_name for a in page.calendar.appointments()] == ["Becker, Ben"]


def test_drag_moves_an_appointment_through_the_service(qtbot, page, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    derm, second, anna, _ben = people
    a = book(reception, receptionist, anna, derm, 9)
    reload(qtbot, page)
    view = page.calendar
    grab = view.rect_of(a.id).topLeft() + QPoint(20, 3)
    target = view.point_for(1, time(11, 0))  # Dr Zweite's column, 11:00
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, grab)
    QTest.mouseMove(view, grab + QPoint(0, 30))
    QTest.mouseMove(view, target + QPoint(0, 1))
    with qtbot.waitSignal(page.appointment_changed, timeout=5000) as moved:
        QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, target + QPoint(0, 1))
    info = moved.args[0]
    assert info.dermatologist_id == second.id
    assert info.start.replace(tzinfo=None) == datetime(2026, 3, 2, 11, 0)
    stored = reception.appointments.get(receptionist, a.id)
    assert (stored.start, stored.dermatologist_id) == (info.start, second.id)


def test_refused_drag_shows_the_conflict_and_snaps_back(qtbot, page, presenter, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    derm, _second, anna, ben = people
    a = book(reception, receptionist, anna, derm, 9)
    book(reception, receptionist, ben, derm, 10)
    reload(qtbot, page)
    view = page.calendar
    grab = view.rect_of(a.id).topLeft() + QPoint(20, 3)
    target = view.point_for(0, time(10, 5))
    QTest.mousePress(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, grab)
    QTest.mouseMove(view, grab + QPoint(0, 30))
    QTest.mouseMove(view, target)
    with qtbot.waitSignal(presenter.presented, timeout=5000) as shown:
        QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, target)
    assert "already has an appointment" in shown.args[0].message
    for box in presenter.open_boxes():
        box.close()
    qtbot.waitUntil(lambda: not page._ops.busy(), timeout=5000)
    assert reception.appointments.get(receptionist, a.id).start.hour == 9


def test_booking_dialog_with_patient_search_and_next_free_slot(qtbot, page, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    derm, _second, anna, ben = people
    book(reception, receptionist, anna, derm, 8)
    dialog = page.new_appointment(datetime(2026, 3, 2, 8, 0), derm.id)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.picker.results_shown, timeout=5000):
        dialog.picker.search.setText("beck")
        dialog.picker.search_now()
    assert dialog.picker.patient is not None and dialog.picker.patient.id == ben.id
    with qtbot.waitSignal(dialog.slot_found, timeout=5000):
        dialog.next_free.click()
    assert dialog.start() == datetime(2026, 3, 2, 8, 20)
    dialog.reason.setText("Follow-up")
    with qtbot.waitSignal(page.appointment_changed, timeout=5000) as saved:
        dialog.save_button.click()
    a = saved.args[0]
    assert (a.patient_id, a.reason, a.start.replace(tzinfo=None)) == (ben.id, "Follow-up", datetime(2026, 3, 2, 8, 20))
    qtbot.waitUntil(lambda: len(page.calendar.appointments()) == 2, timeout=5000)


def test_booking_dialog_shows_a_conflict_beside_the_time(qtbot, page, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    derm, _second, anna, ben = people
    book(reception, receptionist, anna, derm, 9)
    dialog = page.new_appointment(datetime(2026, 3, 2, 9, 10), derm.id)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.picker.results_shown, timeout=5000):
        dialog.picker.search.setText("MRN-2")
        dialog.picker.search_now()
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "already has an appointment" in dialog.errors.message_for("start"), timeout=5000)
    assert dialog.isVisible()
    dialog.set_start(datetime(2026, 3, 2, 18, 0))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "outside" in dialog.errors.message_for("outside_hours"), timeout=5000)
    dialog.outside_hours.setChecked(True)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save_button.click()


def test_status_buttons_follow_the_rules(qtbot, page, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    derm, _second, anna, _ben = people
    a = book(reception, receptionist, anna, derm, 9)
    reload(qtbot, page)
    page.today_list.selectRow(0)
    assert page.selected().id == a.id
    assert page.check_in_button.isEnabled() and page.cancel_button.isEnabled()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.check_in_button.click()
    assert page.today_list.item(0, 2).text() == "Arrived"
    assert not page.cancel_button.isEnabled() and page.complete_button.isEnabled()
    assert "1 arrived" in page.today_summary.text()
    menu = page._context_menu(page.selected(), QPoint(0, 0))
    labels = {act.text(): act.isEnabled() for act in menu.actions() if act.text()}
    assert labels["Completed"] and not labels["Cancel appointment"]
    menu.close()


def test_week_view_and_navigation(qtbot, page, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    derm, second, anna, ben = people
    book(reception, receptionist, anna, derm, 9)
    book(reception, receptionist, ben, second, 9)  # same time, other doctor: side by side
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.set_mode("week")
    columns = page.calendar.columns()
    assert [c.day for c in columns] == [date(2026, 3, d) for d in range(2, 9)]
    rects = [page.calendar.rect_of(a.id) for a in page.calendar.appointments()]
    assert len(rects) == 2 and not rects[0].intersects(rects[1])
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.step(1)
    assert page.current_day() == date(2026, 3, 9) and page.calendar.appointments() == []


def test_export_ics_and_print_day_list(qtbot, page, reception, receptionist, people, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    derm, _second, anna, _ben = people
    a = book(reception, receptionist, anna, derm, 9)
    reload(qtbot, page)
    ics = tmp_path / "day.ics"
    with qtbot.waitSignal(page.file_written, timeout=5000):
        page.export_day_to(ics)
    text = ics.read_bytes().decode("utf-8")
    assert calendar_lines_ok(text) == [] and "Müller" not in text
    assert parse_events(text)[0]["DTSTART"] == "20260302T080000Z"
    single = tmp_path / "one.ics"
    with qtbot.waitSignal(page.file_written, timeout=5000):
        page.export_appointment_to(a.id, single)
    assert "Hautpraxis Mitte" in single.read_text(encoding="utf-8")
    pdf = tmp_path / "day.pdf"
    with qtbot.waitSignal(page.file_written, timeout=5000):
        page.print_day_to_pdf(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    from pypdf import PdfReader

    content = " ".join(PdfReader(str(pdf)).pages[0].extract_text().split())
    assert "Hautpraxis Mitte" in content
    assert "Müller, Anna" in content and "Mole check" in content


def test_double_click_on_an_empty_slot_opens_booking_there(qtbot, page, people) -> None:  # type: ignore[no-untyped-def]
    derm, second, _anna, _ben = people
    view = page.calendar
    QTest.mouseDClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view.point_for(1, time(14, 30)))
    from dermstation.ui.schedule.booking import BookingDialog

    dialog = next(w for w in page.findChildren(BookingDialog) if w.isVisible())
    assert dialog.start() == datetime(2026, 3, 2, 14, 30)
    assert dialog.dermatologist.currentData() == second.id
    dialog.reject()


def test_repeated_autumn_hour_offers_the_second_occurrence(qtbot, page, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    derm, _second, _anna, ben = people
    dialog = page.new_appointment(datetime(2026, 10, 25, 2, 30), derm.id)
    qtbot.addWidget(dialog)
    assert not dialog.second_occurrence.isHidden()
    assert dialog.start().fold == 0
    dialog.second_occurrence.setChecked(True)
    assert dialog.start().fold == 1
    with qtbot.waitSignal(dialog.picker.results_shown, timeout=5000):
        dialog.picker.search.setText("MRN-2")
        dialog.picker.search_now()
    dialog.outside_hours.setChecked(True)
    with qtbot.waitSignal(dialog.saved, timeout=5000) as saved:
        dialog.save_button.click()
    assert saved.args[0].start.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # CET, after the change
    dialog2 = page.new_appointment(datetime(2026, 10, 26, 2, 30), derm.id)
    qtbot.addWidget(dialog2)
    assert dialog2.second_occurrence.isHidden()
    dialog2.reject()


def test_patient_chart_panel_lists_upcoming_and_past(qtbot, ops, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    from dermstation.ui.schedule.patient_appointments import PatientAppointmentsPanel

    derm, _second, anna, _ben = people
    book(reception, receptionist, anna, derm, 9)
    panel = PatientAppointmentsPanel(reception.appointments, receptionist, ops)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.shown, timeout=5000) as shown:
        panel.show_patient(anna.id)
    assert len(shown.args[0].upcoming) == 1
    assert "Mole check" in panel.upcoming.item(0).text()
    assert panel.past.item(0).text() == "No past appointments."


def test_enter_in_the_booking_dialog_books_and_never_moves_the_time(qtbot, page, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    derm, _second, anna, ben = people
    book(reception, receptionist, anna, derm, 8)
    dialog = page.new_appointment(datetime(2026, 3, 2, 9, 0), derm.id)
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)
    with qtbot.waitSignal(dialog.picker.results_shown, timeout=5000):
        dialog.picker.search.setText("MRN-2")
        dialog.picker.search_now()
    assert not dialog.next_free.autoDefault()
    qtbot.keyClicks(dialog.reason, "Follow-up")
    with qtbot.waitSignal(dialog.saved, timeout=5000) as saved:
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert saved.args[0].start.replace(tzinfo=None) == datetime(2026, 3, 2, 9, 0)  # the time the user chose
    assert saved.args[0].patient_id == ben.id


def test_cancel_asks_why_keeps_the_reason_and_can_be_undone(qtbot, page, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    from dermstation.ui.schedule.cancel import CancelAppointmentDialog

    derm, _second, anna, _ben = people
    a = book(reception, receptionist, anna, derm, 9)
    reload(qtbot, page)
    page.today_list.selectRow(0)
    page.cancel_button.click()
    qtbot.waitUntil(lambda: isinstance(getattr(page, "cancel_dialog", None), CancelAppointmentDialog)
                    and page.cancel_dialog.isVisible(), timeout=5000)
    dialog = page.cancel_dialog
    assert dialog.keep_button.isDefault() and not dialog.cancel_button.autoDefault()
    qtbot.keyClick(dialog.details, Qt.Key.Key_Return)  # Enter keeps the appointment
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    qtbot.waitUntil(lambda: not page._ops.busy(), timeout=5000)
    assert reception.appointments.get(receptionist, a.id).status.value == "booked"

    page.today_list.selectRow(0)
    page.cancel_button.click()
    qtbot.waitUntil(lambda: page.cancel_dialog is not dialog and page.cancel_dialog.isVisible(), timeout=5000)
    dialog = page.cancel_dialog
    dialog.reason.setCurrentIndex(0)
    dialog.details.setText("travelling")
    with qtbot.waitSignal(page.appointment_changed, timeout=5000) as changed:
        dialog.cancel_button.click()
    assert changed.args[0].status.value == "cancelled"
    stored = reception.appointments.get(receptionist, a.id)
    assert "The patient asked to cancel – travelling" in stored.notes
    qtbot.waitUntil(lambda: page.undo_bar.isVisibleTo(page), timeout=5000)
    assert "Müller" in page.undo_label.text()

    with qtbot.waitSignal(page.appointment_changed, timeout=5000) as undone:
        page.undo_button.click()
    assert undone.args[0].status.value == "booked"
    assert not page.undo_bar.isVisibleTo(page)


def test_reschedule_with_the_keyboard(qtbot, page, reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    derm, second, anna, _ben = people
    a = book(reception, receptionist, anna, derm, 9)
    reload(qtbot, page)
    page.today_list.selectRow(0)
    page.today_list.setFocus()
    page.activateWindow()
    qtbot.keyClick(page.today_list, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = page.findChild(BookingDialog)
    assert dialog is not None and dialog.windowTitle() == "Reschedule appointment"
    assert dialog.start() == datetime(2026, 3, 2, 9, 0)
    dialog.set_start(datetime(2026, 3, 2, 11, 0))
    dialog.dermatologist.setCurrentIndex(dialog.dermatologist.findData(second.id))
    with qtbot.waitSignal(page.appointment_changed, timeout=5000) as moved:
        qtbot.keyClick(dialog.day, Qt.Key.Key_Return)
    info = moved.args[0]
    assert info.start.replace(tzinfo=None) == datetime(2026, 3, 2, 11, 0) and info.dermatologist_id == second.id
    assert info.end - info.start == a.end - a.start


def test_refusal_details_speak_to_people(reception, receptionist, people) -> None:  # type: ignore[no-untyped-def]
    from dermstation.core.errors import Conflict

    derm, _second, anna, ben = people
    book(reception, receptionist, anna, derm, 9)
    with pytest.raises(Conflict) as refused:
        book(reception, receptionist, ben, derm, 9, 10)
    assert "appointment 1" not in refused.value.details and "clashes" not in refused.value.details
    assert "Mole check" in refused.value.details
