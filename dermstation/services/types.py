"""Frozen values that cross from services to the UI and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from dermstation.core.domain import AuditAction, CaptureSource, Role, Sex


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user, passed as ``actor`` to every service call.

    ``roles`` is what the UI shows; services re-read the roles and check ``token`` (a secret made at
    sign-in, stored only as a hash) on every call, so editing or forging this object grants nothing.
    """

    id: int
    username: str
    full_name: str
    roles: frozenset[Role]
    token: str = field(default="", repr=False, compare=False)

    def has(self, *roles: Role) -> bool:
        """Holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)

    @property
    def is_clinical(self) -> bool:
        """Sees images, analyses, reports and clinical notes (administration alone does not)."""
        return Role.DERMATOLOGIST in self.roles

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    full_name: str
    roles: frozenset[Role]
    disabled: bool
    created_at: datetime
    locked_until: datetime | None = None  # sign-in refused until then (failed attempts)


@dataclass(frozen=True)
class PatientInput:
    """What a form submits to create or update a patient."""

    record_number: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: Sex = Sex.UNKNOWN
    phone: str = ""
    email: str = ""
    address: str = ""
    fitzpatrick: int | None = None
    notes: str = ""


@dataclass(frozen=True)
class PatientSummary:
    id: int
    record_number: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: Sex

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


@dataclass(frozen=True)
class PatientDetail:
    """Every patient field; ``notes`` is empty when the actor may not read clinical notes."""

    id: int
    record_number: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: Sex
    phone: str
    email: str
    address: str
    fitzpatrick: int | None
    notes: str
    created_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"


@dataclass(frozen=True)
class CaptureSummary:
    id: int
    taken_at: datetime
    source: CaptureSource
    width: int
    height: int
    sha256: str
    analysis_count: int


@dataclass(frozen=True)
class LesionSummary:
    id: int
    body_site: str
    label: str
    created_at: datetime
    captures: tuple[CaptureSummary, ...]
    status: str = "new"  # a services.lesion_status.LesionStatus value (the body map's colour)


@dataclass(frozen=True)
class PatientChart:
    patient: PatientDetail
    lesions: tuple[LesionSummary, ...]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    user_id: int | None
    username: str  # "" for events with no user (failed sign-in of an unknown name)
    action: AuditAction
    table: str
    record_id: int | None
    detail: str
