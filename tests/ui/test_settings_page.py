"""Settings: personal language for everyone, clinic and accounts for administrators."""

import os
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from dermstation.core.domain import Role
from dermstation.ui.preferences import UiPreferences
from dermstation.ui.settings_page import SettingsPage


def _page(qtbot, services, user, ops, wait_users: bool = True) -> SettingsPage:
    prefs = UiPreferences(services.paths.data_dir / "ui.ini")
    if wait_users:
        with qtbot.waitSignal(ops.settled, timeout=5000):
            page = SettingsPage(user, services.settings_store, services.users, services.auth, prefs, ops, "en")
    else:
        page = SettingsPage(user, services.settings_store, services.users, services.auth, prefs, ops, "en")
    qtbot.addWidget(page)
    page.show()
    return page


def _confirm(qtbot, page: SettingsPage, accept: bool = True) -> None:
    """Answer the "applies to every workstation" question that saving clinic settings asks."""
    qtbot.waitUntil(lambda: page.clinic_confirmation is not None and page.clinic_confirmation.isVisible(),
                    timeout=5000)
    box = page.clinic_confirmation
    box.button(QMessageBox.StandardButton.Save if accept else QMessageBox.StandardButton.Cancel).click()


def test_dermatologist_sees_only_personal_settings(qtbot, services, dermatologist, ops) -> None:
    page = _page(qtbot, services, dermatologist, ops, wait_users=False)
    assert not page.is_admin
    assert not hasattr(page, "user_table")
    with qtbot.waitSignal(page.language_changed) as blocker:
        page.language.setCurrentIndex(page.language.findData("de"))
        page.language.activated.emit(page.language.currentIndex())
    assert blocker.args == ["de"]
    prefs = UiPreferences(services.paths.data_dir / "ui.ini")
    assert prefs.language_for("derm", "en") == "de"


def test_admin_saves_the_clinic_name(qtbot, services, admin, ops) -> None:
    services.settings_store.set_clinic_name("Old Name")
    page = _page(qtbot, services, admin, ops)
    assert page.clinic_name.text() == "Old Name"
    page.clinic_name.setText("New Name Clinic")
    page.save_clinic_button.click()
    _confirm(qtbot, page, accept=False)  # cancelled: nothing changes, nothing typed is lost
    qtbot.waitUntil(lambda: not ops.busy(), timeout=5000)
    assert services.settings_store.load().clinic_name == "Old Name"
    assert page.clinic_name.text() == "New Name Clinic"
    with qtbot.waitSignal(page.clinic_saved, timeout=5000):
        page.save_clinic_button.click()
        _confirm(qtbot, page)
    assert services.settings_store.load().clinic_name == "New Name Clinic"


def test_admin_creates_disables_and_resets_a_user(qtbot, services, admin, ops) -> None:
    page = _page(qtbot, services, admin, ops)
    assert page.user_model.rowCount() == 1
    dialog = page.new_user()
    dialog.username.setText("derm2")
    dialog.full_name.setText("Dr Second")
    assert dialog.roles.roles() == {Role.DERMATOLOGIST}  # the usual choice is ticked
    dialog.password.setText("a good password")
    dialog.confirm.setText("a good password")
    with qtbot.waitSignal(page.users_shown, timeout=5000) as blocker:
        dialog.save_button.click()
    assert blocker.args == [2]
    assert page.selected_user().username == "derm2"
    assert services.auth.sign_in("derm2", "a good password").roles == {Role.DERMATOLOGIST}

    # a taken user name is said beside the field
    again = page.new_user()
    again.username.setText("derm2")
    again.full_name.setText("Someone")
    again.password.setText("a good password")
    again.confirm.setText("a good password")
    again.save_button.click()
    qtbot.waitUntil(lambda: again.errors.message_for("username") != "", timeout=5000)
    again.reject()

    with qtbot.waitSignal(page.users_shown, timeout=5000):
        page.toggle_button.click()
    assert page.selected_user().disabled
    assert page.toggle_button.text() == "Enable"

    reset = page.reset_password()
    reset.password.setText("another good one")
    reset.confirm.setText("another good one")
    with qtbot.waitSignal(reset.finished, timeout=5000):
        reset.save_button.click()
    with qtbot.waitSignal(page.users_shown, timeout=5000):
        page.toggle_button.click()  # enable again
    assert services.auth.sign_in("derm2", "another good one").username == "derm2"


def test_admin_sets_the_clinic_location(qtbot, services, admin, ops) -> None:
    services.settings_store.set_clinic_name("Clinic")
    page = _page(qtbot, services, admin, ops)
    page.latitude.setText("north")
    page.save_clinic_button.click()
    qtbot.waitUntil(lambda: "decimal degrees" in page.clinic_errors.message_for("clinic_latitude"), timeout=5000)
    page.latitude.setText("95")  # the service's range check, shown beside the field
    page.save_clinic_button.click()
    qtbot.waitUntil(lambda: "-90" in page.clinic_errors.message_for("clinic_latitude"), timeout=5000)
    page.latitude.setText("52,52")
    page.longitude.setText("13.405")
    with qtbot.waitSignal(page.clinic_saved, timeout=5000):
        page.save_clinic_button.click()
        _confirm(qtbot, page)
    saved = services.settings_store.load()
    assert (saved.clinic_latitude, saved.clinic_longitude) == (52.52, 13.405)


def test_assistant_card_for_admins_when_the_service_is_given(qtbot, services, admin, ops) -> None:
    from dermstation.services.assistant import AssistantService

    assistant = AssistantService(services.database, services.audit, services.settings_store)
    prefs = UiPreferences(services.paths.data_dir / "ui.ini")
    page = SettingsPage(admin, services.settings_store, services.users, services.auth, prefs, ops, "en", assistant)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: not ops.busy(), timeout=5000)
    assert page.assistant_card.enabled.isChecked()


def test_admin_sets_clinic_details_time_zone_and_hours(qtbot, services, admin, ops, tmp_path) -> None:
    services.settings_store.set_clinic_name("Praxis am See")
    page = _page(qtbot, services, admin, ops)
    assert page.timezone.currentText() == "UTC"
    page.clinic_address.setText("Seestrasse 1, 8002 Zürich")
    page.clinic_phone.setText("+41 44 555 01 01")
    page.clinic_email.setText("not an address")
    page.timezone.setCurrentText("Europe/Zurich")
    page.save_clinic_button.click()  # checked before anything is asked
    qtbot.waitUntil(lambda: "e-mail" in page.clinic_errors.message_for("clinic_email"), timeout=5000)
    assert page.clinic_confirmation is None
    page.clinic_email.setText("praxis@example.ch")
    page.opening_hours[5].setText("09:00-12:00")
    page.report_header.setText("Dermatologie · FMH")
    with qtbot.waitSignal(page.clinic_saved, timeout=5000) as blocker:
        page.save_clinic_button.click()
        _confirm(qtbot, page)
    saved = services.settings_store.load()
    assert blocker.args == [saved]
    assert (saved.timezone, saved.clinic_address, saved.clinic_phone, saved.clinic_email, saved.report_header) == (
        "Europe/Zurich", "Seestrasse 1, 8002 Zürich", "+41 44 555 01 01", "praxis@example.ch", "Dermatologie · FMH")
    assert saved.opening_hours[5] == "09:00-12:00" and saved.opening_hours[6] == ""
    # a shared picture folder can be named only while no picture is stored
    page.image_folder.setText(str(tmp_path))
    with qtbot.waitSignal(page.clinic_saved, timeout=5000):
        page.save_clinic_button.click()
        _confirm(qtbot, page)
    assert services.settings_store.load().image_folder == str(tmp_path)
    shots = Path(os.environ.get("DERMSTATION_SCREENSHOTS") or tmp_path)
    page.resize(1280, 900)
    page.grab().save(str(shots / "settings_clinic.png"))


def test_admin_sees_the_workstations(qtbot, services, admin, ops, tmp_path) -> None:
    prefs = UiPreferences(services.paths.data_dir / "ui.ini")
    page = SettingsPage(admin, services.settings_store, services.users, services.auth, prefs, ops, "en",
                        workstations=services.workstations)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.workstations_card.loaded, timeout=5000) as blocker:
        pass
    (row,) = blocker.args[0]
    assert row.this_workstation and row.connected
    table = page.workstations_card.table
    assert table.rowCount() == 1 and "(this workstation)" in table.item(0, 0).text()
    assert table.item(0, 4).text() == "connected"
    page.resize(1280, 1400)
    page.show()
    page.grab().save(str(Path(os.environ.get("DERMSTATION_SCREENSHOTS") or tmp_path) / "settings_workstations.png"))
