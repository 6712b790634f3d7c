"""Bring pictures into a lesion: image and DICOM files, and camera frames, as captures.

Each file is decoded before anything is stored, so a file that fails leaves nothing behind; the
batch goes on and the failures are reported together. Cancelling keeps what was already imported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from dermstation.core.domain import CaptureSource
from dermstation.core.errors import Cancelled, DermStationError, ImageReadError, ValidationError
from dermstation.core.i18n import _
from dermstation.core.progress import Progress
from dermstation.dicom.reader import is_dicom_file, read_dicom
from dermstation.inference.image_io import LoadedImage, load_array, read_image
from dermstation.services.analysis import collect_paths
from dermstation.services.analysis_records import CaptureImage
from dermstation.services.captures import CaptureService
from dermstation.services.types import CaptureSummary, CurrentUser

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportFailure:
    path: Path
    message: str  # plain, for the user
    details: str = ""


@dataclass(frozen=True)
class ImportReport:
    imported: tuple[CaptureSummary, ...]
    failures: tuple[ImportFailure, ...]
    cancelled: bool = False

    @property
    def total(self) -> int:
        return len(self.imported) + len(self.failures)


def encode_png(rgb: np.ndarray) -> bytes:
    """Lossless PNG of RGB pixels (camera frames and DICOM pixels are stored as PNG)."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb[:, :, :3]), cv2.COLOR_RGB2BGR))
    if not ok:
        raise ImageReadError(_("The image cannot be encoded."), "PNG encoder failed")
    return buf.tobytes()


def decode_capture(image: CaptureImage) -> LoadedImage:
    """The stored picture as RGB at working size (the store verified the bytes already)."""
    decoded = cv2.imdecode(np.frombuffer(image.data, np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise ImageReadError(_("The stored image cannot be decoded."), f"capture {image.capture_id}")
    return load_array(decoded, bgr=True, source=f"capture {image.capture_id}")


def thumbnail(image: CaptureImage, side: int = 96) -> np.ndarray:
    """A small RGB preview of a stored picture (longest side ``side``), for timelines."""
    buf = np.frombuffer(image.data, np.uint8)
    decoded = cv2.imdecode(buf, cv2.IMREAD_REDUCED_COLOR_4)
    if decoded is None:
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:
        raise ImageReadError(_("The stored image cannot be decoded."), f"capture {image.capture_id}")
    h, w = decoded.shape[:2]
    scale = side / max(h, w)
    small = cv2.resize(decoded, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2RGB)


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
    ) -> ImportReport:
        """Import images (JPEG/PNG/TIFF/BMP) and DICOM files (folders searched) as captures of a lesion.

        Per-file errors are collected; a permission or missing-lesion error stops the batch (it would
        fail for every file). ``Cancelled`` is not raised: the report says so and keeps what was done.
        """
        files = collect_paths(paths)
        progress = progress or Progress()
        imported: list[CaptureSummary] = []
        failures: list[ImportFailure] = []
        for i, path in enumerate(files):
            try:
                progress.update(i, len(files), _("Importing {name}").format(name=path.name))
            except Cancelled:
                return ImportReport(tuple(imported), tuple(failures), cancelled=True)
            try:
                imported.append(self._import_one(actor, lesion_id, path, pixel_spacing_mm))
            except (ImageReadError, ValidationError, OSError) as exc:
                message = exc.message if isinstance(exc, DermStationError) else _(
                    "{name} cannot be read").format(name=path.name)
                details = exc.details if isinstance(exc, DermStationError) else str(exc)
                failures.append(ImportFailure(path, message, details))
                log.info("import of a file failed: %s", type(exc).__name__)
        try:
            progress.update(len(files), len(files), _("Done"))
        except Cancelled:
            return ImportReport(tuple(imported), tuple(failures), cancelled=True)
        return ImportReport(tuple(imported), tuple(failures))

    def _import_one(self, actor: CurrentUser, lesion_id: int, path: Path,
                    pixel_spacing_mm: float | None) -> CaptureSummary:
        if is_dicom_file(path):
            dicom = read_dicom(path)
            h, w = dicom.pixels.shape[:2]
            spacing = dicom.pixel_spacing_mm if dicom.pixel_spacing_mm is not None else pixel_spacing_mm
            return self._captures.add_capture(actor, lesion_id, encode_png(dicom.pixels), CaptureSource.DICOM,
                                              int(w), int(h), path.name[-255:], spacing)
        loaded = read_image(path)  # decodes fully: a damaged file fails here, before anything is stored
        h, w = loaded.original_size
        data = path.read_bytes()
        return self._captures.add_capture(actor, lesion_id, data, CaptureSource.FILE, int(w), int(h),
                                          path.name[-255:], pixel_spacing_mm)

    def add_frame(self, actor: CurrentUser, lesion_id: int, rgb: np.ndarray,
                  pixel_spacing_mm: float | None = None, taken_at: datetime | None = None) -> CaptureSummary:
        """Store a full-resolution camera frame (RGB) as a lossless PNG capture."""
        if rgb.ndim != 3 or rgb.shape[2] < 3 or rgb.size == 0:
            raise ImageReadError(_("The camera frame is not a colour picture."), f"shape {rgb.shape}")
        h, w = rgb.shape[:2]
        return self._captures.add_capture(actor, lesion_id, encode_png(rgb), CaptureSource.CAMERA, int(w), int(h),
                                          "", pixel_spacing_mm, taken_at or datetime.now(UTC))
