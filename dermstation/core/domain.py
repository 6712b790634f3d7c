"""Domain vocabulary shared by every layer: enums and small frozen values."""

from __future__ import annotations

from enum import StrEnum

from dermstation.core.i18n import N_


class Role(StrEnum):
    ADMIN = "admin"
    DERMATOLOGIST = "dermatologist"
    RECEPTIONIST = "receptionist"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class CaptureSource(StrEnum):
    CAMERA = "camera"
    FILE = "file"
    DICOM = "dicom"


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class ReferralUrgency(StrEnum):
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"


class ReferralStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SEEN = "seen"
    CLOSED = "closed"


class AuditAction(StrEnum):
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    EXPORT = "export"
    PRINT = "print"
    SEARCH = "search"


# HAM10000 diagnostic classes, in the order every model and table uses.
LESION_CLASSES: tuple[str, ...] = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
MALIGNANT_CLASSES: tuple[str, ...] = ("akiec", "bcc", "mel")

LESION_CLASS_NAMES: dict[str, str] = {  # English; shown through _() (N_ marks them for the catalogues)
    "akiec": N_("Actinic keratosis / intraepithelial carcinoma"),
    "bcc": N_("Basal cell carcinoma"),
    "bkl": N_("Benign keratosis"),
    "df": N_("Dermatofibroma"),
    "mel": N_("Melanoma"),
    "nv": N_("Melanocytic nevus"),
    "vasc": N_("Vascular lesion"),
}

FITZPATRICK_TYPES: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
