"""Device profiles: a dermatoscope + camera + resolution and the size of one pixel, in mm.

A profile is calibrated once from a picture the device took of a millimetre ruler or of a round reference
sticker (``inference.calibration``), or from a DICOM file's Pixel Spacing / Imager Pixel Spacing, or typed
in. It is chosen when pictures are captured or imported, and each capture keeps the pixel size it got then
(``captures.prepare_*(..., profile=)``), so sizes are in mm and follow-ups compare like with like.
Administrators and dermatologists manage profiles (Settings); every change is audited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermstation.core.domain import AuditAction, Role
from dermstation.core.errors import DuplicateRecord, RecordNotFound, ValidationError
from dermstation.core.i18n import _, format_number
from dermstation.inference.calibration import measure_ruler, measure_sticker, spacing_at
from dermstation.records.database import Database
from dermstation.records.device_models import CALIBRATION_METHODS, DeviceProfileRow
from dermstation.services.audit import AuditLog
from dermstation.services.permissions import authorize
from dermstation.services.types import CurrentUser

PROFILE_MANAGERS = frozenset({Role.ADMIN, Role.DERMATOLOGIST})
"""Who may add, recalibrate and retire device profiles (and list them to choose one)."""
MAX_MM_PER_PIXEL = 1.0
"""A dermatoscope picture with pixels larger than a millimetre is a mistake (a ruler in cm, say)."""


@dataclass(frozen=True)
class DeviceProfile:
    id: int
    name: str
    dermatoscope: str
    camera: str
    width: int  # the resolution it was calibrated at
    height: int
    mm_per_pixel: float
    method: str  # "ruler", "sticker", "dicom", "manual"
    note: str
    retired: bool = False

    def spacing_for(self, width: int, height: int) -> float | None:
        """The pixel size of a ``width`` x ``height`` picture from this device (None: another shape)."""
        return spacing_at(self.mm_per_pixel, (self.width, self.height), (width, height))

    @property
    def label(self) -> str:
        return _("{name} · {width}×{height} · {spacing} mm/pixel").format(
            name=self.name, width=self.width, height=self.height, spacing=format_number(self.mm_per_pixel, 4))


def profile_spacing(profile: DeviceProfile, width: int, height: int, name: str) -> float:
    """The pixel size ``profile`` gives a ``width`` x ``height`` picture called ``name``; ``ValidationError``
    naming it when the profile was calibrated for another picture shape (another device or crop)."""
    spacing = profile.spacing_for(width, height)
    if spacing is None:
        raise ValidationError(
            _("{name} is {width}×{height} pixels, but the device profile {profile} is for {pw}×{ph} pictures: "
              "choose the profile of the device that took it.").format(
                name=name, width=width, height=height, profile=profile.name, pw=profile.width, ph=profile.height),
            field="device_profile")
    return spacing


@dataclass(frozen=True)
class Calibration:
    """A measured pixel size at a resolution, before it is saved as a profile."""

    width: int
    height: int
    mm_per_pixel: float
    method: str
    note: str  # how: "ruler, 1 mm ticks every 12.37 px", for the audit and Settings


def check_calibration(c: Calibration) -> None:
    if c.method not in CALIBRATION_METHODS:
        raise ValidationError(_("Unknown calibration method."), field="method")
    for value in (c.width, c.height):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 100_000:
            raise ValidationError(_("The picture size is not valid."), field="resolution")
    if not (isinstance(c.mm_per_pixel, int | float) and math.isfinite(c.mm_per_pixel)
            and 0 < c.mm_per_pixel <= MAX_MM_PER_PIXEL):
        raise ValidationError(_("The pixel size must be more than 0 and at most 1 mm."), field="mm_per_pixel")


def _positive_mm(value: float, field: str) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and 0 < value <= 100):
        raise ValidationError(_("The reference length must be between 0 and 100 mm."), field=field)
    return float(value)


def calibrate_file(path: str | Path, method: str, reference_mm: float = 1.0) -> Calibration:
    """Measure a calibration picture (the one decoder reads it) [worker].

    ``method``: "ruler" (``reference_mm`` between two ticks), "sticker" (``reference_mm`` across the
    sticker) or "dicom" (the file's own Pixel Spacing / Imager Pixel Spacing).
    """
    from dermstation.services.captures import prepare_file  # captures imports this module

    prepared = prepare_file(path)
    width, height = prepared.width, prepared.height
    if method == "dicom":
        if prepared.dicom is None or prepared.dicom.pixel_spacing_mm is None:
            raise ValidationError(_("{name} states no pixel spacing.").format(name=Path(path).name),
                                  field="calibration")
        return Calibration(width, height, prepared.dicom.pixel_spacing_mm, "dicom",
                           "DICOM pixel spacing")
    scale = prepared.image.scale  # working pixels per stored pixel
    pixels = prepared.image.pixels
    if method == "ruler":
        tick = _positive_mm(reference_mm, "reference_mm")
        ruler = measure_ruler(pixels)
        period = ruler.period_px / scale
        return Calibration(width, height, tick / period, "ruler",
                           f"ruler: {tick:g} mm between ticks, {period:.2f} px apart")
    if method == "sticker":
        diameter = _positive_mm(reference_mm, "reference_mm")
        sticker = measure_sticker(pixels)
        across = sticker.diameter_px / scale
        return Calibration(width, height, diameter / across, "sticker",
                           f"sticker: {diameter:g} mm across, {across:.1f} px")
    raise ValidationError(_("Unknown calibration method."), field="method")


def _profile(row: DeviceProfileRow) -> DeviceProfile:
    return DeviceProfile(row.id, row.name, row.dermatoscope, row.camera, row.width, row.height, row.mm_per_pixel,
                         row.method, row.note, row.retired)


def _clean(text: str, limit: int, field: str) -> str:
    text = (text or "").strip()
    if len(text) > limit or any(ch in text for ch in "\r\n\t"):
        raise ValidationError(_("This text is too long or has line breaks."), field=field)
    return text


class DeviceProfileService:
    def __init__(self, database: Database, audit: AuditLog) -> None:
        self._db = database
        self._audit = audit

    def list(self, actor: CurrentUser, include_retired: bool = False) -> tuple[DeviceProfile, ...]:
        with self._db.session() as session:
            authorize(session, actor, PROFILE_MANAGERS)
            query = select(DeviceProfileRow).order_by(DeviceProfileRow.name)
            if not include_retired:
                query = query.where(DeviceProfileRow.retired.is_(False))
            return tuple(_profile(r) for r in session.scalars(query))

    def get(self, actor: CurrentUser, profile_id: int) -> DeviceProfile:
        with self._db.session() as session:
            authorize(session, actor, PROFILE_MANAGERS)
            return _profile(self._row(session, profile_id))

    def by_name(self, name: str) -> DeviceProfile:
        """A profile by its name, for the headless CLI (a device's pixel size is no patient data)."""
        with self._db.session() as session:
            row = session.scalar(select(DeviceProfileRow).where(DeviceProfileRow.name == name.strip()))
            if row is None:
                raise RecordNotFound(_("There is no device profile named {name}.").format(name=name),
                                     details=f"device profile {name!r}")
            return _profile(row)

    def create(self, actor: CurrentUser, name: str, dermatoscope: str, camera: str,
               calibration: Calibration) -> DeviceProfile:
        name = _clean(name, 100, "name")
        if not name:
            raise ValidationError(_("Give the profile a name."), field="name")
        check_calibration(calibration)
        with self._db.session() as session:
            authorize(session, actor, PROFILE_MANAGERS)
            self._unique(session, name, None)
            row = DeviceProfileRow(name=name, dermatoscope=_clean(dermatoscope, 100, "dermatoscope"),
                                   camera=_clean(camera, 100, "camera"), width=calibration.width,
                                   height=calibration.height, mm_per_pixel=float(calibration.mm_per_pixel),
                                   method=calibration.method, note=calibration.note[:500],
                                   created_by_id=actor.id, updated_by_id=actor.id)
            session.add(row)
            session.flush()
            self._audit.record(session, actor.id, AuditAction.CREATE, "device_profiles", row.id,
                               f"{row.width}x{row.height} {row.mm_per_pixel:.6g} mm/px by {row.method}")
            return _profile(row)

    def update(self, actor: CurrentUser, profile_id: int, *, name: str, dermatoscope: str, camera: str,
               calibration: Calibration | None = None) -> DeviceProfile:
        """Rename or recalibrate a profile. Pictures already stored keep the pixel size they were given."""
        name = _clean(name, 100, "name")
        if not name:
            raise ValidationError(_("Give the profile a name."), field="name")
        if calibration is not None:
            check_calibration(calibration)
        with self._db.session() as session:
            authorize(session, actor, PROFILE_MANAGERS)
            row = self._row(session, profile_id)
            self._unique(session, name, row.id)
            before = f"{row.width}x{row.height} {row.mm_per_pixel:.6g} mm/px"
            row.name, row.dermatoscope, row.camera = name, _clean(dermatoscope, 100, "dermatoscope"), _clean(
                camera, 100, "camera")
            if calibration is not None:
                row.width, row.height = calibration.width, calibration.height
                row.mm_per_pixel, row.method, row.note = (float(calibration.mm_per_pixel), calibration.method,
                                                          calibration.note[:500])
            row.updated_by_id = actor.id
            session.flush()
            self._audit.record(session, actor.id, AuditAction.UPDATE, "device_profiles", row.id,
                               f"{before} -> {row.width}x{row.height} {row.mm_per_pixel:.6g} mm/px")
            return _profile(row)

    def set_retired(self, actor: CurrentUser, profile_id: int, retired: bool = True) -> DeviceProfile:
        """Retire a profile (no longer offered at capture; the pictures that used it keep it) or bring it back."""
        with self._db.session() as session:
            authorize(session, actor, PROFILE_MANAGERS)
            row = self._row(session, profile_id)
            row.retired = bool(retired)
            row.updated_by_id = actor.id
            session.flush()
            self._audit.record(session, actor.id, AuditAction.UPDATE, "device_profiles", row.id,
                               "retired" if retired else "reinstated")
            return _profile(row)

    @staticmethod
    def _row(session: Session, profile_id: int) -> DeviceProfileRow:
        row = session.get(DeviceProfileRow, profile_id)
        if row is None:
            raise RecordNotFound(_("This device profile does not exist."), details=f"device profile {profile_id}")
        return row

    @staticmethod
    def _unique(session: Session, name: str, own_id: int | None) -> None:
        other = session.scalar(select(DeviceProfileRow.id).where(DeviceProfileRow.name == name))
        if other is not None and other != own_id:
            raise DuplicateRecord(_("A device profile named {name} exists already.").format(name=name),
                                  details=f"device profile {other}")
