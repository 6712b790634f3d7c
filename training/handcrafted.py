"""Classical dermoscopic features of a segmented lesion (numpy/OpenCV; the fusion lever of issue 23).

Shape (asymmetry, compactness, solidity), colour (CIELAB statistics after Shades of Grey, ABCD colour
shares, lesion-skin contrast), texture (gradient energy, local contrast, dark-dot density) and border
sharpness. Everything is computed on the lesion crop the classifier sees, shrunk to at most 256 px,
so the features do not depend on the photo's resolution.
"""

from __future__ import annotations

import cv2
import numpy as np

from dermstation.inference.metrics.asymmetry import mirror_mismatch
from dermstation.inference.metrics.colours import ABCD_COLOURS, colour_shares
from dermstation.inference.preprocess import crop_box, shades_of_grey, shrink_to

NAMES = (
    "asymmetry", "compactness", "solidity", "lesion_fraction",
    "L_mean", "a_mean", "b_mean", "L_std", "a_std", "b_std", "contrast_L", "contrast_b",
    *(f"share_{c}" for c in ABCD_COLOURS), "n_colours",
    "grad_inside", "grad_border_ratio", "local_std", "dark_dots",
)


def lesion_features(image: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Feature vector (len(NAMES),) of the lesion in ``mask`` within the classifier's crop ``box``."""
    crop = crop_box(image, box)
    m = crop_box(mask.astype(np.uint8) * 255, box)
    side = crop.shape[0]
    crop = shrink_to(crop, 256)
    m = cv2.resize(m, (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_NEAREST) > 127
    out = np.zeros(len(NAMES), np.float32)
    area = int(m.sum())
    if area < 16 or side == 0:
        return out
    sog = shades_of_grey(crop, 6.0)
    lab = cv2.cvtColor(sog.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    ys, xs = np.nonzero(m)
    pts = np.stack([xs, ys], 1).astype(np.float64)
    c = pts.mean(0)
    cov = np.cov((pts - c).T) + 1e-6 * np.eye(2)
    _, vecs = np.linalg.eigh(cov)
    asym = (mirror_mismatch(m, c, vecs[:, 1]) + mirror_mismatch(m, c, vecs[:, 0])) / 2
    cnts, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cnt = max(cnts, key=cv2.contourArea)
    perim = cv2.arcLength(cnt, True)
    hull = cv2.contourArea(cv2.convexHull(cnt))
    inside = lab[m]
    ring = cv2.dilate(m.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool) & ~m
    skin = lab[ring] if ring.any() else inside
    shares = colour_shares(sog[m])
    grey = lab[..., 0]
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    grad = np.sqrt(gx**2 + gy**2)
    edge = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)).astype(bool)
    mean = cv2.blur(grey, (7, 7))
    local = np.sqrt(np.maximum(cv2.blur(grey**2, (7, 7)) - mean**2, 0))
    dots = (grey < mean - 8) & m  # small dark structures: dots, globules, network lines
    out[:] = [
        asym, perim**2 / (4 * np.pi * area), area / max(hull, 1.0), area / m.size,
        *inside.mean(0), *inside.std(0),
        skin[:, 0].mean() - inside[:, 0].mean(), inside[:, 2].mean() - skin[:, 2].mean(),
        *(shares[k] for k in ABCD_COLOURS), sum(v >= 0.05 for v in shares.values()),
        grad[m].mean(), grad[edge].mean() / max(grad[m].mean(), 1e-3), local[m].mean(), dots.sum() / area,
    ]
    return out
