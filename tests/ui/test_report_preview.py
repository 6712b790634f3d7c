"""The report preview dialog: pages shown, saved atomically to a chosen path, printed page by page."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader
from PySide6.QtGui import QImage
from PySide6.QtPrintSupport import QPrinter

from dermstation.core.assessments import Plan, PlanKind
from dermstation.core.domain import CaptureSource
from dermstation.records.models import AnalysisRecord
from dermstation.services.assessments import AssessmentService
from dermstation.services.types import PatientInput
from dermstation.ui.report_preview import ReportPreviewDialog, pdf_preview_available

SHOTS = Path(os.environ["DERMSTATION_SCREENSHOTS"]) if os.environ.get("DERMSTATION_SCREENSHOTS") else None


def pages_drawn(dialog: ReportPreviewDialog) -> bool:
    """True once QPdfView's background renderer has drawn some ink (for screenshots)."""
    image = dialog.view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(image.height(), -1)
    return int((rows[:, :image.width()] < 128).sum()) > 500  # rows are padded: only real pixels count


def save_shot(qtbot, dialog: ReportPreviewDialog, name: str) -> None:
    if SHOTS is None:
        return
    qtbot.waitUntil(lambda: pages_drawn(dialog), timeout=10000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SHOTS / name))


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(str(path)).pages).split())


@pytest.fixture
def summary(services, dermatologist):
    """The patient summary of a signed analysis, through the real services."""
    patient = services.patients.create(dermatologist, PatientInput("MRN-31", "Ana", "Silva", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "back", "B1")
    capture = services.captures.add_capture(dermatologist, lesion.id, b"\x89PNG" + bytes(200), CaptureSource.FILE,
                                            8, 8)
    with services.database.session() as session:
        row = AnalysisRecord(capture_id=capture.id, model_name="m", model_version="1", probabilities={"nv": 0.9},
                             prediction="nv", malignancy_score=0.1)
        session.add(row)
        session.flush()
        analysis_id = row.id
    AssessmentService(services.database, services.audit).sign(dermatologist, analysis_id, "nv.compound",
                                                              Plan(PlanKind.MONITOR, follow_up_months=6))
    return services.reports.patient_summary(dermatologist, analysis_id, language="en")


def _dialog(qtbot, report, ops) -> ReportPreviewDialog:
    dialog = ReportPreviewDialog(report, "Patient summary", ops)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_preview_shows_pages_and_saves_to_a_path(qtbot, ops, summary, tmp_path: Path) -> None:
    assert pdf_preview_available()
    dialog = _dialog(qtbot, summary, ops)
    assert dialog.page_count() >= 1 and dialog.print_button.isEnabled()
    assert "page" in dialog.pages_label.text()
    save_shot(qtbot, dialog, "report_preview_summary.png")
    target = tmp_path / summary.suggested_name
    with qtbot.waitSignal(dialog.saved, timeout=10000) as saved:
        dialog.save_to(target)
    assert saved.args[0] == str(target) and target.read_bytes() == summary.pdf
    assert "MRN-31" in pdf_text(target)
    assert "Saved to" in dialog.message.text()
    assert not list(tmp_path.glob(".report-*"))  # no temporary file left behind


def test_save_failure_reaches_the_presenter(qtbot, ops, presenter, summary, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, summary, ops)
    with qtbot.waitSignal(presenter.presented, timeout=10000) as presented:
        dialog.save_to(tmp_path / "missing-folder" / "report.pdf")
    message = presented.args[0].message
    assert "report.pdf" in message and "cannot be written" in message  # names the file and the problem
    for box in presenter.open_boxes():
        box.close()


def test_print_draws_every_page(qtbot, ops, summary, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, summary, ops)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setResolution(150)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    with qtbot.waitSignal(dialog.printed, timeout=10000) as printed:
        assert dialog.print_to(printer) == dialog.page_count()
    assert printed.args[0] == dialog.page_count()
    assert len(PdfReader(io.BytesIO(out.read_bytes())).pages) == dialog.page_count()


def test_the_preview_fits_the_screen_with_its_buttons(qtbot, ops, summary) -> None:
    dialog = _dialog(qtbot, summary, ops)
    free = dialog.screen().availableGeometry()
    assert dialog.height() <= free.height() and dialog.width() <= free.width()
    for button in (dialog.print_button, dialog.save_button, dialog.close_button):
        corner = button.mapTo(dialog, button.rect().bottomRight())
        assert dialog.rect().contains(corner)  # never below the bottom of the window
