"""Align a follow-up picture onto an earlier one: ORB features, ratio test, RANSAC similarity.

A similarity (rotation, uniform scale, shift) is what changes between two dermoscopy pictures of the
same lesion: the dermatoscope is turned, moved and held at another zoom or camera resolution, while
skin does not bend under the glass plate. The scale it finds is what makes pictures without a known
pixel size comparable at all, and the share of features that agree tells whether the two pictures show
the same place of skin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from dermstation.inference.padding import synthetic_padding

WORK_SIDE = 800
"""Long side (px) at which features are found: enough for skin texture, fast on a CPU."""
MIN_INLIERS = 15
MIN_INLIER_SHARE = 0.2
SCALE_RANGE = (0.2, 5.0)
PADDING_LOW, PADDING_HIGH = 8, 248
"""Pixels darker/brighter than this in every channel are padding or vignette, never skin."""


@dataclass(frozen=True)
class Alignment:
    """``matrix`` maps (x, y) of the *after* picture onto the *before* picture (2×3), when ``ok``."""

    ok: bool
    matrix: np.ndarray | None
    inliers: int
    matches: int
    scale: float | None  # before pixels per after pixel
    rotation_deg: float | None

    @property
    def inlier_share(self) -> float:
        return self.inliers / self.matches if self.matches else 0.0


def _work_gray(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    factor = min(1.0, WORK_SIDE / max(h, w))
    small = cv2.resize(rgb, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA) \
        if factor < 1.0 else rgb
    gray = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY)
    # local contrast: two captures rarely share their lighting
    return cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray), factor


def align(before: np.ndarray, after: np.ndarray) -> Alignment:
    """Find the similarity that maps ``after`` (RGB) onto ``before`` (RGB), or say it found none."""
    gray_b, fb = _work_gray(before)
    gray_a, fa = _work_gray(after)
    orb = cv2.ORB_create(nfeatures=4000, scaleFactor=1.2, nlevels=10, fastThreshold=10)
    kb, db = orb.detectAndCompute(gray_b, None)
    ka, da = orb.detectAndCompute(gray_a, None)
    if db is None or da is None or len(kb) < MIN_INLIERS or len(ka) < MIN_INLIERS:
        return Alignment(False, None, 0, 0, None, None)
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(da, db, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < MIN_INLIERS:
        return Alignment(False, None, 0, len(good), None, None)
    pts_a = np.float32([ka[m.queryIdx].pt for m in good]) / fa
    pts_b = np.float32([kb[m.trainIdx].pt for m in good]) / fb
    threshold = 3.0 / fb  # three working pixels, in full-resolution before pixels
    matrix, inlier_mask = cv2.estimateAffinePartial2D(
        pts_a, pts_b, method=cv2.RANSAC, ransacReprojThreshold=threshold, maxIters=5000, confidence=0.995
    )
    if matrix is None or inlier_mask is None:
        return Alignment(False, None, 0, len(good), None, None)
    inliers = int(inlier_mask.sum())
    scale = math.hypot(matrix[0, 0], matrix[1, 0])
    rotation = math.degrees(math.atan2(matrix[1, 0], matrix[0, 0]))
    ok = (inliers >= MIN_INLIERS and inliers / len(good) >= MIN_INLIER_SHARE
          and SCALE_RANGE[0] <= scale <= SCALE_RANGE[1])
    return Alignment(ok, matrix if ok else None, inliers, len(good), scale, rotation)


def content_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels that can be skin: not the near-white or near-black padding of a turned or vignetted picture,
    nor flat synthetic padding of any colour (white corners after another white balance)."""
    low = (rgb <= PADDING_LOW).all(axis=2)
    high = (rgb >= PADDING_HIGH).all(axis=2)
    return ~(low | high | synthetic_padding(rgb))


def warp_mask(mask: np.ndarray, matrix: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``mask`` of the after picture carried into the before picture's frame (``shape`` = (H, W))."""
    warped = cv2.warpAffine(mask.astype(np.uint8), matrix, (shape[1], shape[0]), flags=cv2.INTER_NEAREST,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return warped.astype(bool)


def warp_image(rgb: np.ndarray, matrix: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The after picture drawn in the before picture's frame (for blink and overlay views)."""
    return cv2.warpAffine(rgb, matrix, (shape[1], shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
