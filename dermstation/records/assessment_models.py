"""Follow-up requests from signed plans, and coded histopathology results (migration 0007).

The signed assessment itself is ``models.ClinicianAssessment``. A follow-up request is written with
the signature whose plan asks for one; an amendment cancels the request of the version it replaces.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dermstation.core.assessments import FollowUpStatus
from dermstation.records.columns import utcnow
from dermstation.records.models import Base, _enum


class FollowUpRequestRow(Base):
    __tablename__ = "follow_up_requests"
    __table_args__ = (
        CheckConstraint("kind IN ('monitor', 'dermoscopic_follow_up')", name="follow_up_kind"),
        Index("ix_follow_up_requests_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesions.id"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("clinician_assessments.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # a PlanKind value with a follow-up
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[FollowUpStatus] = mapped_column(
        _enum(FollowUpStatus, "follow_up_status"), default=FollowUpStatus.OPEN
    )
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class HistologyResultRow(Base):
    """A coded histopathology result of a lesion; a correction is a new row (the latest counts)."""

    __tablename__ = "histology_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesions.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("clinician_assessments.id"))
    diagnosis_code: Mapped[str] = mapped_column(String(64))
    catalogue_version: Mapped[str] = mapped_column(String(32), default="")
    reported_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
