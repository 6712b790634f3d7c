"""Settings: personal language for everyone, clinic and accounts for administrators."""

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
    with qtbot.waitSignal(page.clinic_saved, timeout=5000):
        page.save_clinic_button.click()
    assert services.settings_store.load().clinic_name == "New Name Clinic"


def test_admin_creates_disables_and_resets_a_user(qtbot, services, admin, ops) -> None:
    page = _page(qtbot, services, admin, ops)
    assert page.user_model.rowCount() == 1
    dialog = page.new_user()
    dialog.username.setText("derm2")
    dialog.full_name.setText("Dr Second")
    dialog.role.setCurrentIndex(dialog.role.findData(Role.DERMATOLOGIST))
    dialog.password.setText("a good password")
    dialog.confirm.setText("a good password")
    with qtbot.waitSignal(page.users_shown, timeout=5000) as blocker:
        dialog.save_button.click()
    assert blocker.args == [2]
    assert page.selected_user().username == "derm2"
    assert services.auth.sign_in("derm2", "a good password").role is Role.DERMATOLOGIST

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
