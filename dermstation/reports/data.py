"""What a report shows, as frozen values: the services gather them, the renderers only draw them.

Nothing here reaches the database or the models, so a report can be rendered from any source (a
stored analysis, a fresh one, a test) and on any thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    address: str = ""
    phone: str = ""
    email: str = ""
    header: str = ""  # the clinic's own line under its name (replaces address/phone/e-mail there)


@dataclass(frozen=True)
class PatientIdentifiers:
    full_name: str
    record_number: str
    date_of_birth: date | None = None
    sex: str = ""  # core.domain.Sex value


@dataclass(frozen=True)
class MetricLine:
    """One lesion measurement and, when the lesion was measured at an earlier visit, that value."""

    name: str
    label: str
    value: float
    unit: str
    previous: float | None = None

    @property
    def change_pct(self) -> float | None:
        if self.previous is None or self.previous <= 0:
            return None
        return 100.0 * (self.value - self.previous) / self.previous


@dataclass(frozen=True)
class ModelLine:
    name: str
    version: str


@dataclass(frozen=True)
class Assessment:
    """The clinician's signed conclusion (the report's diagnosis is the clinician's, not the model's)."""

    diagnosis: str
    notes: str
    signed_by: str
    signed_at: datetime | None
    codes: str = ""  # "SNOMED CT … · ICD-10 …" of a coded diagnosis
    plan: str = ""  # the signed plan in words
    version: int = 1  # > 1: an amendment


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything one lesion report shows. Images are RGB uint8 arrays (H, W, 3)."""

    clinic: ClinicInfo
    patient: PatientIdentifiers
    lesion_site: str
    image_rgb: np.ndarray
    overlay_rgb: np.ndarray | None  # the image with the lesion contour
    cam_rgb: np.ndarray | None  # the activation heatmap over the image
    probabilities: tuple[tuple[str, float], ...]  # (class key, probability) in model order
    malignancy: float
    threshold: float | None  # None: not recorded with the analysis (no verdict is printed)
    metrics: tuple[MetricLine, ...] = ()
    previous_visit: date | None = None
    quality_flags: tuple[str, ...] = ()  # user-facing messages, translated when the report is rendered
    models: tuple[ModelLine, ...] = ()
    provider: str = ""
    assessment: Assessment | None = None
    lesion_label: str = ""
    captured_at: datetime | None = None
    generated_at: datetime | None = None
    language: str = "en"
    prediction: str = ""  # the model's top class as it recorded it (ties); default: the largest probability

    @property
    def suspicious(self) -> bool:
        return self.threshold is not None and self.malignancy >= self.threshold

    @property
    def top_class(self) -> str:
        if self.prediction:
            return self.prediction
        return max(self.probabilities, key=lambda cp: cp[1])[0] if self.probabilities else ""


@dataclass(frozen=True)
class SummaryExplanation:
    """An explanation the clinician approved for the patient, printed with the summary."""

    text: str
    sources: tuple[tuple[str, str], ...] = ()  # (title, url), numbered in this order
    written_by: str = "offline"  # "online" (an AI service), "offline" (the knowledge base), "clinician"


@dataclass(frozen=True)
class PatientSummaryData:
    """A plain-language summary for the patient, in the patient's language, of one signed assessment.

    ``patient_key`` is the signed diagnosis's ``PatientKey`` value and ``plan`` a key of
    ``core.patient_text.PLAN_TEXT_KEYS``: the wording comes from them and from nothing else.
    """

    clinic: ClinicInfo
    patient_name: str
    record_number: str
    lesion_site: str
    patient_key: str
    plan: str
    follow_up_due: date | None = None
    referral_hospital: str = ""
    clinician: str = ""
    visit_date: date | None = None
    language: str = "en"
    age_band: str = "unknown"
    explanation: SummaryExplanation | None = None


@dataclass(frozen=True)
class HospitalInfo:
    name: str
    address: str = ""
    city: str = ""
    country: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True, eq=False)
class ReferralLesion:
    """One lesion the letter is about: the clinician's signed diagnosis and plan and, as support only, the
    AI score. ``notes`` holds the signed notes only when the clinician chose to include them."""

    site: str
    diagnosis: str
    codes: str = ""  # "SNOMED CT 254730000 · ICD-10 C43.9"
    plan: str = ""
    signed: str = ""  # who signed it and when
    notes: str = ""
    malignancy: float | None = None
    threshold: float | None = None
    key_metrics: tuple[MetricLine, ...] = ()
    image_rgb: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class ReferralData:
    clinic: ClinicInfo
    hospital: HospitalInfo
    patient: PatientIdentifiers
    urgency: str  # core.domain.ReferralUrgency value
    reason: str
    referring_clinician: str
    lesions: tuple[ReferralLesion, ...] = ()
    patient_phone: str = ""
    patient_address: str = ""
    letter_date: date | None = None
    models: tuple[ModelLine, ...] = field(default=())
    language: str = "en"


@dataclass(frozen=True, eq=False)
class VisitLesion:
    """One lesion seen at a visit: its picture that day, sizes, change and the signed diagnosis and plan.

    ``change_basis`` says what the change column rests on: "first" (no earlier analysed picture), "stored"
    (the two pictures' stored sizes in mm, not aligned) or "no_scale" (sizes without a pixel size: no change
    shown). ``diagnosis`` is the clinician's signed one ("" when unsigned); the AI score is support only.
    """

    site: str
    label: str = ""
    captured_at: datetime | None = None
    image_rgb: np.ndarray | None = None  # the picture with the lesion outline, when analysed
    metrics: tuple[MetricLine, ...] = ()
    previous_visit: date | None = None
    change_basis: str = "first"
    assessment: Assessment | None = None
    malignancy: float | None = None
    threshold: float | None = None


@dataclass(frozen=True, eq=False)
class VisitReportData:
    """Every lesion photographed for one patient on one clinic day."""

    clinic: ClinicInfo
    patient: PatientIdentifiers
    visit_date: date
    lesions: tuple[VisitLesion, ...] = ()
    models: tuple[ModelLine, ...] = ()
    generated_at: datetime | None = None
    language: str = "en"
