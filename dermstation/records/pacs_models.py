"""Hospital connections: the destinations an administrator configured, the DICOM send queue, the study a
lesion's follow-up lives in, and the worklist entries that became appointments.

Passwords never live here (the OS keyring holds them, keyed by destination id). A queued item keeps the
exact Part 10 bytes it will send (in the image store, by hash), so a restart resends the same instance.

Migration: ``migrations/versions/0006_pacs.py``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dermstation.records.columns import utcnow
from dermstation.records.models import Base

DESTINATION_KINDS = ("dimse", "dicomweb", "fhir")
SEND_STATES = ("queued", "retrying", "sent", "failed", "cancelled")


class PacsDestination(Base):
    __tablename__ = "pacs_destinations"
    __table_args__ = (
        CheckConstraint("kind IN ('dimse', 'dicomweb', 'fhir')", name="kind_known"),
        CheckConstraint("port IS NULL OR (port BETWEEN 1 AND 65535)", name="port_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    # DIMSE: the peer's AE title, host and port, our calling AE title, TLS (with the CA file to trust)
    ae_title: Mapped[str] = mapped_column(String(16), default="")
    host: Mapped[str] = mapped_column(String(255), default="")
    port: Mapped[int | None] = mapped_column(Integer)
    calling_ae: Mapped[str] = mapped_column(String(16), default="DERMSTATION")
    tls: Mapped[bool] = mapped_column(Boolean, default=False)
    ca_file: Mapped[str] = mapped_column(String(500), default="")
    # DICOMweb / FHIR: the service root and the user name (the password is in the keyring)
    url: Mapped[str] = mapped_column(String(500), default="")
    username: Mapped[str] = mapped_column(String(100), default="")
    # what it is used for
    send: Mapped[bool] = mapped_column(Boolean, default=True)
    query: Mapped[bool] = mapped_column(Boolean, default=False)
    worklist: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_send: Mapped[bool] = mapped_column(Boolean, default=False)  # on signing an assessment
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LesionStudy(Base):
    """The DICOM study and series a lesion's pictures, overlays and reports are sent in, visit after visit."""

    __tablename__ = "pacs_lesion_studies"

    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesions.id"), primary_key=True)
    study_uid: Mapped[str] = mapped_column(String(64), unique=True)
    photo_series_uid: Mapped[str] = mapped_column(String(64))
    overlay_series_uid: Mapped[str] = mapped_column(String(64))
    report_series_uid: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PacsSendItem(Base):
    """One instance to send to one destination; retried with backoff until sent or refused."""

    __tablename__ = "pacs_send_items"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'retrying', 'sent', 'failed', 'cancelled')", name="state_known"),
        CheckConstraint("kind IN ('photo', 'overlay', 'report')", name="kind_known"),
        Index("ix_pacs_send_items_state_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    destination_id: Mapped[int] = mapped_column(ForeignKey("pacs_destinations.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesions.id"))
    capture_id: Mapped[int] = mapped_column(ForeignKey("image_captures.id"))
    analysis_id: Mapped[int | None] = mapped_column(ForeignKey("analyses.id"))
    kind: Mapped[str] = mapped_column(String(16))
    sop_class_uid: Mapped[str] = mapped_column(String(64))
    sop_instance_uid: Mapped[str] = mapped_column(String(64), index=True)
    study_uid: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))  # the Part 10 file in the image store
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")  # the peer's reason, no patient data
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class WorklistLink(Base):
    """A worklist procedure step that became an appointment (so filling the day twice adds nothing)."""

    __tablename__ = "worklist_links"
    __table_args__ = (
        UniqueConstraint("destination_id", "accession_number", "step_id", name="uq_worklist_links_step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    destination_id: Mapped[int] = mapped_column(ForeignKey("pacs_destinations.id"))
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    accession_number: Mapped[str] = mapped_column(String(64), default="")
    requested_procedure_id: Mapped[str] = mapped_column(String(64), default="")
    step_id: Mapped[str] = mapped_column(String(64), default="")
    study_uid: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
