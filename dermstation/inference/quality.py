"""Quality gate: say plainly when an image or its segmentation should not be trusted.

The checks are cheap image statistics, computed at a normalised size so the numbers mean the same for
a 640x480 camera frame and a 4000x3000 photo. Thresholds were set on PH2 and HAM10000 images and their
blurred / darkened / brightened versions (see tests/inference/test_quality.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from dermstation.core.i18n import N_, _

QUALITY_SIDE = 512
"""Longest side at which sharpness and exposure are measured."""
MIN_SHARPNESS = 25.0
"""Variance of the Laplacian (grey 0-255, at most QUALITY_SIDE) below which the image is too blurred:
sharp PH2/HAM10000 images measure >= 100, the same blurred with sigma = 0.75 % of the side <= 22."""
MAX_DARK_SHARE = 0.5
MAX_BRIGHT_SHARE = 0.2
MIN_LUMINANCE = 35.0
MAX_LUMINANCE = 225.0
MIN_LESION_FRACTION = 0.002
MAX_LESION_FRACTION = 0.9
MAX_BORDER_TOUCH = 0.5


class QualityIssue(StrEnum):
    BLURRED = "blurred"
    UNDEREXPOSED = "underexposed"
    OVEREXPOSED = "overexposed"
    NO_LESION = "no_lesion"
    LESION_TOO_SMALL = "lesion_too_small"
    LESION_FILLS_FRAME = "lesion_fills_frame"
    APPLICABILITY_INCOMPLETE = "applicability_incomplete"
    LESION_CUT = "lesion_cut"


@dataclass(frozen=True)
class QualityFlag:
    """One reason not to trust the result, with a plain message for the clinician."""

    issue: QualityIssue
    message: str


@dataclass(frozen=True)
class ImageQuality:
    sharpness: float
    dark_share: float
    bright_share: float
    mean_luminance: float


@dataclass(frozen=True)
class MaskQuality:
    lesion_fraction: float
    border_touch: float  # share of the image border covered by the mask


@dataclass(frozen=True)
class QualityReport:
    image: ImageQuality
    mask: MaskQuality | None
    flags: tuple[QualityFlag, ...]

    @property
    def ok(self) -> bool:
        """No reason found to distrust the analysis."""
        return not self.flags

    @property
    def issues(self) -> tuple[QualityIssue, ...]:
        return tuple(f.issue for f in self.flags)


def _grey_at_quality_size(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    h, w = grey.shape[:2]
    s = QUALITY_SIDE / max(h, w)
    if s < 1.0:  # never enlarge: interpolation would itself look like blur
        grey = cv2.resize(grey, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return grey


def measure_image(image: np.ndarray) -> ImageQuality:
    """Sharpness (variance of the Laplacian) and exposure statistics of an RGB uint8 image."""
    grey = _grey_at_quality_size(image)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F, ksize=3).var())
    n = grey.size
    return ImageQuality(
        sharpness=sharpness,
        dark_share=float(np.count_nonzero(grey <= 8)) / n,
        bright_share=float(np.count_nonzero(grey >= 250)) / n,
        mean_luminance=float(grey.mean()),
    )


def measure_mask(mask: np.ndarray) -> MaskQuality:
    m = mask.astype(bool)
    border = np.concatenate([m[0, :], m[-1, :], m[1:-1, 0], m[1:-1, -1]])
    return MaskQuality(lesion_fraction=float(m.mean()), border_touch=float(border.mean()) if border.size else 0.0)


# what each issue tells the clinician; stored analyses keep the code and translate it where shown
QUALITY_MESSAGES: dict[QualityIssue, str] = {
    QualityIssue.BLURRED: N_("The image is blurred: refocus and take it again."),
    QualityIssue.UNDEREXPOSED: N_("The image is too dark: check the light and exposure."),
    QualityIssue.OVEREXPOSED: N_("The image is overexposed: reduce the light or exposure."),
    QualityIssue.NO_LESION: N_("No lesion was found in the image."),
    QualityIssue.LESION_TOO_SMALL: N_("The lesion found is too small to analyse: move closer or zoom in."),
    QualityIssue.LESION_FILLS_FRAME: N_("The lesion reaches the edges of the image or was not separated from the "
                                        "skin: frame the whole lesion with some normal skin around it."),
    QualityIssue.LESION_CUT: N_("The lesion runs off the edge of the picture, so part of it was not seen: "
                                "frame the whole lesion with some normal skin around it."),
    QualityIssue.APPLICABILITY_INCOMPLETE: N_("The check that this is a dermoscopic image ran without its learned "
                                              "part (its statistics do not belong to this classifier): judge the "
                                              "picture yourself."),
}


def quality_message(code: str) -> str:
    """The message for a quality code in the current language (an unknown code is shown as itself)."""
    try:
        return _(QUALITY_MESSAGES[QualityIssue(code)])
    except ValueError:
        return code


def _flag(issue: QualityIssue) -> QualityFlag:
    return QualityFlag(issue, quality_message(issue))


def image_flags(q: ImageQuality) -> list[QualityFlag]:
    flags: list[QualityFlag] = []
    if q.sharpness < MIN_SHARPNESS:
        flags.append(_flag(QualityIssue.BLURRED))
    if q.dark_share > MAX_DARK_SHARE or q.mean_luminance < MIN_LUMINANCE:
        flags.append(_flag(QualityIssue.UNDEREXPOSED))
    if q.bright_share > MAX_BRIGHT_SHARE or q.mean_luminance > MAX_LUMINANCE:
        flags.append(_flag(QualityIssue.OVEREXPOSED))
    return flags


def mask_flags(q: MaskQuality) -> list[QualityFlag]:
    if q.lesion_fraction == 0.0:
        return [_flag(QualityIssue.NO_LESION)]
    if q.lesion_fraction < MIN_LESION_FRACTION:
        return [_flag(QualityIssue.LESION_TOO_SMALL)]
    if q.border_touch > MAX_BORDER_TOUCH or q.lesion_fraction > MAX_LESION_FRACTION:
        return [_flag(QualityIssue.LESION_FILLS_FRAME)]
    return []


def assess(image: np.ndarray, mask: np.ndarray | None = None) -> QualityReport:
    """All checks on an image and, when given, its lesion mask."""
    iq = measure_image(image)
    flags = image_flags(iq)
    mq = None
    if mask is not None:
        mq = measure_mask(mask)
        flags += mask_flags(mq)
    return QualityReport(iq, mq, tuple(flags))


def applicability_flags(ood_status: str, lesion_cut: bool) -> list[QualityFlag]:
    """Warnings from the applicability check: its learned part could not run; the lesion runs off the
    picture's edge (see ``inference.applicability``: a flag, since full-frame lesions are common)."""
    flags = []
    if lesion_cut:
        flags.append(_flag(QualityIssue.LESION_CUT))
    if ood_status != "checked":
        flags.append(_flag(QualityIssue.APPLICABILITY_INCOMPLETE))
    return flags
