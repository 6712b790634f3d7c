"""Validation messages shown next to the field they are about."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from dermstation.core.errors import DermStationError, ValidationError
from dermstation.ui.theme import refresh_style, set_role


class FormErrors:
    """Maps field names (as in ``ValidationError.field``) to their input and error label.

    An error without a known field is shown in the form-wide label given to the constructor.
    """

    def __init__(self, general: QLabel) -> None:
        self._general = set_role(general, "inlineError")
        self._general.setWordWrap(True)
        self._general.hide()
        self._fields: dict[str, tuple[QWidget, QLabel]] = {}

    def field(self, name: str, widget: QWidget) -> QWidget:
        """Wrap ``widget`` with an (initially hidden) error line below it; add the result to the form."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        error = set_role(QLabel(), "fieldError")
        error.setObjectName(f"error_{name}")
        error.setWordWrap(True)
        error.hide()
        layout.addWidget(error)
        self._fields[name] = (widget, error)
        return box

    def clear(self) -> None:
        self._general.hide()
        self._general.clear()
        for widget, error in self._fields.values():
            error.hide()
            error.clear()
            if widget.property("invalid"):
                widget.setProperty("invalid", False)
                refresh_style(widget)

    def show(self, exc: DermStationError, field: str = "") -> None:
        """Show ``exc`` beside ``field`` (default: ``exc.field`` for a ValidationError)."""
        self.clear()
        name = field or (exc.field if isinstance(exc, ValidationError) else "")
        if name in self._fields:
            widget, error = self._fields[name]
            error.setText(exc.message)
            error.show()
            widget.setProperty("invalid", True)
            refresh_style(widget)
            widget.setFocus()
            fit_window(error)
        else:
            self._general.setText(exc.message)
            self._general.show()
            fit_window(self._general)

    def message_for(self, name: str) -> str:
        """The error currently shown for ``name`` ("" if none)."""
        entry = self._fields.get(name)
        return entry[1].text() if entry and not entry[1].isHidden() else ""

    def general_message(self) -> str:
        return "" if self._general.isHidden() else self._general.text()


def fit_window(widget: QWidget) -> None:
    """Grow ``widget``'s window to fit a message just shown in it.

    A wrapped label's height depends on its width, which Qt leaves out of a window's minimum size,
    so a top-level dialog would otherwise keep its height and squeeze the new line under a field.
    """
    window = widget.window()
    layout = window.layout()
    if layout is None or not window.isVisible():
        return
    layout.activate()
    needed = layout.totalHeightForWidth(window.width()) if layout.hasHeightForWidth() else -1
    needed = max(needed, layout.totalMinimumSize().height())
    if needed > window.height():
        window.resize(window.width(), needed)


def open_dialog(dialog: QDialog) -> QDialog:
    """Show ``dialog`` window-modally without a nested event loop; delete it once closed."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


async def dialog_finished(dialog: QDialog) -> int:
    """Show ``dialog`` and wait, without a nested event loop, until it closes; returns its result."""
    result: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    dialog.finished.connect(lambda code: result.done() or result.set_result(code))
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return await result
