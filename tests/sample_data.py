"""Where tests find real images: the few shipped in ``tests/data`` and, optionally, whole data sets.

Whole data sets (HAM10000, PH², ISIC) live outside the repository and are found only through
``$DERMSTATION_SHARED_DATA``; a test that needs them calls :func:`shared_data_or_skip` (or uses the
``shared_data`` fixture) and is skipped with the reason when the variable is unset or wrong.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

TEST_DATA = Path(__file__).resolve().parent / "data"
PH2_IMAGES = TEST_DATA / "ph2" / "images"
PH2_MASKS = TEST_DATA / "ph2" / "masks"
ISIC_NEVUS = TEST_DATA / "isic" / "ISIC_0000009.jpg"
ISIC_MELANOMA = TEST_DATA / "isic" / "ISIC_0000030.jpg"
COFFEE_PHOTO = TEST_DATA / "photos" / "coffee.jpg"  # a real photograph that is not skin


def ph2_path(image_id: str) -> Path:
    """A shipped PH² photo (see tests/data/README.md for the cases)."""
    path = PH2_IMAGES / f"{image_id}.jpg"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not shipped; add it to tests/data or use $DERMSTATION_SHARED_DATA")
    return path


def read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def ph2_case(image_id: str, root: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(RGB image, expert bool mask) of one PH² case, shipped or from ``root`` (a PH² folder)."""
    images, masks = (root / "images", root / "masks") if root else (PH2_IMAGES, PH2_MASKS)
    image = read_rgb(images / f"{image_id}.jpg") if root else read_rgb(ph2_path(image_id))
    mask = cv2.imread(str(masks / f"{image_id}.png"), cv2.IMREAD_GRAYSCALE) > 0
    return image, mask


def shared_data_dir() -> Path | None:
    """``$DERMSTATION_SHARED_DATA`` when it is set and holds the data sets, else None."""
    env = os.environ.get("DERMSTATION_SHARED_DATA")
    return Path(env) if env and Path(env).is_dir() else None


def shared_data_or_skip(*needed: str) -> Path:
    """The shared data folder, or skip the calling test saying what is missing."""
    root = shared_data_dir()
    if root is None:
        pytest.skip("needs the shared data sets: set DERMSTATION_SHARED_DATA "
                    f"(now {os.environ.get('DERMSTATION_SHARED_DATA', 'unset')!r})")
    for part in needed:
        if not (root / part).exists():
            pytest.skip(f"needs {part} under DERMSTATION_SHARED_DATA={root}")
    return root


def needs_shared_data(*needed: str) -> pytest.MarkDecorator:
    """Mark a test or module that reads whole data sets from ``$DERMSTATION_SHARED_DATA``."""
    root = shared_data_dir()
    missing = [p for p in needed if root is None or not (root / p).exists()]
    reason = ("needs the shared data sets: set DERMSTATION_SHARED_DATA" if root is None
              else f"needs {', '.join(missing)} under DERMSTATION_SHARED_DATA={root}")
    return pytest.mark.skipif(bool(missing) or root is None, reason=reason)
