"""SQLAlchemy 2.0 typed models: the schema of record.

Changing anything here needs an Alembic migration in ``migrations/versions/`` in the same commit.
Nothing is deleted in normal use: patient data is corrected by updates (audited), never overwritten
silently, and images are content-addressed files referenced by hash.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from dermstation.core.assessments import PlanKind, RetractionReason
from dermstation.core.domain import (
    AppointmentStatus,
    AuditAction,
    CaptureSource,
    ReferralStatus,
    ReferralUrgency,
    Role,
    Sex,
)
from dermstation.records.columns import UTCDateTime, utcnow
from dermstation.records.names import name_key, sort_key

# Stable constraint names so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(cls: type[StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR + CHECK holding the enum *values* (not member names)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # one person may hold several roles (a dermatologist who also administers the clinic)
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.role_rows)

    def set_roles(self, roles: frozenset[Role]) -> None:
        keep = [r for r in self.role_rows if r.role in roles]
        have = {r.role for r in keep}
        self.role_rows = keep + [UserRole(role=role) for role in sorted(roles - have)]


class UserRole(Base):
    """One role held by one user (migration 0005 moved ``users.role`` here)."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), primary_key=True)


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint("fitzpatrick IS NULL OR (fitzpatrick BETWEEN 1 AND 6)", name="fitzpatrick_range"),
        Index("ix_patients_updated_at", "updated_at"),
        Index("ix_patients_date_of_birth", "date_of_birth"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_number: Mapped[str] = mapped_column(String(32), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    # folded " given family " words for portable, accent-insensitive prefix search (see names.py)
    name_key: Mapped[str] = mapped_column(String(420), default=" ")
    # folded "family given" for an ordering that is the same on every backend
    sort_key: Mapped[str] = mapped_column(String(420), default="", index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(_enum(Sex, "sex"), default=Sex.UNKNOWN)
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    fitzpatrick: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lesions: Mapped[list[Lesion]] = relationship(back_populates="patient", order_by="Lesion.id")


@event.listens_for(Patient, "before_insert")
@event.listens_for(Patient, "before_update")
def _refresh_name_key(_mapper: object, _connection: object, patient: Patient) -> None:
    patient.name_key = name_key(patient.given_name or "", patient.family_name or "")
    patient.sort_key = sort_key(patient.given_name or "", patient.family_name or "")


class Lesion(Base):
    __tablename__ = "lesions"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    body_site: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="lesions")
    captures: Mapped[list[ImageCapture]] = relationship(
        back_populates="lesion", order_by="ImageCapture.taken_at"
    )


class ImageCapture(Base):
    __tablename__ = "image_captures"
    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0", name="positive_size"),
        CheckConstraint("pixel_spacing_mm IS NULL OR pixel_spacing_mm > 0", name="positive_spacing"),
        CheckConstraint("spacing_source IS NULL OR spacing_source IN ('profile', 'dicom', 'manual')",
                        name="spacing_source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesions.id"), index=True)
    taken_at: Mapped[datetime]
    source: Mapped[CaptureSource] = mapped_column(_enum(CaptureSource, "capture_source"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    pixel_spacing_mm: Mapped[float | None] = mapped_column(Float)
    # where the pixel size came from (0009): the device profile chosen at capture, the DICOM file, or typed in
    device_profile_id: Mapped[int | None] = mapped_column(ForeignKey("device_profiles.id"))
    spacing_source: Mapped[str | None] = mapped_column(String(16))
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # a wrong capture is retracted, never deleted: it leaves history, comparisons and reports (0007)
    retracted_at: Mapped[datetime | None] = mapped_column(default=None)
    retracted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    retraction_reason: Mapped[RetractionReason | None] = mapped_column(
        _enum(RetractionReason, "retraction_reason"), default=None
    )
    retraction_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    lesion: Mapped[Lesion] = relationship(back_populates="captures")
    analyses: Mapped[list[AnalysisRecord]] = relationship(
        back_populates="capture", order_by="AnalysisRecord.id"
    )


class AnalysisRecord(Base):
    """One model run on one capture, written once from the inference engine's frozen result."""

    __tablename__ = "analyses"
    __table_args__ = (
        CheckConstraint("malignancy_score >= 0 AND malignancy_score <= 1", name="malignancy_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("image_captures.id"), index=True)
    model_name: Mapped[str] = mapped_column(String(100))  # the classifier
    model_version: Mapped[str] = mapped_column(String(50))
    model_sha256: Mapped[str | None] = mapped_column(String(64))  # NULL: stored before 0008
    probabilities: Mapped[dict[str, Any]] = mapped_column()  # {class key: p}, in the card's class order
    prediction: Mapped[str] = mapped_column(String(32))
    malignancy_score: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)  # the card's operating threshold; NULL: not recorded
    image_height: Mapped[int | None] = mapped_column(Integer)  # the analysed resolution (the mask's)
    image_width: Mapped[int | None] = mapped_column(Integer)
    mask_sha256: Mapped[str | None] = mapped_column(String(64))  # PNG in the image store
    quality_flags: Mapped[list[str]] = mapped_column(default=list)  # quality codes (inference.quality.QualityIssue)
    provider: Mapped[str] = mapped_column(String(50), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    capture: Mapped[ImageCapture] = relationship(back_populates="analyses")
    # read through services/stored_analyses.stored_analysis, the one reader (0008)
    measurements: Mapped[list[AnalysisMeasurement]] = relationship(
        order_by="AnalysisMeasurement.position", cascade="all, delete-orphan"
    )
    other_models: Mapped[list[AnalysisModel]] = relationship(
        order_by="AnalysisModel.position", cascade="all, delete-orphan"
    )


class AnalysisMeasurement(Base):
    """One lesion measurement of an analysis: a stable metric key, a number and its unit (no label: 0008)."""

    __tablename__ = "analysis_measurements"
    __table_args__ = (UniqueConstraint("analysis_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # the order the calculators produced them
    name: Mapped[str] = mapped_column(String(64))  # inference.metrics key ("area", "diameter", ...)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))  # "mm", "mm²", "px", "px²", "", "count", "ΔE"


class AnalysisModel(Base):
    """A model besides the classifier that took part in an analysis (segmenter, ...), in run order (0008)."""

    __tablename__ = "analysis_models"
    __table_args__ = (UniqueConstraint("analysis_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(50))
    sha256: Mapped[str | None] = mapped_column(String(64))  # NULL: stored before 0008


class ClinicianAssessment(Base):
    """One signed version of the assessment of one analysis (migration 0007).

    Never updated: an amendment is a new row with ``version`` + 1 that ``supersedes_id`` the last one.
    ``diagnosis_code`` is a catalogue code (core/diagnoses.py); it is NULL only for signatures made
    before coding existed, whose free text stays in ``legacy_diagnosis`` and is never interpreted.
    """

    __tablename__ = "clinician_assessments"
    __table_args__ = (
        Index("uq_clinician_assessments_analysis_version", "analysis_id", "version", unique=True),
        CheckConstraint("diagnosis_code IS NOT NULL OR legacy_diagnosis <> ''", name="coded_or_legacy"),
        CheckConstraint("diagnosis_code IS NULL OR analysis_id IS NOT NULL", name="coded_has_analysis"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesions.id"), index=True)
    analysis_id: Mapped[int | None] = mapped_column(ForeignKey("analyses.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("clinician_assessments.id"))
    diagnosis_code: Mapped[str | None] = mapped_column(String(64))
    catalogue_version: Mapped[str] = mapped_column(String(32), default="")
    legacy_diagnosis: Mapped[str] = mapped_column(String(200), default="")  # the old free text, never read
    plan_kind: Mapped[PlanKind | None] = mapped_column(_enum(PlanKind, "plan_kind"))
    plan_follow_up_months: Mapped[int | None] = mapped_column(Integer)
    plan_urgency: Mapped[ReferralUrgency | None] = mapped_column(_enum(ReferralUrgency, "plan_urgency"))
    plan_hospital_id: Mapped[int | None] = mapped_column(ForeignKey("referral_hospitals.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("end_utc > start_utc", name="ends_after_start"),
        Index("ix_appointments_dermatologist_start", "dermatologist_id", "start_utc"),
        Index("ix_appointments_patient_start", "patient_id", "start_utc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    dermatologist_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    start_utc: Mapped[datetime]
    end_utc: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(
        _enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.BOOKED
    )
    reason: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DermatologistSchedule(Base):
    """Working hours and slot length of one dermatologist (migration 0002).

    ``hours`` holds seven entries, Monday first: ``null`` (not working) or ``["08:00", "16:30"]``
    in the clinic's local time.
    """

    __tablename__ = "dermatologist_schedules"
    __table_args__ = (CheckConstraint("slot_minutes BETWEEN 5 AND 240", name="slot_minutes_range"),)

    dermatologist_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    hours: Mapped[list[Any]] = mapped_column(JSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReferralHospital(Base):
    __tablename__ = "referral_hospitals"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    specialties: Mapped[list[str]] = mapped_column(default=list)
    accepts_referrals: Mapped[bool] = mapped_column(Boolean, default=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    # True for the shipped sample directory (resources/sample_hospitals.csv), never for real entries
    sample: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


referral_analyses = Table(
    "referral_analyses",
    Base.metadata,
    Column("referral_id", ForeignKey("referrals.id"), primary_key=True),
    Column("analysis_id", ForeignKey("analyses.id"), primary_key=True),
)


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("referral_hospitals.id"))
    urgency: Mapped[ReferralUrgency] = mapped_column(_enum(ReferralUrgency, "referral_urgency"))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReferralStatus] = mapped_column(
        _enum(ReferralStatus, "referral_status"), default=ReferralStatus.DRAFT
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    analyses: Mapped[list[AnalysisRecord]] = relationship(secondary=referral_analyses)


class AuditEvent(Base):
    """Who did what to which record, when. ``detail`` is short and never holds names or notes."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_table_record", "table_name", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[AuditAction] = mapped_column(_enum(AuditAction, "audit_action"))
    table_name: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(String(200), default="")
