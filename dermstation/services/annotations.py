"""The annotation layer of a picture: rulers, arrows and free marks a dermatologist draws over it.

Stored apart from the picture (``capture_annotations``: a kind and its points in the stored picture's
pixels), never burned into it, so the original stays what the camera saw and the layer can be hidden.
A removed mark is marked removed, not deleted; adding, removing and reading are audited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from dermstation.core.domain import AuditAction
from dermstation.core.errors import RecordNotFound, ValidationError
from dermstation.core.i18n import _
from dermstation.records.database import Database
from dermstation.records.device_models import ANNOTATION_KINDS, CaptureAnnotation
from dermstation.records.models import ImageCapture
from dermstation.services.audit import AuditLog
from dermstation.services.permissions import CLINICAL_ROLES, authorize
from dermstation.services.types import CurrentUser

MAX_POINTS = 2000
"""A free mark is a polyline; this is far more than a hand draws, and keeps a row small."""


@dataclass(frozen=True)
class Annotation:
    id: int
    capture_id: int
    kind: str  # "ruler", "arrow", "mark"
    points: tuple[tuple[float, float], ...]  # (x, y) in the stored picture's pixels

    def length_px(self) -> float:
        return sum(math.dist(a, b) for a, b in zip(self.points, self.points[1:], strict=False))


@dataclass(frozen=True)
class AnnotationLayer:
    """What the picture view needs: the picture's stored size and pixel size, and its marks."""

    capture_id: int
    width: int
    height: int
    pixel_spacing_mm: float | None
    annotations: tuple[Annotation, ...]


def ruler_text_value(annotation: Annotation, pixel_spacing_mm: float | None) -> tuple[float, str]:
    """A ruler's length and unit: mm when the picture's pixel size is known, else pixels."""
    length = annotation.length_px()
    return (length * pixel_spacing_mm, "mm") if pixel_spacing_mm else (length, "px")


def check_points(kind: str, points: object, width: int, height: int) -> tuple[tuple[float, float], ...]:
    if kind not in ANNOTATION_KINDS:
        raise ValidationError(_("Unknown kind of mark."), field="kind")
    try:
        clean = tuple((float(x), float(y)) for x, y in points)  # type: ignore[union-attr]
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("The mark's points are not valid."), field="points") from exc
    if len(clean) < 2 or (kind in ("ruler", "arrow") and len(clean) != 2) or len(clean) > MAX_POINTS:
        raise ValidationError(_("The mark's points are not valid."), field="points")
    for x, y in clean:
        if not (math.isfinite(x) and math.isfinite(y) and -1 <= x <= width + 1 and -1 <= y <= height + 1):
            raise ValidationError(_("A mark must lie on the picture."), field="points")
    if math.dist(clean[0], clean[-1]) == 0 and kind != "mark":
        raise ValidationError(_("A ruler or arrow needs two different points."), field="points")
    return clean


def _annotation(row: CaptureAnnotation) -> Annotation:
    return Annotation(row.id, row.capture_id, row.kind, tuple((float(x), float(y)) for x, y in row.points))


class AnnotationService:
    def __init__(self, database: Database, audit: AuditLog) -> None:
        self._db = database
        self._audit = audit

    def layer(self, actor: CurrentUser, capture_id: int) -> AnnotationLayer:
        """The marks on a picture that are not removed, in drawing order."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            capture = session.get(ImageCapture, capture_id)
            if capture is None:
                raise RecordNotFound(_("This image does not exist."), details=f"capture {capture_id}")
            rows = session.scalars(select(CaptureAnnotation).where(
                CaptureAnnotation.capture_id == capture_id, CaptureAnnotation.removed_at.is_(None),
            ).order_by(CaptureAnnotation.id)).all()
            if rows:
                self._audit.record(session, actor.id, AuditAction.VIEW, "capture_annotations", None,
                                   f"capture={capture_id} marks={len(rows)}")
            return AnnotationLayer(capture.id, capture.width, capture.height, capture.pixel_spacing_mm,
                                   tuple(_annotation(r) for r in rows))

    def add(self, actor: CurrentUser, capture_id: int, kind: str,
            points: tuple[tuple[float, float], ...]) -> Annotation:
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            capture = session.get(ImageCapture, capture_id)
            if capture is None:
                raise RecordNotFound(_("This image does not exist."), details=f"capture {capture_id}")
            clean = check_points(kind, points, capture.width, capture.height)
            row = CaptureAnnotation(capture_id=capture.id, kind=kind,
                                    points=[[round(x, 2), round(y, 2)] for x, y in clean], created_by_id=actor.id)
            session.add(row)
            session.flush()
            self._audit.record(session, actor.id, AuditAction.CREATE, "capture_annotations", row.id,
                               f"capture={capture.id} kind={kind}")
            return _annotation(row)

    def remove(self, actor: CurrentUser, annotation_id: int) -> None:
        """Take a mark off the picture (kept, marked removed, for the audit trail)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            row = session.get(CaptureAnnotation, annotation_id)
            if row is None or row.removed_at is not None:
                raise RecordNotFound(_("This mark does not exist."), details=f"annotation {annotation_id}")
            row.removed_at = datetime.now(UTC)
            row.removed_by_id = actor.id
            self._audit.record(session, actor.id, AuditAction.DELETE, "capture_annotations", row.id,
                               f"capture={row.capture_id} kind={row.kind}")
