"""The referral flow ends in the letter preview: signed diagnosis and plan, the ticked pictures, chosen notes."""

from __future__ import annotations

import io
import os
import unicodedata
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from dermstation.core.assessments import Plan, PlanKind
from dermstation.core.domain import CaptureSource, ReferralUrgency, Sex
from dermstation.records.models import AnalysisRecord
from dermstation.services.assessments import AssessmentService
from dermstation.services.container import Services
from dermstation.services.reception import ReceptionServices
from dermstation.services.types import CurrentUser, PatientInput
from dermstation.ui.hospitals.page import HospitalsPage

pytestmark = pytest.mark.clinical_safety

SHOTS = Path(os.environ["DERMSTATION_SCREENSHOTS"]) if os.environ.get("DERMSTATION_SCREENSHOTS") else None
NOTES = "Asymmetric, three colours, grew 1 mm since March."


@pytest.fixture
def reception(services: Services, admin: CurrentUser) -> ReceptionServices:
    built = services.reception
    built.hospitals.load_sample_directory_if_empty(admin)
    return built


@pytest.fixture
def signed_analysis(services: Services, dermatologist: CurrentUser, reception: ReceptionServices,
                    test_data: Path) -> int:
    patient = services.patients.create(dermatologist, PatientInput("MRN-9", "Anna", "Müller", date(1980, 1, 1),
                                                                   Sex.FEMALE))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left shoulder", "L1")
    image = cv2.imread(str(test_data / "ph2" / "images" / "IMD006.jpg"))
    capture = services.captures.add_capture(dermatologist, lesion.id, cv2.imencode(".png", image)[1].tobytes(),
                                            CaptureSource.FILE, image.shape[1], image.shape[0], "IMD006.png", 0.02)
    with services.database.session() as session:
        row = AnalysisRecord(capture_id=capture.id, model_name="ham10000-effnet-b0", model_version="1.3.0",
                             threshold=0.28, probabilities={"nv": 0.8, "mel": 0.2},
                             prediction="nv", malignancy_score=0.21)
        session.add(row)
        session.flush()
        analysis_id = row.id
    hospital = next(h for h in reception.hospitals.list(dermatologist) if h.accepts_referrals)
    AssessmentService(services.database, services.audit).sign(
        dermatologist, analysis_id, "mel.ssm",
        Plan(PlanKind.REFERRAL, urgency=ReferralUrgency.URGENT, hospital_id=hospital.id), NOTES)
    return analysis_id


def _inked(dialog) -> bool:  # noqa: ANN001 - a ReportPreviewDialog
    image = dialog.view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).reshape(image.height(), -1)
    return int((rows[:, :image.width()] < 128).sum()) > 500


def _text(pdf: bytes) -> str:
    """The letter's text layer, NFKC-normalised (the "fi" ligature reads as two letters)."""
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_creating_a_referral_opens_its_letter(qtbot, ops, services: Services, reception: ReceptionServices,
                                              dermatologist: CurrentUser, signed_analysis: int,
                                              tmp_path: Path) -> None:
    page = HospitalsPage(reception.hospitals, reception.referrals, services.patients, dermatologist, ops,
                         reports=services.reports)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    page.table.selectRow(0)
    dialog = page.refer()
    with qtbot.waitSignal(dialog.analyses_shown, timeout=5000):
        dialog.picker.search.setText("müller")
        dialog.picker.search_now()
    item = dialog.analyses.item(0)
    assert "Superficial spreading melanoma" in item.text() and "nv" not in item.text().split("·")[2]
    item.setCheckState(Qt.CheckState.Checked)  # the picture goes in
    dialog.include_notes.setChecked(True)
    dialog.urgency.setCurrentIndex(dialog.urgency.findData(ReferralUrgency.URGENT))
    dialog.reason.setPlainText("Suspected melanoma, left shoulder: please assess for wide excision.")
    with qtbot.waitSignal(dialog.letter_opened, timeout=30000) as opened:
        dialog.save_button.click()
    letter = opened.args[0]
    assert letter.windowTitle() == "Referral letter" and letter.page_count() >= 1
    text = _text(letter.report.pdf)
    for expected in ("Müller, Anna", "MRN-9", "Urgency: Urgent", "Clinical diagnosis: Superficial spreading melanoma",
                     "SNOMED CT", "Plan: Urgent referral", "Signed by Dr Derma", f"Clinician's notes: {NOTES}",
                     "AI score (decision support)", "please assess for wide excision"):
        assert expected in text, expected
    assert "Melanocytic" not in text and "most likely class" not in text
    reader = PdfReader(io.BytesIO(letter.report.pdf))
    assert sum(len(page.images) for page in reader.pages) >= 1  # the picture the clinician ticked
    if SHOTS is not None:
        qtbot.waitUntil(lambda: _inked(letter), timeout=10000)  # QPdfView draws in the background
        SHOTS.mkdir(parents=True, exist_ok=True)
        letter.grab().save(str(SHOTS / "referral_letter_preview.png"))
    with qtbot.waitSignal(letter.saved, timeout=10000):
        letter.save_to(tmp_path / letter.report.suggested_name)
    assert (tmp_path / letter.report.suggested_name).read_bytes() == letter.report.pdf
    letter.close()

    # later, from the patient's referrals: the letter again, without the notes this time
    panel = page.referrals_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=5000)
    panel.table.selectRow(0)
    assert panel.letter_button.isEnabled()
    with qtbot.waitSignal(panel.letter_opened, timeout=30000) as again:
        panel.letter_button.click()
    assert NOTES not in _text(again.args[0].report.pdf)
    again.args[0].close()


def test_the_front_desk_gets_no_letter_button(qtbot, ops, services: Services, reception: ReceptionServices,
                                              receptionist: CurrentUser) -> None:
    page = HospitalsPage(reception.hospitals, reception.referrals, services.patients, receptionist, ops,
                         reports=services.reports)
    qtbot.addWidget(page)
    assert page.referrals_panel.letter_button.parent() is None or not page.referrals_panel.letter_button.isVisibleTo(
        page)
