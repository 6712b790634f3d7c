"""Reports as PDF bytes: the lesion report, the patient summary, the referral letter and the visit report.

Each report is two steps. ``ReportService.*_data`` [database thread] reads what the report shows in one
session — rows through the one reader of stored analyses, the pictures' stored bytes — and writes the
PRINT or EXPORT audit event in that same transaction; nothing is decoded or drawn there. The module's
``render_*_file`` [worker] decode the pictures with the one decoder, outline the lesion and draw the PDF
(reportlab, no database). The UI runs the two on their own threads; ``lesion_report`` & co. chain them
for the CLI, the exports and tests. Clinical roles only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from dermstation.assistant.privacy import age_band
from dermstation.core.assessments import diagnosis_codes, plan_text
from dermstation.core.config import ClinicSettings
from dermstation.core.domain import AuditAction
from dermstation.core.errors import RecordNotFound, ValidationError
from dermstation.core.i18n import _, current_language
from dermstation.core.patient_text import plan_text_key, require_coded
from dermstation.core.private_files import write_private_file
from dermstation.inference.analyzer import AnalysisResult
from dermstation.inference.metrics import Measurement, metric_msgid
from dermstation.inference.overlay import render_overlay
from dermstation.inference.quality import quality_message
from dermstation.inference.segmentation import outer_contour
from dermstation.records.database import Database
from dermstation.records.image_store import ImageStore
from dermstation.records.models import (
    AnalysisRecord,
    ImageCapture,
    Lesion,
    Patient,
    Referral,
    ReferralHospital,
    User,
)
from dermstation.reports import (
    Assessment,
    ClinicInfo,
    HospitalInfo,
    MetricLine,
    ModelLine,
    PatientIdentifiers,
    PatientSummaryData,
    ReferralData,
    ReferralLesion,
    ReportData,
    SummaryExplanation,
    render_lesion_report,
    render_patient_summary,
    render_referral_letter,
)
from dermstation.reports.data import VisitLesion, VisitReportData
from dermstation.reports.layout import day
from dermstation.reports.visit_report import render_visit_report
from dermstation.services import clinic_time
from dermstation.services.assessments import live_capture, signed_assessment_of
from dermstation.services.assistant import current_approved_explanation
from dermstation.services.audit import AuditLog
from dermstation.services.captures import decode_stored
from dermstation.services.permissions import CLINICAL_ROLES, authorize
from dermstation.services.settings import SettingsStore
from dermstation.services.stored_analyses import StoredAnalysis, stored_analysis
from dermstation.services.types import CurrentUser, PatientDetail

log = logging.getLogger(__name__)

OUTPUTS = frozenset({AuditAction.PRINT, AuditAction.EXPORT})
# the measurements a report lists, in this order (colour shares stay in the app)
REPORT_METRICS = ("area", "diameter", "perimeter", "asymmetry", "border_irregularity", "compactness",
                  "colour_count", "colour_variegation")


@dataclass(frozen=True)
class ReportFile:
    """A rendered report and a file name to offer when saving it (no patient name in it)."""

    pdf: bytes
    suggested_name: str


def clinic_from_settings(settings: ClinicSettings) -> ClinicInfo:
    return ClinicInfo(settings.clinic_name or "DermStation", settings.clinic_address, settings.clinic_phone,
                      settings.clinic_email, settings.report_header)


def write_pdf(path: str | Path, pdf: bytes) -> None:
    """Save ``pdf`` owner-only and atomically (the save dialog has asked before replacing a file);
    never through a link."""
    write_private_file(Path(path), pdf, overwrite=True)


def _identifiers(p: Patient | PatientDetail) -> PatientIdentifiers:
    return PatientIdentifiers(f"{p.family_name}, {p.given_name}", p.record_number, p.date_of_birth,
                              str(p.sex.value if hasattr(p.sex, "value") else p.sex))


def metric_lines(current: Sequence[Measurement], previous: Sequence[Measurement] | None) -> tuple[MetricLine, ...]:
    """The report's measurements in ``REPORT_METRICS`` order, each with the earlier value when measured in
    the same unit. Labels stay untranslated (the renderers translate them)."""
    before = {m.name: m for m in previous or ()}
    lines = []
    for m in sorted((m for m in current if m.name in REPORT_METRICS), key=lambda m: REPORT_METRICS.index(m.name)):
        earlier = before.get(m.name)
        lines.append(MetricLine(m.name, metric_msgid(m.name), m.value, m.unit,
                                earlier.value if earlier is not None and earlier.unit == m.unit else None))
    return tuple(lines)


def _decode_rgb(data: bytes, name: str = "") -> np.ndarray:
    """A stored picture through the one decoder: the same pixels the analysis and the screen show [worker]."""
    return decode_stored(data, name).pixels


def _decode_mask(data: bytes, shape: tuple[int, int]) -> np.ndarray | None:
    grey = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        return None
    if grey.shape[:2] != shape:
        grey = cv2.resize(grey, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return grey > 127


def _result_overlays(result: AnalysisResult, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image, outlined, heatmap) at the analysed resolution."""
    h, w = result.image_size
    rgb = np.asarray(image)[:, :, :3]
    if rgb.shape[:2] != (h, w):
        rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    outlined = render_overlay(rgb, contour=result.contour)
    heat = render_overlay(rgb, cam=result.cam, alpha=0.5)
    return rgb, outlined, heat


class ReportService:
    def __init__(self, database: Database, audit: AuditLog, image_store: ImageStore,
                 settings_store: SettingsStore) -> None:
        self._db = database
        self._audit = audit
        self._images = image_store
        self._settings = settings_store

    # --- helpers ----------------------------------------------------------------------------------
    def _clinic(self) -> ClinicInfo:
        return clinic_from_settings(self._settings.load())

    def _clinic_now(self) -> datetime:
        """Now, in the clinic's time zone (what a report prints, whatever this computer's zone)."""
        return datetime.now(UTC).astimezone(clinic_time.clinic_zone(self._settings.load().timezone))

    def _in_clinic_time(self, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(clinic_time.clinic_zone(self._settings.load().timezone))

    @staticmethod
    def _check_output(output: AuditAction) -> None:
        if output not in OUTPUTS:
            raise ValidationError(_("A report is either printed or exported."), field="output")

    def _assessment_of(self, session: Session, analysis_id: int) -> Assessment | None:
        """The signed assessment of exactly this analysis, never another picture's of the lesion."""
        signed = signed_assessment_of(session, analysis_id)
        if signed is None:
            return None
        return Assessment(signed.diagnosis_name(current_language()), signed.notes, signed.signed_by,
                          self._in_clinic_time(signed.signed_at),
                          codes=diagnosis_codes(signed.diagnosis), plan=plan_text(signed.plan) if signed.coded else "",
                          version=signed.version)

    @staticmethod
    def _previous_analysis(session: Session, capture: ImageCapture) -> tuple[AnalysisRecord, ImageCapture] | None:
        """The latest analysis of an earlier capture of the same lesion."""
        earlier = session.scalars(
            select(ImageCapture).where(ImageCapture.lesion_id == capture.lesion_id, ImageCapture.id != capture.id,
                                       ImageCapture.taken_at < capture.taken_at, ImageCapture.retracted_at.is_(None))
            .order_by(ImageCapture.taken_at.desc(), ImageCapture.id.desc())
        ).all()
        for cap in earlier:
            if cap.analyses:
                return max(cap.analyses, key=lambda a: (a.created_at, a.id)), cap
        return None

    # --- lesion report ----------------------------------------------------------------------------
    def lesion_report_data(self, actor: CurrentUser, analysis_id: int, *, output: AuditAction = AuditAction.EXPORT,
                           language: str = "en") -> LesionReportInput:
        """What the lesion report of a stored analysis shows, compared with the lesion's previous analysed
        visit, as rows and stored bytes [database thread]; nothing decoded. Audited."""
        self._check_output(output)
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            row = session.get(AnalysisRecord, analysis_id)
            if row is None:
                raise RecordNotFound(_("This analysis does not exist."), details=f"analysis {analysis_id}")
            capture = live_capture(session, row.capture_id)
            lesion = capture.lesion
            patient = lesion.patient
            previous = self._previous_analysis(session, capture)
            inputs = LesionReportInput(
                clinic=self._clinic(), patient=_identifiers(patient), lesion_site=lesion.body_site,
                lesion_label=lesion.label, analysis=stored_analysis(row, capture),
                previous=stored_analysis(*previous) if previous else None,
                previous_visit=self._in_clinic_time(previous[1].taken_at).date() if previous else None,  # type: ignore[union-attr]
                picture=self._stored_picture(capture, row), assessment=self._assessment_of(session, row.id),
                captured_at=self._in_clinic_time(capture.taken_at), generated_at=self._clinic_now(),
                language=language, suggested_name=f"lesion-report-{patient.record_number}-{analysis_id}.pdf",
            )
            self._audit.record(session, actor.id, output, "analyses", row.id, f"lesion report patient={patient.id}")
        log.info("user %d: lesion report of analysis %d (%s)", actor.id, analysis_id, output.value)
        return inputs

    def lesion_report(self, actor: CurrentUser, analysis_id: int, *, output: AuditAction = AuditAction.EXPORT,
                      language: str = "en") -> ReportFile:
        """Both steps in one call, for the CLI, exports and tests (the UI runs them on their own threads)."""
        return render_lesion_report_file(self.lesion_report_data(actor, analysis_id, output=output,
                                                                 language=language))

    def lesion_report_for_result(
        self, actor: CurrentUser, patient: PatientDetail, result: AnalysisResult, image: np.ndarray, *,
        lesion_site: str, lesion_label: str = "", previous: AnalysisResult | None = None,
        previous_visit: date | None = None, assessment: Assessment | None = None,
        captured_at: datetime | None = None, output: AuditAction = AuditAction.EXPORT, language: str = "en",
    ) -> ReportFile:
        """The lesion report of an analysis that is not stored yet (fresh from the analyser)."""
        self._check_output(output)
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            if session.get(Patient, patient.id) is None:
                raise RecordNotFound(_("This patient does not exist."), details=f"patient {patient.id}")
            self._audit.record(session, actor.id, output, "patients", patient.id, "lesion report (unsaved analysis)")
        rgb, outlined, heat = _result_overlays(result, image)
        data = ReportData(
            clinic=self._clinic(), patient=_identifiers(patient), lesion_site=lesion_site, lesion_label=lesion_label,
            image_rgb=rgb, overlay_rgb=outlined, cam_rgb=heat, probabilities=result.probabilities,
            malignancy=result.malignancy, threshold=result.threshold,
            metrics=metric_lines(result.metrics, previous.metrics if previous is not None else None),
            previous_visit=previous_visit if previous is not None else None,
            quality_flags=tuple(quality_message(f.issue) for f in result.quality_flags),
            models=tuple(ModelLine(m.name, m.version) for m in result.models), provider=result.provider,
            assessment=(replace(assessment, signed_at=self._in_clinic_time(assessment.signed_at))
                        if assessment is not None else None),
            captured_at=self._in_clinic_time(captured_at), generated_at=self._clinic_now(),
            language=language, prediction=result.top_class,
        )
        return ReportFile(render_lesion_report(data), f"lesion-report-{patient.record_number}.pdf")

    def _stored_picture(self, capture: ImageCapture, row: AnalysisRecord | None) -> StoredPicture:
        """The capture's stored bytes and, with an analysis, its mask PNG's (both verified by the store)."""
        mask = self._images.read(row.mask_sha256) if row is not None and row.mask_sha256 else None
        return StoredPicture(self._images.read(capture.sha256), capture.original_filename, mask)

    # --- patient summary --------------------------------------------------------------------------
    def patient_summary_data(
        self, actor: CurrentUser, analysis_id: int, *, language: str, output: AuditAction = AuditAction.PRINT,
        with_explanation: bool = True,
    ) -> PatientSummaryInput:
        """The plain-language summary for the patient of one analysis's signed assessment [database thread].

        Every word about the diagnosis and what happens next comes from the signed code's ``patient_key``
        and the signed plan (core.patient_text); the approved explanation, when there is one for the current
        signature in ``language``, is printed with it. Without a signed, coded diagnosis and plan there is no
        summary: a ValidationError says why. The AI result never becomes the patient's diagnosis.
        """
        self._check_output(output)
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            row = session.get(AnalysisRecord, analysis_id)
            if row is None:
                raise RecordNotFound(_("This analysis does not exist."), details=f"analysis {analysis_id}")
            capture = live_capture(session, row.capture_id)
            lesion = capture.lesion
            patient = lesion.patient
            signed = require_coded(signed_assessment_of(session, analysis_id))
            assert signed.diagnosis is not None and signed.plan is not None
            approved = current_approved_explanation(session, analysis_id, language, signed) if with_explanation \
                else None
            plan_key = plan_text_key(signed.plan)
            data = PatientSummaryData(
                clinic=self._clinic(), patient_name=f"{patient.given_name} {patient.family_name}",
                record_number=patient.record_number, lesion_site=lesion.body_site,
                patient_key=signed.diagnosis.patient_key.value, plan=plan_key,
                follow_up_due=signed.follow_up_due(),
                referral_hospital=signed.plan.hospital_name if plan_key.startswith("referral") else "",
                clinician=signed.signed_by,
                visit_date=self._in_clinic_time(signed.signed_at).date(),  # type: ignore[union-attr]
                language=language, age_band=age_band(patient.date_of_birth),
                explanation=SummaryExplanation(approved.text, tuple((s.title, s.url) for s in approved.sources),
                                               approved.written_by) if approved else None,
            )
            self._audit.record(session, actor.id, output, "analyses", analysis_id,
                               f"patient summary {language} assessment={signed.id}"
                               + (f" explanation={approved.id}" if approved else ""))
            return PatientSummaryInput(data, f"summary-{patient.record_number}-{language}.pdf")

    def patient_summary(
        self, actor: CurrentUser, analysis_id: int, *, language: str, output: AuditAction = AuditAction.PRINT,
        with_explanation: bool = True,
    ) -> ReportFile:
        """Both steps in one call, for the CLI and tests (the UI runs them on their own threads)."""
        return render_patient_summary_file(self.patient_summary_data(
            actor, analysis_id, language=language, output=output, with_explanation=with_explanation))

    # --- referral letter --------------------------------------------------------------------------
    def referral_letter_data(self, actor: CurrentUser, referral_id: int, *, output: AuditAction = AuditAction.EXPORT,
                             language: str = "en", include_notes: bool = False,
                             image_analysis_ids: tuple[int, ...] | None = None) -> ReferralLetterInput:
        """The letter for a stored referral as rows and stored bytes [database thread]: per linked analysis the
        signed diagnosis (codes), plan and signer, the picture's bytes, and the signed notes when
        ``include_notes``. ``image_analysis_ids`` picks which linked analyses' pictures go in (None: all); the AI
        score appears only as decision support. Audited."""
        self._check_output(output)
        with self._db.session() as session:
            user = authorize(session, actor, CLINICAL_ROLES)
            referral = session.get(Referral, referral_id)
            if referral is None:
                raise RecordNotFound(_("This referral does not exist."), details=f"referral {referral_id}")
            patient = session.get(Patient, referral.patient_id)
            hospital = session.get(ReferralHospital, referral.hospital_id)
            if patient is None or hospital is None:
                raise RecordNotFound(_("This referral is incomplete."), details=f"referral {referral_id}")
            linked = {a.id for a in referral.analyses}
            if image_analysis_ids is not None and not set(image_analysis_ids) <= linked:
                raise ValidationError(_("Only pictures attached to this referral can go in its letter."),
                                      field="images", details=f"asked {sorted(image_analysis_ids)}")
            author = session.get(User, referral.created_by_id) if referral.created_by_id else None
            lesions = []
            pictures: list[StoredPicture | None] = []
            models: dict[tuple[str, str], None] = {}
            for row in sorted(referral.analyses, key=lambda a: a.id):
                capture = row.capture
                if capture.retracted_at is not None:
                    continue  # a retracted picture never leaves the clinic
                stored = stored_analysis(row, capture)
                signed = signed_assessment_of(session, row.id)
                lesions.append(ReferralLesion(
                    site=capture.lesion.body_site,
                    diagnosis=signed.diagnosis_name(language) if signed else _("Not yet assessed"),
                    codes=diagnosis_codes(signed.diagnosis) if signed else "",
                    plan=plan_text(signed.plan) if signed and signed.plan else "",
                    signed=_("Signed by {name}, {day} (version {n})").format(
                        name=signed.signed_by, day=day(self._in_clinic_time(signed.signed_at).date(), language),  # type: ignore[union-attr]
                        n=signed.version) if signed else "",
                    notes=signed.notes if signed and include_notes else "",
                    malignancy=stored.malignancy, threshold=stored.threshold,
                    key_metrics=tuple(m for m in metric_lines(stored.metrics, None) if m.name in ("diameter", "area")),
                ))
                wanted = image_analysis_ids is None or row.id in image_analysis_ids
                pictures.append(self._stored_picture(capture, row) if wanted else None)
                if stored.model_name:
                    models[(stored.model_name, stored.model_version)] = None
            data = ReferralData(
                clinic=self._clinic(),
                hospital=HospitalInfo(hospital.name, hospital.address, hospital.city, hospital.country,
                                      hospital.phone, hospital.email),
                patient=_identifiers(patient), urgency=referral.urgency.value, reason=referral.reason,
                referring_clinician=(author.full_name if author else user.full_name),
                lesions=tuple(lesions), patient_phone=patient.phone, patient_address=patient.address,
                letter_date=self._clinic_now().date(), models=tuple(ModelLine(n, v) for n, v in models),
                language=language,
            )
            self._audit.record(session, actor.id, output, "referrals", referral.id,
                               f"referral letter images={len([p for p in pictures if p is not None])}"
                               f" notes={'yes' if include_notes else 'no'}")
            return ReferralLetterInput(data, tuple(pictures), f"referral-{patient.record_number}-{referral_id}.pdf")

    def referral_letter(self, actor: CurrentUser, referral_id: int, *, output: AuditAction = AuditAction.EXPORT,
                        language: str = "en", include_notes: bool = False,
                        image_analysis_ids: tuple[int, ...] | None = None) -> ReportFile:
        """Both steps in one call, for the CLI and tests (the UI runs them on their own threads)."""
        return render_referral_letter_file(self.referral_letter_data(
            actor, referral_id, output=output, language=language, include_notes=include_notes,
            image_analysis_ids=image_analysis_ids))

    # --- visit report -----------------------------------------------------------------------------
    def visit_dates(self, actor: CurrentUser, patient_id: int) -> tuple[date, ...]:
        """The clinic days on which this patient's lesions were photographed, latest first."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            zone = clinic_time.clinic_zone(self._settings.load().timezone)
            taken = session.scalars(
                select(ImageCapture.taken_at).join(Lesion).where(Lesion.patient_id == patient_id,
                                                                 ImageCapture.retracted_at.is_(None))
            ).all()
            self._audit.record(session, actor.id, AuditAction.VIEW, "patients", patient_id, "visit dates")
        return tuple(sorted({clinic_time.local(t, zone).date() for t in taken}, reverse=True))

    def visit_report_data(self, actor: CurrentUser, patient_id: int, visit_date: date, *,
                          output: AuditAction = AuditAction.EXPORT, language: str = "en") -> VisitReportInput:
        """What the visit report of ``visit_date`` (a clinic day) shows, as rows and stored bytes [database
        thread]: per lesion its last live picture that day, that picture's signed (else latest) analysis, the
        previous analysed picture's stored sizes. Retracted pictures never appear. Audited."""
        self._check_output(output)
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise RecordNotFound(_("This patient does not exist."), details=f"patient {patient_id}")
            zone = clinic_time.clinic_zone(self._settings.load().timezone)
            start, end = clinic_time.day_bounds(visit_date, zone)
            captures = session.scalars(
                select(ImageCapture).join(Lesion).where(
                    Lesion.patient_id == patient.id, ImageCapture.retracted_at.is_(None),
                    ImageCapture.taken_at >= start, ImageCapture.taken_at < end)
                .order_by(Lesion.id, ImageCapture.taken_at, ImageCapture.id)
            ).all()
            last_of_lesion = {c.lesion_id: c for c in captures}  # the day's last picture of each lesion
            lesions = []
            models: dict[tuple[str, str], None] = {}
            for capture in last_of_lesion.values():
                analyses = sorted(capture.analyses, key=lambda a: (a.created_at, a.id))
                signed = [a for a in analyses if signed_assessment_of(session, a.id) is not None]
                row = signed[-1] if signed else (analyses[-1] if analyses else None)
                previous = self._previous_visit(capture, start) if row is not None else None
                stored = stored_analysis(row, capture) if row is not None else None
                if stored is not None and stored.model_name:
                    models[(stored.model_name, stored.model_version)] = None
                lesions.append(VisitCaptureInput(
                    site=capture.lesion.body_site, label=capture.lesion.label,
                    captured_at=self._in_clinic_time(capture.taken_at),
                    picture=self._images.read(capture.sha256), picture_name=capture.original_filename,
                    mask=self._images.read(row.mask_sha256) if row is not None and row.mask_sha256 else None,
                    metrics=stored.metrics if stored is not None else (),
                    previous_metrics=stored_analysis(*previous).metrics if previous else None,
                    previous_visit=self._in_clinic_time(previous[1].taken_at).date() if previous else None,  # type: ignore[union-attr]
                    assessment=self._assessment_of(session, row.id) if row is not None else None,
                    malignancy=stored.malignancy if stored is not None else None,
                    threshold=stored.threshold if stored is not None else None,
                ))
            self._audit.record(session, actor.id, output, "patients", patient.id,
                               f"visit report {visit_date.isoformat()} lesions={len(lesions)}")
            return VisitReportInput(
                clinic=self._clinic(), patient=_identifiers(patient), visit_date=visit_date, lesions=tuple(lesions),
                models=tuple(ModelLine(n, v) for n, v in models), generated_at=self._clinic_now(), language=language,
                suggested_name=f"visit-report-{patient.record_number}-{visit_date.isoformat()}.pdf",
            )

    @staticmethod
    def _previous_visit(capture: ImageCapture, day_start: datetime) -> tuple[AnalysisRecord, ImageCapture] | None:
        """The latest analysis of the lesion's last analysed live picture from before the visit's day
        (a retake the same day is the same visit, not the change since the last one)."""
        earlier = sorted((c for c in capture.lesion.captures
                          if c.retracted_at is None and c.taken_at < day_start and c.analyses),
                         key=lambda c: (c.taken_at, c.id))
        if not earlier:
            return None
        return max(earlier[-1].analyses, key=lambda a: (a.created_at, a.id)), earlier[-1]

    def visit_report(self, actor: CurrentUser, patient_id: int, visit_date: date, *,
                     output: AuditAction = AuditAction.EXPORT, language: str = "en") -> ReportFile:
        """Both steps in one call, for the CLI and tests (the UI runs them on their own threads)."""
        return render_visit_report_file(self.visit_report_data(actor, patient_id, visit_date, output=output,
                                                               language=language))


@dataclass(frozen=True)
class VisitCaptureInput:
    """One lesion's picture of the visit as read from the records: stored bytes, not yet decoded."""

    site: str
    label: str
    captured_at: datetime | None
    picture: bytes
    picture_name: str
    mask: bytes | None
    metrics: tuple[Measurement, ...]
    previous_metrics: tuple[Measurement, ...] | None
    previous_visit: date | None
    assessment: Assessment | None
    malignancy: float | None
    threshold: float | None


@dataclass(frozen=True)
class VisitReportInput:
    clinic: ClinicInfo
    patient: PatientIdentifiers
    visit_date: date
    lesions: tuple[VisitCaptureInput, ...]
    models: tuple[ModelLine, ...]
    generated_at: datetime
    language: str
    suggested_name: str


PIXEL_UNITS = frozenset({"px", "px²"})


def _visit_lesion(item: VisitCaptureInput) -> VisitLesion:
    """Decode and outline one picture; sizes in pixels are never compared across pictures [worker]."""
    rgb, outlined = _outlined(StoredPicture(item.picture, item.picture_name, item.mask))
    image = outlined if outlined is not None else rgb
    lines = metric_lines(item.metrics, item.previous_metrics)
    basis = "first"
    if item.previous_metrics is not None:
        sizes = [m for m in lines if m.name in ("diameter", "area")]
        basis = "no_scale" if not sizes or any(m.unit in PIXEL_UNITS for m in sizes) else "stored"
        lines = tuple(replace(m, previous=None) if m.unit in PIXEL_UNITS else m for m in lines)
    return VisitLesion(site=item.site, label=item.label, captured_at=item.captured_at, image_rgb=image,
                       metrics=lines, previous_visit=item.previous_visit, change_basis=basis,
                       assessment=item.assessment, malignancy=item.malignancy, threshold=item.threshold)


def render_visit_report_file(inputs: VisitReportInput) -> ReportFile:
    """Decode the pictures and draw the visit report [worker]: no database, no session."""
    data = VisitReportData(clinic=inputs.clinic, patient=inputs.patient, visit_date=inputs.visit_date,
                           lesions=tuple(_visit_lesion(item) for item in inputs.lesions), models=inputs.models,
                           generated_at=inputs.generated_at, language=inputs.language)
    return ReportFile(render_visit_report(data), inputs.suggested_name)


@dataclass(frozen=True)
class StoredPicture:
    """A capture's stored bytes and its analysis's mask PNG, not yet decoded."""

    data: bytes
    name: str
    mask: bytes | None = None


def _outlined(picture: StoredPicture) -> tuple[np.ndarray, np.ndarray | None]:
    """The decoded picture and, with a mask, the picture with the lesion outline [worker]."""
    rgb = _decode_rgb(picture.data, picture.name)
    mask = _decode_mask(picture.mask, rgb.shape[:2]) if picture.mask is not None else None
    return rgb, (render_overlay(rgb, contour=outer_contour(mask)) if mask is not None else None)


@dataclass(frozen=True, eq=False)
class LesionReportInput:
    """What a lesion report shows as read from the records: the stored analyses and the picture's bytes."""

    clinic: ClinicInfo
    patient: PatientIdentifiers
    lesion_site: str
    lesion_label: str
    analysis: StoredAnalysis
    previous: StoredAnalysis | None  # the lesion's previous analysed visit
    previous_visit: date | None
    picture: StoredPicture
    assessment: Assessment | None
    captured_at: datetime | None
    generated_at: datetime
    language: str
    suggested_name: str


def render_lesion_report_file(inputs: LesionReportInput) -> ReportFile:
    """Decode the picture, outline the lesion and draw the lesion report [worker]: no database, no session."""
    a = inputs.analysis
    rgb, outlined = _outlined(inputs.picture)
    data = ReportData(
        clinic=inputs.clinic, patient=inputs.patient, lesion_site=inputs.lesion_site,
        lesion_label=inputs.lesion_label, image_rgb=rgb, overlay_rgb=outlined,
        cam_rgb=None,  # the activation map is not stored with the analysis
        probabilities=a.probabilities, malignancy=a.malignancy, threshold=a.threshold,
        metrics=metric_lines(a.metrics, inputs.previous.metrics if inputs.previous is not None else None),
        previous_visit=inputs.previous_visit, quality_flags=a.quality_messages,
        models=tuple(ModelLine(m.name, m.version) for m in a.models), provider=a.provider,
        assessment=inputs.assessment, captured_at=inputs.captured_at, generated_at=inputs.generated_at,
        language=inputs.language, prediction=a.prediction,
    )
    return ReportFile(render_lesion_report(data), inputs.suggested_name)


@dataclass(frozen=True)
class PatientSummaryInput:
    data: PatientSummaryData  # text only: the summary shows no picture
    suggested_name: str


def render_patient_summary_file(inputs: PatientSummaryInput) -> ReportFile:
    """Draw the patient summary [worker]."""
    return ReportFile(render_patient_summary(inputs.data), inputs.suggested_name)


@dataclass(frozen=True, eq=False)
class ReferralLetterInput:
    data: ReferralData  # its lesions without pictures
    pictures: tuple[StoredPicture | None, ...]  # one per lesion; None: not chosen for the letter
    suggested_name: str


def render_referral_letter_file(inputs: ReferralLetterInput) -> ReportFile:
    """Decode and outline the chosen pictures and draw the referral letter [worker]."""
    lesions = []
    for lesion, picture in zip(inputs.data.lesions, inputs.pictures, strict=True):
        if picture is not None:
            rgb, outlined = _outlined(picture)
            lesion = replace(lesion, image_rgb=outlined if outlined is not None else rgb)
        lesions.append(lesion)
    return ReportFile(render_referral_letter(replace(inputs.data, lesions=tuple(lesions))), inputs.suggested_name)
