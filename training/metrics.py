"""Classification, calibration and segmentation metrics in plain numpy (CI has no torch/sklearn)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from training.data import CLASSES, MALIGNANT


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    y = np.asarray(y).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    s = np.asarray(score)[order]
    ranks = np.empty(len(s), dtype=np.float64)
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2.0 + 1.0
        i = j + 1
    r = np.empty_like(ranks)
    r[order] = ranks
    return float((r[y].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def roc_curve(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False and true positive rates over all thresholds (for plotting)."""
    y = np.asarray(y).astype(bool)
    order = np.argsort(-np.asarray(score), kind="mergesort")
    ys = y[order]
    tps, fps = np.cumsum(ys), np.cumsum(~ys)
    tpr = np.concatenate([[0.0], tps / max(int(y.sum()), 1)])
    fpr = np.concatenate([[0.0], fps / max(int((~y).sum()), 1)])
    return fpr, tpr


def ece(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top label, equal-width confidence bins."""
    conf = probs.max(1)
    correct = probs.argmax(1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            total += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(total)


def binary_ece(score: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Calibration error of a probability of the positive class (reliability of the malignancy score)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        sel = (score >= lo) & ((score < hi) if k < bins - 1 else (score <= hi))
        if sel.any():
            total += sel.mean() * abs(np.asarray(y)[sel].mean() - score[sel].mean())
    return float(total)


def confusion(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (y, pred), 1)
    return m


def nll(probs: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, 1.0))))


def sens_spec(positive: np.ndarray, flagged: np.ndarray) -> tuple[float, float]:
    positive, flagged = positive.astype(bool), flagged.astype(bool)
    sens = float(flagged[positive].mean()) if positive.any() else float("nan")
    spec = float((~flagged[~positive]).mean()) if (~positive).any() else float("nan")
    return sens, spec


def classification_metrics(y: np.ndarray, probs: np.ndarray, threshold: float | None = None,
                           classes: Sequence[str] = CLASSES) -> dict[str, Any]:
    """Everything the card reports for the 7-class problem; probs are calibrated softmax outputs."""
    k = len(classes)
    y = np.asarray(y)
    pred = probs.argmax(1)
    cm = confusion(y, pred, k)
    recall = cm.diagonal() / np.maximum(cm.sum(1), 1)
    precision = cm.diagonal() / np.maximum(cm.sum(0), 1)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    aucs = [roc_auc(y == c, probs[:, c]) for c in range(k)]
    mal_idx = [classes.index(c) for c in MALIGNANT]
    mel = classes.index("mel")
    malignancy = probs[:, mal_idx].sum(1)
    is_mal = np.isin(y, mal_idx)
    out: dict[str, Any] = {
        "n": int(len(y)),
        "accuracy": float((pred == y).mean()),
        "balanced_accuracy": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "macro_auc": float(np.nanmean(aucs)),
        "mel_auc": aucs[mel],
        "malignancy_auc": roc_auc(is_mal, malignancy),
        "mel_vs_rest_auc_of_malignancy": roc_auc(y == mel, malignancy),
        "ece": ece(probs, y),
        "nll": nll(probs, y),
        "per_class": {c: {"recall": float(recall[i]), "precision": float(precision[i]), "f1": float(f1[i]),
                          "auc": aucs[i], "n": int(cm[i].sum())} for i, c in enumerate(classes)},
        "confusion_matrix": cm.tolist(),
    }
    if threshold is not None:
        flagged = malignancy >= threshold
        benign = ~is_mal
        out["at_threshold"] = {
            "malignancy_threshold": float(threshold),
            "mel_sensitivity": float(flagged[y == mel].mean()),
            "specificity_benign": float((~flagged[benign]).mean()),  # benign classes (bkl, df, nv, vasc) not flagged
            "malignant_sensitivity": float(flagged[is_mal].mean()),
            "mel_vs_rest_specificity": float((~flagged[y != mel]).mean()),
            "flagged_fraction": float(flagged.mean()),
        }
    return out


def melanoma_vs_nevus(is_mel: np.ndarray, malignancy: np.ndarray, threshold: float,
                      probs: np.ndarray | None = None) -> dict[str, Any]:
    """External-test metrics (PH2): the malignancy score separating melanoma from nevi."""
    sens, spec = sens_spec(is_mel, malignancy >= threshold)
    out: dict[str, Any] = {
        "n": int(len(is_mel)), "n_melanoma": int(is_mel.sum()),
        "auc": roc_auc(is_mel, malignancy),
        "malignancy_threshold": float(threshold),
        "sensitivity": sens, "specificity": spec,
        "malignancy_ece": binary_ece(malignancy, is_mel.astype(float)),
    }
    if probs is not None:
        # top-label ECE against the 7 HAM classes (melanoma -> mel, nevi -> nv)
        y = np.where(is_mel, CLASSES.index("mel"), CLASSES.index("nv"))
        out["ece"] = ece(probs, y)
        out["predicted_class_counts"] = {c: int((probs.argmax(1) == i).sum()) for i, c in enumerate(CLASSES)}
    return out
