"""Image captures of a lesion: bytes in the content-addressed store, metadata in the database.

The picture path starts here. ``prepare(path | frame | dicom)`` (on a worker thread) reads the input
once and decodes it once with the one decoder (``inference.image_io``; DICOM through
``dicom.importer``) into a ``PreparedCapture``: the bytes the store will keep and the pixels every
later step analyses. ``CaptureService.add`` / ``store`` (on the database thread) check it once, refuse
a duplicate of a picture the lesion already has, and write file, row and audit event.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from dermstation.core.domain import AuditAction, CaptureSource
from dermstation.core.errors import DuplicateRecord, ImageReadError, RecordNotFound, ValidationError
from dermstation.core.i18n import _
from dermstation.dicom.importer import DicomImage, read_dicom_image
from dermstation.dicom.reader import DICOM_EXTENSIONS
from dermstation.inference.image_io import LoadedImage, decode_image, load_array
from dermstation.inference.overlay import encode_png
from dermstation.records.database import Database
from dermstation.records.image_store import ImageStore, sha256_hex
from dermstation.records.models import ImageCapture, Lesion
from dermstation.services.audit import AuditLog
from dermstation.services.device_profiles import DeviceProfile, profile_spacing
from dermstation.services.patients import capture_summary
from dermstation.services.permissions import CLINICAL_ROLES, authorize
from dermstation.services.types import CaptureSummary, CurrentUser

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 512 * 1024 * 1024
MAX_DIMENSION = 100_000


def check_capture(
    image_bytes: bytes,
    source: CaptureSource,
    width: int,
    height: int,
    original_name: str,
    pixel_spacing_mm: float | None,
    taken_at: datetime | None,
) -> None:
    if not image_bytes:
        raise ValidationError(_("The image is empty."), field="image_bytes")
    if len(image_bytes) > MAX_IMAGE_BYTES:
        raise ValidationError(_("The image is too large."), field="image_bytes")
    if not isinstance(source, CaptureSource):
        raise ValidationError(_("Unknown image source."), field="source")
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_DIMENSION:
            raise ValidationError(_("The image size is not valid."), field=name)
    if pixel_spacing_mm is not None and not (
        isinstance(pixel_spacing_mm, int | float) and math.isfinite(pixel_spacing_mm) and pixel_spacing_mm > 0
    ):
        raise ValidationError(_("The pixel spacing must be a positive number."), field="pixel_spacing_mm")
    if len(original_name) > 255:
        raise ValidationError(_("The file name is too long."), field="original_name")
    if taken_at is not None and taken_at.tzinfo is None:
        raise ValidationError(_("The capture time has no time zone."), field="taken_at")


@dataclass(frozen=True, eq=False)
class PreparedCapture:
    """One picture read and decoded once: what the store keeps and what the analysis sees."""

    data: bytes  # stored bytes: the file as it came, or a lossless PNG of camera/DICOM pixels
    sha256: str
    source: CaptureSource
    image: LoadedImage  # the decoded picture at working size: the pixels every later step uses
    original_name: str  # the file's name ("" for a camera frame)
    pixel_spacing_mm: float | None  # size of one stored pixel, when known
    taken_at: datetime | None = None
    dicom: DicomImage | None = None  # the DICOM attributes (patient, study), for a DICOM file
    device_profile_id: int | None = None  # the device profile the pixel size came from
    spacing_source: str | None = None  # "profile", "dicom" or "manual" (None: no pixel size)

    @property
    def height(self) -> int:
        return self.image.original_size[0]

    @property
    def width(self) -> int:
        return self.image.original_size[1]


def _is_dicom(path: Path, head: bytes) -> bool:
    return path.suffix.lower() in DICOM_EXTENSIONS or head[128:132] == b"DICM"


def with_profile(prepared: PreparedCapture, profile: DeviceProfile | None) -> PreparedCapture:
    """The picture with its pixel size from ``profile`` (a DICOM file's own spacing wins; no profile: as it is).

    ``ValidationError`` naming the picture when the profile was calibrated for another picture shape."""
    if profile is None or prepared.spacing_source == "dicom":
        return prepared
    spacing = profile_spacing(profile, prepared.width, prepared.height, prepared.original_name or _("The picture"))
    return replace(prepared, pixel_spacing_mm=spacing, device_profile_id=profile.id, spacing_source="profile")


def _source(spacing: float | None) -> str | None:
    return "manual" if spacing is not None else None


def prepare_file(path: str | Path, pixel_spacing_mm: float | None = None,
                 profile: DeviceProfile | None = None) -> PreparedCapture:
    """Read an image or DICOM file once and decode it once (``ImageReadError``/``DicomReadError`` naming it).

    A DICOM file's own pixel spacing wins over ``profile``, which wins over ``pixel_spacing_mm``.
    """
    path = Path(path)
    name = path.name[-255:]
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ImageReadError(_("The file {name} does not exist").format(name=path.name), str(path)) from exc
    except IsADirectoryError as exc:
        raise ImageReadError(_("{name} is a folder, not an image").format(name=path.name), str(path)) from exc
    except OSError as exc:
        raise ImageReadError(_("The file {name} cannot be read").format(name=path.name), f"{path}: {exc}") from exc
    if _is_dicom(path, data[:132]):
        return with_profile(prepare_dicom(read_dicom_image(data, path.name), name, pixel_spacing_mm), profile)
    image = decode_image(data, path.name)
    return with_profile(PreparedCapture(data, sha256_hex(data), CaptureSource.FILE, image, name, pixel_spacing_mm,
                                        spacing_source=_source(pixel_spacing_mm)), profile)


def prepare_frame(rgb: np.ndarray, pixel_spacing_mm: float | None = None,
                  taken_at: datetime | None = None, profile: DeviceProfile | None = None) -> PreparedCapture:
    """A full-resolution camera frame (RGB), kept as a lossless PNG."""
    if rgb.ndim != 3 or rgb.shape[2] < 3 or rgb.size == 0:
        raise ImageReadError(_("The camera frame is not a colour picture."), f"shape {rgb.shape}")
    image = load_array(rgb, source=_("The camera frame"))
    png = encode_png(np.ascontiguousarray(rgb[:, :, :3]))
    return with_profile(PreparedCapture(png, sha256_hex(png), CaptureSource.CAMERA, image, "", pixel_spacing_mm,
                                        taken_at or datetime.now(UTC), spacing_source=_source(pixel_spacing_mm)),
                        profile)


def prepare_dicom(dicom: DicomImage, name: str, pixel_spacing_mm: float | None = None) -> PreparedCapture:
    """A decoded DICOM photograph, kept as a lossless PNG of its pixels (the file's spacing wins)."""
    image = load_array(dicom.pixels, source=name or "DICOM")
    png = encode_png(dicom.pixels)
    taken_at = (dicom.acquired_at.astimezone() if dicom.acquired_at and dicom.acquired_at.tzinfo is None
                else dicom.acquired_at)
    spacing = dicom.pixel_spacing_mm if dicom.pixel_spacing_mm is not None else pixel_spacing_mm
    source = "dicom" if dicom.pixel_spacing_mm is not None else _source(pixel_spacing_mm)
    return PreparedCapture(png, sha256_hex(png), CaptureSource.DICOM, image, (name or "dicom")[-255:], spacing,
                           taken_at, dicom, spacing_source=source)


def prepare(source: str | Path | np.ndarray | DicomImage, *, name: str = "",
            pixel_spacing_mm: float | None = None, taken_at: datetime | None = None,
            profile: DeviceProfile | None = None) -> PreparedCapture:
    """``prepare_file`` for a path, ``prepare_frame`` for RGB pixels, ``prepare_dicom`` for a read DICOM."""
    if isinstance(source, DicomImage):
        return with_profile(prepare_dicom(source, name, pixel_spacing_mm), profile)
    if isinstance(source, np.ndarray):
        return prepare_frame(source, pixel_spacing_mm, taken_at, profile)
    return prepare_file(source, pixel_spacing_mm, profile)


def decode_stored(data: bytes, name: str = "") -> LoadedImage:
    """A stored picture's pixels, through the same decoder as at import (the store verified the bytes)."""
    return decode_image(data, name or _("The stored image"))


class CaptureService:
    def __init__(self, database: Database, audit: AuditLog, image_store: ImageStore) -> None:
        self._db = database
        self._audit = audit
        self._images = image_store

    def add_capture(
        self,
        actor: CurrentUser,
        lesion_id: int,
        image_bytes: bytes,
        source: CaptureSource,
        width: int,
        height: int,
        original_name: str = "",
        pixel_spacing_mm: float | None = None,
        taken_at: datetime | None = None,
    ) -> CaptureSummary:
        """Store already-encoded bytes as a capture (checked once, in ``store``). Imports use ``add``."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            lesion = session.get(Lesion, lesion_id)
            if lesion is None:
                raise RecordNotFound(_("This lesion does not exist."), details=f"lesion {lesion_id}")
            capture = self.store(session, actor, lesion, image_bytes, source, width, height, original_name,
                                 pixel_spacing_mm, taken_at)
            log.info("user %d added capture %d to lesion %d", actor.id, capture.id, lesion.id)
            return capture_summary(capture, 0)

    def add(self, actor: CurrentUser, lesion_id: int, prepared: PreparedCapture) -> CaptureSummary:
        """Store a prepared picture in a lesion (``DuplicateRecord`` when the lesion already has it)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            lesion = session.get(Lesion, lesion_id)
            if lesion is None:
                raise RecordNotFound(_("This lesion does not exist."), details=f"lesion {lesion_id}")
            capture = self.store_prepared(session, actor, lesion, prepared)
            log.info("user %d added capture %d to lesion %d", actor.id, capture.id, lesion.id)
            return capture_summary(capture, 0)

    def store_prepared(self, session: Session, actor: CurrentUser, lesion: Lesion, prepared: PreparedCapture,
                       audit_detail: str = "") -> ImageCapture:
        """``store`` for a prepared picture, refusing a picture this lesion already has (same bytes)."""
        # a retracted copy does not count: taking a picture back by mistake must not block importing it again
        if session.scalar(select(ImageCapture.id).where(ImageCapture.lesion_id == lesion.id,
                                                        ImageCapture.sha256 == prepared.sha256,
                                                        ImageCapture.retracted_at.is_(None)).limit(1)):
            raise DuplicateRecord(
                _("{name} is already in this lesion's pictures (the same image was imported before).").format(
                    name=prepared.original_name or _("This picture")),
                details=f"lesion {lesion.id} sha256 {prepared.sha256[:12]}")
        return self.store(session, actor, lesion, prepared.data, prepared.source, prepared.width, prepared.height,
                          prepared.original_name, prepared.pixel_spacing_mm, prepared.taken_at, audit_detail,
                          device_profile_id=prepared.device_profile_id, spacing_source=prepared.spacing_source)

    def store(
        self,
        session: Session,
        actor: CurrentUser,
        lesion: Lesion,
        image_bytes: bytes,
        source: CaptureSource,
        width: int,
        height: int,
        original_name: str = "",
        pixel_spacing_mm: float | None = None,
        taken_at: datetime | None = None,
        audit_detail: str = "",
        *,
        device_profile_id: int | None = None,
        spacing_source: str | None = None,
    ) -> ImageCapture:
        """Check (the one check), store the file and add the row (audited) inside the caller's transaction.

        For callers that must be all-or-nothing with other rows (DICOM import creates patient, lesion
        and capture together); the caller has already authorised ``actor``.
        """
        check_capture(image_bytes, source, width, height, original_name, pixel_spacing_mm, taken_at)
        digest = self._images.put(bytes(image_bytes))
        capture = ImageCapture(
            lesion_id=lesion.id,
            taken_at=(taken_at or datetime.now(UTC)),
            source=source,
            sha256=digest,
            size_bytes=len(image_bytes),
            width=width,
            height=height,
            pixel_spacing_mm=float(pixel_spacing_mm) if pixel_spacing_mm is not None else None,
            device_profile_id=device_profile_id,
            spacing_source=(spacing_source or "manual") if pixel_spacing_mm is not None else None,
            original_filename=original_name.strip(),
            created_by_id=actor.id,
        )
        session.add(capture)
        session.flush()
        detail = f"lesion={lesion.id}" + (f" {audit_detail}" if audit_detail else "") + (
            f" device_profile={device_profile_id}" if device_profile_id is not None else "")
        self._audit.record(session, actor.id, AuditAction.CREATE, "image_captures", capture.id, detail)
        return capture

    def read_capture(self, actor: CurrentUser, capture_id: int) -> bytes:
        """The capture's image bytes, verified against their hash (ImageStoreError if damaged)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            capture = session.get(ImageCapture, capture_id)
            if capture is None:
                raise RecordNotFound(_("This image does not exist."), details=f"capture {capture_id}")
            data = self._images.read(capture.sha256)
            self._audit.record(session, actor.id, AuditAction.VIEW, "image_captures", capture.id)
            return data
