"""Model cards (models/NAME.json, format in models/README.md). Torch-free."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from training.config import (
    CLS_MEAN,
    CLS_SIZE,
    CLS_STD,
    CROP_MARGIN,
    CROP_MIN_FRACTION,
    SEG_H,
    SEG_MEAN,
    SEG_STD,
    SEG_THRESHOLD,
    SEG_W,
    SOG_P,
)
from training.data import CLASSES, MALIGNANT

HAM = {
    "name": "HAM10000",
    "licence": "CC BY-NC-SA 4.0",
    "split": "labels.csv split column: train 4190 (training), val 897 (early stopping, temperature, threshold), "
             "test 897 (metrics only); one image per lesion",
    "citation": "Tschandl, Rosendahl & Kittler, Sci Data 5, 180161 (2018), doi:10.1038/sdata.2018.161",
}
PH2 = {
    "name": "PH2",
    "licence": "free for research and education (cite the paper)",
    "citation": "Mendonça et al., PH2 - A dermoscopic image database for research and benchmarking, IEEE EMBC 2013",
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def card_path(onnx_path: Path) -> Path:
    return onnx_path.with_suffix(".json")


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def save(card: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(card, indent=2) + "\n")


def write_segmenter_card(onnx_path: Path, version: str, training: dict | None) -> dict[str, Any]:
    card = {
        "name": "dermstation-segmenter",
        "version": version,
        "task": "segmentation",
        "file": onnx_path.name,
        "sha256": sha256(onnx_path),
        "opset": 17,
        "architecture": "U-Net++ (nested dense skips), widths 12-24-48-64-96, stride-2 stem, bilinear upsampling "
                        "of the logit map to the input size, sigmoid in the graph",
        "input": {"name": "image", "shape": [None, 3, SEG_H, SEG_W], "dtype": "float32", "layout": "NCHW"},
        "outputs": {"probability": "probability"},
        "preprocessing": [
            {"step": "resize", "width": SEG_W, "height": SEG_H},
            {"step": "normalize", "mean": list(SEG_MEAN), "std": list(SEG_STD)},
        ],
        "postprocessing": [
            {"step": "resize_back", "interpolation": "bilinear", "to": "original image size"},
            {"step": "threshold", "value": SEG_THRESHOLD},
            {"step": "largest_component", "connectivity": 8},
        ],
        "threshold": SEG_THRESHOLD,
        "geometry": f"the whole RGB image is resized (stretched, no crop, no padding) to {SEG_W}x{SEG_H}; it is "
                    "trained on 4:3 images (PH2 765x572), so 4:3 photos keep their proportions; the probability "
                    "map is resized back to the original size before thresholding",
        "datasets": [{**PH2, "split": "split.csv: train 120 (training), val 30 (early stopping and metrics)"}],
        "licence": "research and education use (inherited from PH2)",
        "metrics": {},
        "training": training or {},
        "date": dt.date.today().isoformat(),
    }
    save(card, card_path(onnx_path))
    return card


def classifier_preprocessing(size: int = CLS_SIZE) -> list[dict[str, Any]]:
    return [
        {"step": "lesion_crop", "margin": CROP_MARGIN, "min_fraction": CROP_MIN_FRACTION, "mask_from": "segmenter"},
        {"step": "shades_of_grey", "p": SOG_P},
        {"step": "resize", "width": size, "height": size},
        {"step": "normalize", "mean": list(CLS_MEAN), "std": list(CLS_STD)},
    ]


TTA_TEXT = {
    "none": "none",
    "flip4": "inside the graph: the image and its horizontal, vertical and double flips are averaged (class maps "
             "flipped back); nothing to do in the app",
    "dihedral8": "inside the graph: the image, its horizontal, vertical and double flips and the transposes of all "
                 "four (every 90-degree rotation and mirror) are averaged (class maps mapped back); nothing to do "
                 "in the app",
}


MULTISITE = [
    {"name": "ISIC 2017 challenge (train + validation)", "licence": "CC0",
     "split": "training.multisite: train = ISIC 2017 train with id < ISIC_0014000 (minus the 256 px copies of "
              "archive val photos); val = ISIC 2017 validation (checkpoint, temperature, threshold); held-out "
              "external test = ISIC 2017 train with id >= ISIC_0014000 (never trained or tuned on)",
     "citation": "Codella et al., Skin Lesion Analysis Toward Melanoma Detection (ISIC 2017), ISBI 2018, "
                 "arXiv:1710.05006"},
    {"name": "ISIC Archive UDA photos (full resolution)", "licence": "CC0",
     "split": "training.multisite: the ISIC-2017-train photos split by a hash of the image id into train (2/3) "
              "and val (1/3), lesion-disjoint with their 256 px ISIC 2017 copies; the 101 photos not in ISIC 2017 "
              "are held-out external test"},
]


def write_classifier_card(onnx_path: Path, version: str, tta: str, training: dict | None,
                          members: int = 1, size: int = CLS_SIZE, features: bool = False,
                          multisite: bool = False) -> dict[str, Any]:
    old = load(card_path(onnx_path)) if card_path(onnx_path).exists() else {}
    card = {
        "name": "dermstation-classifier",
        "version": version,
        "task": "classification",
        "file": onnx_path.name,
        "sha256": sha256(onnx_path),
        "opset": 17,
        "architecture": (f"ensemble of {members} identically built networks, logits and class maps averaged; each a "
                         if members > 1 else "") + "compact ResNet (stride-4 stem, basic blocks 1-2-2-1, widths 32-64-128-256, BatchNorm, output stride 16); head = 1x1 conv "
                        "to 7 class maps, logits = global average of the maps",
        "input": {"name": "image", "shape": [None, 3, size, size], "dtype": "float32", "layout": "NCHW"},
        "outputs": {"logits": "logits", "class_maps": "class_maps", **({"features": "features"} if features else {})},
        "class_maps_shape": [None, len(CLASSES), size // 16, size // 16],
        "test_time_augmentation": TTA_TEXT[tta],
        "tta_views": tta,
        "ensemble_members": members,
        "classes": list(CLASSES),
        "malignant_classes": list(MALIGNANT),
        "malignancy_score": "sum of the softmax probabilities (after temperature) of akiec, bcc and mel",
        "temperature": old.get("temperature", 1.0),
        "operating_threshold": old.get("operating_threshold", {"malignancy": 0.5, "chosen_on": "none (untrained)",
                                                               "rule": "placeholder"}),
        "preprocessing": classifier_preprocessing(size),
        "geometry": "full RGB image at its true aspect ratio (HAM10000's 224x224 files are first restored to "
                    "299x224 = 4:3 with restore_aspect); lesion mask from the segmenter card's pipeline; "
                    f"lesion_box = square around the lesion's bounding box plus {CROP_MARGIN:g} of its side on "
                    f"every side, at least {CROP_MIN_FRACTION:g} of the shorter image side, shifted inside the "
                    "image (reflection padding where it is larger); with an empty mask the centred square of the "
                    f"shorter side; the square crop is colour-normalised and resized to {size}x{size} "
                    "(no stretching)",
        "datasets": [HAM, *(MULTISITE if multisite else []), {**PH2, "split": "diagnoses.csv, all 150 images: EXTERNAL TEST ONLY (never trained, "
                                            "calibrated, thresholded or checkpoint-selected on; see "
                                            "external_test_caveat where design choices used it)"}],
        "licence": "CC BY-NC-SA 4.0 (inherited from HAM10000): non-commercial use, share-alike, attribution",
        "metrics": {},
        "confusion_matrix": {},
        "training": training or {},
        "date": dt.date.today().isoformat(),
    }
    if features:
        card["features_output"] = (f"features: (N, {256 * members}) global average of each member's last feature "
                                   "map (before the class head), averaged over the TTA views, members concatenated")
    if old.get("temperature") is not None and old.get("sha256") != card["sha256"]:
        # a new network: its calibration must be refitted on val
        card["temperature"] = 1.0
        card["operating_threshold"] = {"malignancy": 0.5, "chosen_on": "none (not yet calibrated)", "rule": "placeholder"}
    save(card, card_path(onnx_path))
    return card
