"""Follow-up comparison of two lesion measurements, and the overlay drawing."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dermstation.inference.compare import compare_metrics
from dermstation.inference.metrics import compute_metrics
from dermstation.inference.overlay import encode_png, render_overlay


def _lesion(r: int, dark_half: bool) -> tuple[np.ndarray, np.ndarray]:
    image = np.full((500, 500, 3), (205, 175, 155), np.uint8)
    mask = np.zeros((500, 500), np.uint8)
    cv2.circle(mask, (250, 250), r, 1, -1)
    mask = mask.astype(bool)
    image[mask] = (150, 100, 55)
    if dark_half:
        image[mask & (np.arange(500)[None, :] > 250)] = (40, 25, 20)
    return image, mask


def test_growth_and_new_colour() -> None:
    img1, m1 = _lesion(100, False)
    img2, m2 = _lesion(120, True)
    c = compare_metrics(compute_metrics(m1, img1, 0.05), compute_metrics(m2, img2, 0.05), 0.2, 0.6)
    assert c.comparable and c.units == "mm"
    assert c.diameter_change_pct == pytest.approx(20.0, abs=1.5)
    assert c.area_change_pct == pytest.approx(44.0, abs=3.0)
    assert c.grew
    assert c.colour_count_change == 1 and len(c.colours_added) == 1 and c.colours_lost == ()
    assert c.malignancy_change == pytest.approx(0.4)


def test_unchanged_lesion() -> None:
    img, m = _lesion(100, False)
    c = compare_metrics(compute_metrics(m, img, 0.05), compute_metrics(m, img, 0.05))
    assert c.diameter_change_pct == 0 and c.area_change_pct == 0 and not c.grew
    assert c.colour_count_change == 0 and c.colour_shift == pytest.approx(0.0)


def test_mm_against_px_is_not_comparable() -> None:
    img, m = _lesion(100, False)
    c = compare_metrics(compute_metrics(m, img, 0.05), compute_metrics(m, img))
    assert not c.comparable and c.diameter_change_pct is None


def test_overlay_draws_heat_and_contour() -> None:
    img, m = _lesion(100, False)
    cam = np.zeros((500, 500), np.float32)
    cam[200:300, 200:300] = 1.0
    contour = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0][0].reshape(-1, 2)
    out = render_overlay(img, contour, cam, alpha=0.5)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert np.array_equal(out[10, 10], img[10, 10])  # untouched far from both
    assert not np.array_equal(out[250, 250], img[250, 250])  # heat
    assert tuple(out[250, 250 + 100]) != tuple(img[250, 350])  # contour
    png = encode_png(out)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.array_equal(cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), 1), cv2.COLOR_BGR2RGB), out)
