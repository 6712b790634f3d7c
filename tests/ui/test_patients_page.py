"""The Patients section driven through its real widgets and services."""

from datetime import date

from PySide6.QtCore import Qt

from dermstation.core.domain import Sex
from dermstation.services.container import Services
from dermstation.services.types import CurrentUser, PatientInput
from dermstation.ui.operations import Operations
from dermstation.ui.patients.editor import PatientDialog
from dermstation.ui.patients.page import PatientsPage


def _page(qtbot, services: Services, user: CurrentUser, ops: Operations) -> PatientsPage:
    page = PatientsPage(services.patients, user, ops)
    qtbot.addWidget(page)
    page.resize(1000, 650)
    page.show()
    with qtbot.waitSignal(page.results_shown, timeout=5000):
        page.refresh()
    return page


def _search(qtbot, page: PatientsPage, text: str) -> int:
    with qtbot.waitSignal(page.results_shown, timeout=5000) as blocker:
        page.search.setText(text)  # the debounce timer fires the query
    return blocker.args[0]


def test_empty_clinic_says_how_to_start(qtbot, services, dermatologist, ops) -> None:
    page = _page(qtbot, services, dermatologist, ops)
    assert page.results.currentWidget() is page.empty
    assert "New patient" in page.empty.text()


def test_create_a_patient_then_search_finds_it(qtbot, services, dermatologist, ops) -> None:
    page = _page(qtbot, services, dermatologist, ops)
    dialog = page.new_patient()
    dialog.record_number.setText("MRN-0042")
    dialog.given_name.setText("Grace")
    dialog.family_name.setText("Hopper")
    dialog.date_of_birth.edit.setText("1956-12-09")
    dialog.sex.setCurrentIndex(dialog.sex.findData(Sex.FEMALE))
    dialog.notes.setPlainText("Many naevi on the back.")
    with qtbot.waitSignal(page.patient_shown, timeout=5000) as shown:
        dialog.save_button.click()
    assert shown.args[0].family_name == "Hopper"
    assert "Hopper, Grace" in page.panel.name.text()
    assert page.panel._values["notes"].text() == "Many naevi on the back."

    assert _search(qtbot, page, "hopp") == 1
    assert page.model.patient(0).record_number == "MRN-0042"
    assert _search(qtbot, page, "MRN-0042") == 1
    assert _search(qtbot, page, "1956-12-09") == 1
    assert _search(qtbot, page, "nobody-like-this") == 0
    assert page.results.currentWidget() is page.empty
    assert "nobody-like-this" in page.empty.text()


def test_validation_error_is_shown_beside_its_field(qtbot, services, dermatologist, ops) -> None:
    page = _page(qtbot, services, dermatologist, ops)
    dialog = page.new_patient()
    dialog.record_number.setText("MRN-1")
    dialog.family_name.setText("Lovelace")  # no given name
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.errors.message_for("given_name") != "", timeout=5000)
    assert dialog.isVisible()
    assert dialog.given_name.property("invalid") is True
    assert dialog.errors.message_for("family_name") == ""

    services.patients.create(dermatologist, PatientInput("MRN-2", "Ada", "Byron", None))
    dialog.given_name.setText("Ada")
    dialog.record_number.setText("MRN-2")  # taken
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.errors.message_for("record_number") != "", timeout=5000)
    assert dialog.errors.message_for("given_name") == ""


def test_latest_keystroke_wins(qtbot, services, dermatologist, ops) -> None:
    for n, family in enumerate(("Smith", "Smythe", "Schmidt")):
        services.patients.create(dermatologist, PatientInput(f"R{n}", "Sam", family, date(1990, 1, n + 1)))
    page = _page(qtbot, services, dermatologist, ops)
    shown: list[int] = []
    page.results_shown.connect(shown.append)
    with qtbot.waitSignal(page.results_shown, timeout=5000):
        for text in ("s", "sm", "smi", "smith"):  # typed faster than the debounce
            page.search.setText(text)
    qtbot.waitUntil(lambda: not ops.busy(), timeout=5000)
    assert shown == [1]
    assert page.model.patient(0).family_name == "Smith"


def test_edit_a_patient(qtbot, services, dermatologist, ops) -> None:
    created = services.patients.create(dermatologist, PatientInput("R1", "Marie", "Curie", date(1967, 11, 7)))
    page = _page(qtbot, services, dermatologist, ops)
    with qtbot.waitSignal(page.patient_shown, timeout=5000):
        page.table.selectRow(0)
    dialog = page.edit_patient()
    assert isinstance(dialog, PatientDialog)
    assert dialog.family_name.text() == "Curie"
    dialog.phone.setText("+33 1 23 45 67 89")
    with qtbot.waitSignal(page.patient_saved, timeout=5000):
        dialog.save_button.click()
    assert services.patients.get(dermatologist, created.id).phone == "+33 1 23 45 67 89"


def test_chart_lists_lesions_for_clinicians(qtbot, services, dermatologist, ops) -> None:
    patient = services.patients.create(dermatologist, PatientInput("R1", "Jo", "March", None))
    services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")
    page = _page(qtbot, services, dermatologist, ops)
    with qtbot.waitSignal(page.patient_shown, timeout=5000):
        page.table.selectRow(0)
    assert page.panel.lesions.isVisibleTo(page)
    assert page.panel.lesion_titles() == ["left forearm — L1"]


def test_add_lesion_from_the_chart_on_the_body_diagram(qtbot, services, dermatologist, ops) -> None:
    from PySide6.QtCore import QPoint

    from dermstation.core.body_sites import BodySite, Laterality, View
    from dermstation.ui.lesion_dialog import NewLesionDialog

    services.patients.create(dermatologist, PatientInput("R2", "Ines", "Duarte", None))
    page = _page(qtbot, services, dermatologist, ops)
    with qtbot.waitSignal(page.patient_shown, timeout=5000):
        page.table.selectRow(0)
    page.panel.add_lesion_button.click()
    dialog = page.findChild(NewLesionDialog)
    assert dialog is not None and not dialog.save_button.isEnabled()  # no site picked yet
    dialog.resize(440, 520)
    qtbot.waitExposed(dialog)
    pos = dialog.picker.diagram.site_position(BodySite("forearm", Laterality.LEFT, View.FRONT))
    with qtbot.waitSignal(dialog.picker.site_changed, timeout=2000):
        qtbot.mouseClick(dialog.picker.diagram, Qt.MouseButton.LeftButton, pos=QPoint(round(pos.x()), round(pos.y())))
    assert dialog.save_button.isEnabled()
    dialog.label.setText("L1")
    with qtbot.waitSignal(page.patient_shown, timeout=5000):
        dialog.save_button.click()
    assert page.panel.lesion_titles() == ["left forearm — L1"]


def test_receptionist_sees_no_notes_and_no_chart(qtbot, services, dermatologist, receptionist, ops) -> None:
    services.patients.create(
        dermatologist, PatientInput("R1", "Jo", "March", None, notes="Suspicious lesion, biopsy planned.")
    )
    page = _page(qtbot, services, receptionist, ops)
    with qtbot.waitSignal(page.patient_shown, timeout=5000):
        page.table.selectRow(0)
    assert "notes" not in page.panel._values
    assert not page.panel.lesions.isVisibleTo(page)
    assert "biopsy" not in page.panel.widget().grab().toImage().text()  # nothing rendered by name either
    labels = " ".join(label.text() for label in page.findChildren(type(page.panel.name)))
    assert "biopsy" not in labels

    dialog = page.edit_patient()
    assert dialog is not None
    assert not dialog.notes.isVisibleTo(dialog)
    dialog.phone.setText("555-0100")
    with qtbot.waitSignal(page.patient_saved, timeout=5000):
        dialog.save_button.click()
    # the receptionist's edit kept the clinical note they never saw
    assert services.patients.get(dermatologist, 1).notes == "Suspicious lesion, biopsy planned."


def test_keyboard_shortcuts(qtbot, services, dermatologist, ops) -> None:
    page = _page(qtbot, services, dermatologist, ops)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search.hasFocus()
    qtbot.keyClick(page.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.findChild(PatientDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.reject()


def test_chart_shows_the_patients_appointments_when_booking_is_available(qtbot, services, receptionist, ops):
    services.patients.create(receptionist, PatientInput("R1", "Jo", "March", None))
    reception = services.reception
    page = PatientsPage(services.patients, receptionist, ops, reception.appointments)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.results_shown, timeout=5000):
        page.refresh()
    with qtbot.waitSignal(page.appointments.shown, timeout=5000) as blocker:
        page.table.selectRow(0)
    assert not blocker.args[0].upcoming and not blocker.args[0].past
    assert page.appointments.isVisibleTo(page)
