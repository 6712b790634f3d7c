"""Fixtures for the inference tests: the bundled models, real PH² images and their expert masks (tests/data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from sample_data import ph2_case, read_rgb  # noqa: F401 (read_rgb: used by test modules)

from dermstation.core.config import PROJECT_ROOT

MODELS = PROJECT_ROOT / "models"
PH2_VAL_SAMPLE = ("IMD006", "IMD010", "IMD018", "IMD045", "IMD105", "IMD369")


def ph2(image_id: str) -> tuple[np.ndarray, np.ndarray]:
    """(RGB image, expert bool mask) of one PH² case shipped in tests/data."""
    return ph2_case(image_id)


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
