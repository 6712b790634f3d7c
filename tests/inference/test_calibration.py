"""Pixel size from a picture of a ruler or a reference sticker (synthetic pictures with a known answer)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from dermstation.core.errors import ValidationError
from dermstation.inference.calibration import measure_ruler, measure_sticker, spacing_at


def ruler_picture(period: float, angle_deg: float = 0.0, size: tuple[int, int] = (900, 1200),
                  seed: int = 0, strip: tuple[float, float] = (0.3, 0.7), shades: tuple[int, int, int] = (60, 225, 30),
                  noise: float = 4.0, blur: float = 0.8, duty: float = 0.22) -> np.ndarray:
    """A photographed millimetre ruler: dark ticks every ``period`` px (longer every 5th and 10th) on a
    cream strip (``shades``: background, strip, tick), turned by ``angle_deg``, under uneven light, with
    sensor noise and blur."""
    h, w = size
    background, body, tick = shades
    big = 4  # drawn at 4x and shrunk, so tick edges fall between pixels as a camera's do
    canvas = np.full((h * big, w * big), background, np.uint8)
    top, bottom = int(h * big * strip[0]), int(h * big * strip[1])
    canvas[top:bottom] = body
    x0, i = w * big * 0.05, 0
    while x0 + i * period * big < w * big * 0.95:
        x = x0 + i * period * big
        length = (0.35 if i % 10 == 0 else 0.25 if i % 5 == 0 else 0.15) * (bottom - top)
        cv2.rectangle(canvas, (round(x), top), (round(x + duty * period * big), round(top + length)), tick, -1)
        i += 1
    turn = cv2.getRotationMatrix2D((w * big / 2, h * big / 2), angle_deg, 1.0)
    canvas = cv2.warpAffine(canvas, turn, (w * big, h * big), borderValue=background)
    small = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    light = np.linspace(0.75, 1.1, w)[None, :] * np.linspace(1.05, 0.85, h)[:, None]
    rng = np.random.default_rng(seed)
    picture = cv2.GaussianBlur(small * light, (0, 0), blur) + rng.normal(0, noise, (h, w))
    grey = np.clip(picture, 0, 255).astype(np.uint8)
    return np.dstack([grey, (grey * 0.95).astype(np.uint8), (grey * 0.85).astype(np.uint8)])


@pytest.mark.parametrize(("period", "angle"), [(12.37, 0.0), (9.4, 7.0), (23.1, -12.0), (5.6, 90.0)])
def test_ruler_tick_period_gives_mm_per_pixel_within_two_percent(period: float, angle: float) -> None:
    measured = measure_ruler(ruler_picture(period, angle))
    assert measured.mm_per_pixel(1.0) == pytest.approx(1.0 / period, rel=0.02)
    assert measured.period_px == pytest.approx(period, rel=0.02)


@pytest.mark.parametrize(("period", "angle", "strip"), [(9.4, 7.0, (0.4, 0.6)), (30.0, 20.0, (0.4, 0.6)),
                                                       (59.7, 3.0, (0.45, 0.6)), (80.0, -5.0, (0.4, 0.65))])
def test_a_faint_narrow_ruler_is_still_measured(period: float, angle: float, strip: tuple[float, float]) -> None:
    # grey ticks on a narrow strip over a mid-grey background, more noise and blur
    rgb = ruler_picture(period, angle, strip=strip, shades=(150, 200, 120), noise=8.0, blur=1.2, duty=0.15)
    assert measure_ruler(rgb).period_px == pytest.approx(period, rel=0.02)


def test_a_ruler_photographed_large_is_measured_at_full_resolution() -> None:
    # a 3000 px picture is searched at 1024 px but the period is refined on every pixel
    measured = measure_ruler(ruler_picture(31.25, 3.0, size=(2000, 3000)))
    assert measured.mm_per_pixel(1.0) == pytest.approx(0.032, rel=0.02)


def test_a_picture_without_ticks_is_refused_with_a_message() -> None:
    rng = np.random.default_rng(1)
    skin = cv2.GaussianBlur(rng.normal(150, 30, (600, 800)).astype(np.float32), (0, 0), 6)
    rgb = np.dstack([np.clip(skin, 0, 255).astype(np.uint8)] * 3)
    with pytest.raises(ValidationError, match="ruler"):
        measure_ruler(rgb)


def test_sticker_of_known_diameter_gives_mm_per_pixel() -> None:
    h, w = 800, 1000
    big = 4
    canvas = np.full((h * big, w * big), 200, np.uint8)
    radius = 143.6  # a 10 mm sticker at 0.03482 mm per pixel
    cv2.circle(canvas, (w * big // 2 + 37, h * big // 2 - 11), round(radius * big), 40, -1, lineType=cv2.LINE_AA)
    grey = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
    rgb = np.dstack([grey] * 3)
    measured = measure_sticker(rgb)
    assert measured.diameter_px == pytest.approx(2 * radius, rel=0.01)
    assert measured.mm_per_pixel(10.0) == pytest.approx(10.0 / (2 * radius), rel=0.02)


def test_no_round_sticker_is_refused() -> None:
    rgb = np.full((400, 500, 3), 200, np.uint8)
    rgb[100:300, 50:450] = 30  # a long bar, not round
    with pytest.raises(ValidationError, match="sticker"):
        measure_sticker(rgb)


def test_spacing_follows_the_resolution_and_refuses_another_shape() -> None:
    assert spacing_at(0.01, (6000, 4500), (600, 450)) == pytest.approx(0.1)
    assert spacing_at(0.01, (6000, 4500), (4500, 6000)) == pytest.approx(0.01)  # portrait
    assert spacing_at(0.01, (6000, 4500), (1920, 1080)) is None  # 16:9 video mode: another crop
    assert math.isclose(spacing_at(0.02, (1000, 1000), (1000, 1000)), 0.02)


def test_dermoscopy_pictures_are_not_taken_for_a_ruler(test_data) -> None:
    # their fine texture (hair, JPEG blocks, pigment network) is periodic-looking, but far weaker than ticks
    for name in ("IMD002", "IMD004", "IMD006", "IMD010", "IMD018", "IMD045", "IMD105"):
        rgb = cv2.cvtColor(cv2.imread(str(test_data / "ph2" / "images" / f"{name}.jpg")), cv2.COLOR_BGR2RGB)
        with pytest.raises(ValidationError):
            measure_ruler(rgb)


def test_no_picture_of_the_dermoscopy_data_sets_is_taken_for_a_ruler(shared_data) -> None:
    pictures = sorted((shared_data / "ph2" / "images").glob("*")) + sorted(
        (shared_data / "isic_archive" / "images").glob("*.jp*g"))
    if not pictures:
        pytest.skip(f"no PH2 or ISIC archive pictures under {shared_data}")
    taken = []
    for path in pictures:
        bgr = cv2.imread(str(path))
        if bgr is None:
            continue
        try:
            measure_ruler(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            taken.append(path.name)
        except ValidationError:
            pass
    assert taken == []
