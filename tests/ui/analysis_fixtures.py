"""Shared by the Analysis UI tests: the fake analyser (fake_analysis.py), the real models once per session
for the few tests about what the models decide, a PH² video as the camera."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from dermstation.capture.camera import write_test_video
from dermstation.core.config import PROJECT_ROOT
from dermstation.services.analysis import AnalysisService

PH2_NAMES = ("IMD006", "IMD010", "IMD018")


@pytest.fixture(scope="session")
def analysis_service() -> AnalysisService:
    """The real models: only for UI tests about what the models decide (refusals, quality)."""
    return AnalysisService(models_dir=PROJECT_ROOT / "models", provider="cpu")


@pytest.fixture(scope="session")
def fake_analysis() -> AnalysisService:
    """The real service around the fake analyser: what the widgets do with a result, in milliseconds."""
    from fake_analysis import fake_analysis_service

    return fake_analysis_service()


@pytest.fixture(scope="session")
def ph2_video(test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    images = [cv2.cvtColor(cv2.imread(str(test_data / "ph2" / "images" / f"{n}.jpg")), cv2.COLOR_BGR2RGB)
              for n in PH2_NAMES]
    return write_test_video(tmp_path_factory.mktemp("camera") / "ph2.avi", images, fps=20.0,
                            size=(640, 480), repeat=3)
