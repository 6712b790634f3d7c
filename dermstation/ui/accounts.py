"""User accounts: the administrator's table and dialogs, and changing one's own password."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.domain import Role
from dermstation.core.errors import AuthenticationFailed, DuplicateRecord, ValidationError
from dermstation.core.i18n import _, format_day, format_moment
from dermstation.ui.forms import FormErrors
from dermstation.ui.navigation import role_label, roles_label
from dermstation.ui.operations import Operations
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.auth import AuthService, SignInLock
    from dermstation.services.types import CurrentUser, UserInfo
    from dermstation.services.users import UserService

Index = QModelIndex | QPersistentModelIndex


class UserTableModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[UserInfo] = []

    def set_users(self, users: Sequence[UserInfo]) -> None:
        self.beginResetModel()
        self._rows = list(users)
        self.endResetModel()

    def user(self, row: int) -> UserInfo:
        return self._rows[row]

    def row_of(self, user_id: int) -> int:
        return next((i for i, u in enumerate(self._rows) if u.id == user_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 5

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (_("User name"), _("Full name"), _("Roles"), _("Status"), _("Created"))[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        user = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                user.username,
                user.full_name,
                roles_label(user.roles),
                _status(user),
                format_day(user.created_at.date()),
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
            return user.full_name
        if role == Qt.ItemDataRole.ForegroundRole and user.disabled:
            return Qt.GlobalColor.gray
        return None


def _status(user: UserInfo) -> str:
    if user.disabled:
        return _("Disabled")
    if user.locked_until is not None:
        return _("Sign-in locked until {time}").format(time=format_moment(user.locked_until))
    return _("Active")


ROLE_ORDER = (Role.DERMATOLOGIST, Role.RECEPTIONIST, Role.ADMIN)


class RoleChoice(QWidget):
    """One check box per role: a person may hold several (e.g. dermatologist and administrator)."""

    def __init__(self, chosen: frozenset[Role] = frozenset(), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.boxes: dict[Role, QCheckBox] = {}
        hints = {Role.ADMIN: _("accounts and clinic settings; no patient records on its own")}
        for role in ROLE_ORDER:
            text = role_label(role) + (f" — {hints[role]}" if role in hints else "")
            box = QCheckBox(text)
            box.setObjectName(f"role-{role.value}")
            box.setChecked(role in chosen)
            self.boxes[role] = box
            layout.addWidget(box)

    def roles(self) -> frozenset[Role]:
        return frozenset(role for role, box in self.boxes.items() if box.isChecked())


def _password() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class _FormDialog(QDialog):
    """A titled form with inline errors and one primary button that runs ``_save``."""

    def __init__(self, title: str, action: str, ops: Operations, parent: QWidget | None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        general = QLabel()
        self.errors = FormErrors(general)
        self.form = QFormLayout()
        self.form.setVerticalSpacing(8)
        buttons = QDialogButtonBox()
        self.save_button = QPushButton(action)
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.setSpacing(10)
        layout.addWidget(set_role(QLabel(title), "title"))
        layout.addWidget(general)
        layout.addLayout(self.form)
        layout.addWidget(buttons)

    def _submit(self) -> None:
        if self.save_button.isEnabled():
            self._ops.spawn(self._guarded(), parent=self)

    async def _guarded(self) -> None:
        self.errors.clear()
        self.save_button.setEnabled(False)
        try:
            await self._save()
        except (ValidationError, AuthenticationFailed, DuplicateRecord) as exc:
            self._show_error(exc)
            return
        finally:
            self.save_button.setEnabled(True)
        self.accept()

    def _show_error(self, exc: ValidationError | AuthenticationFailed | DuplicateRecord) -> None:
        self.errors.show(exc)

    async def _save(self) -> None:
        raise NotImplementedError

    def _check_repeat(self, first: QLineEdit, second: QLineEdit) -> None:
        if first.text() != second.text():
            raise ValidationError(_("The two passwords differ."), field="confirm")


class NewUserDialog(_FormDialog):
    created = Signal(object)  # UserInfo

    def __init__(self, users: UserService, actor: CurrentUser, ops: Operations, parent: QWidget | None = None):
        super().__init__(_("New user"), _("Create user"), ops, parent)
        self._users = users
        self._actor = actor
        self.username = QLineEdit()
        self.full_name = QLineEdit()
        self.roles = RoleChoice(frozenset({Role.DERMATOLOGIST}))
        self.password = _password()
        self.confirm = _password()
        self.form.addRow(_("User name"), self.errors.field("username", self.username))
        self.form.addRow(_("Full name"), self.errors.field("full_name", self.full_name))
        self.form.addRow(_("Roles"), self.errors.field("roles", self.roles))
        self.form.addRow(_("Initial password"), self.errors.field("password", self.password))
        self.form.addRow(_("Repeat password"), self.errors.field("confirm", self.confirm))
        self.username.setFocus()

    def _show_error(self, exc: ValidationError | AuthenticationFailed | DuplicateRecord) -> None:
        self.errors.show(exc, "username" if isinstance(exc, DuplicateRecord) else "")

    async def _save(self) -> None:
        self._check_repeat(self.password, self.confirm)
        user = await self._ops.db(
            self._users.create_user, self._actor, self.username.text(), self.full_name.text(),
            self.roles.roles(), self.password.text(),
        )
        self.created.emit(user)


class RolesDialog(_FormDialog):
    """Change the roles one account holds."""

    changed = Signal(object)  # UserInfo

    def __init__(
        self, users: UserService, actor: CurrentUser, ops: Operations, target: UserInfo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(_("Roles of {name}").format(name=target.full_name or target.username), _("Save roles"),
                         ops, parent)
        self._users = users
        self._actor = actor
        self._target = target
        self.roles = RoleChoice(target.roles)
        self.form.addRow(_("Roles"), self.errors.field("roles", self.roles))

    def _show_error(self, exc: ValidationError | AuthenticationFailed | DuplicateRecord) -> None:
        self.errors.show(exc, "roles")

    async def _save(self) -> None:
        info = await self._ops.db(self._users.set_roles, self._actor, self._target.id, self.roles.roles())
        self.changed.emit(info)


class ResetPasswordDialog(_FormDialog):
    def __init__(
        self, users: UserService, actor: CurrentUser, ops: Operations, target: UserInfo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(_("Reset password"), _("Reset password"), ops, parent)
        self._users = users
        self._actor = actor
        self._target = target
        note = QLabel(_("Set a new password for {name}. Give it to them in person; they can change it "
                        "in Settings.").format(name=target.full_name or target.username))
        note.setWordWrap(True)
        self.form.addRow(note)
        self.password = _password()
        self.confirm = _password()
        self.form.addRow(_("New password"), self.errors.field("password", self.password))
        self.form.addRow(_("Repeat password"), self.errors.field("confirm", self.confirm))
        self.password.setFocus()

    async def _save(self) -> None:
        self._check_repeat(self.password, self.confirm)
        await self._ops.db(self._users.reset_password, self._actor, self._target.id, self.password.text())


class ChangePasswordDialog(_FormDialog):
    def __init__(self, auth: AuthService, user: CurrentUser, ops: Operations, parent: QWidget | None = None):
        super().__init__(_("Change your password"), _("Change password"), ops, parent)
        self._auth = auth
        self._user = user
        self.current = _password()
        self.password = _password()
        self.confirm = _password()
        self.form.addRow(_("Current password"), self.errors.field("current", self.current))
        self.form.addRow(_("New password"), self.errors.field("password", self.password))
        self.form.addRow(_("Repeat password"), self.errors.field("confirm", self.confirm))
        self.current.setFocus()

    def _show_error(self, exc: ValidationError | AuthenticationFailed | DuplicateRecord) -> None:
        self.errors.show(exc, "current" if isinstance(exc, AuthenticationFailed) else "")

    async def _save(self) -> None:
        self._check_repeat(self.password, self.confirm)
        await self._ops.db(self._auth.change_password, self._user, self.current.text(), self.password.text())



class SignInLocks(QWidget):
    """Account names and workstations whose sign-in is delayed or locked, each with "Unlock"."""

    unlocked = Signal()

    def __init__(self, auth: AuthService, actor: CurrentUser, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self._auth = auth
        self._actor = actor
        self._ops = ops
        self.list = QListWidget()
        self.list.setObjectName("sign-in-locks")
        self.list.setMaximumHeight(90)
        self.unlock_button = QPushButton(_("Unlock"))
        self.unlock_button.clicked.connect(lambda: self._ops.spawn(self.unlock_selected(), parent=self))
        self.list.currentRowChanged.connect(lambda row: self.unlock_button.setEnabled(row >= 0))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(set_role(QLabel(_("Locked sign-ins (too many wrong passwords)")), "subtitle"))
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addWidget(self.unlock_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        self._locks: list[SignInLock] = []
        self.setVisible(False)

    async def load(self) -> None:
        self._locks = await self._ops.db(self._auth.locks, self._actor)
        self.list.clear()
        for lock in self._locks:
            kind = _("Account") if lock.scope == "account" else _("Workstation")
            until = format_moment(lock.blocked_until)
            state = _("locked until {time}") if lock.locked else _("delayed until {time}")
            self.list.addItem(f"{kind} {lock.subject}: {state.format(time=until)}")
        self.unlock_button.setEnabled(False)
        self.setVisible(bool(self._locks))

    async def unlock_selected(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self._locks):
            return
        lock = self._locks[row]
        await self._ops.db(self._auth.unlock, self._actor, lock.scope, lock.subject)
        await self.load()
        self.unlocked.emit()
