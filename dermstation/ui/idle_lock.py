"""Screen lock after a quiet spell: clinical workstations are shared.

``IdleLock`` watches keyboard and mouse input for the whole application. After ``minutes`` without
any, every open window is covered by an opaque panel (patient data disappears from view) and the
top-most window (a modal dialog if one is open, so it still gets the keys) shows a password form.
The windows underneath stay as they were, so typed work is kept. The right password of the signed-in
user (checked by ``AuthService.unlock_screen``, throttled like a sign-in) removes the covers; "Sign
out" ends the session instead. While locked, no key, click or shortcut reaches a covered window.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget
from shiboken6 import isValid

from dermstation.core.errors import AuthenticationFailed, PermissionDenied
from dermstation.core.i18n import _
from dermstation.ui.operations import Operations
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.auth import AuthService
    from dermstation.services.types import CurrentUser

_ACTIVITY = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
    QEvent.Type.TouchBegin, QEvent.Type.TabletPress,
})
# what may not reach a covered window while locked
_BLOCKED = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride, QEvent.Type.Shortcut,
    QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
    QEvent.Type.Wheel, QEvent.Type.ContextMenu, QEvent.Type.Drop, QEvent.Type.DragEnter,
})
CHECK_INTERVAL_MS = 5_000


class _Cover(QFrame):
    """An opaque panel over one window; the one over the top window holds the password form."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("screenLockCover")
        self.setAutoFillBackground(True)
        self.setStyleSheet("#screenLockCover { background: #1F2A33; }"
                           "#screenLockCover QLabel { color: #F6F8FA; }")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize and watched is self.parent():
            self.setGeometry(self.parentWidget().rect())
            self.raise_()
        return False


class LockForm(QWidget):
    """"Locked: enter your password" with the user's name, a password field and Sign out."""

    unlock_requested = Signal(str)
    sign_out_requested = Signal()

    def __init__(self, user: CurrentUser, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("screenLockForm")
        self.setMaximumWidth(420)
        title = set_role(QLabel(_("Screen locked")), "title")
        who = QLabel(_("{name} was away. Enter the password to continue where you left off.")
                     .format(name=user.full_name or user.username))
        who.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setObjectName("lockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(_("Password"))
        self.password.returnPressed.connect(lambda: self.unlock_requested.emit(self.password.text()))
        self.error = QLabel()
        self.error.setObjectName("lockError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #FFB4A9;")
        self.unlock_button = QPushButton(_("Unlock"))
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(lambda: self.unlock_requested.emit(self.password.text()))
        self.sign_out_button = QPushButton(_("Sign out (unsaved work is lost)"))
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        for widget in (title, who, self.password, self.error, self.unlock_button, self.sign_out_button):
            layout.addWidget(widget)


class IdleLock(QObject):
    """Locks the application's windows after ``minutes`` without input (0: never).

    ``parent`` is the main window: the password form appears there unless a modal dialog is open.
    """

    locked = Signal()
    unlocked = Signal()
    sign_out_requested = Signal()

    def __init__(
        self,
        auth: AuthService,
        user: CurrentUser,
        ops: Operations,
        minutes: float,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._auth = auth
        self._user = user
        self._ops = ops
        self._clock = clock
        self.minutes = minutes
        self._last_input = clock()
        self._covers: list[_Cover] = []
        self.form: LockForm | None = None
        self._focus_before: QWidget | None = None
        self._cursor_before = -1
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        QApplication.instance().installEventFilter(self)

    @property
    def is_locked(self) -> bool:
        return self.form is not None

    def set_minutes(self, minutes: float) -> None:
        self.minutes = minutes

    def stop(self) -> None:
        """Stop watching (the session ended)."""
        self._timer.stop()
        QApplication.instance().removeEventFilter(self)
        self._remove_covers()

    def check(self) -> None:
        """Lock if the quiet spell has lasted ``minutes`` (called by a timer, and by tests)."""
        if not self.is_locked and self.minutes > 0 and self._clock() - self._last_input >= self.minutes * 60:
            self.lock_now()

    def lock_now(self) -> None:
        if self.is_locked:
            return
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.isWindow()
                   and not isinstance(w, _Cover)]
        # the form goes where keys can reach it: a modal dialog if one is open, else the main window
        home = self.parent() if isinstance(self.parent(), QWidget) else None
        top = (QApplication.activeModalWidget() or (home.window() if home is not None else None)
               or QApplication.activeWindow() or (windows[0] if windows else None))
        self._focus_before = QApplication.focusWidget() or (top.focusWidget() if top is not None else None)
        self._cursor_before = self._focus_before.cursorPosition() if isinstance(self._focus_before, QLineEdit) else -1
        for window in windows:
            self._covers.append(_Cover(window))
        if top is None:
            return
        host = next((c for c in self._covers if c.parentWidget() is top), None) or _Cover(top)
        if host not in self._covers:
            self._covers.append(host)
        layout = QVBoxLayout(host)
        self.form = LockForm(self._user, host)
        layout.addWidget(self.form, 0, Qt.AlignmentFlag.AlignCenter)
        self.form.unlock_requested.connect(lambda text: self._ops.spawn(self._unlock(text), parent=self.form))
        self.form.sign_out_requested.connect(self.sign_out_requested)
        self.form.show()
        top.activateWindow()
        self.form.password.setFocus(Qt.FocusReason.OtherFocusReason)
        self.locked.emit()

    async def _unlock(self, password: str) -> None:
        form = self.form
        if form is None:
            return
        form.error.setText("")
        form.unlock_button.setEnabled(False)
        try:
            await self._ops.db(self._auth.unlock_screen, self._user, password)
        except (AuthenticationFailed, PermissionDenied) as exc:
            form.error.setText(exc.message)
            form.password.clear()
            form.password.setFocus()
            return
        finally:
            form.unlock_button.setEnabled(True)
        self._remove_covers()
        self._last_input = self._clock()
        if self._focus_before is not None and isValid(self._focus_before):
            self._focus_before.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(self._focus_before, QLineEdit) and self._cursor_before >= 0:
                self._focus_before.setCursorPosition(self._cursor_before)  # not "select all": keep typing on
        self.unlocked.emit()

    def _remove_covers(self) -> None:
        for cover in self._covers:
            if not isValid(cover):  # its window was closed and deleted meanwhile
                continue
            parent = cover.parentWidget()
            if parent is not None:
                parent.removeEventFilter(cover)
            cover.hide()
            cover.deleteLater()
        self._covers = []
        self.form = None

    def _inside_form(self, obj: QObject) -> bool:
        while obj is not None:
            if obj is self.form:
                return True
            obj = obj.parent()
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if not self.is_locked:
            if kind in _ACTIVITY:
                self._last_input = self._clock()
            return False
        if self.form is not None and not isValid(self.form):  # the window holding the form was closed
            self._remove_covers()
            self.lock_now()
        if kind in _BLOCKED and not self._inside_form(watched):
            return True  # swallowed: a covered window gets no key, click or shortcut
        if kind == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow() \
                and not any(isValid(c) and c.parentWidget() is watched for c in self._covers):
            self._covers.append(_Cover(watched))  # a window that opens while locked is covered too
        return False
