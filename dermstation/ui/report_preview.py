"""Preview a rendered PDF report, then print it or save it.

The dialog holds the report's bytes (a :class:`~dermstation.services.reports.ReportFile`); it shows the
pages with Qt's own PDF module when it is installed, and otherwise says so and still offers Save.
Saving goes through :meth:`ReportPreviewDialog.save_to` (the button asks for a path first), an atomic
write on the worker pool; tests call ``save_to`` directly, without a native file dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMargins, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.errors import DermStationError
from dermstation.core.i18n import _, ngettext
from dermstation.services.reports import write_pdf
from dermstation.ui.theme import set_role

try:  # QtPdf is an optional Qt module (missing from some distribution builds)
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPdfWidgets import QPdfView
except ImportError:  # pragma: no cover - depends on the Qt build
    QPdfDocument = None  # type: ignore[assignment,misc]
    QPdfView = None  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

    from dermstation.services.reports import ReportFile
    from dermstation.ui.operations import Operations

PRINT_DPI = 300
"""Pages are rasterised for the printer at no more than this (reports are text and photos)."""


class ReportSaveError(DermStationError):
    """The report could not be written where the user asked."""


def _write(path: Path, pdf: bytes) -> Path:
    try:
        write_pdf(path, pdf)
    except OSError as exc:
        raise ReportSaveError(_("The report could not be saved to {file}.").format(file=str(path)),
                              details=str(exc)) from exc
    return path


def pdf_preview_available() -> bool:
    return QPdfDocument is not None and QPdfView is not None


def fitting_size(widget: QWidget, width: int, height: int) -> QSize:
    """``width`` x ``height``, shrunk to the screen the widget opens on (a 1366x768 laptop keeps its buttons)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(width, height)
    free = screen.availableGeometry()
    return QSize(min(width, free.width() - 40), min(height, free.height() - 80))


class ReportPreviewDialog(QDialog):
    """Shows a report's pages with Print…, Save as PDF… and Close."""

    #: The report was written (the path, as str).
    saved = Signal(str)
    #: The report was sent to a printer (the number of pages).
    printed = Signal(int)

    def __init__(self, report: ReportFile, title: str, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self._ops = ops
        self.setWindowTitle(title)
        self.document = None
        self.view = None
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()

        layout = QVBoxLayout(self)
        if pdf_preview_available():
            self._buffer = QBuffer(self)
            self._buffer.setData(QByteArray(report.pdf))
            self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            self.document = QPdfDocument(self)
            self.document.load(self._buffer)
            self.view = QPdfView(self)
            self.view.setDocument(self.document)
            self.view.setPageMode(QPdfView.PageMode.MultiPage)
            self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
            self.view.setPageSpacing(12)
            self.view.setDocumentMargins(QMargins(12, 12, 12, 12))
            palette = self.view.palette()
            palette.setColor(QPalette.ColorRole.Dark, QColor("#E4E8EB"))  # QPdfView's backdrop
            self.view.setPalette(palette)
            layout.addWidget(self.view, 1)
            if self.document.status() != QPdfDocument.Status.Ready or self.document.pageCount() < 1:
                self._say(_("The report cannot be shown here; you can still save it."))
        else:
            self._say(_("This installation cannot show PDF files (the Qt PDF module is missing). "
                        "Save the report and open it with a PDF viewer."))
            layout.addStretch(1)
        layout.addWidget(self.message)

        self.print_button = QPushButton(_("Print…"))
        self.print_button.clicked.connect(self.choose_printer)
        self.print_button.setEnabled(self.page_count() > 0)
        self.save_button = QPushButton(_("Save as PDF…"))
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.choose_file)
        self.close_button = QPushButton(_("Close"))
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        self.pages_label = set_role(QLabel(), "muted")
        if self.page_count():
            self.pages_label.setText(ngettext("{n} page", "{n} pages", self.page_count()).format(n=self.page_count()))
        buttons.addWidget(self.pages_label, 1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.resize(fitting_size(self, 760, 900))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def page_count(self) -> int:
        return self.document.pageCount() if self.document is not None else 0

    # --- saving -----------------------------------------------------------------------------------
    def choose_file(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Save report"), self.report.suggested_name, _("PDF files (*.pdf)"))
        if name:
            self.save_to(name)

    def save_to(self, path: str | Path) -> None:
        """Write the report to ``path`` (atomically, off the GUI thread); ``saved`` fires when done."""
        self._ops.spawn(self._save(Path(path)), parent=self)

    async def _save(self, path: Path) -> None:
        written = await self._ops.work(_write, path, self.report.pdf)
        self._say(_("Saved to {file}.").format(file=str(written)))
        self.saved.emit(str(written))

    # --- printing ---------------------------------------------------------------------------------
    def choose_printer(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.report.suggested_name)
        dialog = QPrintDialog(printer, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.print_to(printer))
        dialog.open()

    def print_to(self, printer: QPrinter) -> int:
        """Draw every page into ``printer``, each fitted to the printable area; returns the page count."""
        from PySide6.QtPrintSupport import QPrinter as _QPrinter

        if self.document is None or self.page_count() == 0:
            return 0
        painter = QPainter()
        if not painter.begin(printer):
            raise ReportSaveError(_("The printer could not be started."))
        try:
            area = printer.pageRect(_QPrinter.Unit.DevicePixel).toRect()
            area.moveTo(0, 0)
            dpi = min(printer.resolution(), PRINT_DPI)
            for index in range(self.page_count()):
                if index:
                    printer.newPage()
                points = self.document.pagePointSize(index)  # 1/72 inch
                image = self.document.render(index, QSize(round(points.width() * dpi / 72),
                                                          round(points.height() * dpi / 72)))
                self._draw_fitted(painter, image, area)
        finally:
            painter.end()
        self.printed.emit(self.page_count())
        return self.page_count()

    @staticmethod
    def _draw_fitted(painter: QPainter, image: QImage, area: QRect) -> None:
        size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(area.x() + (area.width() - size.width()) // 2, area.y(), size.width(), size.height())
        painter.drawImage(target, image)
