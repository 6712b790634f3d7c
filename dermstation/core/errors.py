"""One error hierarchy for the whole application.

Every error a user can cause or meet carries a plain, translatable ``message`` (shown as is) and
optional ``details`` (for the log and the "copy details" button). Never put patient identifiers in
either: they end up in logs.
"""

from __future__ import annotations


class DermStationError(Exception):
    """Base of every expected error; ``message`` is for the user, ``details`` for support."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.message} ({self.details})" if self.details else self.message


class Cancelled(DermStationError):
    """The user cancelled a long task. Presented silently."""

    def __init__(self, message: str = "Cancelled", details: str = "") -> None:
        super().__init__(message, details)


class ConfigError(DermStationError):
    """Settings or environment are unusable (bad database URL, unwritable data directory)."""


class OutputNotWritten(DermStationError):
    """A file was not written: the name exists (and overwriting was not asked for), it is a link, or
    the folder cannot be written. Nothing was changed."""


class ValidationError(DermStationError):
    """Input failed validation; ``field`` names the offending field when there is one."""

    def __init__(self, message: str, field: str = "", details: str = "") -> None:
        super().__init__(message, details)
        self.field = field


# --- records -----------------------------------------------------------------------------------
class RecordError(DermStationError):
    """Base for database and image-store problems."""


class RecordNotFound(RecordError):
    """A record that should exist does not."""


class DuplicateRecord(RecordError):
    """A unique value (record number, user name, ...) is already taken."""


class Conflict(RecordError):
    """A change collides with another one (double-booked slot, concurrent edit)."""


class DatabaseLocked(RecordError):
    """Another program holds the database; retrying later may work."""


class DatabaseUnavailable(RecordError):
    """The database cannot be opened or reached."""


class SchemaTooNew(RecordError):
    """The database was written by a newer DermStation; this version must not touch it."""


class StorageFull(RecordError):
    """The disk is full: nothing was written."""


class ImageStoreError(RecordError):
    """An image file in the store is missing or does not match its hash."""


# --- security ----------------------------------------------------------------------------------
class AuthenticationFailed(DermStationError):
    """Wrong user name or password, or a disabled account."""


class SignInBlocked(AuthenticationFailed):
    """Too many failed sign-ins: no attempt is checked before ``retry_after_s`` seconds have passed.

    ``locked`` tells a short delay from a temporary lock (which an administrator can lift).
    """

    def __init__(self, message: str, retry_after_s: int, locked: bool, details: str = "") -> None:
        super().__init__(message, details)
        self.retry_after_s = retry_after_s
        self.locked = locked


class PermissionDenied(DermStationError):
    """The signed-in user's role does not allow this."""


# --- images and models -------------------------------------------------------------------------
class ImageReadError(DermStationError):
    """An image file cannot be decoded, is truncated, or is too large to be safe."""


class DicomReadError(ImageReadError):
    """A DICOM file is malformed, truncated or holds no usable image."""


class NotApplicable(DermStationError):
    """The picture is not a dermoscopic image of a skin lesion, so it gets no AI score.

    ``reasons`` are ``core.refusals.Refusal`` codes, most basic first; ``evidence`` is what the check
    measured (``inference.applicability.Applicability`` for pixels), for display and the log.
    """

    def __init__(self, message: str, reasons: tuple[str, ...], details: str = "", evidence: object = None) -> None:
        super().__init__(message, details)
        self.reasons = tuple(reasons)
        self.evidence = evidence


class ModelLoadError(DermStationError):
    """A model file is missing, corrupt, or does not match its model card."""


class InferenceError(DermStationError):
    """A model failed while running."""


class CameraError(DermStationError):
    """The camera is unplugged, busy or delivers no frames."""


class AssistantError(DermStationError):
    """The explanation service failed (bad key, no network, refusal)."""
