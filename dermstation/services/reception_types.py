"""Frozen values for appointments, working hours, the hospital directory and referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from dermstation.core.assessments import SignedAssessment
from dermstation.core.domain import AppointmentStatus, ReferralStatus, ReferralUrgency

# --- appointments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookingInput:
    """What the booking dialog submits.

    ``start`` is a wall-clock time in the clinic's time zone (naive), or an aware datetime. In the
    hour repeated when clocks go back, ``fold=1`` picks the second occurrence (as in ``zoneinfo``).
    """

    patient_id: int
    dermatologist_id: int
    start: datetime
    duration_minutes: int | None = None  # None: the dermatologist's slot length
    reason: str = ""
    notes: str = ""
    outside_hours_ok: bool = False


@dataclass(frozen=True)
class AppointmentInfo:
    """One appointment; ``start``/``end`` are aware datetimes in the clinic's time zone."""

    id: int
    patient_id: int
    patient_name: str  # "Family, Given"
    record_number: str
    dermatologist_id: int
    dermatologist_name: str
    start: datetime
    end: datetime
    status: AppointmentStatus
    reason: str
    notes: str

    @property
    def duration_minutes(self) -> int:
        # in UTC: subtracting two datetimes of the same zone gives wall-clock time, wrong across DST
        return int((self.end.astimezone(UTC) - self.start.astimezone(UTC)).total_seconds() // 60)

    @property
    def blocks_time(self) -> bool:
        return self.status not in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)


@dataclass(frozen=True)
class DayHours:
    """Working time on one weekday, local wall-clock."""

    start: time
    end: time


@dataclass(frozen=True)
class WorkingHours:
    """A dermatologist's week: ``days[0]`` is Monday; None means not working that day."""

    dermatologist_id: int
    slot_minutes: int
    days: tuple[DayHours | None, ...]
    is_default: bool = False


@dataclass(frozen=True)
class PatientAppointments:
    upcoming: tuple[AppointmentInfo, ...]
    past: tuple[AppointmentInfo, ...]


@dataclass(frozen=True)
class ScheduleExport:
    """An iCalendar file ready to be written: suggested file name and the text (CRLF lines)."""

    filename: str
    text: str


# --- hospitals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HospitalInput:
    name: str
    address: str = ""
    city: str = ""
    country: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    latitude: float | None = None
    longitude: float | None = None
    specialties: tuple[str, ...] = ()
    accepts_referrals: bool = True


@dataclass(frozen=True)
class HospitalInfo:
    id: int
    name: str
    address: str
    city: str
    country: str
    phone: str
    email: str
    website: str
    latitude: float | None
    longitude: float | None
    specialties: tuple[str, ...]
    accepts_referrals: bool
    retired: bool
    sample: bool

    def as_input(self) -> HospitalInput:
        return HospitalInput(
            name=self.name,
            address=self.address,
            city=self.city,
            country=self.country,
            phone=self.phone,
            email=self.email,
            website=self.website,
            latitude=self.latitude,
            longitude=self.longitude,
            specialties=self.specialties,
            accepts_referrals=self.accepts_referrals,
        )


@dataclass(frozen=True)
class HospitalSuggestion:
    hospital: HospitalInfo
    distance_km: float | None  # None when either end has no coordinates


@dataclass(frozen=True)
class RowError:
    """One problem in an imported CSV file; ``row`` counts the header as row 1 (as a spreadsheet does)."""

    row: int
    field: str
    message: str


@dataclass(frozen=True)
class ImportReport:
    """Valid rows are saved together in one transaction; rows with errors are skipped and listed."""

    added: int
    updated: int
    errors: tuple[RowError, ...]

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})


# --- referrals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralInput:
    patient_id: int
    hospital_id: int
    urgency: ReferralUrgency
    reason: str
    analysis_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReferralInfo:
    id: int
    patient_id: int
    hospital_id: int
    hospital_name: str
    urgency: ReferralUrgency
    reason: str  # "" for roles that may not read clinical text
    status: ReferralStatus
    analysis_ids: tuple[int, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AnalysisChoice:
    """An analysis that can be attached to a referral."""

    id: int
    created_at: datetime
    prediction: str
    malignancy_score: float
    body_site: str
    signed: SignedAssessment | None = None  # the clinician's current signature of this analysis


@dataclass(frozen=True)
class DaySpan:
    """A local calendar day and its UTC bounds (23 or 25 hours long on DST change days)."""

    day: date
    start_utc: datetime
    end_utc: datetime
