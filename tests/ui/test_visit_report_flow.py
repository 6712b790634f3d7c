"""The chart's "Visit report…": choose the day, Enter, and the preview shows that visit's PDF."""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from sample_data import ph2_case

from dermstation.core.assessments import Plan, PlanKind
from dermstation.core.domain import CaptureSource
from dermstation.records.models import AnalysisRecord
from dermstation.services.assessments import AssessmentService
from dermstation.services.reports import ReportService
from dermstation.services.types import PatientInput
from dermstation.ui.patients.page import PatientsPage

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
from pdf_text import pdf_text  # noqa: E402


def pages_drawn(dialog) -> bool:  # noqa: ANN001
    """True once QPdfView's background renderer has drawn some ink (as in test_report_preview)."""
    image = dialog.view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(image.height(), -1)
    return int((rows[:, :image.width()] < 128).sum()) > 500


def test_visit_report_from_the_chart(qtbot, services, dermatologist, ops) -> None:
    patient = services.patients.create(dermatologist, PatientInput("MRN-5", "Grace", "Hopper", date(1956, 12, 9)))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "right forearm", "F1")
    rgb, _mask = ph2_case("IMD002")
    png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()
    for when in (datetime(2026, 1, 12, 9, tzinfo=UTC), datetime(2026, 7, 13, 9, tzinfo=UTC)):
        capture = services.captures.add_capture(dermatologist, lesion.id, png, CaptureSource.FILE, rgb.shape[1],
                                                rgb.shape[0], "x.png", 0.02, when)
        with services.database.session() as session:
            row = AnalysisRecord(capture_id=capture.id, model_name="m", model_version="1",
                                 probabilities={"mel": 0.9, "nv": 0.1}, prediction="mel", malignancy_score=0.9,
                                 quality_flags=[], provider="CPU")
            session.add(row)
            session.flush()
            analysis_id = row.id
    AssessmentService(services.database, services.audit).sign(dermatologist, analysis_id, "nv.common",
                                                               Plan(PlanKind.REASSURE_SELF_EXAM))
    reports = ReportService(services.database, services.audit, services.image_store, services.settings_store)
    page = PatientsPage(services.patients, dermatologist, ops, reports=reports)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    with qtbot.waitSignal(page.patient_shown, timeout=10000):
        page.open_patient(patient.id)
    assert page.panel.visit_report_button.isVisible()
    with qtbot.waitSignal(page.visit_reports.chooser_opened, timeout=10000) as chooser:
        qtbot.mouseClick(page.panel.visit_report_button, Qt.MouseButton.LeftButton)
    dialog = chooser.args[0]
    assert [dialog.combo.itemData(i) for i in range(dialog.combo.count())] == [date(2026, 7, 13), date(2026, 1, 12)]
    with qtbot.waitSignal(page.visit_reports.report_opened, timeout=30000) as opened:
        qtbot.keyClick(dialog.combo, Qt.Key.Key_Return)  # Enter shows the report of the latest visit
    preview = opened.args[0]
    text = pdf_text(preview.report.pdf)
    assert "right forearm" in text and "Common melanocytic naevus" in text
    assert "Melanoma" not in text
    assert "No measurements were stored with this analysis" in text and "not analysed" not in text
    assert preview.report.suggested_name.endswith("2026-07-13.pdf")
    preview.resize(1000, 740)
    qtbot.waitExposed(preview)
    if preview.view is not None:  # QtPdf present: the pages drawn, as a person sees them
        qtbot.waitUntil(lambda: pages_drawn(preview), timeout=15000)
        shots = Path(os.environ.get("DERMSTATION_SCREENSHOTS", "/tmp/dermstation-screenshots"))
        shots.mkdir(parents=True, exist_ok=True)
        assert preview.grab().save(str(shots / "visit_report_preview.png"))
    preview.close()


def test_no_button_without_the_report_service(qtbot, services, dermatologist, ops) -> None:
    page = PatientsPage(services.patients, dermatologist, ops)
    qtbot.addWidget(page)
    assert page.visit_reports is None
    assert page.panel.visit_report_button.isHidden()
