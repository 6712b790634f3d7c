"""Device profiles (how large one pixel of a dermatoscope + camera + resolution is) and the annotation layer
drawn over a capture (rulers, arrows, free marks; never burned into the stored picture).

A capture keeps its own ``pixel_spacing_mm`` (copied from the profile when it was stored), so recalibrating
a profile later never changes what an earlier picture measured. Annotations are removed by marking them
(``removed_at``), never deleted, so the audit trail can name what was there.

Migration: ``migrations/versions/0009_device_profiles_annotations.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dermstation.records.columns import utcnow
from dermstation.records.models import Base

CALIBRATION_METHODS = ("ruler", "sticker", "dicom", "manual")
ANNOTATION_KINDS = ("ruler", "arrow", "mark")


class DeviceProfileRow(Base):
    __tablename__ = "device_profiles"
    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0", name="positive_size"),
        CheckConstraint("mm_per_pixel > 0", name="positive_spacing"),
        CheckConstraint("method IN ('ruler', 'sticker', 'dicom', 'manual')", name="method_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    dermatoscope: Mapped[str] = mapped_column(String(100), default="")
    camera: Mapped[str] = mapped_column(String(100), default="")
    width: Mapped[int] = mapped_column(Integer)  # the resolution it was calibrated at
    height: Mapped[int] = mapped_column(Integer)
    mm_per_pixel: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")  # how it was calibrated (tick spacing, sticker size)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CaptureAnnotation(Base):
    __tablename__ = "capture_annotations"
    __table_args__ = (CheckConstraint("kind IN ('ruler', 'arrow', 'mark')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("image_captures.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # [[x, y], ...] in the stored picture's pixels (after EXIF orientation), whatever size it is shown at
    points: Mapped[list[Any]] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(default=None)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
