"""Fixtures for the inference tests: the bundled models, real PH² images and their expert masks."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from dermstation.core.config import PROJECT_ROOT

MODELS = PROJECT_ROOT / "models"
PH2_VAL_SAMPLE = ("IMD006", "IMD010", "IMD018", "IMD045", "IMD105", "IMD369")


def read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def ph2(shared_data: Path, image_id: str) -> tuple[np.ndarray, np.ndarray]:
    """(RGB image, expert bool mask) of one PH² case."""
    image = read_rgb(shared_data / "ph2" / "images" / f"{image_id}.jpg")
    mask = cv2.imread(str(shared_data / "ph2" / "masks" / f"{image_id}.png"), cv2.IMREAD_GRAYSCALE) > 0
    return image, mask


def dice(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(bool), b.astype(bool)
    total = a.sum() + b.sum()
    return float(2.0 * np.logical_and(a, b).sum() / total) if total else 1.0


@pytest.fixture(scope="session")
def models_dir() -> Path:
    for name in ("segmenter", "classifier"):
        if not (MODELS / f"{name}.onnx").is_file() or not (MODELS / f"{name}.json").is_file():
            pytest.fail(f"models/{name}.onnx and models/{name}.json are needed by the inference tests")
    return MODELS


@pytest.fixture(scope="session")
def analyzer(models_dir: Path):
    from dermstation.inference.analyzer import Analyzer

    return Analyzer.from_models_dir(models_dir, provider="cpu")


@pytest.fixture
def models_copy(tmp_path: Path, models_dir: Path) -> Path:
    """A private copy of the models folder to damage."""
    target = tmp_path / "models"
    target.mkdir()
    for name in ("segmenter", "classifier"):
        for ext in (".onnx", ".json"):
            shutil.copy2(models_dir / f"{name}{ext}", target / f"{name}{ext}")
    return target
