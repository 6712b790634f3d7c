"""Sequential dermoscopy: how a lesion changed between two pictures, measured on the aligned pictures.

Sizes are compared in one frame. The after picture is aligned onto the before picture
(``registration.align``), both lesion masks are cut to the skin both pictures show (so a segmenter that
runs into the white corner of a turned picture cannot "grow" the lesion), and the areas and diameters are
measured there, in mm when the before picture's pixel size is known. Without an alignment, only two
pictures with known pixel sizes can be compared, and the result says the lesion could not be checked to
be the same one. "Changed" means a size change beyond what capturing the same lesion twice gives
(``benchmarks/comparison_repeatability.py`` measures that noise; the limits below come from it). Colours
are listed but do not decide the verdict: under another light the six ABCD colour shares flip in about
four of ten repeat captures of an unchanged lesion, so a colour change is for the clinician's eye.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import cv2
import numpy as np

from dermstation.inference.compare import compare_metrics
from dermstation.inference.metrics.base import Measurement
from dermstation.inference.metrics.size import max_feret
from dermstation.inference.registration import Alignment, align, content_mask, warp_mask

DIAMETER_NOISE_PCT = 14.0
"""Diameter change between two captures of an unchanged lesion: 95th percentile 11.7 %
(benchmarks/comparison_repeatability.py, 150 PH² lesions; 4.7 % false "changed" at these limits)."""
AREA_NOISE_PCT = 12.0
"""Area change between two captures of an unchanged lesion: 95th percentile 11.6 % (same run)."""
SAME_LESION_OVERLAP = 0.3
"""Share of the smaller aligned lesion that must lie inside the other for them to be one lesion."""
SCALE_AGREEMENT = 0.15
"""Largest relative disagreement between recorded pixel sizes and the alignment's scale."""
SPILL_FRACTION = 0.7
"""A "lesion" covering more of the skin both pictures show than this is the segmenter taking the
background for the lesion (a white corner, a vignette), or a lesion too large for the field: not measured."""


class Verdict(StrEnum):
    CHANGED = "changed"
    STABLE = "stable"
    NOT_COMPARABLE = "not_comparable"
    DIFFERENT_LESION = "different_lesion"


class Note(StrEnum):
    """Stable codes for what the reader of a comparison should know; worded at display time."""

    NOT_ALIGNED = "not_aligned"  # no alignment found: same lesion not verified
    NO_SCALE = "no_scale"  # neither an alignment nor both pixel sizes: sizes cannot be compared
    RELATIVE_SCALE = "relative_scale"  # aligned, but no pixel size: sizes in before-picture pixels
    SCALES_DISAGREE = "scales_disagree"  # the recorded pixel sizes contradict the pictures' alignment
    LESION_CUT = "lesion_cut"  # the lesion reaches the edge of what both pictures show
    SEGMENTATION_SPILLED = "segmentation_spilled"  # an outline runs along the picture's edge: not measured


@dataclass(frozen=True)
class Picture:
    """One side of a comparison: the picture, its lesion mask and what was measured on it."""

    rgb: np.ndarray  # (H, W, 3) uint8
    mask: np.ndarray  # (h, w) bool, at any resolution (resized to the picture)
    metrics: tuple[Measurement, ...] = ()
    malignancy: float | None = None
    pixel_spacing_mm: float | None = None  # size of one pixel of ``rgb``

    def mask_at_picture_size(self) -> np.ndarray:
        h, w = self.rgb.shape[:2]
        if self.mask.shape == (h, w):
            return self.mask.astype(bool)
        return cv2.resize(self.mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).astype(bool)


@dataclass(frozen=True)
class FollowUp:
    """What changed from ``before`` to ``after``; the verdict follows from the numbers shown."""

    verdict: Verdict
    aligned: bool
    same_lesion: bool | None  # None: could not be checked (no alignment)
    length_unit: str  # "mm", "px" (before-picture pixels) or "" (sizes not comparable)
    diameter_before: float | None
    diameter_after: float | None
    area_before: float | None
    area_after: float | None
    diameter_change_pct: float | None
    area_change_pct: float | None
    colours_added: tuple[str, ...]
    colours_lost: tuple[str, ...]
    malignancy_change: float | None
    notes: tuple[Note, ...]
    alignment: Alignment = field(repr=False, compare=False)
    before_mask: np.ndarray | None = field(default=None, repr=False, compare=False)  # in the before frame
    after_mask: np.ndarray | None = field(default=None, repr=False, compare=False)  # aligned into it

    @property
    def area_unit(self) -> str:
        return f"{self.length_unit}²" if self.length_unit else ""

    @property
    def grew(self) -> bool:
        return self.verdict is Verdict.CHANGED and any(
            v is not None and v > limit
            for v, limit in ((self.diameter_change_pct, DIAMETER_NOISE_PCT), (self.area_change_pct, AREA_NOISE_PCT))
        )

    def to_dict(self) -> dict[str, Any]:
        def rounded(value: float | None, digits: int = 3) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "verdict": str(self.verdict),
            "aligned": self.aligned,
            "same_lesion": self.same_lesion,
            "alignment": {"inliers": self.alignment.inliers, "matches": self.alignment.matches,
                          "scale": rounded(self.alignment.scale, 4),
                          "rotation_deg": rounded(self.alignment.rotation_deg, 2)},
            "unit": self.length_unit,
            "diameter": {"before": rounded(self.diameter_before), "after": rounded(self.diameter_after),
                         "change_pct": rounded(self.diameter_change_pct, 2)},
            "area": {"before": rounded(self.area_before), "after": rounded(self.area_after),
                     "change_pct": rounded(self.area_change_pct, 2), "unit": self.area_unit},
            "colours_added": list(self.colours_added),
            "colours_lost": list(self.colours_lost),
            "malignancy_change": rounded(self.malignancy_change, 4),
            "notes": [str(n) for n in self.notes],
            "noise_limits_pct": {"diameter": DIAMETER_NOISE_PCT, "area": AREA_NOISE_PCT},
        }


def _pct(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or before <= 0:
        return None
    return 100.0 * (after - before) / before


def _size(mask: np.ndarray) -> tuple[float, float]:
    """(area, max Feret diameter) of ``mask`` in its own pixels."""
    area = float(np.count_nonzero(mask))
    if area == 0:
        return 0.0, 0.0
    points = cv2.findNonZero(mask.astype(np.uint8))
    hull = cv2.convexHull(points).reshape(-1, 2).astype(np.float64)
    return area, max_feret(hull)


def _metric(metrics: tuple[Measurement, ...], name: str) -> Measurement | None:
    return next((m for m in metrics if m.name == name), None)


def compare_pictures(before: Picture, after: Picture) -> FollowUp:
    """Align ``after`` onto ``before`` and compare the lesion's size and colours (``after`` is later)."""
    colours = compare_metrics(before.metrics, after.metrics, before.malignancy, after.malignancy)
    alignment = align(before.rgb, after.rgb)
    notes: list[Note] = []
    shape = before.rgb.shape[:2]
    mask_b = before.mask_at_picture_size()
    mask_a = after.mask_at_picture_size()
    same: bool | None = None
    unit = ""
    d_b = d_a = a_b = a_a = None
    before_frame = after_frame = None
    if alignment.ok and alignment.matrix is not None:
        # what both pictures show: the before picture's skin where the after picture also has skin
        shown = content_mask(before.rgb) & warp_mask(content_mask(after.rgb), alignment.matrix, shape)
        before_frame = mask_b & shown
        after_frame = warp_mask(mask_a, alignment.matrix, shape) & shown
        area_b_px, feret_b = _size(before_frame)
        area_a_px, feret_a = _size(after_frame)
        overlap = np.count_nonzero(before_frame & after_frame)
        smaller = min(area_b_px, area_a_px)
        same = bool(smaller > 0 and overlap / smaller >= SAME_LESION_OVERLAP)
        edge = (cv2.erode(shown.astype(np.uint8), np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT,
                          borderValue=0) == 0) & shown
        shown_px = max(1, int(np.count_nonzero(shown)))
        spilled = max(np.count_nonzero(m) for m in (before_frame, after_frame)) / shown_px > SPILL_FRACTION
        if spilled:
            notes.append(Note.SEGMENTATION_SPILLED)
        elif np.any((before_frame | after_frame) & edge):
            notes.append(Note.LESION_CUT)
        spacing = before.pixel_spacing_mm
        if spacing:
            unit = "mm"
            d_b, d_a, a_b, a_a = feret_b * spacing, feret_a * spacing, area_b_px * spacing**2, area_a_px * spacing**2
            if after.pixel_spacing_mm and alignment.scale:
                expected = after.pixel_spacing_mm / spacing  # before pixels per after pixel
                if abs(alignment.scale / expected - 1.0) > SCALE_AGREEMENT:
                    notes.append(Note.SCALES_DISAGREE)
        else:
            unit = "px"
            d_b, d_a, a_b, a_a = feret_b, feret_a, area_b_px, area_a_px
            notes.append(Note.RELATIVE_SCALE)
    else:
        notes.append(Note.NOT_ALIGNED)
        if before.pixel_spacing_mm and after.pixel_spacing_mm:
            # each picture measured on its own, in mm: comparable, but not checked to be one lesion
            unit = "mm"
            area_b_px, feret_b = _size(mask_b)
            area_a_px, feret_a = _size(mask_a)
            sb, sa = before.pixel_spacing_mm, after.pixel_spacing_mm
            d_b, d_a, a_b, a_a = feret_b * sb, feret_a * sa, area_b_px * sb**2, area_a_px * sa**2
        else:
            notes.append(Note.NO_SCALE)
    if Note.SEGMENTATION_SPILLED in notes:
        d_b = d_a = a_b = a_a = None
        unit = ""
    d_pct, a_pct = _pct(d_b, d_a), _pct(a_b, a_a)
    if same is False:
        verdict = Verdict.DIFFERENT_LESION
    elif d_pct is None or a_pct is None:
        verdict = Verdict.NOT_COMPARABLE
    elif abs(d_pct) > DIAMETER_NOISE_PCT or abs(a_pct) > AREA_NOISE_PCT:
        verdict = Verdict.CHANGED
    else:
        verdict = Verdict.STABLE
    return FollowUp(
        verdict=verdict, aligned=alignment.ok, same_lesion=same, length_unit=unit,
        diameter_before=d_b, diameter_after=d_a, area_before=a_b, area_after=a_a,
        diameter_change_pct=d_pct, area_change_pct=a_pct,
        colours_added=colours.colours_added, colours_lost=colours.colours_lost,
        malignancy_change=colours.malignancy_change, notes=tuple(notes), alignment=alignment,
        before_mask=before_frame, after_mask=after_frame,
    )
