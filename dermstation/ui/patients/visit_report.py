"""The chart's "Visit report…": choose a clinic day with pictures, then preview the report to print or save.

The rows and stored pictures are read on the database thread (``ReportService.visit_report_data``), the
pictures decoded and the PDF drawn on the worker pool (``render_visit_report_file``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from dermstation.core.i18n import _, current_language, format_day
from dermstation.services.reports import render_visit_report_file
from dermstation.ui.report_preview import ReportPreviewDialog

if TYPE_CHECKING:
    from dermstation.services.reports import ReportService
    from dermstation.services.types import CurrentUser
    from dermstation.ui.operations import Operations


class VisitDateDialog(QDialog):
    """Pick the visit: the days on which this patient's lesions were photographed, latest first."""

    def __init__(self, dates: tuple[date, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Visit report"))
        self.dates = dates
        self.combo = QComboBox()
        self.combo.setObjectName("visitDate")
        for day in dates:
            self.combo.addItem(format_day(day), day)
        label = QLabel(_("Visit (a day on which pictures were taken):") if dates
                       else _("No pictures have been taken of this patient's lesions yet."))
        label.setWordWrap(True)
        label.setBuddy(self.combo)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.show_button = self.buttons.addButton(_("Show report"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.show_button.setDefault(True)
        self.show_button.setEnabled(bool(dates))
        self.combo.setVisible(bool(dates))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.combo)
        layout.addWidget(self.buttons)

    def chosen(self) -> date | None:
        value = self.combo.currentData()
        return value if isinstance(value, date) else None


class VisitReportLauncher(QObject):
    """Runs "Visit report…" for a patient: the date chooser, then the preview."""

    chooser_opened = Signal(object)  # VisitDateDialog
    report_opened = Signal(object)  # ReportPreviewDialog

    def __init__(self, reports: ReportService, user: CurrentUser, ops: Operations, parent: QWidget) -> None:
        super().__init__(parent)
        self._reports = reports
        self._user = user
        self._ops = ops
        self._parent = parent

    def start(self, patient_id: int) -> None:
        self._ops.spawn(self._choose(patient_id), key=f"visit-report-{id(self)}", parent=self._parent)

    async def _choose(self, patient_id: int) -> None:
        dates = await self._ops.db(self._reports.visit_dates, self._user, patient_id)
        dialog = VisitDateDialog(dates, self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def accepted() -> None:
            day = dialog.chosen()
            if day is not None:
                self._ops.spawn(self.show_report(patient_id, day), parent=self._parent)

        dialog.accepted.connect(accepted)
        dialog.open()
        self.chooser_opened.emit(dialog)

    async def show_report(self, patient_id: int, day: date) -> ReportPreviewDialog:
        inputs = await self._ops.db(self._reports.visit_report_data, self._user, patient_id, day,
                                    language=current_language())
        report = await self._ops.work(render_visit_report_file, inputs)
        dialog = ReportPreviewDialog(report, _("Visit report"), self._ops, self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.report_opened.emit(dialog)
        return dialog
