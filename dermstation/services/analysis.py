"""Analyse lesion images for the UI and the CLI: one Analyzer, files or arrays in, results out.

Plain Python (no Qt). The Analyzer is loaded lazily on first use (model loading takes a moment) and
shared: the service is safe to call from several worker threads at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from dermstation.core.errors import Cancelled, DermStationError, InferenceError, NotApplicable
from dermstation.core.i18n import _
from dermstation.core.progress import Progress
from dermstation.dicom.importer import read_dicom_image
from dermstation.dicom.reader import DICOM_EXTENSIONS, is_dicom_file
from dermstation.inference.analyzer import AnalysisResult, Analyzer
from dermstation.inference.compare import LesionComparison, compare
from dermstation.inference.image_io import IMAGE_EXTENSIONS, LoadedImage, load_array, read_image
from dermstation.inference.overlay import encode_png, render_overlay
from dermstation.services.device_profiles import DeviceProfile, profile_spacing

ANALYSABLE_EXTENSIONS = IMAGE_EXTENSIONS + DICOM_EXTENSIONS


@dataclass(frozen=True)
class Loaded:
    """A decoded input and the size of one of its original (stored) pixels, if known."""

    image: LoadedImage
    pixel_spacing_mm: float | None
    decode_ms: float = 0.0


@dataclass(frozen=True, eq=False)
class FileAnalysis:
    """The outcome for one file of a batch: a result, or the error that stopped it."""

    path: Path
    result: AnalysisResult | None = None
    error: DermStationError | None = None
    image: np.ndarray | None = None  # the analysed RGB pixels (for overlays)

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def refused(self) -> bool:
        """Not a dermoscopic image of a skin lesion: no score (``error`` says why, with reason codes)."""
        return isinstance(self.error, NotApplicable)


def collect_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders searched recursively for images and DICOM files (sorted)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in ANALYSABLE_EXTENSIONS))
        else:
            out.append(p)
    return out


class AnalysisService:
    """The use case "analyse this image": decoding (files, DICOM, arrays), analysis, overlays."""

    def __init__(self, analyzer: Analyzer | None = None, *, models_dir: str | Path | None = None,
                 provider: str = "auto") -> None:
        self._analyzer = analyzer
        self._models_dir = models_dir
        self._provider = provider
        self._lock = threading.Lock()

    @property
    def analyzer(self) -> Analyzer:
        """The shared Analyzer, loaded on first use (raises ``ModelLoadError`` when models are unusable)."""
        if self._analyzer is None:
            with self._lock:
                if self._analyzer is None:
                    self._analyzer = Analyzer.from_models_dir(self._models_dir, self._provider)
        return self._analyzer

    def load(self, path: str | Path, pixel_spacing_mm: float | None = None,
             profile: DeviceProfile | None = None) -> Loaded:
        """Decode an image or DICOM file; a DICOM file's own pixel spacing wins over ``profile`` (the device
        profile's size for this picture's resolution), which wins over ``pixel_spacing_mm`` (all are the size
        of a stored pixel; the analysis rescales it when a huge image is shrunk)."""
        path = Path(path)
        start = time.perf_counter()
        own: float | None = None  # the file's own pixel spacing (DICOM)
        if is_dicom_file(path):
            dicom = read_dicom_image(path)  # the one DICOM decoder (import uses it too)
            loaded = load_array(dicom.pixels, source=path.name)
            own = dicom.pixel_spacing_mm
        else:
            loaded = read_image(path)
        spacing = own if own is not None else pixel_spacing_mm
        if profile is not None and own is None:
            height, width = loaded.original_size
            spacing = profile_spacing(profile, width, height, path.name)
        return Loaded(loaded, spacing, (time.perf_counter() - start) * 1000.0)

    def _analyze_loaded(self, loaded: Loaded, tta: bool) -> AnalysisResult:
        result = self.analyzer.analyze_loaded(loaded.image, loaded.pixel_spacing_mm, tta)
        return _add_decode_time(result, loaded.decode_ms)

    def analyze_loaded(self, image: LoadedImage, pixel_spacing_mm: float | None = None,
                       tta: bool = False) -> AnalysisResult:
        """Analyse a picture already decoded by the one decoder (a stored capture, a prepared import);
        ``pixel_spacing_mm`` is the size of one stored pixel. Nothing is decoded or converted again."""
        return self.analyzer.analyze_loaded(image, pixel_spacing_mm, tta)

    def analyze_image(self, image: np.ndarray, pixel_spacing_mm: float | None = None,
                      tta: bool = False) -> AnalysisResult:
        """Analyse RGB pixels from a camera or an already decoded file."""
        return self.analyzer.analyze(image, pixel_spacing_mm, tta)

    def analyze_file(self, path: str | Path, progress: Progress | None = None, tta: bool = False,
                     pixel_spacing_mm: float | None = None) -> AnalysisResult:
        """Decode and analyse one file. Raises ``NotApplicable`` when it is not dermoscopy of a skin lesion,
        ``ImageReadError``/``DicomReadError``/``ModelLoadError``/``InferenceError`` with a plain message, or
        ``Cancelled``."""
        path = Path(path)
        if progress:
            progress.update(0, 3, _("Reading {name}").format(name=path.name))
        loaded = self.load(path, pixel_spacing_mm)
        if progress:
            progress.update(1, 3, _("Analysing {name}").format(name=path.name))
        result = self._analyze_loaded(loaded, tta)
        if progress:
            progress.update(3, 3, _("Done"))
        return result

    def analyze_files(self, paths: Iterable[str | Path], progress: Progress | None = None,
                      tta: bool = False, keep_images: bool = False,
                      pixel_spacing_mm: float | None = None,
                      profile: DeviceProfile | None = None) -> Iterator[FileAnalysis]:
        """Analyse many files (folders expanded), yielding one ``FileAnalysis`` per file as it finishes.

        ``pixel_spacing_mm`` (stored pixel size) applies to every file, or ``profile`` gives each file the size
        for its resolution; DICOM files carry their own.
        A file that fails yields its error and the batch goes on; ``Cancelled`` stops it.
        """
        files = collect_paths(paths)
        total = len(files)
        for i, path in enumerate(files):
            if progress:
                progress.update(i, total, path.name)
            try:
                loaded = self.load(path, pixel_spacing_mm, profile)
                result = self._analyze_loaded(loaded, tta)
                yield FileAnalysis(path, result, None, loaded.image.pixels if keep_images else None)
            except Cancelled:
                raise
            except DermStationError as exc:
                yield FileAnalysis(path, None, exc)
            except Exception as exc:  # noqa: BLE001 - one bad file must not end a batch
                yield FileAnalysis(path, None, InferenceError(_("The analysis of {name} failed").format(
                    name=path.name), f"{type(exc).__name__}: {exc}"))
        if progress:
            progress.update(total, total, _("Done"))

    def overlay(self, result: AnalysisResult, image: np.ndarray, alpha: float = 0.4) -> np.ndarray:
        """The analysed image with the lesion contour and the CAM heatmap, RGB uint8."""
        return render_overlay(image, result.contour, result.cam, alpha)

    def overlay_png(self, result: AnalysisResult, image: np.ndarray, alpha: float = 0.4) -> bytes:
        return encode_png(self.overlay(result, image, alpha))

    def compare(self, before: AnalysisResult, after: AnalysisResult) -> LesionComparison:
        """Follow-up of one lesion: growth and colour change from ``before`` to ``after``."""
        return compare(before, after)


def _add_decode_time(result: AnalysisResult, ms: float) -> AnalysisResult:
    timings = dict(result.timings_ms)
    timings["decode"] = ms + timings.get("decode", 0.0)
    timings["total"] = timings["total"] + ms
    order = ("decode", *(k for k, _ in result.timings_ms if k not in ("decode", "total")), "total")
    return replace(result, timings_ms=tuple((k, timings[k]) for k in order))
