"""The one place where errors reach the user.

Known errors (``DermStationError``) are shown plainly with their ``message``; anything else is a
bug, shown as "Something went wrong" with the traceback behind a "Show Details" button so it can
be copied into a support request. ``Cancelled`` is the user's own choice and shows nothing. Every
presented error is logged.
"""

from __future__ import annotations

import asyncio
import logging
import traceback

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from dermstation.core.errors import Cancelled, DermStationError
from dermstation.core.i18n import _

log = logging.getLogger(__name__)


def is_silent(exc: BaseException) -> bool:
    """True for exceptions the user caused on purpose (cancel), which are never shown."""
    return isinstance(exc, Cancelled | asyncio.CancelledError)


def error_details(exc: BaseException) -> str:
    """The text behind "Show Details": the error's own details and the traceback."""
    lines = []
    if isinstance(exc, DermStationError) and exc.details:
        lines.append(exc.details)
    lines.append("".join(traceback.format_exception(exc)).rstrip())
    return "\n\n".join(lines)


class ErrorPresenter(QObject):
    """Shows errors as message boxes; ``presented`` fires with each error shown (tests wait on it)."""

    presented = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._boxes: list[QMessageBox] = []

    def present(self, exc: BaseException, parent: QWidget | None = None) -> None:
        """Log ``exc`` and show it, unless it is a cancellation."""
        if is_silent(exc):
            log.debug("cancelled: %r", exc)
            return
        if isinstance(exc, DermStationError):
            log.warning("%s: %s", type(exc).__name__, exc, exc_info=exc)
            box = self._box(parent, QMessageBox.Icon.Warning, exc.message, "")
            if exc.details:
                box.setDetailedText(exc.details)
        else:
            log.error("unexpected error", exc_info=exc)
            box = self._box(
                parent,
                QMessageBox.Icon.Critical,
                _("Something went wrong."),
                _("The problem has been written to the log. Use “Copy details” to send it to your "
                  "support contact."),
            )
            details = error_details(exc)
            box.setDetailedText(details)
            copy = box.addButton(_("Copy details"), QMessageBox.ButtonRole.ActionRole)
            # An action button would close the box; keep it open after copying.
            copy.clicked.disconnect()
            copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
        box.open()
        self.presented.emit(exc)

    def _box(self, parent: QWidget | None, icon: QMessageBox.Icon, text: str, info: str) -> QMessageBox:
        parent = parent or QApplication.activeWindow()
        box = QMessageBox(icon, _("DermStation"), text, QMessageBox.StandardButton.Ok, parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if info:
            box.setInformativeText(info)
        box.setWindowModality(Qt.WindowModality.WindowModal if parent else Qt.WindowModality.ApplicationModal)
        # Strong reference until closed: an unparented box would otherwise be collected at once.
        self._boxes.append(box)
        box.finished.connect(lambda _result, b=box: self._boxes.remove(b) if b in self._boxes else None)
        return box

    def open_boxes(self) -> list[QMessageBox]:
        return list(self._boxes)
