"""Synthetic padding: the flat corners or borders software adds around a picture (turned, letterboxed).

A picture turned in software gets white or black triangles in its corners; a letterboxed one gets bars.
Such padding is one exact colour with no texture, joined to the picture's edge; skin has sensor noise.
The segmenter was not trained on padding and may take the whole skin for the lesion against it (a
follow-up then reported "grew +102 %"), so the picture path fills the padding with the colour of the skin
beside it before segmenting and keeps it out of the lesion mask afterwards. Glare saturated to pure white
at the edge, and the pure-black corners of processed dermoscopy pictures (29 % of 300 ISIC 2017 pictures), are
flat too and are treated the same: they hold no lesion to measure (benchmarks/README.md).
"""

from __future__ import annotations

import cv2
import numpy as np

FLAT_RANGE = 2
"""Largest difference (per channel, 0-255) inside a 3×3 window of padding: JPEG keeps flat blocks flat."""
UNIFORM_STD = 1.5
"""Largest standard deviation (per channel) of one padding region's colour: one colour, not a gradient."""
DETECT_SIDE = 1600
"""Long side (px) above which padding is looked for on every n-th pixel."""
MIN_SHARE = 0.002
"""Smallest padding region, as a share of the picture; smaller flat specks are left alone."""
FILL_SIDE = 256
"""Long side (px) at which padding is painted over."""
FILL_SIGMA = 0.05
"""Reach of the colour carried into the padding, as a share of the long side."""
EDGE_FRACTION = 0.006
"""The padding's anti-aliased, blurred edge: the mask grows by this share of the shorter side ..."""
JPEG_RIM = 8
"""... and by at least one JPEG block, whose ringing breaks the flatness next to the edge."""


def synthetic_padding(rgb: np.ndarray) -> np.ndarray:
    """(H, W) bool: flat, single-colour regions that touch the picture's edge, grown over their blurred edge.

    All False for an ordinary picture. Large pictures are looked at every ``step``-th pixel (no averaging,
    which would smooth skin into looking flat)."""
    h, w = rgb.shape[:2]
    step = max(1, -(-max(h, w) // DETECT_SIDE))
    image = np.ascontiguousarray(rgb[::step, ::step, :3], dtype=np.uint8)
    sh, sw = image.shape[:2]
    kernel = np.ones((3, 3), np.uint8)
    spread = cv2.subtract(cv2.dilate(image, kernel), cv2.erode(image, kernel))
    flat = cv2.inRange(spread, (0, 0, 0), (FLAT_RANGE,) * 3) // 255
    if not (flat[0].any() or flat[-1].any() or flat[:, 0].any() or flat[:, -1].any()):
        return np.zeros((h, w), bool)
    _count, labels, stats, _c = cv2.connectedComponentsWithStats(flat, connectivity=4)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    padding = np.zeros((sh, sw), bool)
    for label in edge_labels:
        if label == 0 or stats[label, cv2.CC_STAT_AREA] < MIN_SHARE * sh * sw:  # 0: not flat
            continue
        region = labels == label
        if image[region].std(axis=0).max() <= UNIFORM_STD:
            padding |= region
    if not padding.any():
        return np.zeros((h, w), bool)
    grow = -(-max(JPEG_RIM, round(EDGE_FRACTION * min(h, w))) // step) + (1 if step > 1 else 0)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    padding = cv2.dilate(padding.astype(np.uint8), disc)
    if step > 1:
        padding = cv2.resize(padding, (w, h), interpolation=cv2.INTER_NEAREST)
    return padding.astype(bool)


def fill_padding(rgb: np.ndarray, padding: np.ndarray) -> np.ndarray:
    """A copy of ``rgb`` with ``padding`` painted in the smoothed colour of the picture around it.

    A normalised convolution at a working size of ``FILL_SIDE`` px carries the nearby skin's colour
    (and a vignette's darkness) smoothly into the padding: a flat fill leaves an edge the segmenter takes
    for a lesion border, and inpainting drags the padding's blurred rim in as streaks."""
    if not padding.any():
        return rgb
    h, w = padding.shape
    factor = min(1.0, FILL_SIDE / max(h, w))
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    small = cv2.resize(np.ascontiguousarray(rgb), size, interpolation=cv2.INTER_AREA).astype(np.float32)
    valid = cv2.resize((~padding).astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
    valid = cv2.erode(valid, np.ones((3, 3), np.uint8)).astype(np.float32)  # resizing mixed padding in
    if not valid.any():
        return rgb
    sigma = FILL_SIGMA * max(size)
    weight = cv2.GaussianBlur(valid, (0, 0), sigma)
    colour = cv2.GaussianBlur(small * valid[..., None], (0, 0), sigma)
    median = np.median(small[valid > 0], axis=0)
    smooth = np.where(weight[..., None] > 1e-4, colour / np.maximum(weight, 1e-4)[..., None], median)
    painted = cv2.resize(np.clip(smooth, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    filled = np.array(rgb, dtype=np.uint8, copy=True)
    np.copyto(filled, painted, where=padding[..., None])
    return filled
