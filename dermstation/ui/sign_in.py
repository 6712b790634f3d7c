"""First-run set-up of the clinic and the sign-in dialog."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.domain import Role
from dermstation.core.errors import AuthenticationFailed, SignInBlocked, ValidationError
from dermstation.core.i18n import _
from dermstation.ui.forms import FormErrors
from dermstation.ui.operations import Operations
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.auth import AuthService
    from dermstation.services.settings import SettingsStore
    from dermstation.services.types import CurrentUser

# Field names a service may use in ValidationError.field for the set-up form.
_SETUP_FIELD_ALIASES = {
    "admin_username": "username",
    "admin_full_name": "full_name",
    "name": "clinic_name",
    "new_password": "password",
}


def _password_field() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class FirstRunDialog(QDialog):
    """Asks for the clinic's name and creates the administrator account."""

    completed = Signal(object)  # CurrentUser

    def __init__(
        self, auth: AuthService, settings_store: SettingsStore, ops: Operations, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._auth = auth
        self._settings_store = settings_store
        self._ops = ops
        self.user: CurrentUser | None = None
        self.setWindowTitle(_("Welcome to DermStation"))
        self.setMinimumWidth(460)

        title = set_role(QLabel(_("Set up your clinic")), "title")
        intro = set_role(
            QLabel(_("This workstation has no clinic yet. Name your clinic and create the "
                     "administrator account; you can add staff accounts afterwards in Settings.")),
            "subtitle",
        )
        intro.setWordWrap(True)

        self.clinic_name = QLineEdit()
        self.full_name = QLineEdit()
        self.username = QLineEdit()
        self.password = _password_field()
        self.confirm = _password_field()
        self.clinic_name.setPlaceholderText(_("e.g. Riverside Dermatology"))
        self.username.setPlaceholderText(_("e.g. admin"))

        general_error = QLabel()
        self.errors = FormErrors(general_error)
        form = QFormLayout()
        form.setVerticalSpacing(8)
        form.addRow(_("Clinic name"), self.errors.field("clinic_name", self.clinic_name))
        form.addRow(_("Your full name"), self.errors.field("full_name", self.full_name))
        form.addRow(_("User name"), self.errors.field("username", self.username))
        form.addRow(_("Password"), self.errors.field("password", self.password))
        form.addRow(_("Repeat password"), self.errors.field("confirm", self.confirm))
        # administration alone opens no patient record; a dermatologist running the clinic ticks this
        self.also_dermatologist = QCheckBox(_("I am also a dermatologist here (see patients and images)"))
        form.addRow("", self.also_dermatologist)

        buttons = QDialogButtonBox()
        self.create_button = QPushButton(_("Create clinic"))
        self.create_button.setDefault(True)
        buttons.addButton(self.create_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(general_error)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.clinic_name.setFocus()

    def _submit(self) -> None:
        if not self.create_button.isEnabled():
            return
        self._ops.spawn(self._create(), parent=self)

    async def _create(self) -> None:
        self.errors.clear()
        clinic = self.clinic_name.text().strip()
        if not clinic:
            self.errors.show(ValidationError(_("Enter the clinic's name."), field="clinic_name"))
            return
        if self.password.text() != self.confirm.text():
            self.errors.show(ValidationError(_("The two passwords differ."), field="confirm"))
            return
        self.create_button.setEnabled(False)
        try:
            user = await self._ops.db(
                self._auth.set_up_clinic, self.username.text().strip(), self.full_name.text().strip(),
                self.password.text(),
                frozenset({Role.DERMATOLOGIST}) if self.also_dermatologist.isChecked() else frozenset(),
            )
            await self._ops.db(self._settings_store.set_clinic_name, clinic)
        except ValidationError as exc:
            self.errors.show(exc, _SETUP_FIELD_ALIASES.get(exc.field, exc.field))
            return
        finally:
            self.create_button.setEnabled(True)
        self.user = user
        self.completed.emit(user)
        self.accept()


class SignInDialog(QDialog):
    """User name and password; a wrong password is said in the dialog, not in a pop-up."""

    signed_in = Signal(object)  # CurrentUser

    def __init__(
        self, auth: AuthService, ops: Operations, clinic_name: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._auth = auth
        self._ops = ops
        self.user: CurrentUser | None = None
        self.setWindowTitle(_("Sign in — DermStation"))
        self.setMinimumWidth(380)

        title = set_role(QLabel(clinic_name or _("DermStation")), "title")
        title.setWordWrap(True)
        subtitle = set_role(QLabel(_("Sign in to continue.")), "subtitle")

        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = _password_field()
        self.password.setObjectName("password")
        self.error = QLabel()
        self.errors = FormErrors(self.error)

        form = QFormLayout()
        form.setVerticalSpacing(8)
        form.addRow(_("User name"), self.username)
        form.addRow(_("Password"), self.password)

        buttons = QDialogButtonBox()
        self.sign_in_button = QPushButton(_("Sign in"))
        self.sign_in_button.setDefault(True)
        buttons.addButton(self.sign_in_button, QDialogButtonBox.ButtonRole.AcceptRole)
        quit_button = buttons.addButton(_("Quit"), QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.setAutoDefault(False)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.error)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.username.setFocus(Qt.FocusReason.OtherFocusReason)
        # after too many failures the button rests until the service would listen again
        self._blocked_timer = QTimer(self)
        self._blocked_timer.setSingleShot(True)
        self._blocked_timer.timeout.connect(lambda: self.sign_in_button.setEnabled(True))
        self.username.textEdited.connect(self._name_changed)

    def _submit(self) -> None:
        if not self.sign_in_button.isEnabled():
            return
        self._ops.spawn(self._sign_in(), parent=self)

    async def _sign_in(self) -> None:
        self.errors.clear()
        self.sign_in_button.setEnabled(False)
        try:
            user = await self._ops.db(self._auth.sign_in, self.username.text().strip(), self.password.text())
        except (AuthenticationFailed, ValidationError) as exc:
            self.errors.show(exc)
            self.password.clear()
            self.password.setFocus()
            if isinstance(exc, SignInBlocked):
                self._blocked_timer.start(exc.retry_after_s * 1000)
            return
        finally:
            self.sign_in_button.setEnabled(not self._blocked_timer.isActive())
        self.user = user
        self.signed_in.emit(user)
        self.accept()

    def _name_changed(self, _text: str) -> None:
        # another name may not be blocked; the service says so if this workstation is
        if self._blocked_timer.isActive():
            self._blocked_timer.stop()
            self.sign_in_button.setEnabled(True)

    def error_text(self) -> str:
        return self.errors.general_message()
