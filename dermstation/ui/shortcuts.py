"""The keyboard shortcuts, in one list: the pages bind them, Help → Keyboard shortcuts shows them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.i18n import _
from dermstation.ui.theme import set_role

SECTION_KEYS = tuple(f"Ctrl+{n}" for n in range(1, 10))
"""Ctrl+1 … Ctrl+9 open the sections in the order the navigation lists them."""
IMPORT = QKeySequence("Ctrl+O")
REPORT = QKeySequence("Ctrl+P")
RESCHEDULE = QKeySequence("Ctrl+R")
SHORTCUTS_HELP = QKeySequence("F1")


def shortcut_rows() -> list[tuple[str, str, str]]:
    """(where, keys, what) for the help table, in the user's language."""
    native = QKeySequence.SequenceFormat.NativeText

    def keys(sequence: QKeySequence | QKeySequence.StandardKey | str) -> str:
        return QKeySequence(sequence).toString(native)

    everywhere, patients, analysis, schedule = _("Everywhere"), _("Patients"), _("Analysis"), _("Schedule")
    return [
        (everywhere, f"{keys('Ctrl+1')} … {keys('Ctrl+9')}", _("Open a section (in the order of the list on the left)")),
        (everywhere, keys(SHORTCUTS_HELP), _("This list of shortcuts")),
        (everywhere, keys("Ctrl+Shift+L"), _("Sign out")),
        (everywhere, keys("Ctrl+Q"), _("Quit")),
        (everywhere, keys("Tab") + " / " + keys("Shift+Tab"), _("Next / previous field")),
        (everywhere, keys("Return"), _("The highlighted button of a dialog (save, book, sign)")),
        (everywhere, keys("Esc"), _("Close a dialog (it asks first when you typed something)")),
        (patients, keys(QKeySequence.StandardKey.Find), _("Find a patient")),
        (patients, keys(QKeySequence.StandardKey.New), _("New patient")),
        (patients, keys("Down"), _("From the search field into the results")),
        (analysis, keys(QKeySequence.StandardKey.Find), _("Find a patient")),
        (analysis, keys(IMPORT), _("Import pictures or DICOM files for the chosen lesion")),
        (analysis, keys(REPORT), _("Report of the shown analysis")),
        (analysis, keys("Space"), _("Live view: capture a picture")),
        (analysis, keys("F"), _("Live view: freeze or resume")),
        (schedule, keys(QKeySequence.StandardKey.New), _("New appointment")),
        (schedule, keys(RESCHEDULE), _("Reschedule the selected appointment")),
        (schedule, f"{keys('Ctrl+Left')} / {keys('Ctrl+Right')}", _("Previous / next day or week")),
    ]


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Keyboard shortcuts"))
        rows = shortcut_rows()
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels([_("Where"), _("Keys"), _("What")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(set_role(QLabel(_("Keyboard shortcuts")), "title"))
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(720, 560)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
