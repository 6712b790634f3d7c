"""What the bundled models must achieve through the app's own pipeline (not the trainer's).

These read the model cards and run the full Analyzer on PH² validation images (the segmenter's val
split; the classifier never saw PH²): the segmentation must overlap the expert masks and the CAM of
the predicted class must peak on the lesion. They read the data sets from $DERMSTATION_SHARED_DATA
(skipped with the reason when it is unset).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from sample_data import ph2_case

from dermstation.inference.analyzer import Analyzer

from .conftest import PH2_VAL_SAMPLE, dice

MIN_MEAN_DICE = 0.80
MIN_CASE_DICE = 0.60
MIN_CAM_ON_LESION = 4  # of the 6 cases, the CAM peak lies on the (slightly dilated) expert lesion


def _val_ids(shared_data: Path) -> set[str]:
    rows = (shared_data / "ph2" / "split.csv").read_text().splitlines()[1:]
    return {r.split(",")[0] for r in rows if r.strip().endswith("val")}


def test_sample_is_from_the_segmenter_validation_split(shared_data: Path) -> None:
    assert set(PH2_VAL_SAMPLE) <= _val_ids(shared_data)


def test_segmentation_matches_expert_masks(analyzer: Analyzer, shared_data: Path) -> None:
    scores = {}
    for image_id in PH2_VAL_SAMPLE:
        image, expert = ph2_case(image_id, shared_data / "ph2")
        scores[image_id] = dice(analyzer.segment(image), expert)
    assert np.mean(list(scores.values())) > MIN_MEAN_DICE, scores
    assert min(scores.values()) > MIN_CASE_DICE, scores


def test_cam_peaks_on_the_lesion(analyzer: Analyzer, shared_data: Path) -> None:
    hits = {}
    for image_id in PH2_VAL_SAMPLE:
        image, expert = ph2_case(image_id, shared_data / "ph2")
        r = analyzer.analyze(image)
        y, x = np.unravel_index(int(np.argmax(r.cam)), r.cam.shape)
        margin = max(3, round(0.03 * min(expert.shape)))
        grown = cv2.dilate(expert.astype(np.uint8), np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) > 0
        hits[image_id] = bool(grown[y, x])
    assert sum(hits.values()) >= MIN_CAM_ON_LESION, hits


def test_app_pipeline_reproduces_the_card_dice(analyzer: Analyzer, shared_data: Path) -> None:
    """The card's PH² val Dice was measured by training; the app's own post-processing (holes filled,
    outline smoothed, largest component) must not lose more than a point of it."""
    claimed = analyzer.segmenter.card.metrics.get("val_ph2", {}).get("dice")
    assert claimed is not None, "the segmenter card states no PH2 val Dice"
    scores = []
    for image_id in sorted(_val_ids(shared_data)):
        image, expert = ph2_case(image_id, shared_data / "ph2")
        scores.append(dice(analyzer.segment(image), expert))
    assert np.mean(scores) >= claimed - 0.01, (np.mean(scores), claimed)


def _auc(scores: list[float], positive: list[bool]) -> float:
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


MIN_MALIGNANCY_AUC = 0.75


def test_malignancy_score_separates_ham_test_lesions(analyzer: Analyzer, shared_data: Path) -> None:
    """On held-out HAM10000 test images (restored to 4:3, as a camera delivers them), the app's
    malignancy score ranks malignant lesions above benign ones."""
    import csv

    from dermstation.inference.preprocess import restore_aspect

    from .conftest import read_rgb

    malignant = set(analyzer.classifier.card.malignant_classes)
    with open(shared_data / "ham10000" / "labels.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test"]
    pos = [r for r in rows if r["dx"] in malignant][:20]
    neg = [r for r in rows if r["dx"] not in malignant][:20]
    scores, labels = [], []
    for row in pos + neg:
        image = restore_aspect(read_rgb(shared_data / "ham10000" / "images" / f"{row['image_id']}.jpg"))
        scores.append(analyzer.analyze(image).malignancy)
        labels.append(row["dx"] in malignant)
    assert _auc(scores, labels) >= MIN_MALIGNANCY_AUC, _auc(scores, labels)
