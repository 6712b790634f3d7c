"""Real files for every reason a picture is refused an AI score, written into a folder.

Made from the shipped PH² photos (tests/data), pydicom's bundled CT file and the synthetic pictures of
``training.applicability_data`` (numpy/OpenCV only). Each entry: file name -> expected first reason.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
from sample_data import COFFEE_PHOTO, PH2_IMAGES, PH2_MASKS, read_rgb

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from training.applicability_data import chart, colour_bars, document, noise, xray_like  # noqa: E402

DERMOSCOPY = "IMD006.jpg"


def _write(path: Path, rgb: np.ndarray) -> Path:
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if path.suffix == ".jpg" else []
    assert cv2.imwrite(str(path), cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR), params)
    return path


def skin_without_lesion(image_id: str = "IMD004") -> np.ndarray:
    """The largest square of a PH² photo clear of its (dilated) expert lesion mask and the vignette."""
    image = read_rgb(PH2_IMAGES / f"{image_id}.jpg")
    mask = cv2.imread(str(PH2_MASKS / f"{image_id}.png"), cv2.IMREAD_GRAYSCALE) > 127
    keep_out = cv2.dilate(mask.astype(np.uint8), np.ones((41, 41), np.uint8)) > 0
    free = ~(keep_out | (image.max(axis=2) < 50))
    dist = cv2.distanceTransform(free.astype(np.uint8), cv2.DIST_C, 3)
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    r = int(dist[y, x])
    crop = image[max(0, y - r):y + r, max(0, x - r):x + r]  # as training.applicability_data.skin_crops does
    return cv2.resize(crop, (512, 512), interpolation=cv2.INTER_CUBIC)


def lesion_cut_by_edge(image_id: str = "IMD006") -> np.ndarray:
    """A PH² photo cropped through the middle of its lesion: half of it runs off the left edge."""
    image = read_rgb(PH2_IMAGES / f"{image_id}.jpg")
    mask = cv2.imread(str(PH2_MASKS / f"{image_id}.png"), cv2.IMREAD_GRAYSCALE) > 127
    cx = int(np.nonzero(mask)[1].mean())
    return np.ascontiguousarray(image[:, cx:])


def foliage(seed: int = 0) -> np.ndarray:
    """A textured green picture (leaves, grass): colourful and detailed, but not the colours of skin."""
    rng = np.random.default_rng(seed)
    base = cv2.resize(rng.normal(0, 1, (60, 80)).astype(np.float32), (640, 480), interpolation=cv2.INTER_CUBIC)
    fine = rng.normal(0, 12, (480, 640)).astype(np.float32)
    green = np.stack([60 + 25 * base, 140 + 40 * base, 70 + 20 * base], axis=2) + fine[..., None]
    return np.clip(green, 0, 255).astype(np.uint8)


def write_refused(folder: Path) -> dict[str, str]:
    """Write one file per refusal reason into ``folder``; returns file name -> expected reason code."""
    from pydicom.data import get_testdata_file

    folder.mkdir(parents=True, exist_ok=True)
    photo = read_rgb(PH2_IMAGES / DERMOSCOPY)
    _write(folder / "strip.png", cv2.resize(photo, (10000, 50), interpolation=cv2.INTER_AREA))
    _write(folder / "xray.png", xray_like(1))
    shutil.copy(get_testdata_file("CT_small.dcm"), folder / "ct.dcm")
    _write(folder / "invoice.jpg", document(2))
    _write(folder / "chart.png", chart(0))
    _write(folder / "bars.png", colour_bars(1))
    _write(folder / "skin.jpg", skin_without_lesion())
    _write(folder / "thumb.png", cv2.resize(photo, (80, 60), interpolation=cv2.INTER_AREA))
    _write(folder / "dark.png", (photo * 0.1).astype(np.uint8))
    _write(folder / "blurred.png", cv2.GaussianBlur(photo, (0, 0), 16))  # no detail left at all
    _write(folder / "foliage.jpg", foliage())
    _write(folder / "film.png", xray_like(4))  # an X-ray film photographed on a tinted light box
    _write(folder / "static.png", noise(5))  # colourful, detailed, skin-hued in part: unlike any dermoscopy
    shutil.copy(COFFEE_PHOTO, folder / "coffee.jpg")  # a real photograph: brown, textured, skin-hued, not skin
    return {
        "strip.png": "extreme_shape", "xray.png": "no_colour", "ct.dcm": "not_a_photograph",
        "invoice.jpg": "graphic", "chart.png": "graphic", "bars.png": "graphic", "skin.jpg": "no_lesion",
        "thumb.png": "too_small", "dark.png": "too_dark", "blurred.png": "no_texture", "foliage.jpg": "not_skin",
        "film.png": "no_colour", "static.png": "unfamiliar", "coffee.jpg": "unfamiliar",
    }
