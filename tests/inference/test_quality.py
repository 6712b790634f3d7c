"""The quality gate on real PH² / HAM10000 images and degraded copies of them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from dermstation.inference.preprocess import restore_aspect
from dermstation.inference.quality import QualityIssue, assess

from .conftest import ph2, read_rgb


@pytest.mark.parametrize("image_id", ["IMD006", "IMD010", "IMD105"])
def test_good_ph2_images_pass(image_id: str) -> None:
    image, mask = ph2(image_id)
    report = assess(image, mask)
    assert report.ok, report.flags


def test_good_ham_images_pass(shared_data: Path) -> None:
    files = sorted((shared_data / "ham10000" / "images").glob("*.jpg"))[:20]
    for f in files:
        report = assess(restore_aspect(read_rgb(f)))
        assert QualityIssue.BLURRED not in report.issues, f.name


def test_blurred_image_is_flagged() -> None:
    image, mask = ph2("IMD006")
    blurred = cv2.GaussianBlur(image, (0, 0), 8)
    report = assess(blurred, mask)
    assert report.issues == (QualityIssue.BLURRED,)
    assert "blurred" in report.flags[0].message


def test_dark_image_is_flagged() -> None:
    image, _ = ph2("IMD010")
    assert QualityIssue.UNDEREXPOSED in assess((image * 0.15).astype(np.uint8)).issues


def test_overexposed_image_is_flagged() -> None:
    image, _ = ph2("IMD010")
    bright = np.clip(image.astype(np.int32) * 2 + 60, 0, 255).astype(np.uint8)
    assert QualityIssue.OVEREXPOSED in assess(bright).issues


def test_no_lesion() -> None:
    image, mask = ph2("IMD010")
    assert assess(image, np.zeros_like(mask)).issues == (QualityIssue.NO_LESION,)


def test_tiny_lesion() -> None:
    image, mask = ph2("IMD010")
    tiny = np.zeros_like(mask)
    tiny[100:105, 100:105] = True
    assert assess(image, tiny).issues == (QualityIssue.LESION_TOO_SMALL,)


def test_mask_touching_the_border() -> None:
    image, mask = ph2("IMD010")
    assert assess(image, np.ones_like(mask)).issues == (QualityIssue.LESION_FILLS_FRAME,)
