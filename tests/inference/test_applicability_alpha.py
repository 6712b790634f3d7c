"""A transparent border changes nothing: the same photo with and without it gets the same answer, and
every decoding path (file, stored capture) composites it the same way.

The issue this guards against: a dermoscopy photo saved with a transparent border (whose hidden RGB
was white) was called melanoma 0.80, the same photo without the border naevus 0.99.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from sample_data import PH2_IMAGES, read_rgb

from dermstation.core.domain import CaptureSource
from dermstation.inference.analyzer import Analyzer
from dermstation.inference.image_io import read_image
from dermstation.services.analysis_records import CaptureImage
from dermstation.services.imports import decode_capture

BORDER = 60


def _with_transparent_border(rgb: np.ndarray, hidden: tuple[int, int, int]) -> np.ndarray:
    """RGBA: the photo, opaque, inside a fully transparent border whose (invisible) colour is ``hidden``."""
    h, w = rgb.shape[:2]
    out = np.zeros((h + 2 * BORDER, w + 2 * BORDER, 4), np.uint8)
    out[..., :3] = hidden
    out[BORDER:-BORDER, BORDER:-BORDER, :3] = rgb
    out[BORDER:-BORDER, BORDER:-BORDER, 3] = 255
    return out


def _write_rgba(path: Path, rgba: np.ndarray) -> Path:
    assert cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    return path


@pytest.mark.parametrize("image_id", ["IMD006", "IMD010"])
def test_transparent_border_gives_the_same_answer(analyzer: Analyzer, tmp_path: Path, image_id: str) -> None:
    photo = read_rgb(PH2_IMAGES / f"{image_id}.jpg")
    plain = analyzer.analyze(photo)
    answers = []
    for hidden in ((255, 255, 255), (255, 0, 255), (0, 0, 0)):
        path = _write_rgba(tmp_path / f"{image_id}-{hidden[1]}.png", _with_transparent_border(photo, hidden))
        from_file = read_image(path).pixels
        stored = CaptureImage(1, 1, path.read_bytes(), CaptureSource.FILE, datetime.now(UTC), None, path.name)
        from_store = decode_capture(stored).pixels
        # one compositing rule for every path: whatever hides under transparent pixels never shows
        assert np.array_equal(from_file, from_store), hidden
        answers.append(analyzer.analyze(from_file))
    for a in answers:
        assert a.top_class == plain.top_class
        assert abs(a.malignancy - plain.malignancy) < 0.05
        assert a.is_suspicious == plain.is_suspicious
