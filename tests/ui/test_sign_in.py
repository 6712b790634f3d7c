"""First-run set-up and sign-in dialogs against real services."""

from PySide6.QtCore import Qt

from dermstation.core.domain import Role
from dermstation.services.container import Services
from dermstation.ui.operations import Operations
from dermstation.ui.sign_in import FirstRunDialog, SignInDialog


def test_first_run_creates_the_clinic_and_admin(qtbot, services: Services, ops: Operations) -> None:
    assert services.auth.needs_setup()
    dialog = FirstRunDialog(services.auth, services.settings_store, ops)
    qtbot.addWidget(dialog)
    dialog.show()

    # the two passwords differ: said beside the repeat field, nothing created
    dialog.clinic_name.setText("Riverside Dermatology")
    dialog.full_name.setText("Ada Admin")
    dialog.username.setText("admin")
    dialog.password.setText("a long password")
    dialog.confirm.setText("another password")
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.errors.message_for("confirm") != "")
    assert services.auth.needs_setup()

    # a bad user name: the service's ValidationError lands beside the user name field
    dialog.username.setText("no spaces allowed")
    dialog.confirm.setText("a long password")
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.errors.message_for("username") != "", timeout=5000)
    assert "user name" in dialog.errors.message_for("username")
    assert dialog.errors.message_for("confirm") == ""

    dialog.username.setText("admin")
    with qtbot.waitSignal(dialog.completed, timeout=5000) as blocker:
        qtbot.keyClick(dialog.username, Qt.Key.Key_Return)  # Enter submits
    user = blocker.args[0]
    assert user.roles == {Role.ADMIN}
    assert not services.auth.needs_setup()
    assert services.settings_store.load().clinic_name == "Riverside Dermatology"


def test_sign_in_with_wrong_then_right_password(qtbot, services: Services, ops: Operations, admin) -> None:
    dialog = SignInDialog(services.auth, ops, "Riverside Dermatology")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.username.setText("admin")
    dialog.password.setText("not the password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.error_text() != "", timeout=5000)
    assert "wrong" in dialog.error_text()
    assert dialog.password.text() == ""  # cleared for the next try
    assert dialog.isVisible() and dialog.user is None

    dialog.password.setText("admin-password")
    with qtbot.waitSignal(dialog.signed_in, timeout=5000) as blocker:
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert blocker.args[0].id == admin.id
    assert dialog.result() == SignInDialog.DialogCode.Accepted
