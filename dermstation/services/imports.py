"""Bring pictures into a lesion: image and DICOM files, and camera frames, as captures.

Each file is read once and decoded once (``captures.prepare``) before anything is stored, so a file
that fails leaves nothing behind; the batch goes on and every failure is reported for its file, with
its name and the real problem. Cancelling keeps what was already imported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from dermstation.core.errors import (
    Cancelled,
    DermStationError,
    PermissionDenied,
    RecordNotFound,
)
from dermstation.core.i18n import _
from dermstation.core.progress import Progress
from dermstation.inference.image_io import LoadedImage
from dermstation.services.analysis import collect_paths
from dermstation.services.analysis_records import CaptureImage
from dermstation.services.captures import (
    CaptureService,
    PreparedCapture,
    decode_stored,
    prepare_file,
    prepare_frame,
    with_profile,
)
from dermstation.services.device_profiles import DeviceProfile
from dermstation.services.types import CaptureSummary, CurrentUser

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class ImportFailure:
    path: Path
    message: str  # plain, for the user; names the file
    details: str = ""


@dataclass(frozen=True)
class PictureImportReport:
    """What a batch of picture files became: captures, and a failure (with its message) per bad file."""

    imported: tuple[CaptureSummary, ...]
    failures: tuple[ImportFailure, ...]
    cancelled: bool = False

    @property
    def total(self) -> int:
        return len(self.imported) + len(self.failures)


def decode_capture(image: CaptureImage) -> LoadedImage:
    """The stored picture as RGB at working size, through the one decoder (same pixels as at import)."""
    return decode_stored(image.data, image.original_name or _("Picture {id}").format(id=image.capture_id))


def thumbnail(image: CaptureImage, side: int = 96) -> np.ndarray:
    """A small RGB preview of a stored picture (longest side ``side``), for timelines."""
    rgb = decode_capture(image).pixels
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _inline(fn: Callable[[], T]) -> T:
    return fn()


class ImportService:
    def __init__(self, captures: CaptureService) -> None:
        self._captures = captures

    def import_files(
        self,
        actor: CurrentUser,
        lesion_id: int,
        paths: Iterable[str | Path],
        progress: Progress | None = None,
        pixel_spacing_mm: float | None = None,
        run_on_db: Callable[[Callable[[], CaptureSummary]], CaptureSummary] = _inline,
        device_profile: DeviceProfile | None = None,
    ) -> PictureImportReport:
        """Import images (JPEG/PNG/TIFF/BMP/WebP/GIF/HEIC) and DICOM files (folders searched) into a lesion.

        Run it on a worker thread: each file is read and decoded here, and only its storing goes through
        ``run_on_db`` (the GUI passes one that runs it on the database thread; the default runs it here).
        Every per-file problem (unreadable, damaged, unsupported, not a photograph, a duplicate, a storage
        error) is reported for that file and the batch goes on; a permission or missing-lesion error stops it
        (it would fail for every file). ``Cancelled`` is not raised: the report says so and keeps what was done.
        ``device_profile`` gives each picture its pixel size (a DICOM file's own spacing wins; a picture of
        another shape than the profile's is reported for its file).
        """
        files = collect_paths(paths)
        progress = progress or Progress()
        imported: list[CaptureSummary] = []
        failures: list[ImportFailure] = []
        for i, path in enumerate(files):
            try:
                progress.update(i, len(files), _("Importing {name}").format(name=path.name))
            except Cancelled:
                return PictureImportReport(tuple(imported), tuple(failures), cancelled=True)
            try:
                prepared = with_profile(prepare_file(path, pixel_spacing_mm), device_profile)
                imported.append(run_on_db(lambda p=prepared: self._captures.add(actor, lesion_id, p)))
            except (PermissionDenied, RecordNotFound, Cancelled):
                raise
            except DermStationError as exc:
                failures.append(ImportFailure(path, _named(exc.message, path), exc.details))
                log.info("import of a file failed: %s", type(exc).__name__)
            except Exception as exc:  # noqa: BLE001 - one bad file must never end the batch
                failures.append(ImportFailure(path, _("{name} could not be imported ({kind}).").format(
                    name=path.name, kind=type(exc).__name__), f"{type(exc).__name__}: {exc}"))
                log.exception("import of a file failed unexpectedly")
        try:
            progress.update(len(files), len(files), _("Done"))
        except Cancelled:
            return PictureImportReport(tuple(imported), tuple(failures), cancelled=True)
        return PictureImportReport(tuple(imported), tuple(failures))

    def add_prepared(self, actor: CurrentUser, lesion_id: int, prepared: PreparedCapture) -> CaptureSummary:
        """Store a picture prepared on a worker (``captures.prepare``) in a lesion."""
        return self._captures.add(actor, lesion_id, prepared)

    def add_frame(self, actor: CurrentUser, lesion_id: int, rgb: np.ndarray,
                  pixel_spacing_mm: float | None = None, taken_at: datetime | None = None,
                  device_profile: DeviceProfile | None = None) -> CaptureSummary:
        """Store a full-resolution camera frame (RGB) as a lossless PNG capture."""
        return self._captures.add(actor, lesion_id, prepare_frame(rgb, pixel_spacing_mm, taken_at, device_profile))


def _named(message: str, path: Path) -> str:
    """Messages name the file: add the name when the message does not say it already."""
    return message if path.name in message else _("{name}: {message}").format(name=path.name, message=message)
