"""Stored analyses and the clinician's signed assessments of a lesion.

An analysis is advice: the model's probabilities, mask and metrics as they were when it ran, kept as
a row (mask PNG in the image store). The record is the clinician's signed, coded assessment of one
analysis (services/assessments.py). The lesion timeline and the follow-up comparison read them back;
retracted captures are left out of both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np
from sqlalchemy import func, select

from dermstation.core.assessments import SignedAssessment
from dermstation.core.domain import AuditAction, CaptureSource
from dermstation.core.errors import RecordNotFound
from dermstation.core.i18n import _
from dermstation.inference.analyzer import AnalysisResult
from dermstation.inference.compare import LesionComparison, compare_metrics
from dermstation.inference.segmentation import outer_contour
from dermstation.records.database import Database
from dermstation.records.device_models import DeviceProfileRow
from dermstation.records.image_store import ImageStore
from dermstation.records.models import AnalysisRecord, ImageCapture, Lesion
from dermstation.services.assessments import live_capture, signed_assessment_of
from dermstation.services.audit import AuditLog
from dermstation.services.patients import capture_summary
from dermstation.services.permissions import CLINICAL_ROLES, authorize
from dermstation.services.stored_analyses import StoredAnalysis, analysis_row, stored_analysis
from dermstation.services.types import CaptureSummary, CurrentUser

log = logging.getLogger(__name__)

__all__ = ["AnalysisRecordService", "CaptureImage", "StoredAnalysis", "TimelineEntry", "mask_contour",
           "with_mask_contour"]


@dataclass(frozen=True)
class TimelineEntry:
    """One capture of a lesion, its latest analysis (None when not analysed yet) and that analysis's
    current signed assessment (None when unsigned: a signature on another picture never shows here)."""

    capture: CaptureSummary
    original_name: str
    pixel_spacing_mm: float | None
    analysis: StoredAnalysis | None
    signed: SignedAssessment | None = None


@dataclass(frozen=True)
class PixelScale:
    """A picture's pixel size and where it came from (what the side panel shows beside the mm)."""

    mm_per_pixel: float | None  # None: no scale, sizes in pixels
    source: str | None  # "profile", "dicom", "manual"; None without a scale (or stored before it was recorded)
    device_profile: str | None = None  # the profile's name, when a device profile gave it


@dataclass(frozen=True)
class CaptureImage:
    """A capture's stored bytes and what is needed to analyse them."""

    capture_id: int
    lesion_id: int
    data: bytes
    source: CaptureSource
    taken_at: datetime
    pixel_spacing_mm: float | None
    original_name: str
    spacing_source: str | None = None  # see PixelScale.source
    device_profile: str | None = None  # the name of the device profile that gave the pixel size

    @property
    def scale(self) -> PixelScale:
        return PixelScale(self.pixel_spacing_mm, self.spacing_source, self.device_profile)


def _mask_png(mask: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", np.asarray(mask, bool).astype(np.uint8) * 255)
    if not ok:  # pragma: no cover - encoding a uint8 array does not fail
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


class AnalysisRecordService:
    """Save and read analyses, the lesion timeline, and signed assessments."""

    def __init__(self, database: Database, audit: AuditLog, image_store: ImageStore) -> None:
        self._db = database
        self._audit = audit
        self._images = image_store

    # --- analyses ---------------------------------------------------------------------------------
    def save(self, actor: CurrentUser, capture_id: int, result: AnalysisResult) -> StoredAnalysis:
        """Store ``result`` as the analysis of ``capture_id`` (mask PNG in the image store)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            capture = live_capture(session, capture_id)
            mask_digest = self._images.put(_mask_png(result.mask)) if result.mask is not None else None
            row = analysis_row(result, capture.id, mask_digest, actor.id)
            session.add(row)
            session.flush()
            self._audit.record(session, actor.id, AuditAction.CREATE, "analyses", row.id, f"capture={capture.id}")
            log.info("user %d stored analysis %d of capture %d", actor.id, row.id, capture.id)
            mask = np.asarray(result.mask, bool).copy() if result.mask is not None else None
            if mask is not None:
                mask.flags.writeable = False
            return stored_analysis(row, capture, mask)

    def load(self, actor: CurrentUser, analysis_id: int) -> StoredAnalysis:
        """One stored analysis with its mask's stored bytes (``with_mask()`` decodes them on a worker); refused
        for a retracted picture."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            row = session.get(AnalysisRecord, analysis_id)
            if row is None:
                raise RecordNotFound(_("This analysis does not exist."), details=f"analysis {analysis_id}")
            capture = live_capture(session, row.capture_id)
            mask_png = self._images.read(row.mask_sha256) if row.mask_sha256 else None
            self._audit.record(session, actor.id, AuditAction.VIEW, "analyses", row.id)
            return stored_analysis(row, capture, mask_png=mask_png)

    def timeline(self, actor: CurrentUser, lesion_id: int) -> tuple[TimelineEntry, ...]:
        """The lesion's live captures, oldest first, each with its latest analysis and that one's signature."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            if session.get(Lesion, lesion_id) is None:
                raise RecordNotFound(_("This lesion does not exist."), details=f"lesion {lesion_id}")
            captures = session.scalars(
                select(ImageCapture).where(ImageCapture.lesion_id == lesion_id, ImageCapture.retracted_at.is_(None))
                .order_by(ImageCapture.taken_at, ImageCapture.id)
            ).all()
            entries = []
            for capture in captures:
                rows = sorted(capture.analyses, key=lambda a: (a.created_at, a.id))
                latest = stored_analysis(rows[-1], capture) if rows else None
                signed = signed_assessment_of(session, latest.id) if latest is not None else None
                entries.append(TimelineEntry(capture_summary(capture, len(rows)), capture.original_filename,
                                             capture.pixel_spacing_mm, latest, signed))
            self._audit.record(session, actor.id, AuditAction.VIEW, "lesions", lesion_id, "timeline")
            return tuple(entries)

    def capture_image(self, actor: CurrentUser, capture_id: int) -> CaptureImage:
        """A capture's bytes (verified against their hash) and its pixel size."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            capture = session.get(ImageCapture, capture_id)
            if capture is None:
                raise RecordNotFound(_("This image does not exist."), details=f"capture {capture_id}")
            data = self._images.read(capture.sha256)
            self._audit.record(session, actor.id, AuditAction.VIEW, "image_captures", capture.id)
            profile = (session.get(DeviceProfileRow, capture.device_profile_id)
                       if capture.device_profile_id is not None else None)
            return CaptureImage(capture.id, capture.lesion_id, data, capture.source, capture.taken_at,
                                capture.pixel_spacing_mm, capture.original_filename,
                                capture.spacing_source if capture.pixel_spacing_mm is not None else None,
                                profile.name if profile is not None else None)

    @staticmethod
    def compare(before: StoredAnalysis, after: StoredAnalysis) -> LesionComparison:
        """How the lesion changed from ``before`` to ``after`` (diameter, area, colours, malignancy)."""
        return compare_metrics(before.metrics, after.metrics, before.malignancy, after.malignancy)

    def analysis_count(self, actor: CurrentUser, lesion_id: int) -> int:
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            return int(session.scalar(
                select(func.count(AnalysisRecord.id)).join(ImageCapture)
                .where(ImageCapture.lesion_id == lesion_id, ImageCapture.retracted_at.is_(None))) or 0)


def mask_contour(mask: np.ndarray | None) -> np.ndarray:
    """The outline of a stored mask as (K, 2) int (x, y) points; empty without a mask."""
    return np.zeros((0, 2), np.int32) if mask is None else outer_contour(mask)


def with_mask_contour(stored: StoredAnalysis) -> tuple[StoredAnalysis, np.ndarray]:
    """A loaded analysis with its mask decoded, and the mask's outline [worker]."""
    decoded = stored.with_mask()
    return decoded, mask_contour(decoded.mask)

