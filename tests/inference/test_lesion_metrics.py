"""Lesion metrics on synthetic masks with known answers, and on a real PH² expert mask."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from dermstation.inference.metrics import REGISTRY, compute_metrics
from dermstation.inference.metrics.colours import ABCD_COLOURS

from .conftest import ph2


def _values(metrics) -> dict[str, float]:
    return {m.name: m.value for m in metrics}


def _disc(r: int, size: tuple[int, int] = (600, 800)) -> np.ndarray:
    m = np.zeros(size, np.uint8)
    cv2.circle(m, (size[1] // 2, size[0] // 2), r, 1, -1)
    return m.astype(bool)


def _ellipse(a: int, b: int, angle: float) -> np.ndarray:
    m = np.zeros((600, 800), np.uint8)
    cv2.ellipse(m, (400, 300), (a, b), angle, 0, 360, 1, -1)
    return m.astype(bool)


def test_every_calculator_is_registered() -> None:
    assert {"area", "diameter", "asymmetry", "border", "colours"} <= set(REGISTRY)


@pytest.mark.parametrize("r", [40, 100, 200])
def test_disc(r: int) -> None:
    v = _values(compute_metrics(_disc(r)))
    assert v["area"] == pytest.approx(math.pi * r * r, rel=0.02)
    assert v["diameter"] == pytest.approx(2 * r, abs=2.0)
    assert v["asymmetry"] < 0.02 and v["asymmetric_axes"] == 0
    assert v["compactness"] == pytest.approx(1.0, abs=0.03)
    assert v["border_irregularity"] == pytest.approx(1.0, abs=0.03)


def test_units_are_pixels_without_spacing_and_mm_with_it() -> None:
    px = {m.name: m for m in compute_metrics(_disc(100))}
    mm = {m.name: m for m in compute_metrics(_disc(100), pixel_spacing_mm=0.05)}
    assert px["diameter"].unit == "px" and px["area"].unit == "px²"
    assert mm["diameter"].unit == "mm" and mm["area"].unit == "mm²"
    assert mm["diameter"].value == pytest.approx(px["diameter"].value * 0.05)
    assert mm["area"].value == pytest.approx(px["area"].value * 0.05**2)
    assert mm["diameter"].value == pytest.approx(10.0, abs=0.1)  # 2 r = 200 px = 10 mm
    assert mm["compactness"].value == pytest.approx(px["compactness"].value)  # ratios have no unit


@pytest.mark.parametrize("angle", [0, 30, 75])
def test_ellipse(angle: float) -> None:
    a, b = 200, 80
    v = _values(compute_metrics(_ellipse(a, b, angle)))
    assert v["area"] == pytest.approx(math.pi * a * b, rel=0.02)
    assert v["diameter"] == pytest.approx(2 * a, abs=3.0)
    assert v["asymmetry"] < 0.03  # symmetric about both principal axes, whatever its rotation
    # Ramanujan's perimeter -> compactness of a 200x80 ellipse ~= 0.745
    perimeter = math.pi * (3 * (a + b) - math.sqrt((3 * a + b) * (a + 3 * b)))
    assert v["compactness"] == pytest.approx(4 * math.pi * math.pi * a * b / perimeter**2, abs=0.02)


def test_asymmetric_shape() -> None:
    # a disc with a big bump on one side: symmetric about the long axis, not about the short one
    m = _disc(100).astype(np.uint8)
    cv2.circle(m, (400 + 110, 300), 50, 1, -1)
    v = _values(compute_metrics(m.astype(bool)))
    assert v["asymmetry_major_axis"] < 0.03
    assert v["asymmetry_minor_axis"] > 0.1
    assert v["asymmetric_axes"] == 1


def test_ragged_border_is_less_compact() -> None:
    angles = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    radius = 120 + 25 * np.sin(angles * 14)
    pts = np.stack([400 + radius * np.cos(angles), 300 + radius * np.sin(angles)], 1).astype(np.int32)
    m = np.zeros((600, 800), np.uint8)
    cv2.fillPoly(m, [pts], 1)
    v = _values(compute_metrics(m.astype(bool)))
    assert v["compactness"] < 0.6 and v["border_irregularity"] > 1.6


def test_colours_of_a_two_colour_lesion() -> None:
    image = np.full((400, 400, 3), (200, 170, 150), np.uint8)  # skin
    mask = _disc(120, (400, 400))
    image[mask] = (150, 100, 55)  # light brown
    image[mask & (np.arange(400)[None, :] > 200)] = (40, 25, 20)  # right half near black/dark brown
    v = _values(compute_metrics(mask, image))
    assert v["colour_count"] == 2
    assert sum(v[f"colour_{c}"] for c in ABCD_COLOURS) == pytest.approx(1.0)
    assert v["colour_variegation"] > 10


def test_uniform_lesion_has_one_colour_and_no_variegation() -> None:
    image = np.full((300, 300, 3), (210, 180, 160), np.uint8)
    mask = _disc(80, (300, 300))
    image[mask] = (120, 70, 40)
    v = _values(compute_metrics(mask, image))
    assert v["colour_count"] == 1 and v["colour_variegation"] < 1.0


def test_empty_mask_gives_no_metrics() -> None:
    assert compute_metrics(np.zeros((50, 50), bool)) == ()


def test_real_ph2_mask() -> None:
    image, mask = ph2("IMD006")
    v = _values(compute_metrics(mask, image, pixel_spacing_mm=0.01))
    assert v["area"] == pytest.approx(mask.sum() * 1e-4)
    ys, xs = np.nonzero(mask)
    extent = max(xs.max() - xs.min(), ys.max() - ys.min()) + 1
    # the Feret diameter is at least the bounding-box side and at most its diagonal
    assert extent * 0.01 - 1e-6 <= v["diameter"] <= math.hypot(np.ptp(xs) + 1, np.ptp(ys) + 1) * 0.01 + 1e-6
    assert 0 < v["compactness"] < 1 and 0 <= v["asymmetry"] < 1
    assert 1 <= v["colour_count"] <= 6


def test_metrics_are_in_both_orders_the_same() -> None:
    image, mask = ph2("IMD010")
    assert compute_metrics(mask, image) == compute_metrics(mask.copy(), image.copy())
