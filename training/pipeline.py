"""The agreed analysis pipeline run from the model cards with onnxruntime (numpy/OpenCV only).

Used to cache HAM lesion boxes for training, for calibration and for evaluation, so the numbers in the
cards come from the very files the app loads, preprocessed the way the app preprocesses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from dermstation.inference.preprocess import (
    Box,
    StepSpec,
    compose,
    crop_box,
    lesion_box,
    resize_to,
    restore_aspect,
    to_tensor,
)
from dermstation.inference.segmentation import mask_from_probability
from training.data import MODELS, RUNS, read_rgb


def _session(path: Path, threads: int = 2) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _step(card: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in card["preprocessing"] if s["step"] == name)


class Segmenter:
    def __init__(self, models: Path = MODELS) -> None:
        self.card = json.loads((models / "segmenter.json").read_text())
        self.session = _session(models / self.card["file"])
        self.size = (_step(self.card, "resize")["width"], _step(self.card, "resize")["height"])
        self.norm = _step(self.card, "normalize")

    def model_probability(self, image: np.ndarray) -> np.ndarray:
        """Probability map at the model's resolution."""
        x = to_tensor(resize_to(image, *self.size), self.norm["mean"], self.norm["std"])[None]
        return self.session.run([self.card["outputs"]["probability"]], {self.card["input"]["name"]: x})[0][0, 0]

    def mask(self, image: np.ndarray) -> np.ndarray:
        """The app's own post-processing (smooth, resize, threshold, largest component, fill holes)."""
        return mask_from_probability(self.model_probability(image), image.shape[:2], self.card["threshold"])


class Classifier:
    def __init__(self, models: Path = MODELS) -> None:
        self.card = json.loads((models / "classifier.json").read_text())
        self.session = _session(models / self.card["file"])
        specs = [StepSpec.parse(s) for s in self.card["preprocessing"]]
        self.image_steps = compose(specs)
        self.crop = _step(self.card, "lesion_crop")
        self.norm = _step(self.card, "normalize")
        self.classes = self.card["classes"]
        self.malignant = [self.classes.index(c) for c in self.card["malignant_classes"]]

    def box(self, mask: np.ndarray) -> Box:
        return lesion_box(mask, self.crop["margin"], self.crop["min_fraction"])

    def tensor(self, image: np.ndarray, box: Box) -> np.ndarray:
        return to_tensor(self.image_steps(crop_box(image, box)), self.norm["mean"], self.norm["std"])

    def logits(self, batch: np.ndarray) -> np.ndarray:
        out = self.card["outputs"]["logits"]
        return np.concatenate([self.session.run([out], {self.card["input"]["name"]: batch[i:i + 64]})[0]
                               for i in range(0, len(batch), 64)])

    def probabilities(self, logits: np.ndarray, temperature: float | None = None) -> np.ndarray:
        return softmax(logits / (self.card["temperature"] if temperature is None else temperature))

    def malignancy(self, probs: np.ndarray) -> np.ndarray:
        return probs[:, self.malignant].sum(1)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def ham_image(path: Path) -> np.ndarray:
    """HAM10000 file -> the 4:3 photo it was squeezed from."""
    return restore_aspect(read_rgb(path))


def lesion_boxes(paths: Iterable[tuple[str, Path]], seg: Segmenter, clf_card: dict[str, Any], ham: bool,
                 cache: bool = True) -> dict[str, Box]:
    """Segmenter-derived lesion boxes, cached per segmenter sha256 and crop parameters."""
    crop = _step(clf_card, "lesion_crop")
    # "app": masks post-processed by the app's mask_from_probability (older caches used a plain threshold)
    key = f"{seg.card['sha256'][:12]}_{crop['margin']}_{crop['min_fraction']}_app"
    path = RUNS / f"boxes_{key}.json"
    known: dict[str, list[int]] = json.loads(path.read_text()) if cache and path.exists() else {}
    out: dict[str, Box] = {}
    changed = False
    for name, p in paths:
        if name not in known:
            img = ham_image(p) if ham else read_rgb(p)
            known[name] = list(lesion_box(seg.mask(img), crop["margin"], crop["min_fraction"]))
            changed = True
        out[name] = tuple(known[name])  # type: ignore[assignment]
    if cache and changed:
        RUNS.mkdir(exist_ok=True)
        path.write_text(json.dumps(known))
    return out
