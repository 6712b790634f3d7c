"""The follow-up comparison of two pictures of one lesion, for History and for ``dermstation compare``.

Two steps, like every picture path: ``inputs`` reads the two stored analyses and their pictures on the
database thread; ``compare`` decodes, aligns and measures on a worker. The CLI analyses two files and
calls the same ``compare_pictures``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dermstation.inference.analyzer import AnalysisResult
from dermstation.inference.follow_up import FollowUp, Picture, compare_pictures
from dermstation.inference.registration import warp_image
from dermstation.services.analysis import AnalysisService
from dermstation.services.analysis_records import AnalysisRecordService, CaptureImage, StoredAnalysis
from dermstation.services.captures import decode_stored
from dermstation.services.device_profiles import DeviceProfile
from dermstation.services.types import CurrentUser


@dataclass(frozen=True)
class ComparisonInputs:
    """What the database thread hands the worker: two analyses (earlier first) and their pictures."""

    before: StoredAnalysis
    after: StoredAnalysis
    before_image: CaptureImage
    after_image: CaptureImage


@dataclass(frozen=True, eq=False)
class ComparedPictures:
    """A follow-up comparison with the pictures it was made on, for the side-by-side, blink and overlay views."""

    before: StoredAnalysis
    after: StoredAnalysis
    follow_up: FollowUp
    before_rgb: np.ndarray
    after_rgb: np.ndarray
    after_aligned: np.ndarray | None  # the after picture in the before picture's frame, when aligned


def _picture(stored: StoredAnalysis, image: CaptureImage) -> tuple[Picture, np.ndarray]:
    loaded = decode_stored(image.data, image.original_name)
    rgb = loaded.pixels
    mask = stored.mask if stored.mask is not None else np.zeros(rgb.shape[:2], bool)
    return Picture(rgb, mask, stored.metrics, stored.malignancy, loaded.pixel_spacing(image.pixel_spacing_mm)), rgb


def compare(inputs: ComparisonInputs) -> ComparedPictures:
    """Decode both pictures and masks, align the later onto the earlier and measure the change [worker]."""
    first, second = inputs.before.with_mask(), inputs.after.with_mask()
    before, rgb_b = _picture(first, inputs.before_image)
    after, rgb_a = _picture(second, inputs.after_image)
    follow_up = compare_pictures(before, after)
    aligned = (warp_image(rgb_a, follow_up.alignment.matrix, rgb_b.shape[:2])
               if follow_up.alignment.matrix is not None else None)
    return ComparedPictures(first, second, follow_up, rgb_b, rgb_a, aligned)


class ComparisonService:
    def __init__(self, records: AnalysisRecordService) -> None:
        self._records = records

    def inputs(self, actor: CurrentUser, first_id: int, second_id: int) -> ComparisonInputs:
        """Both analyses with their masks' and pictures' stored bytes, earlier capture first [database thread]."""
        first = self._records.load(actor, first_id)
        second = self._records.load(actor, second_id)
        before, after = (second, first) if second.taken_at < first.taken_at else (first, second)
        return ComparisonInputs(before, after, self._records.capture_image(actor, before.capture_id),
                                self._records.capture_image(actor, after.capture_id))


def compare_files(analysis: AnalysisService, before: str | Path, after: str | Path,
                  spacings: tuple[float | None, float | None] = (None, None),
                  profiles: tuple[DeviceProfile | None, DeviceProfile | None] = (None, None),
                  ) -> tuple[FollowUp, AnalysisResult, AnalysisResult]:
    """Analyse two picture files (``after`` is the later one) and compare them, as History does [worker].

    ``spacings`` are the sizes (mm) of one pixel of each file when it carries none of its own (a DICOM
    file's spacing wins); ``profiles`` the device profile each file was taken with, which gives it the size
    for its resolution. Raises what ``AnalysisService`` raises for a file it cannot analyse.
    """
    pictures: list[Picture] = []
    results: list[AnalysisResult] = []
    for path, spacing, profile in zip((before, after), spacings, profiles, strict=True):
        loaded = analysis.load(path, spacing, profile)
        result = analysis.analyzer.analyze_loaded(loaded.image, loaded.pixel_spacing_mm)
        pictures.append(Picture(loaded.image.pixels, result.mask, result.metrics, result.malignancy,
                                result.pixel_spacing_mm))
        results.append(result)
    return compare_pictures(*pictures), results[0], results[1]
