"""Sequential dermoscopy: alignment and the aligned comparison, on real PH² pictures and expert masks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from sample_data import ph2_case as ph2

from dermstation.inference.follow_up import (
    AREA_NOISE_PCT,
    DIAMETER_NOISE_PCT,
    Note,
    Picture,
    Verdict,
    compare_pictures,
)
from dermstation.inference.registration import align


def _turned(rgb: np.ndarray, mask: np.ndarray, angle: float, zoom: float, border=(255, 255, 255)):
    h, w = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    turned = cv2.warpAffine(rgb, matrix, (w, h), borderValue=border)
    turned_mask = cv2.warpAffine(mask.astype(np.uint8), matrix, (w, h), flags=cv2.INTER_NEAREST) > 0
    return turned, turned_mask


def test_alignment_recovers_turn_zoom_and_resolution() -> None:
    rgb, _mask = ph2("IMD006")
    h, w = rgb.shape[:2]
    turned, _ = _turned(rgb, _mask, 37.0, 0.9)
    after = cv2.resize(turned, (w * 2, h * 2), interpolation=cv2.INTER_LINEAR)  # another camera: 2x the pixels
    found = align(rgb, after)
    assert found.ok and found.inliers >= 50
    assert found.scale == pytest.approx(1 / (0.9 * 2), rel=0.03)
    assert found.rotation_deg == pytest.approx(37.0, abs=1.5)


def test_two_different_lesions_do_not_align() -> None:
    a, _ = ph2("IMD006")
    b, _ = ph2("IMD105")
    assert not align(a, b).ok


def test_same_lesion_turned_and_at_another_resolution_is_stable_in_mm() -> None:
    rgb, mask = ph2("IMD010")
    turned, turned_mask = _turned(rgb, mask, 90.0, 1.0)
    small = cv2.resize(turned, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    small_mask = cv2.resize(turned_mask.astype(np.uint8), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_NEAREST) > 0
    result = compare_pictures(Picture(rgb, mask, pixel_spacing_mm=0.01), Picture(small, small_mask, pixel_spacing_mm=0.02))
    assert result.aligned and result.same_lesion
    assert result.verdict is Verdict.STABLE, result
    assert result.length_unit == "mm"
    assert abs(result.diameter_change_pct) < DIAMETER_NOISE_PCT / 2
    assert abs(result.area_change_pct) < AREA_NOISE_PCT / 2
    assert Note.SCALES_DISAGREE not in result.notes
    # the verdict is the numbers' verdict
    assert result.to_dict()["verdict"] == "stable" and result.to_dict()["unit"] == "mm"


def test_growth_beyond_noise_is_changed_and_grew() -> None:
    rgb, mask = ph2("IMD006")
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((31, 31), np.uint8)) > 0
    result = compare_pictures(Picture(rgb, mask, pixel_spacing_mm=0.01), Picture(rgb, grown, pixel_spacing_mm=0.01))
    assert result.verdict is Verdict.CHANGED and result.grew
    assert result.diameter_change_pct > DIAMETER_NOISE_PCT or result.area_change_pct > AREA_NOISE_PCT
    shrunk = compare_pictures(Picture(rgb, grown, pixel_spacing_mm=0.01), Picture(rgb, mask, pixel_spacing_mm=0.01))
    assert shrunk.verdict is Verdict.CHANGED and not shrunk.grew and shrunk.area_change_pct < -AREA_NOISE_PCT


def test_an_outline_spilled_into_a_white_corner_is_not_measured() -> None:
    rgb, mask = ph2("IMD018")
    turned, turned_mask = _turned(rgb, mask, 30.0, 0.8)
    corner_spill = turned_mask | (turned.min(axis=2) < 250)  # "lesion" = everything but the white corners
    result = compare_pictures(Picture(rgb, mask, pixel_spacing_mm=0.01), Picture(turned, corner_spill))
    assert result.aligned
    assert Note.SEGMENTATION_SPILLED in result.notes
    assert result.verdict is Verdict.NOT_COMPARABLE and result.diameter_change_pct is None


def test_without_alignment_or_scale_sizes_are_not_compared() -> None:
    a, mask_a = ph2("IMD006")
    b, mask_b = ph2("IMD105")
    unknown = compare_pictures(Picture(a, mask_a), Picture(b, mask_b))
    assert unknown.verdict is Verdict.NOT_COMPARABLE
    assert Note.NOT_ALIGNED in unknown.notes and Note.NO_SCALE in unknown.notes
    # with both pixel sizes known they are compared in mm, but never called the same lesion
    known = compare_pictures(Picture(a, mask_a, pixel_spacing_mm=0.01), Picture(b, mask_b, pixel_spacing_mm=0.01))
    assert known.same_lesion is None and known.length_unit == "mm" and known.diameter_change_pct is not None


def test_a_different_lesion_in_an_aligned_picture_is_called_so() -> None:
    rgb, mask = ph2("IMD010")
    h, w = mask.shape
    elsewhere = np.zeros_like(mask)
    elsewhere[: h // 6, : w // 6] = True  # an "outline" in the corner, away from the lesion
    result = compare_pictures(Picture(rgb, mask, pixel_spacing_mm=0.01), Picture(rgb, elsewhere, pixel_spacing_mm=0.01))
    assert result.verdict is Verdict.DIFFERENT_LESION and result.same_lesion is False
