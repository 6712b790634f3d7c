"""The visit report: every lesion photographed on one clinic day, signed diagnosis and plan, never the AI's
class as a diagnosis, never a retracted picture. Built from real stored pictures on a real database."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from analysis_rows import measured
from pdf_text import norm, pdf_pages, pdf_text
from records_fixtures import *  # noqa: F403 - the services/database fixtures
from report_samples import ph2_image

from dermstation.core.assessments import Plan, PlanKind, RetractionReason
from dermstation.core.diagnoses import catalogue
from dermstation.core.domain import LESION_CLASS_NAMES, AuditAction, CaptureSource
from dermstation.core.errors import PermissionDenied
from dermstation.records.models import AnalysisRecord, AuditEvent
from dermstation.services.assessments import AssessmentService
from dermstation.services.container import Services
from dermstation.services.reports import ReportService, render_visit_report_file
from dermstation.services.types import CurrentUser, PatientInput

SCREENSHOTS = Path(os.environ.get("DERMSTATION_SCREENSHOTS", "/tmp/dermstation-screenshots"))
JAN = datetime(2026, 1, 12, 9, tzinfo=UTC)
VISIT = date(2026, 7, 13)


def _png(rgb: np.ndarray) -> bytes:
    return cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()


def _metrics(diameter: float, unit: str = "mm") -> dict[str, tuple[float, str]]:
    return {"diameter": (diameter, unit), "area": (round(diameter * diameter * 0.7, 2), "mm²" if unit == "mm" else "px²"),
            "asymmetry": (0.21, "")}


@pytest.fixture
def visit(services: Services, dermatologist: CurrentUser) -> dict[str, object]:
    services.settings_store.set_clinic_name("Riverside Dermatology Clinic")
    patient = services.patients.create(dermatologist, PatientInput("MRN-2026-31", "Aroha", "Ngata", date(1985, 2, 17)))
    signer = AssessmentService(services.database, services.audit)
    rgb, mask = ph2_image()
    mask_digest = services.image_store.put(_png(np.repeat((mask * 255).astype(np.uint8)[:, :, None], 3, 2)))

    def picture(lesion_id: int, when: datetime, prediction: str, metrics: dict[str, object]) -> tuple[int, int]:
        capture = services.captures.add_capture(dermatologist, lesion_id, _png(rgb), CaptureSource.FILE,
                                                rgb.shape[1], rgb.shape[0], "x.png", 0.02, when)
        with services.database.session() as session:
            row = AnalysisRecord(capture_id=capture.id, model_name="ham10000-effnet-b0", model_version="1.3.0",
                                 threshold=0.35, probabilities={prediction: 0.8, "bkl": 0.2},
                                 prediction=prediction, malignancy_score=0.62, mask_sha256=mask_digest,
                                 measurements=measured(metrics), quality_flags=[], provider="CPU")
            session.add(row)
            session.flush()
            return capture.id, row.id

    def lesion(site: str, label: str) -> int:
        return services.patients.add_lesion(dermatologist, patient.id, site, label).id

    forearm, back, thigh, chest, ear = (lesion("left forearm", "L1"), lesion("upper back", "B2"),
                                        lesion("right thigh", "T3"), lesion("chest", "C4"), lesion("left ear", "E5"))
    picture(forearm, JAN, "nv", _metrics(6.0))
    picture(forearm, datetime(2026, 7, 13, 8, 50, tzinfo=UTC), "nv", _metrics(7.0))  # a retake: same visit
    _c, a = picture(forearm, datetime(2026, 7, 13, 9, 5, tzinfo=UTC), "nv", _metrics(7.5))
    signer.sign(dermatologist, a, "nv.common", Plan(PlanKind.DERMOSCOPIC_FOLLOW_UP, follow_up_months=3))
    # a later picture of the forearm the same day, retracted: the report keeps the signed one
    wrong, _a = picture(forearm, datetime(2026, 7, 13, 9, 40, tzinfo=UTC), "mel", _metrics(19.0))
    signer.retract_capture(dermatologist, wrong, RetractionReason.WRONG_LESION)
    # the model says melanoma, the clinician signed a basal cell carcinoma
    _c, a = picture(back, datetime(2026, 7, 13, 9, 20, tzinfo=UTC), "mel", _metrics(900.0, "px"))
    signer.sign(dermatologist, a, "bcc.nodular", Plan(PlanKind.EXCISION))
    picture(thigh, datetime(2026, 7, 13, 9, 30, tzinfo=UTC), "akiec", _metrics(4.0))  # not signed
    retracted, _a = picture(chest, datetime(2026, 7, 13, 9, 35, tzinfo=UTC), "df", _metrics(5.0))
    signer.retract_capture(dermatologist, retracted, RetractionReason.WRONG_PATIENT)
    picture(ear, JAN, "vasc", _metrics(3.0))  # another visit
    return {"patient": patient.id}


@pytest.fixture
def reports(services: Services) -> ReportService:
    return ReportService(services.database, services.audit, services.image_store, services.settings_store)


def test_visit_report_lists_the_day_with_signed_diagnoses(services: Services, reports: ReportService,
                                                          dermatologist: CurrentUser, visit: dict[str, object]) -> None:
    patient_id = int(visit["patient"])  # type: ignore[call-overload]
    assert reports.visit_dates(dermatologist, patient_id) == (VISIT, JAN.date())
    inputs = reports.visit_report_data(dermatologist, patient_id, VISIT)
    report = render_visit_report_file(inputs)  # the worker step: decode and draw, no database
    text = pdf_text(report.pdf)
    assert report.suggested_name == "visit-report-MRN-2026-31-2026-07-13.pdf"
    for site in ("left forearm", "upper back", "right thigh"):
        assert site in text
    assert "chest" not in text  # its only picture that day was retracted
    assert "left ear" not in text  # seen at another visit
    assert norm("3 lesions seen") in text
    assert catalogue().find("nv.common").name("en") in text
    assert catalogue().find("bcc.nodular").name("en") in text
    assert "Excision" in text and "Dermoscopic follow-up in 3 months" in text
    assert "not yet signed by a clinician" in text  # the thigh
    for ai_class in ("mel", "akiec", "df", "nv"):
        assert LESION_CLASS_NAMES[ai_class] not in text, ai_class  # the model's class is never a diagnosis
    assert "AI decision support (not a diagnosis)" in text
    # forearm: 6.0 -> 7.5 mm from the stored sizes, said so; the back's pixel sizes are not compared
    assert "+25.0%" in text and "not aligned" in text
    assert "19.0" not in text  # the retracted picture's size
    assert "no size change is reported" not in text  # the back has no earlier picture: "first"
    assert norm("First analysed picture of this lesion") in text
    with services.database.session() as session:
        events = session.query(AuditEvent).filter(AuditEvent.action == AuditAction.EXPORT,
                                                  AuditEvent.record_id == patient_id).all()
        assert [e.detail for e in events] == ["visit report 2026-07-13 lesions=3"]


def test_pixel_sizes_are_not_compared(services: Services, reports: ReportService, dermatologist: CurrentUser,
                                      visit: dict[str, object]) -> None:
    patient_id = int(visit["patient"])  # type: ignore[call-overload]
    back = next(lesion for lesion in services.patients.chart(dermatologist, patient_id).lesions
                if lesion.body_site == "upper back")
    rgb, _mask = ph2_image()
    capture = services.captures.add_capture(dermatologist, back.id, _png(rgb), CaptureSource.FILE, rgb.shape[1],
                                            rgb.shape[0], "x.png", None, datetime(2026, 9, 1, 9, tzinfo=UTC))
    with services.database.session() as session:
        session.add(AnalysisRecord(capture_id=capture.id, model_name="m", model_version="1",
                                   probabilities={"nv": 1.0}, prediction="nv", malignancy_score=0.1,
                                   measurements=measured(_metrics(2700.0, "px")), quality_flags=[], provider="CPU"))
    text = pdf_text(reports.visit_report(dermatologist, patient_id, date(2026, 9, 1)).pdf)
    assert "no size change is reported" in text
    assert "+200.0%" not in text and "+800.0%" not in text  # 900 -> 2,700 px is not a change in size


def test_visit_report_is_clinical_only(reports: ReportService, receptionist: CurrentUser,
                                       visit: dict[str, object]) -> None:
    with pytest.raises(PermissionDenied):
        reports.visit_report_data(receptionist, int(visit["patient"]), VISIT)  # type: ignore[call-overload]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_visit_report_pages_render(reports: ReportService, dermatologist: CurrentUser,
                                   visit: dict[str, object]) -> None:
    pdf = reports.visit_report(dermatologist, int(visit["patient"]), VISIT).pdf  # type: ignore[call-overload]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "visit_report.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(SCREENSHOTS / "visit_report.pdf"),
                    str(SCREENSHOTS / "visit_report")], check=True, timeout=120)
    pages = sorted(SCREENSHOTS.glob("visit_report-*.png"))
    assert len(pages) == pdf_pages(pdf)


def test_visit_is_the_clinic_day_and_unanalysed_pictures_count(services: Services, reports: ReportService,
                                                              admin: CurrentUser, dermatologist: CurrentUser) -> None:
    """23:30 UTC is the next morning in Auckland; a picture not analysed yet is listed without sizes."""
    from dataclasses import replace

    services.settings_store.save(admin, replace(services.settings_store.load(), timezone="Pacific/Auckland"))
    patient = services.patients.create(dermatologist, PatientInput("MRN-NZ", "Mere", "Parata", date(1990, 5, 1)))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "right ear", "")
    rgb, _mask = ph2_image()
    services.captures.add_capture(dermatologist, lesion.id, _png(rgb), CaptureSource.FILE, rgb.shape[1],
                                  rgb.shape[0], "x.png", None, datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    assert reports.visit_dates(dermatologist, patient.id) == (date(2026, 3, 3),)
    assert reports.visit_report_data(dermatologist, patient.id, date(2026, 3, 2)).lesions == ()
    text = pdf_text(reports.visit_report(dermatologist, patient.id, date(2026, 3, 3)).pdf)
    assert "right ear" in text and "not analysed" in text and "not yet signed" in text
    assert "AI decision support" not in text.replace("The AI output in this report is decision support", "")


def test_a_long_visit_runs_over_pages_without_losing_a_lesion() -> None:
    """Eleven lesions at one visit: every one printed whole (a lesion is never split across pages)."""
    from dermstation.reports.data import (
        Assessment,
        ClinicInfo,
        MetricLine,
        PatientIdentifiers,
        VisitLesion,
        VisitReportData,
    )
    from dermstation.reports.visit_report import render_visit_report

    rgb, _mask = ph2_image()
    sites = ("scalp", "left cheek", "nose", "chest", "abdomen", "upper back", "lower back", "left forearm",
             "right thigh", "left shin", "right heel")
    lesions = tuple(VisitLesion(
        site=site, label=f"#{n}", captured_at=datetime(2026, 7, 13, 9, n, tzinfo=UTC), image_rgb=rgb,
        metrics=(MetricLine("diameter", "Diameter (max Feret)", 5.0 + n / 10, "mm", 5.0),),
        previous_visit=JAN.date(), change_basis="stored",
        assessment=Assessment("Common melanocytic naevus", "", "Dr Derma", JAN, plan="Reassure; self-examination"),
        malignancy=0.1, threshold=0.35) for n, site in enumerate(sites, 1))
    pdf = render_visit_report(VisitReportData(ClinicInfo("Riverside"), PatientIdentifiers("Ngata, Aroha", "MRN-1"),
                                              VISIT, lesions))
    text = pdf_text(pdf)
    assert pdf_pages(pdf) >= 2
    for n, site in enumerate(sites, 1):
        assert f"{n}. {site} — #{n}" in text
    assert norm("11 lesions seen") in text
    if shutil.which("pdftoppm"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "visit_report_long.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(SCREENSHOTS / "visit_report_long.pdf"),
                        str(SCREENSHOTS / "visit_report_long")], check=True, timeout=120)
