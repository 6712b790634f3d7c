"""Segmenter post-processing: back to full resolution, one component, no holes, smooth outline."""

from __future__ import annotations

import cv2
import numpy as np

from dermstation.inference.segmentation import clean_mask, fill_holes, mask_from_probability, outer_contour

from .conftest import dice, ph2


def test_probability_back_to_full_resolution_keeps_the_lesion() -> None:
    _, mask = ph2("IMD006")
    prob = cv2.resize(mask.astype(np.float32), (256, 192), interpolation=cv2.INTER_AREA)
    out = mask_from_probability(prob, mask.shape, 0.5)
    assert out.shape == mask.shape and out.dtype == bool
    assert dice(out, mask) > 0.97


def test_largest_component_and_holes() -> None:
    m = np.zeros((200, 200), bool)
    m[20:120, 20:120] = True
    m[50:60, 50:60] = False  # a hole
    m[150:160, 150:160] = True  # a speck
    out = clean_mask(m, smooth=0.0)
    assert out[55, 55] and not out[155, 155]
    assert out.sum() == 100 * 100


def test_fill_holes() -> None:
    ring = np.zeros((50, 50), np.uint8)
    cv2.circle(ring, (25, 25), 15, 1, 3)
    assert fill_holes(ring.astype(bool))[25, 25]


def test_empty_probability_gives_empty_mask() -> None:
    out = mask_from_probability(np.zeros((48, 64), np.float32), (480, 640), 0.5)
    assert out.shape == (480, 640) and not out.any()
    assert outer_contour(out).shape == (0, 2)


def test_contour_follows_the_mask() -> None:
    m = np.zeros((100, 100), bool)
    m[10:50, 20:80] = True
    c = outer_contour(m)
    assert c.dtype == np.int32 and c.shape[1] == 2
    assert c[:, 0].min() == 20 and c[:, 0].max() == 79 and c[:, 1].min() == 10 and c[:, 1].max() == 49
