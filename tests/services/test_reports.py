"""ReportService: reports gathered from the records, clinical roles only, one audit event each."""

from __future__ import annotations

import dataclasses
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from analysis_rows import measured
from sqlalchemy import select

from dermstation.core.assessments import PlanKind
from dermstation.core.domain import AuditAction, CaptureSource, ReferralUrgency
from dermstation.core.errors import PermissionDenied, RecordNotFound, ValidationError
from dermstation.records.models import (
    AnalysisModel,
    AnalysisRecord,
    AuditEvent,
    ClinicianAssessment,
    Referral,
    ReferralHospital,
)
from dermstation.services import reports as services_reports
from dermstation.services.container import Services
from dermstation.services.reports import (
    ReportService,
    render_lesion_report_file,
    render_patient_summary_file,
    render_referral_letter_file,
    write_pdf,
)
from dermstation.services.types import CurrentUser, PatientInput

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
from pdf_text import norm, pdf_text  # noqa: E402
from report_samples import ph2_image  # noqa: E402

PROBS = {"akiec": 0.02, "bcc": 0.03, "bkl": 0.09, "df": 0.01, "mel": 0.42, "nv": 0.42, "vasc": 0.01}


def _png(rgb: np.ndarray) -> bytes:
    return cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()


def _metrics(area: float, diameter: float) -> dict[str, tuple[float, str]]:
    return {"area": (area, "mm²"), "diameter": (diameter, "mm"), "colour_count": (3, "count")}


@pytest.fixture
def reports(services: Services) -> ReportService:
    services.settings_store.set_clinic_name("Riverside Dermatology Clinic")
    return ReportService(services.database, services.audit, services.image_store, services.settings_store)


@pytest.fixture
def chart(services: Services, dermatologist: CurrentUser) -> dict[str, int]:
    """A patient with one lesion photographed twice, both analysed, the later one signed."""
    patient = services.patients.create(dermatologist, PatientInput("MRN-2024-7", "Aroha", "Ngata", date(1985, 2, 17)))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")
    rgb, mask = ph2_image()
    ids: dict[str, int] = {"patient": patient.id, "lesion": lesion.id}
    mask_digest = services.image_store.put(_png(np.repeat((mask * 255).astype(np.uint8)[:, :, None], 3, 2)))
    for n, (taken, area, diameter, malignancy) in enumerate(
            [(datetime(2025, 11, 3, 9, tzinfo=UTC), 30.0, 7.5, 0.30),
             (datetime(2026, 5, 14, 10, tzinfo=UTC), 36.0, 8.26, 0.47)]):
        capture = services.captures.add_capture(dermatologist, lesion.id, _png(rgb), CaptureSource.FILE,
                                                rgb.shape[1], rgb.shape[0], "x.png", 0.02, taken)
        with services.database.session() as session:
            row = AnalysisRecord(capture_id=capture.id, model_name="ham10000-effnet-b0", model_version="1.3.0",
                                 other_models=[AnalysisModel(position=0, name="ph2-unet-seg", version="1.1.0")],
                                 threshold=0.35,
                                 probabilities=PROBS, prediction="nv", malignancy_score=malignancy,
                                 mask_sha256=mask_digest, measurements=measured(_metrics(area, diameter)),
                                 quality_flags=["blurred"] if n else [], provider="CPU")
            session.add(row)
            session.flush()
            ids[f"analysis{n}"] = row.id
    with services.database.session() as session:
        session.add(ClinicianAssessment(lesion_id=lesion.id, analysis_id=ids["analysis1"], version=1,
                                        diagnosis_code="mel.suspected", plan_kind=PlanKind.EXCISION,
                                        notes="Excision biopsy booked.", signed_by_id=dermatologist.id))
        hospital = ReferralHospital(name="Addenbrooke's Hospital", city="Cambridge", country="United Kingdom")
        session.add(hospital)
        session.flush()
        referral = Referral(patient_id=patient.id, hospital_id=hospital.id, urgency=ReferralUrgency.URGENT,
                            reason="Changing pigmented lesion", created_by_id=dermatologist.id)
        session.add(referral)
        session.flush()
        referral.analyses.append(session.get(AnalysisRecord, ids["analysis1"]))
        ids["referral"] = referral.id
    return ids


def _events(services: Services, action: AuditAction) -> list[AuditEvent]:
    with services.database.session() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        session.expunge_all()
        return list(rows)


def test_lesion_report_from_stored_analysis(services: Services, reports: ReportService,
                                            dermatologist: CurrentUser, chart: dict[str, int]) -> None:
    report = reports.lesion_report(dermatologist, chart["analysis1"])
    text = pdf_text(report.pdf)
    for expected in ("Riverside Dermatology Clinic", "Ngata, Aroha", "MRN-2024-7", "left forearm",
                     "Suspected melanoma", "Excision biopsy booked.", "Dr Derma", "47.0%", "35.0%", "42.0%", "Most likely class: Melanocytic nevus (42.0%)",
                     norm("36.0 mm²"), norm("30.0 mm²"), "+20.0%", "8.3 mm", "+10.1%", "November 3, 2025",
                     "ham10000-effnet-b0 1.3.0", "ph2-unet-seg 1.1.0", "The image is blurred: refocus and take it again.",
                     "decision support"):
        assert expected in text, expected
    assert report.suggested_name == f"lesion-report-MRN-2024-7-{chart['analysis1']}.pdf"
    exports = _events(services, AuditAction.EXPORT)
    assert [(e.table_name, e.record_id) for e in exports] == [("analyses", chart["analysis1"])]
    assert "Ngata" not in exports[0].detail


def test_first_visit_has_no_change_column(reports: ReportService, dermatologist: CurrentUser,
                                          chart: dict[str, int]) -> None:
    text = pdf_text(reports.lesion_report(dermatologist, chart["analysis0"], output=AuditAction.PRINT).pdf)
    assert "Last visit" not in text and "30.0%" in text


def test_roles_and_missing_records(services: Services, reports: ReportService, receptionist: CurrentUser,
                                   admin: CurrentUser, dermatologist: CurrentUser, chart: dict[str, int]) -> None:
    with pytest.raises(PermissionDenied):
        reports.lesion_report(receptionist, chart["analysis1"])
    with pytest.raises(PermissionDenied):
        reports.patient_summary(receptionist, chart["analysis1"], language="en")
    with pytest.raises(PermissionDenied):
        reports.referral_letter(receptionist, chart["referral"])
    with pytest.raises(PermissionDenied):  # administration is not a clinical role
        reports.lesion_report(admin, chart["analysis1"])
    with pytest.raises(RecordNotFound):
        reports.lesion_report(dermatologist, 9999)
    with pytest.raises(ValidationError):
        reports.lesion_report(dermatologist, chart["analysis1"], output=AuditAction.VIEW)
    assert not _events(services, AuditAction.EXPORT)[1:]  # only the admin's report was audited


@pytest.mark.parametrize(("lang", "words"), [("en", ["Aroha Ngata", "melanoma"]), ("hi", ["मेलेनोमा"]),
                                             ("ar", ["طبيبك"])])
def test_patient_summary(services: Services, reports: ReportService, dermatologist: CurrentUser,
                         chart: dict[str, int], lang: str, words: list[str]) -> None:
    report = reports.patient_summary(dermatologist, chart["analysis1"], language=lang)
    flat = pdf_text(report.pdf).replace(" ", "")
    for word in words + ["MRN-2024-7"]:
        assert word.replace(" ", "") in flat
    assert [e.table_name for e in _events(services, AuditAction.PRINT)] == ["analyses"]


def test_patient_summary_never_uses_the_ai_alone(services: Services, reports: ReportService,
                                                 dermatologist: CurrentUser, chart: dict[str, int]) -> None:
    # the earlier analysis is not signed (its model result alone is no diagnosis): no summary, and why
    with pytest.raises(ValidationError, match="No diagnosis has been signed"):
        reports.patient_summary(dermatologist, chart["analysis0"], language="en")
    assert not _events(services, AuditAction.PRINT)


def test_referral_letter(services: Services, reports: ReportService, dermatologist: CurrentUser,
                         chart: dict[str, int]) -> None:
    text = pdf_text(reports.referral_letter(dermatologist, chart["referral"]).pdf)
    for expected in ("Addenbrooke's Hospital", "Cambridge", "Ngata, Aroha", "MRN-2024-7", "Urgency: Urgent",
                     "Changing pigmented lesion", "Clinical diagnosis: Suspected melanoma", "Plan: Excision",
                     "Signed by Dr Derma", "47.0%"):
        assert expected in text, expected
    assert "Excision biopsy booked." not in text  # notes go in only when the clinician includes them
    assert [e.table_name for e in _events(services, AuditAction.EXPORT)] == ["referrals"]
    with_notes = pdf_text(reports.referral_letter(dermatologist, chart["referral"], include_notes=True,
                                                  image_analysis_ids=()).pdf)
    assert "Clinician's notes: Excision biopsy booked." in with_notes
    with pytest.raises(ValidationError):  # only pictures attached to the referral
        reports.referral_letter(dermatologist, chart["referral"], image_analysis_ids=(chart["analysis0"],))


def test_report_for_an_unsaved_result(services: Services, reports: ReportService, dermatologist: CurrentUser,
                                      analysed: tuple[object, np.ndarray]) -> None:
    result, image = analysed
    patient = services.patients.create(dermatologist, PatientInput("MRN-L", "Lena", "Lind", date(1990, 1, 1)))
    report = reports.lesion_report_for_result(dermatologist, patient, result, image, lesion_site="chest")
    text = pdf_text(report.pdf)
    assert "Lind, Lena" in text and "MRN-L" in text and "Model attention" in text
    from dermstation.reports.layout import percent

    assert percent(result.malignancy, "en") in text
    assert all(percent(p, "en") in text for _c, p in result.probabilities)
    assert [e.table_name for e in _events(services, AuditAction.EXPORT)] == ["patients"]


@pytest.fixture(scope="module")
def analysed() -> tuple[object, np.ndarray]:
    from dermstation.inference.analyzer import Analyzer

    try:
        analyzer = Analyzer.from_models_dir()
    except Exception as exc:  # noqa: BLE001 - no models in this checkout
        pytest.skip(f"models unavailable: {exc}")
    rgb, _mask = ph2_image("IMD004")
    return analyzer.analyze(rgb, pixel_spacing_mm=0.0125), rgb


def test_write_pdf_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "r.pdf"
    write_pdf(target, b"%PDF-1.4 x")
    assert target.read_bytes() == b"%PDF-1.4 x" and [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def _arrays_in(value: object, seen: set[int] | None = None) -> list[str]:
    """The paths of every numpy array inside a (nested) dataclass / tuple / dict value."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return []
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return ["<array>"]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [f"{f.name}.{p}" for f in dataclasses.fields(value) for p in _arrays_in(getattr(value, f.name), seen)]
    if isinstance(value, tuple | list):
        return [f"[{i}].{p}" for i, v in enumerate(value) for p in _arrays_in(v, seen)]
    if isinstance(value, dict):
        return [f"{k}.{p}" for k, v in value.items() for p in _arrays_in(v, seen)]
    return []


def test_reports_decode_and_draw_only_on_the_worker(services: Services, reports: ReportService,
                                                    dermatologist: CurrentUser, chart: dict[str, int],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The *_data step (database thread) carries stored bytes, no pixels; decoding, outlining and the PDF happen
    in render_*_file on another thread, from the data alone."""
    calls: list[tuple[str, str]] = []

    def spy(name: str, real):  # noqa: ANN001, ANN202 - wraps any function
        def wrapped(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            calls.append((name, threading.current_thread().name))
            return real(*args, **kwargs)
        return wrapped

    for name in ("decode_stored", "_decode_mask", "render_overlay", "render_lesion_report", "render_patient_summary",
                 "render_referral_letter"):
        monkeypatch.setattr(services_reports, name, spy(name, getattr(services_reports, name)))
    steps = [
        (lambda: reports.lesion_report_data(dermatologist, chart["analysis1"]), render_lesion_report_file),
        (lambda: reports.patient_summary_data(dermatologist, chart["analysis1"], language="en"),
         render_patient_summary_file),
        (lambda: reports.referral_letter_data(dermatologist, chart["referral"]), render_referral_letter_file),
    ]
    with ThreadPoolExecutor(1, thread_name_prefix="db") as db, ThreadPoolExecutor(1, thread_name_prefix="worker") as work:
        inputs = [db.submit(read).result() for read, _render in steps]
        assert calls == []  # nothing decoded or drawn while reading
        for data in inputs:
            assert _arrays_in(data) == [], type(data).__name__
        with services.database.session() as session:
            capture = session.get(AnalysisRecord, chart["analysis1"]).capture  # type: ignore[union-attr]
            stored_bytes = services.image_store.read(capture.sha256)
        assert inputs[0].picture.data == stored_bytes and inputs[0].picture.mask is not None
        assert inputs[2].pictures[0] is not None and inputs[2].pictures[0].data == stored_bytes
        services.database.close()  # the render needs no database
        files = [work.submit(render, data).result() for data, (_read, render) in zip(inputs, steps, strict=True)]
    assert {name for name, _thread in calls} == {"decode_stored", "_decode_mask", "render_overlay",
                                                 "render_lesion_report", "render_patient_summary",
                                                 "render_referral_letter"}
    assert all(thread.startswith("worker") for _name, thread in calls), calls
    assert "Suspected melanoma" in pdf_text(files[0].pdf) and "MRN-2024-7" in pdf_text(files[2].pdf)
    assert files[1].suggested_name == "summary-MRN-2024-7-en.pdf"


def test_an_analysis_stored_without_threshold_gets_no_verdict(services: Services, reports: ReportService,
                                                              dermatologist: CurrentUser, chart: dict[str, int]) -> None:
    """An old analysis without its threshold: no "below the threshold" (the reader once assumed 0.5)."""
    with services.database.session() as session:
        session.get(AnalysisRecord, chart["analysis0"]).threshold = None  # type: ignore[union-attr]
    text = pdf_text(reports.lesion_report(dermatologist, chart["analysis0"]).pdf)
    assert "No operating threshold was recorded with this analysis." in text
    assert "Below the threshold" not in text and "Above the threshold" not in text and "30.0%" in text
