"""Synthetic padding (the flat corners of a picture turned in software) never becomes lesion.

Real PH² pictures from tests/data, turned in software with white or black corners as an image viewer
does it; the real segmenter must measure the same lesion as on the original picture."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from sample_data import ph2_case as ph2

from dermstation.core.config import PROJECT_ROOT
from dermstation.inference.metrics import compute_metrics
from dermstation.inference.padding import fill_padding, synthetic_padding
from dermstation.inference.segmentation import mask_from_probability

TEST_IMAGES = sorted((PROJECT_ROOT / "tests" / "data").rglob("*.jpg"))


def turned(rgb: np.ndarray, angle: float, corner: tuple[int, int, int]) -> np.ndarray:
    """``rgb`` turned by ``angle`` degrees on a canvas large enough to keep all of it, corners ``corner``."""
    h, w = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = (round(h * sin + w * cos), round(h * cos + w * sin))
    matrix[:, 2] += (size[0] / 2 - w / 2, size[1] / 2 - h / 2)
    return cv2.warpAffine(rgb, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=corner)


def jpeg(rgb: np.ndarray, quality: int = 90) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("path", TEST_IMAGES, ids=lambda p: p.stem)
def test_real_pictures_have_no_padding(path) -> None:
    rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    assert not synthetic_padding(rgb).any()
    assert fill_padding(rgb, synthetic_padding(rgb)) is rgb  # nothing painted, nothing copied


@pytest.mark.parametrize("corner", [(255, 255, 255), (0, 0, 0)], ids=["white", "black"])
def test_turned_corners_are_found_after_relighting_and_jpeg(corner) -> None:
    rgb, _expert = ph2("IMD006")
    picture = turned(rgb, 30.0, corner)
    truth = turned(np.full(rgb.shape[:2], 255, np.uint8), 30.0, (0, 0, 0)) < 128  # where the corners are
    relit = jpeg(np.clip(picture.astype(np.float32) * (0.9, 0.95, 1.0), 0, 255).astype(np.uint8))
    found = synthetic_padding(relit)
    assert found[truth].mean() > 0.99  # every corner, also when white is no longer 255
    assert found[~truth].mean() < 0.03  # and barely any skin: only the blurred rim beside the corners
    filled = fill_padding(relit, found)
    assert np.array_equal(filled[~found], relit[~found])  # the picture itself is untouched
    skin = np.median(relit[~found & ~truth], axis=0)
    assert np.abs(filled[truth].mean(axis=0) - skin).max() < 40  # the corners look like skin now


def test_excluded_pixels_never_join_the_mask() -> None:
    probability = np.full((64, 64), 0.9, np.float32)  # the segmenter "sees" lesion everywhere
    exclude = np.zeros((128, 128), bool)
    exclude[:, :40] = True
    mask = mask_from_probability(probability, (128, 128), exclude=exclude)
    assert mask.any() and not (mask & exclude).any()
    assert np.array_equal(mask_from_probability(probability, (128, 128)),
                          mask_from_probability(probability, (128, 128), exclude=np.zeros((128, 128), bool)))


@pytest.mark.parametrize("image_id", ["IMD006", "IMD018"])
@pytest.mark.parametrize("corner", [(255, 255, 255), (0, 0, 0)], ids=["white", "black"])
def test_a_picture_turned_in_software_measures_the_same_lesion(analyzer, image_id, corner) -> None:
    rgb, _expert = ph2(image_id)
    original = compute_metrics(analyzer.segment(rgb), rgb, 0.02)
    for angle in (20.0, 45.0):
        picture = jpeg(turned(rgb, angle, corner))
        mask = analyzer.segment(picture)
        assert not (mask & synthetic_padding(picture)).any()
        again = compute_metrics(mask, picture, 0.02)
        for name in ("area", "diameter"):
            before = next(m.value for m in original if m.name == name)
            after = next(m.value for m in again if m.name == name)
            assert after == pytest.approx(before, rel=0.07), (image_id, corner, angle, name, before, after)
