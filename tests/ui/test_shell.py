"""The whole session on a fresh data directory: set-up, sign-in, main window, sign-out, quit."""

from PySide6.QtWidgets import QApplication

from dermstation.core.i18n import _, current_language
from dermstation.ui.main_window import MainWindow
from dermstation.ui.navigation import Section
from dermstation.ui.shell import Shell
from dermstation.ui.sign_in import FirstRunDialog, SignInDialog


def test_first_run_to_sign_out_and_quit(qtbot, loop, services, ops, database_url) -> None:
    shell = Shell(services, ops, database_url)
    session = loop.create_task(shell.run())

    qtbot.waitUntil(lambda: isinstance(shell.dialog, FirstRunDialog), timeout=5000)
    setup = shell.dialog
    setup.clinic_name.setText("Riverside Dermatology")
    setup.full_name.setText("Ada Admin")
    setup.username.setText("admin")
    setup.password.setText("correct horse")
    setup.confirm.setText("correct horse")
    setup.also_dermatologist.setChecked(True)  # a small clinic: the dermatologist administers it
    setup.create_button.click()

    qtbot.waitUntil(lambda: isinstance(shell.dialog, SignInDialog), timeout=5000)
    sign_in = shell.dialog
    assert sign_in.username.text() == "admin"  # remembered from set-up
    sign_in.password.setText("wrong")
    sign_in.sign_in_button.click()
    qtbot.waitUntil(lambda: sign_in.error_text() != "", timeout=5000)
    sign_in.password.setText("correct horse")
    sign_in.sign_in_button.click()

    qtbot.waitUntil(lambda: isinstance(shell.window, MainWindow), timeout=5000)
    window = shell.window
    assert window.windowTitle() == "Riverside Dermatology — DermStation"
    assert window.section_names() == list(Section)
    # a new clinic starts with the sample referral directory, marked as such
    directory = services.hospitals.list(window.user)
    assert directory and all(h.sample for h in directory)

    window.sign_out_action.trigger()
    qtbot.waitUntil(lambda: isinstance(shell.dialog, SignInDialog), timeout=5000)
    shell.dialog.reject()  # "Quit" on the sign-in dialog ends the session
    qtbot.waitUntil(session.done, timeout=5000)
    assert session.result() == 0


def test_language_change_rebuilds_the_window(qtbot, loop, services, ops, database_url, admin) -> None:
    shell = Shell(services, ops, database_url)
    session = loop.create_task(shell.run())
    qtbot.waitUntil(lambda: isinstance(shell.dialog, SignInDialog), timeout=5000)
    shell.dialog.username.setText("admin")
    shell.dialog.password.setText("admin-password")
    shell.dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: isinstance(shell.window, MainWindow), timeout=5000)
    first = shell.window
    settings = first.show_section(Section.SETTINGS)
    settings.language.setCurrentIndex(settings.language.findData("de"))
    settings.language.activated.emit(settings.language.currentIndex())
    qtbot.waitUntil(lambda: shell.window is not None and shell.window is not first, timeout=5000)
    assert current_language() == "de"
    assert shell.window.navigation.item(0).text() == "Kliniken"  # an IT administrator sees no patients
    assert _("Patients") == "Patienten"
    shell.window.close_for("quit")
    qtbot.waitUntil(session.done, timeout=5000)
    assert session.result() == 0
    assert not any(w.isVisible() for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
