"""The idle screen lock and the lockout message, with real widgets offscreen and real key presses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QMainWindow, QVBoxLayout, QWidget
from shiboken6 import isValid

from dermstation.services.auth import ACCOUNT_POLICY
from dermstation.ui.idle_lock import IdleLock
from dermstation.ui.shell import Shell
from dermstation.ui.sign_in import SignInDialog

SHOTS = Path(os.environ.get("DERMSTATION_SCREENSHOTS", "")) if os.environ.get("DERMSTATION_SCREENSHOTS") else None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


_LOCKS: list[IdleLock] = []


def _lock(*args, **kwargs) -> IdleLock:  # noqa: ANN002, ANN003
    """An IdleLock that is stopped after the test whatever its outcome (see ``quiet_app``)."""
    lock = IdleLock(*args, **kwargs)
    _LOCKS.append(lock)
    return lock


@pytest.fixture(autouse=True)
def quiet_app(qtbot) -> Iterator[None]:  # noqa: ANN001
    """No windows left open by earlier tests (a stray modal dialog would take the form)."""
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible():
            widget.hide()  # not close(): that may ask "discard changes?" in a new modal box
    yield
    while _LOCKS:
        lock = _LOCKS.pop()
        if isValid(lock):
            lock.stop()


def _workspace(qtbot) -> tuple[QMainWindow, QLineEdit]:  # noqa: ANN001
    window = QMainWindow()
    body = QWidget()
    layout = QVBoxLayout(body)
    layout.addWidget(QLabel("Patient: Muster, Anna · MRN-7"))
    notes = QLineEdit()
    notes.setObjectName("notes")
    layout.addWidget(notes)
    window.setCentralWidget(body)
    window.resize(900, 600)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window, notes


def _shot(widget: QWidget, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(SHOTS / name))


def test_locks_after_the_idle_time_keeps_typed_work_and_unlocks_with_the_password(
    qtbot, services, dermatologist, ops
) -> None:
    window, notes = _workspace(qtbot)
    clock = Clock()
    lock = _lock(services.auth, dermatologist, ops, minutes=5, clock=clock, parent=window)
    notes.setFocus()
    qtbot.keyClicks(notes, "Lesion grew 2 mm")
    clock.now += 4 * 60
    lock.check()
    assert not lock.is_locked
    qtbot.keyClick(notes, Qt.Key.Key_Space)  # input restarts the count
    clock.now += 4 * 60
    lock.check()
    assert not lock.is_locked
    clock.now += 61
    with qtbot.waitSignal(lock.locked):
        lock.check()
    assert lock.is_locked and lock.form is not None
    _shot(window, "screen-lock.png")
    # nothing typed now reaches the covered window; the patient's line is hidden behind the cover
    qtbot.keyClicks(notes, "XYZ")
    assert notes.text() == "Lesion grew 2 mm "
    cover = lock.form.parentWidget()
    assert cover.geometry() == window.rect() and cover.isVisible()

    form = lock.form
    qtbot.keyClicks(form.password, "wrong-password")
    qtbot.keyClick(form.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.error.text() != "", timeout=5000)
    assert form.error.text() == "The password is wrong."
    assert lock.is_locked and form.password.text() == ""
    _shot(window, "screen-lock-wrong-password.png")

    qtbot.keyClicks(form.password, "derm-password")
    with qtbot.waitSignal(lock.unlocked, timeout=5000):
        qtbot.keyClick(form.password, Qt.Key.Key_Return)
    assert not lock.is_locked
    qtbot.waitUntil(lambda: not cover.isVisible() or cover.parent() is None, timeout=5000)
    assert notes.text() == "Lesion grew 2 mm "  # the work typed before the lock is all there
    qtbot.keyClicks(notes, "more")
    assert notes.text() == "Lesion grew 2 mm more"
    lock.stop()


def test_an_open_dialog_gets_the_form_and_keeps_its_text(qtbot, services, dermatologist, ops) -> None:
    window, _notes = _workspace(qtbot)
    dialog = QDialog(window)
    dialog.setModal(True)
    field = QLineEdit(dialog)
    dialog.resize(500, 300)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.keyClicks(field, "half-written referral")
    lock = _lock(services.auth, dermatologist, ops, minutes=1, parent=window)
    lock.lock_now()
    assert lock.form is not None and lock.form.window() is dialog  # the modal window still gets keys
    covered = {c.parentWidget() for c in lock._covers}  # noqa: SLF001 - what is covered
    assert {window, dialog} <= covered
    qtbot.keyClicks(lock.form.password, "derm-password")
    with qtbot.waitSignal(lock.unlocked, timeout=5000):
        qtbot.keyClick(lock.form.password, Qt.Key.Key_Return)
    assert field.text() == "half-written referral" and dialog.isVisible()
    lock.stop()


def test_sign_out_from_the_lock_screen(qtbot, services, dermatologist, ops) -> None:
    window, _notes = _workspace(qtbot)
    lock = _lock(services.auth, dermatologist, ops, minutes=1, parent=window)
    lock.lock_now()
    with qtbot.waitSignal(lock.sign_out_requested):
        lock.form.sign_out_button.click()
    lock.stop()


def test_the_lockout_message_is_shown_in_the_sign_in_dialog(qtbot, services, ops, admin) -> None:
    dialog = SignInDialog(services.auth, ops, "Riverside Dermatology")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.username.setText("admin")
    for _ in range(ACCOUNT_POLICY.free_failures + 1):
        qtbot.keyClicks(dialog.password, "guess")
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.password.text() == "" and dialog.error_text() != "", timeout=5000)
    assert "Please wait 2 seconds" in dialog.error_text()
    assert not dialog.sign_in_button.isEnabled()  # rests until the service would listen again
    _shot(dialog, "sign-in-delayed.png")
    dialog.username.setText("admi")  # another name: the button comes back
    dialog.username.textEdited.emit("admi")
    assert dialog.sign_in_button.isEnabled()


def test_the_shell_locks_with_the_clinic_idle_time(qtbot, loop, services, ops, database_url, dermatologist) -> None:
    shell = Shell(services, ops, database_url)
    session = loop.create_task(shell.run())
    qtbot.waitUntil(lambda: isinstance(shell.dialog, SignInDialog), timeout=5000)
    shell.dialog.username.setText("derm")
    shell.dialog.password.setText("derm-password")
    shell.dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: shell.idle_lock is not None, timeout=5000)
    assert shell.idle_lock.minutes == 5  # the clinic's default
    shell.idle_lock.lock_now()
    assert shell.idle_lock.form.window() is shell.window
    _shot(shell.window, "screen-lock-main-window.png")
    with qtbot.waitSignal(shell.window.closed, timeout=5000) as closed:
        shell.idle_lock.form.sign_out_button.click()
    assert closed.args == ["sign_out"]
    qtbot.waitUntil(lambda: isinstance(shell.dialog, SignInDialog), timeout=5000)
    shell.dialog.reject()
    qtbot.waitUntil(session.done, timeout=5000)


def test_the_idle_time_is_a_clinic_setting_the_administrator_changes(qtbot, services, admin, ops) -> None:
    import pytest

    from dermstation.core.errors import ValidationError
    from dermstation.ui.preferences import UiPreferences
    from dermstation.ui.settings_page import SettingsPage

    store = services.settings_store
    assert store.load().screen_lock_minutes == 5
    for bad in (0, 121):
        with pytest.raises(ValidationError) as info:
            store.save(admin, store.load().with_changes(screen_lock_minutes=bad))
        assert info.value.field == "screen_lock_minutes"
    page = SettingsPage(admin, store, services.users, services.auth, UiPreferences(services.paths.data_dir / "ui.ini"),
                        ops, "en")
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.clinic_name.text() != "" or not ops.busy(), timeout=5000)
    assert page.screen_lock.value() == 5
    page.clinic_name.setText("Riverside")
    page.screen_lock.setValue(12)
    page._ops.spawn(page._save_clinic(), parent=page)  # noqa: SLF001 - the Save button's coroutine
    qtbot.waitUntil(lambda: page.clinic_confirmation is not None, timeout=5000)
    page.clinic_confirmation.button(page.clinic_confirmation.StandardButton.Save).click()
    qtbot.waitUntil(lambda: store.load().screen_lock_minutes == 12, timeout=5000)


def test_the_administrator_sees_and_lifts_a_sign_in_lock(qtbot, services, admin, dermatologist, ops) -> None:
    import contextlib
    from datetime import UTC, datetime, timedelta

    from dermstation.core.errors import AuthenticationFailed
    from dermstation.services.auth import AuthService
    from dermstation.ui.preferences import UiPreferences
    from dermstation.ui.settings_page import SettingsPage

    moment = [datetime.now(UTC)]
    desk = AuthService(services.database, services.audit, "desk-3", clock=lambda: moment[0])
    for _ in range(ACCOUNT_POLICY.lock_after):
        with contextlib.suppress(AuthenticationFailed):  # each try fails; this builds up the lock
            desk.sign_in("derm", "guess")
        moment[0] += timedelta(seconds=61)
    moment[0] = datetime.now(UTC)
    page = SettingsPage(admin, services.settings_store, services.users, services.auth,
                        UiPreferences(services.paths.data_dir / "ui.ini"), ops, "en")
    qtbot.addWidget(page)
    page.resize(1000, 1100)
    page.show()
    qtbot.waitUntil(lambda: page.sign_in_locks.isVisible(), timeout=5000)
    row = page.user_model.row_of(dermatologist.id)
    assert page.user_model.index(row, 3).data().startswith("Sign-in locked until")
    assert page.sign_in_locks.list.count() == 1 and "Account derm: locked until" in page.sign_in_locks.list.item(0).text()
    _shot(page, "accounts-locked.png")
    page.sign_in_locks.list.setCurrentRow(0)
    with qtbot.waitSignal(page.sign_in_locks.unlocked, timeout=5000):
        page.sign_in_locks.unlock_button.click()
    qtbot.waitUntil(lambda: not page.sign_in_locks.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: page.user_model.index(page.user_model.row_of(dermatologist.id), 3).data() == "Active",
                    timeout=5000)
    assert services.auth.sign_in("derm", "derm-password").id == dermatologist.id


def test_the_lock_message_after_ten_failures(qtbot, services, ops, admin) -> None:
    from datetime import UTC, datetime, timedelta

    from dermstation.services.auth import AuthService

    moment = [datetime.now(UTC)]
    desk = AuthService(services.database, services.audit, "desk-9", clock=lambda: moment[0])
    dialog = SignInDialog(desk, ops, "Riverside Dermatology")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.username.setText("admin")
    for _ in range(ACCOUNT_POLICY.lock_after):
        moment[0] += timedelta(minutes=2)  # past any delay: each try is checked
        dialog._blocked_timer.stop()  # noqa: SLF001 - time moved on for the service, not for Qt's timer
        dialog.sign_in_button.setEnabled(True)
        qtbot.keyClicks(dialog.password, "guess")
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.password.text() == "" and dialog.error_text() != "", timeout=5000)
    assert "locked for 15 minutes" in dialog.error_text() and "administrator" in dialog.error_text()
    assert not dialog.sign_in_button.isEnabled()
    _shot(dialog, "sign-in-locked.png")
