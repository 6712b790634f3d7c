"""Validation messages shown next to the field they are about."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.errors import DermStationError, ValidationError
from dermstation.core.i18n import _
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


def form_state(root: QWidget) -> tuple[object, ...]:
    """What the user can have typed or chosen in ``root``'s inputs, in widget-tree order."""
    values: list[object] = []
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QLineEdit) and not isinstance(widget.parent(), (QAbstractSpinBox, QComboBox)):
            values.append(widget.text())
        elif isinstance(widget, (QPlainTextEdit, QTextEdit)):
            values.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            values.append(widget.currentText() if widget.isEditable() else widget.currentIndex())
        elif isinstance(widget, QAbstractSpinBox):
            values.append(widget.text())
        elif isinstance(widget, QAbstractButton) and widget.isCheckable():
            values.append(widget.isChecked())
    return tuple(values)


class GuardedDialog(QDialog):
    """A form dialog that never drops typed data without asking.

    Cancel, Esc and the window's close button ask first when any input differs from what the
    dialog showed after :meth:`mark_clean`. While a save runs, :attr:`saving` is set instead of
    disabling the primary button: a disabled default button hands Enter to Cancel.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clean_state: tuple[object, ...] = ()
        self.saving = False
        self.discard_prompt: QMessageBox | None = None

    def mark_clean(self) -> None:
        """Take the current inputs as the state that needs no confirmation to leave."""
        self._clean_state = form_state(self)

    def has_unsaved_input(self) -> bool:
        return form_state(self) != self._clean_state

    def reject(self) -> None:
        if self.saving or self.discard_prompt is not None:
            return
        if not self.has_unsaved_input():
            super().reject()
            return
        box = QMessageBox(QMessageBox.Icon.Warning, _("Discard changes?"),
                          _("What you typed in this form has not been saved."), parent=self)
        box.setInformativeText(_("Discard it and close the form?"))
        discard = box.addButton(_("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(_("Keep editing"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)  # Enter or Esc on the question keeps the data
        box.setEscapeButton(keep)
        self.discard_prompt = box

        def answered(_code: int) -> None:
            self.discard_prompt = None
            if box.clickedButton() is discard:
                QDialog.reject(self)

        box.finished.connect(answered)
        box.open()
