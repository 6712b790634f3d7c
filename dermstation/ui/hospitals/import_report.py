"""What a CSV import did: how many rows were added or updated, and each rejected row's problem."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.i18n import _, ngettext
from dermstation.services.reception_types import ImportReport
from dermstation.ui.theme import set_role


def import_summary(report: ImportReport) -> str:
    parts = [
        ngettext("{n} hospital added", "{n} hospitals added", report.added).format(n=report.added),
        ngettext("{n} updated", "{n} updated", report.updated).format(n=report.updated),
    ]
    if report.errors:
        parts.append(
            ngettext("{n} row skipped", "{n} rows skipped", report.rejected_rows).format(n=report.rejected_rows)
        )
    return ", ".join(parts) + "."


class ImportReportDialog(QDialog):
    def __init__(self, report: ImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("CSV import"))
        self.setMinimumSize(560, 320 if report.errors else 160)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.addWidget(set_role(QLabel(_("CSV import")), "title"))
        self.summary = QLabel(import_summary(report))
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableWidget(len(report.errors), 3)
        self.table.setObjectName("importErrors")
        self.table.setHorizontalHeaderLabels([_("Row"), _("Column"), _("Problem")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for row, error in enumerate(report.errors):
            for column, text in enumerate((str(error.row), error.field or "—", error.message)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        if report.errors:
            note = set_role(
                QLabel(_("The other rows were saved. Correct these rows in the file and import it again: "
                         "rows already imported are updated, not duplicated.")),
                "subtitle",
            )
            note.setWordWrap(True)
            layout.addWidget(note)
            layout.addWidget(self.table, 1)
        else:
            self.table.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
