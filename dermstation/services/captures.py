"""Image captures of a lesion: bytes in the content-addressed store, metadata in the database."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from dermstation.core.domain import AuditAction, CaptureSource
from dermstation.core.errors import RecordNotFound, ValidationError
from dermstation.core.i18n import _
from dermstation.records.database import Database
from dermstation.records.image_store import ImageStore
from dermstation.records.models import ImageCapture, Lesion
from dermstation.services.audit import AuditLog
from dermstation.services.patients import capture_summary
from dermstation.services.permissions import CLINICAL_ROLES, authorize
from dermstation.services.types import CaptureSummary, CurrentUser

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 512 * 1024 * 1024
MAX_DIMENSION = 100_000


def check_capture(
    image_bytes: bytes,
    source: CaptureSource,
    width: int,
    height: int,
    original_name: str,
    pixel_spacing_mm: float | None,
    taken_at: datetime | None,
) -> None:
    if not image_bytes:
        raise ValidationError(_("The image is empty."), field="image_bytes")
    if len(image_bytes) > MAX_IMAGE_BYTES:
        raise ValidationError(_("The image is too large."), field="image_bytes")
    if not isinstance(source, CaptureSource):
        raise ValidationError(_("Unknown image source."), field="source")
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_DIMENSION:
            raise ValidationError(_("The image size is not valid."), field=name)
    if pixel_spacing_mm is not None and not (
        isinstance(pixel_spacing_mm, int | float) and math.isfinite(pixel_spacing_mm) and pixel_spacing_mm > 0
    ):
        raise ValidationError(_("The pixel spacing must be a positive number."), field="pixel_spacing_mm")
    if len(original_name) > 255:
        raise ValidationError(_("The file name is too long."), field="original_name")
    if taken_at is not None and taken_at.tzinfo is None:
        raise ValidationError(_("The capture time has no time zone."), field="taken_at")


class CaptureService:
    def __init__(self, database: Database, audit: AuditLog, image_store: ImageStore) -> None:
        self._db = database
        self._audit = audit
        self._images = image_store

    def add_capture(
        self,
        actor: CurrentUser,
        lesion_id: int,
        image_bytes: bytes,
        source: CaptureSource,
        width: int,
        height: int,
        original_name: str = "",
        pixel_spacing_mm: float | None = None,
        taken_at: datetime | None = None,
    ) -> CaptureSummary:
        """Store the image, then its row. A stored file whose row fails is harmless (content-addressed)."""
        check_capture(image_bytes, source, width, height, original_name, pixel_spacing_mm, taken_at)
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            lesion = session.get(Lesion, lesion_id)
            if lesion is None:
                raise RecordNotFound(_("This lesion does not exist."), details=f"lesion {lesion_id}")
            capture = self.store(session, actor, lesion, image_bytes, source, width, height, original_name,
                                 pixel_spacing_mm, taken_at)
            log.info("user %d added capture %d to lesion %d", actor.id, capture.id, lesion.id)
            return capture_summary(capture, 0)

    def store(
        self,
        session: Session,
        actor: CurrentUser,
        lesion: Lesion,
        image_bytes: bytes,
        source: CaptureSource,
        width: int,
        height: int,
        original_name: str = "",
        pixel_spacing_mm: float | None = None,
        taken_at: datetime | None = None,
        audit_detail: str = "",
    ) -> ImageCapture:
        """Check, store the file and add the row (audited) inside the caller's transaction.

        For callers that must be all-or-nothing with other rows (DICOM import creates patient, lesion
        and capture together); the caller has already authorised ``actor``.
        """
        check_capture(image_bytes, source, width, height, original_name, pixel_spacing_mm, taken_at)
        digest = self._images.put(bytes(image_bytes))
        capture = ImageCapture(
            lesion_id=lesion.id,
            taken_at=(taken_at or datetime.now(UTC)),
            source=source,
            sha256=digest,
            size_bytes=len(image_bytes),
            width=width,
            height=height,
            pixel_spacing_mm=float(pixel_spacing_mm) if pixel_spacing_mm is not None else None,
            original_filename=original_name.strip(),
            created_by_id=actor.id,
        )
        session.add(capture)
        session.flush()
        detail = f"lesion={lesion.id}" + (f" {audit_detail}" if audit_detail else "")
        self._audit.record(session, actor.id, AuditAction.CREATE, "image_captures", capture.id, detail)
        return capture

    def read_capture(self, actor: CurrentUser, capture_id: int) -> bytes:
        """The capture's image bytes, verified against their hash (ImageStoreError if damaged)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            capture = session.get(ImageCapture, capture_id)
            if capture is None:
                raise RecordNotFound(_("This image does not exist."), details=f"capture {capture_id}")
            data = self._images.read(capture.sha256)
            self._audit.record(session, actor.id, AuditAction.VIEW, "image_captures", capture.id)
            return data
