"""One call from pixels to an analysis: quality gate, segmentation, classification, CAM, metrics.

``Analyzer`` holds two verified model sessions and no other state, so one instance serves the GUI's
worker pool, the live camera and the CLI at once (onnxruntime sessions are thread-safe).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from dermstation.core.config import models_dir
from dermstation.core.errors import InferenceError, ModelLoadError
from dermstation.core.i18n import _
from dermstation.inference import applicability, quality
from dermstation.inference.applicability import Applicability, OodStatus
from dermstation.inference.image_io import LoadedImage, load_array, read_image
from dermstation.inference.metrics import Measurement, compute_metrics
from dermstation.inference.padding import fill_padding, synthetic_padding
from dermstation.inference.preprocess import Box, CardPipeline, build_pipeline, normalize
from dermstation.inference.quality import QualityFlag, QualityReport
from dermstation.inference.runtime import ModelInfo, ModelSession, load_model
from dermstation.inference.segmentation import mask_from_probability, outer_contour

SEGMENTER_CARD = "segmenter.json"
CLASSIFIER_CARD = "classifier.json"


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """Everything one analysis found. Arrays are read-only and at the analysed image's resolution."""

    probabilities: tuple[tuple[str, float], ...]  # (class, p) in the card's class order, calibrated
    top_class: str
    top_probability: float
    malignancy: float  # sum of the probabilities of the card's malignant classes
    threshold: float  # the card's operating threshold for ``malignancy``
    is_suspicious: bool  # malignancy >= threshold
    mask: np.ndarray  # (H, W) bool lesion mask
    contour: np.ndarray  # (K, 2) int32 (x, y) outline of the mask
    cam: np.ndarray  # (H, W) float32 in [0, 1]: class activation of ``top_class``, 0 outside cam_box
    cam_box: Box  # the square crop the classifier saw, in image coordinates (may reach outside)
    metrics: tuple[Measurement, ...]
    quality: QualityReport
    models: tuple[ModelInfo, ...]
    provider: str  # execution provider(s) that ran the models: "CPU", "CUDA", "TensorRT"
    timings_ms: tuple[tuple[str, float], ...]  # per stage, plus "total"
    image_size: tuple[int, int]  # (H, W) analysed
    pixel_spacing_mm: float | None  # size of one analysed pixel, when known
    scale: float = 1.0  # analysed pixels per original pixel (< 1 when a huge image was shrunk)
    tta: bool = False
    applicability: Applicability | None = None  # why this picture was judged dermoscopy of a lesion

    @property
    def trustworthy(self) -> bool:
        """False when the quality gate found a reason not to trust this result (see ``quality_flags``)."""
        return self.quality.ok

    @property
    def quality_flags(self) -> tuple[QualityFlag, ...]:
        return self.quality.flags

    def probability(self, cls: str) -> float:
        return dict(self.probabilities)[cls]

    @property
    def probability_map(self) -> Mapping[str, float]:
        return dict(self.probabilities)

    @property
    def timings(self) -> Mapping[str, float]:
        return dict(self.timings_ms)

    def metric(self, name: str) -> Measurement | None:
        return next((m for m in self.metrics if m.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no pixel arrays)."""
        return {
            "prediction": self.top_class,
            "prediction_probability": round(self.top_probability, 6),
            "probabilities": {c: round(p, 6) for c, p in self.probabilities},
            "malignancy": round(self.malignancy, 6),
            "threshold": self.threshold,
            "suspicious": self.is_suspicious,
            "trustworthy": self.trustworthy,
            "quality_flags": [{"issue": str(f.issue), "message": f.message} for f in self.quality.flags],
            "quality": {
                "sharpness": round(self.quality.image.sharpness, 2),
                "dark_share": round(self.quality.image.dark_share, 4),
                "bright_share": round(self.quality.image.bright_share, 4),
                "mean_luminance": round(self.quality.image.mean_luminance, 2),
                "lesion_fraction": round(self.quality.mask.lesion_fraction, 4) if self.quality.mask else None,
                "border_touch": round(self.quality.mask.border_touch, 4) if self.quality.mask else None,
            },
            "metrics": {m.name: {"value": round(m.value, 4), "unit": m.unit} for m in self.metrics},
            "lesion_box": list(self.cam_box),
            "image_size": {"height": self.image_size[0], "width": self.image_size[1]},
            "pixel_spacing_mm": self.pixel_spacing_mm,
            "models": [{"name": m.name, "version": m.version, "file": m.file, "sha256": m.sha256} for m in self.models],
            "provider": self.provider,
            "tta": self.tta,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms},
            "applicability": self.applicability.to_dict() if self.applicability else None,
        }


class _Clock:
    def __init__(self) -> None:
        self.stages: list[tuple[str, float]] = []
        self._start = self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages.append((stage, (now - self._last) * 1000.0))
        self._last = now

    def total(self) -> tuple[tuple[str, float], ...]:
        return (*self.stages, ("total", (time.perf_counter() - self._start) * 1000.0))


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def _normalise_cam(cam: np.ndarray) -> np.ndarray:
    """CAM convention: positive evidence scaled to [0, 1]; min-max when nothing is positive."""
    cam = cam.astype(np.float32)
    top = float(cam.max())
    if top > 0:
        return np.clip(cam, 0, None) / top
    span = top - float(cam.min())
    return (cam - cam.min()) / span if span > 0 else np.zeros_like(cam)


def _paste(canvas_hw: tuple[int, int], patch: np.ndarray, box: Box) -> np.ndarray:
    """Place ``patch`` (resized to ``box``) in a zero canvas, clipping what lies outside."""
    h, w = canvas_hw
    x0, y0, x1, y1 = box
    patch = cv2.resize(patch, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    out = np.zeros((h, w), np.float32)
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if cx1 > cx0 and cy1 > cy0:
        out[cy0:cy1, cx0:cx1] = patch[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    return out


# test-time views on a CHW tensor, and the inverse that brings a view's (K, h, w) maps back
_VIEWS = {
    "identity": (lambda t: t, lambda m: m),
    "hflip": (lambda t: t[..., ::-1], lambda m: m[..., ::-1]),
    "vflip": (lambda t: t[..., ::-1, :], lambda m: m[..., ::-1, :]),
    "rot90": (lambda t: np.rot90(t, 1, axes=(-2, -1)), lambda m: np.rot90(m, -1, axes=(-2, -1))),
    "rot270": (lambda t: np.rot90(t, -1, axes=(-2, -1)), lambda m: np.rot90(m, 1, axes=(-2, -1))),
}


class Analyzer:
    """Image in, ``AnalysisResult`` out. Build with ``from_models_dir``; safe to share between threads."""

    def __init__(self, segmenter: ModelSession, classifier: ModelSession) -> None:
        if segmenter.card.task != "segmentation" or classifier.card.task != "classification":
            raise ModelLoadError(_("The segmenter and classifier models are swapped or of the wrong kind"))
        self.segmenter = segmenter
        self.classifier = classifier
        seg_card, cls_card = segmenter.card, classifier.card
        try:
            self._seg_pipeline: CardPipeline = build_pipeline(
                seg_card.preprocessing, (seg_card.input.height, seg_card.input.width))
            self._cls_pipeline: CardPipeline = build_pipeline(
                cls_card.preprocessing, (cls_card.input.height, cls_card.input.width))
        except (ValueError, KeyError) as exc:
            raise ModelLoadError(_("A model card lists preprocessing DermStation does not know"), str(exc)) from exc
        self._seg_steps = self._seg_pipeline.image_steps()
        self._cls_steps = self._cls_pipeline.image_steps()
        # views already averaged inside the graph are not repeated: dihedral8 has every rotation and
        # mirror, flip4 lacks only the 90-degree turn (older cards say "graph" in a free-text note)
        in_graph = str(cls_card.raw.get("tta_views", ""))
        if not in_graph and "graph" in str(cls_card.raw.get("test_time_augmentation", "")).lower():
            in_graph = "flip4"
        self._tta_views = {"dihedral8": ("identity",), "flip4": ("identity", "rot90")}.get(
            in_graph, ("identity", "hflip", "vflip", "rot90"))
        assert cls_card.operating_threshold is not None
        self.threshold = cls_card.operating_threshold.malignancy
        malignant = cls_card.malignant_classes
        self._malignant_idx = [cls_card.classes.index(c) for c in malignant]
        # the out-of-distribution statistics sit beside the classifier's card and name its sha256
        if "features" in dict(cls_card.outputs):
            self._ood, self._ood_status = applicability.load_feature_distance(cls_card.path.parent, cls_card.sha256)
        else:
            self._ood, self._ood_status = None, OodStatus.UNAVAILABLE

    @classmethod
    def from_models_dir(cls, path: str | Path | None = None, provider: str = "auto",
                        threads: int | None = None) -> Analyzer:
        """Load ``segmenter`` and ``classifier`` (card + ONNX) from ``path`` (default: the bundled models)."""
        root = Path(path) if path is not None else models_dir()
        seg = load_model(root / SEGMENTER_CARD, provider, threads, expected_task="segmentation")
        clf = load_model(root / CLASSIFIER_CARD, provider, threads, expected_task="classification")
        return cls(seg, clf)

    @property
    def provider(self) -> str:
        names = dict.fromkeys((self.segmenter.provider_name, self.classifier.provider_name))
        return "+".join(names)

    @property
    def models(self) -> tuple[ModelInfo, ...]:
        return (self.segmenter.info, self.classifier.info)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.classifier.card.classes

    # --- stages ---------------------------------------------------------------------------------
    def segment(self, image: np.ndarray, tta: bool = False) -> np.ndarray:
        """RGB uint8 -> bool lesion mask at the image's resolution."""
        return self._lesion_mask(image, tta)[0]

    def _lesion_mask(self, image: np.ndarray, tta: bool) -> tuple[np.ndarray, np.ndarray]:
        """The lesion mask at the image's resolution and the segmenter's probability map. Synthetic padding
        (the flat corners of a picture turned in software) is painted skin-coloured for the segmenter and is
        never part of the lesion."""
        padding = synthetic_padding(image)
        prob = self._segment_probability(fill_padding(image, padding), tta)
        mask = mask_from_probability(prob, image.shape[:2], self.segmenter.card.threshold, exclude=padding)
        return mask, prob

    def _segment_probability(self, image: np.ndarray, tta: bool) -> np.ndarray:
        mean, std = self._seg_pipeline.normalisation()
        tensor = normalize(self._seg_steps(image), mean, std)
        batch = np.stack([tensor, tensor[..., ::-1]]) if tta else tensor[None]
        prob = self.segmenter.run(batch)["probability"][:, 0]
        if tta:
            return (prob[0] + prob[1][..., ::-1]) / 2.0
        return prob[0]

    def _classify(self, image: np.ndarray, mask: np.ndarray | None, tta: bool
                  ) -> tuple[np.ndarray, np.ndarray, Box]:
        logits, maps, box, _ = self._classify_features(image, mask, tta)
        return logits, maps, box

    def _classify_features(self, image: np.ndarray, mask: np.ndarray | None, tta: bool
                           ) -> tuple[np.ndarray, np.ndarray, Box, np.ndarray | None]:
        tensor, box = self._cls_pipeline.prepare(image, mask)
        views = self._tta_views if tta else ("identity",)
        batch = np.stack([np.ascontiguousarray(_VIEWS[v][0](tensor)) for v in views])
        out = self.classifier.run(batch)
        features = out["features"].astype(np.float64).mean(axis=0) if "features" in out else None
        logits = out["logits"].astype(np.float64)
        maps = out["class_maps"].astype(np.float32)
        if maps.shape[-1] != maps.shape[-2] and "rot90" in views:
            raise InferenceError(_("Rotation test-time augmentation needs a square classifier input"))
        maps = np.mean([_VIEWS[v][1](maps[i]) for i, v in enumerate(views)], axis=0)
        return logits.mean(axis=0), maps, box, features

    def classify(self, image: np.ndarray, mask: np.ndarray | None = None, tta: bool = False
                 ) -> tuple[tuple[tuple[str, float], ...], float]:
        """Calibrated class probabilities and the malignancy score for an image (and its lesion mask)."""
        logits, _, _ = self._classify(image, mask, tta)
        probs = _softmax(logits / self.classifier.card.temperature)
        return tuple(zip(self.classes, map(float, probs), strict=True)), float(probs[self._malignant_idx].sum())

    # --- the whole analysis ---------------------------------------------------------------------
    def analyze(self, image: np.ndarray, pixel_spacing_mm: float | None = None, tta: bool = False, *,
                applicability_check: bool = True) -> AnalysisResult:
        """Analyse an RGB image (uint8, or any depth/grey/RGBA array, as ``load_array`` accepts).

        Raises ``NotApplicable`` when it is not a dermoscopic image of a skin lesion. Only the evaluation
        of the models on data sets that are dermoscopy by construction passes ``applicability_check=False``
        (the verdict is still attached to the result); the app never does.
        """
        clock = _Clock()
        loaded = load_array(image)
        clock.lap("decode")
        return self._analyze_loaded(loaded, loaded.pixel_spacing(pixel_spacing_mm), tta, clock, applicability_check)

    def analyze_file(self, path: str | Path, pixel_spacing_mm: float | None = None, tta: bool = False, *,
                     applicability_check: bool = True) -> AnalysisResult:
        """Decode an image file (see ``image_io.read_image``) and analyse it (``NotApplicable`` as ``analyze``).

        ``pixel_spacing_mm`` is the size of one pixel of the stored image; it is rescaled when a huge
        image is analysed at a smaller working size.
        """
        clock = _Clock()
        loaded = read_image(path)
        clock.lap("decode")
        return self._analyze_loaded(loaded, loaded.pixel_spacing(pixel_spacing_mm), tta, clock, applicability_check)

    def analyze_loaded(self, loaded: LoadedImage, pixel_spacing_mm: float | None = None,
                       tta: bool = False) -> AnalysisResult:
        """Analyse an already decoded image; ``pixel_spacing_mm`` as for ``analyze_file``."""
        return self._analyze_loaded(loaded, loaded.pixel_spacing(pixel_spacing_mm), tta, _Clock())

    @property
    def applicability_status(self) -> OodStatus:
        """Whether the learned part of the applicability check runs for this classifier."""
        return self._ood_status

    def evidence(self, image: np.ndarray, tta: bool = False
                 ) -> tuple[applicability.ImageEvidence, applicability.LesionEvidence, np.ndarray | None]:
        """Everything the applicability check looks at, every part computed (for calibration)."""
        mask, prob = self._lesion_mask(image, tta)
        _, _, _, features = self._classify_features(image, mask if mask.any() else None, tta)
        return applicability.measure_image(image), applicability.measure_lesion(mask, image, prob), features

    def judge(self, image: np.ndarray, tta: bool = False) -> Applicability:
        """The applicability verdict for an RGB uint8 picture, every check run."""
        evidence, lesion, features = self.evidence(image, tta)
        return applicability.judge(evidence, lesion, features, self._ood, self._ood_status)

    def _analyze_loaded(self, loaded: LoadedImage, spacing: float | None, tta: bool, clock: _Clock,
                        check: bool = True) -> AnalysisResult:
        """Raises ``NotApplicable`` (with the verdict) when the picture is not dermoscopy of a lesion."""
        image = loaded.pixels
        h, w = image.shape[:2]
        evidence = applicability.measure_image(image)
        refuse = applicability.raise_if_refused if check else (lambda _verdict: None)
        # geometry and colour first: a strip or an X-ray never reaches the models
        refuse(applicability.judge(evidence, ood_status=self._ood_status))
        image_quality = quality.measure_image(image)
        clock.lap("quality")
        mask, prob = self._lesion_mask(image, tta)
        clock.lap("segmentation")
        lesion = applicability.measure_lesion(mask, image, prob)
        contour = outer_contour(mask)
        clock.lap("mask")
        logits, maps, box, features = self._classify_features(image, mask if mask.any() else None, tta)
        verdict = applicability.judge(evidence, lesion, features, self._ood, self._ood_status)
        refuse(verdict)
        clock.lap("classification")
        probs = _softmax(logits / self.classifier.card.temperature)
        top = int(np.argmax(probs))
        malignancy = float(probs[self._malignant_idx].sum())
        cam = _paste((h, w), _normalise_cam(maps[top]), box)
        clock.lap("cam")
        metrics = compute_metrics(mask, image, spacing)
        clock.lap("metrics")
        mask_quality = quality.measure_mask(mask)
        report = QualityReport(
            image_quality, mask_quality, tuple(quality.image_flags(image_quality) + quality.mask_flags(mask_quality)
                                               + quality.applicability_flags(verdict.ood_status,
                                                                             applicability.lesion_is_cut(lesion)))
        )
        return AnalysisResult(
            probabilities=tuple(zip(self.classes, map(float, probs), strict=True)),
            top_class=self.classes[top],
            top_probability=float(probs[top]),
            malignancy=malignancy,
            threshold=float(self.threshold),
            is_suspicious=malignancy >= self.threshold,
            mask=_frozen(mask),
            contour=_frozen(contour),
            cam=_frozen(cam),
            cam_box=tuple(int(v) for v in box),  # type: ignore[arg-type]
            metrics=metrics,
            quality=report,
            models=self.models,
            provider=self.provider,
            timings_ms=clock.total(),
            image_size=(h, w),
            pixel_spacing_mm=spacing,
            scale=loaded.scale,
            tta=tta,
            applicability=verdict,
        )
