"""A fake analyser for the UI tests: ``Analyzer``'s protocol without the neural networks.

The UI tests check what the widgets do with a result; the models are tested with real ONNX sessions
in tests/inference and tests/models. This analyser segments the darkest smooth region (a dermoscopic
lesion is darker than the skin around it), runs the real quality checks and lesion metrics on it, and
gives fixed, calibrated-looking class probabilities. A result therefore has a real outline, real
measurements and real quality flags, and costs milliseconds instead of an ensemble of CNNs.

``FakeAnalyzer.refuse`` makes it raise ``NotApplicable`` for pictures the test names as refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from dermstation.core.config import PROJECT_ROOT
from dermstation.inference import quality
from dermstation.inference.analyzer import AnalysisResult
from dermstation.inference.image_io import LoadedImage, load_array, read_image
from dermstation.inference.metrics import compute_metrics
from dermstation.inference.model_card import load_card
from dermstation.inference.runtime import ModelInfo
from dermstation.inference.segmentation import outer_contour
from dermstation.services.analysis import AnalysisService

# a benign-looking answer: naevus first, melanoma second, malignancy below the card's threshold
PROBABILITIES = {"akiec": 0.01, "bcc": 0.02, "bkl": 0.06, "df": 0.01, "mel": 0.12, "nv": 0.77, "vasc": 0.01}


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def dark_region_mask(rgb: np.ndarray) -> np.ndarray:
    """The largest dark, smooth region (Otsu on blurred grey), holes filled."""
    grey = cv2.GaussianBlur(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (0, 0), max(1.0, min(rgb.shape[:2]) / 100))
    _t, dark = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, labels, stats, _c = cv2.connectedComponentsWithStats(dark, connectivity=8)
    if count <= 1:
        return np.zeros(rgb.shape[:2], bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    region = (labels == largest).astype(np.uint8)
    contours, _h = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros_like(region)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled.astype(bool)


class FakeAnalyzer:
    """Duck-types ``inference.analyzer.Analyzer`` for the services the UI calls."""

    provider = "CPU"

    def __init__(self, models_dir: Path = PROJECT_ROOT / "models") -> None:
        seg, cls = load_card(models_dir / "segmenter.json"), load_card(models_dir / "classifier.json")
        self.models = tuple(ModelInfo(c.name, c.version, c.file, c.sha256) for c in (seg, cls))
        self.classes = tuple(cls.classes)
        self.threshold = float(cls.operating_threshold.malignancy)
        self._malignant = set(cls.malignant_classes)
        self.calls = 0
        self.refuse: Callable[[np.ndarray], None] = lambda _image: None

    def analyze(self, image: np.ndarray, pixel_spacing_mm: float | None = None, tta: bool = False,
                **_options: object) -> AnalysisResult:
        return self.analyze_loaded(load_array(image), pixel_spacing_mm, tta)

    def analyze_file(self, path: str | Path, pixel_spacing_mm: float | None = None, tta: bool = False,
                     **_options: object) -> AnalysisResult:
        return self.analyze_loaded(read_image(path), pixel_spacing_mm, tta)

    def analyze_loaded(self, loaded: LoadedImage, pixel_spacing_mm: float | None = None,
                       tta: bool = False) -> AnalysisResult:
        start = time.perf_counter()
        self.calls += 1
        image = loaded.pixels
        self.refuse(image)
        h, w = image.shape[:2]
        spacing = loaded.pixel_spacing(pixel_spacing_mm)
        mask = dark_region_mask(image)
        probs = tuple((c, PROBABILITIES.get(c, 0.0)) for c in self.classes)
        top, top_p = max(probs, key=lambda cp: cp[1])
        malignancy = sum(p for c, p in probs if c in self._malignant)
        dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
        cam = (dist / max(1.0, float(dist.max()))).astype(np.float32)
        ms = (time.perf_counter() - start) * 1000.0
        return AnalysisResult(
            probabilities=probs, top_class=top, top_probability=top_p, malignancy=malignancy,
            threshold=self.threshold, is_suspicious=malignancy >= self.threshold,
            mask=_frozen(mask), contour=_frozen(outer_contour(mask)), cam=_frozen(cam), cam_box=(0, 0, w, h),
            metrics=compute_metrics(mask, image, spacing), quality=quality.assess(image, mask),
            models=self.models, provider=self.provider, timings_ms=(("total", ms),), image_size=(h, w),
            pixel_spacing_mm=spacing, scale=loaded.scale, tta=tta)


def fake_analysis_service() -> AnalysisService:
    """The real service (decoding, batches, overlays) around the fake analyser."""
    return AnalysisService(FakeAnalyzer())  # type: ignore[arg-type]
