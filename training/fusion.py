"""Does a logistic regression on [network malignancy logit, hand-crafted features] transfer better?

    python -m training.fusion --models models

Fitted on the multi-site val split only; the decision uses 5-fold cross-validation on val (per-site
melanoma AUC of the fused score vs the network's malignancy score); the held-out sites and PH2 are
printed once, for the record, and choose nothing. numpy only (L2-regularised Newton iterations).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from training.data import CLASSES, MODELS
from training.evaluate_multisite import Outputs, outputs
from training.handcrafted import NAMES
from training.metrics import roc_auc
from training.pipeline import softmax


def fit_logreg(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> np.ndarray:
    """Weights (d + 1,), last = intercept; Newton-Raphson on the penalised log-likelihood."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    pen = np.full(xb.shape[1], l2)
    pen[-1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-xb @ w))
        g = xb.T @ (p - y) + pen * w
        h = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(pen) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def design(o: Outputs, card: dict, hand: bool = True) -> np.ndarray:
    probs = softmax(o.logits / float(card["temperature"]))
    mal = probs[:, [CLASSES.index(c) for c in card["malignant_classes"]]].sum(1).clip(1e-6, 1 - 1e-6)
    cols = [np.log(mal / (1 - mal))[:, None]]
    if hand:
        cols.append(o.hand)
    return np.hstack(cols).astype(np.float64)


def per_part_auc(o: Outputs, score: np.ndarray) -> dict[str, float]:
    return {str(p): round(roc_auc(o.melanoma[o.parts == p], score[o.parts == p]), 4) for p in dict.fromkeys(o.parts)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=Path, default=MODELS)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    card = json.loads((args.models / "classifier.json").read_text())
    val = outputs(args.models, "val")
    xv, yv = design(val, card), val.melanoma.astype(float)
    mu, sd = xv.mean(0), xv.std(0) + 1e-6
    z = (xv - mu) / sd
    rng = np.random.default_rng(0)
    fold = rng.permutation(len(yv)) % 5
    cv = np.zeros(len(yv))
    for k in range(5):
        w = fit_logreg(z[fold != k], yv[fold != k], args.l2)
        cv[fold == k] = np.hstack([z[fold == k], np.ones(((fold == k).sum(), 1))]) @ w
    report = {"val_network": per_part_auc(val, xv[:, 0]), "val_fused_cv5": per_part_auc(val, cv)}
    w = fit_logreg(z, yv, args.l2)
    report["weights"] = dict(zip(["malignancy_logit", *NAMES, "intercept"], np.round(w, 4).tolist(), strict=True))
    for split in ("heldout", "ph2"):
        o = outputs(args.models, split)
        x = design(o, card)
        fused = np.hstack([(x - mu) / sd, np.ones((len(x), 1))]) @ w
        report[f"{split}_network"] = per_part_auc(o, x[:, 0])
        report[f"{split}_fused"] = per_part_auc(o, fused)
        report[f"{split}_hand_only"] = per_part_auc(o, np.hstack([(x - mu) / sd, np.ones((len(x), 1))])[:, 1:]
                                                     @ fit_logreg(z[:, 1:], yv, args.l2))
    report["val_hand_only_cv5"] = {}
    cvh = np.zeros(len(yv))
    for k in range(5):
        wh = fit_logreg(z[fold != k, 1:], yv[fold != k], args.l2)
        cvh[fold == k] = np.hstack([z[fold == k, 1:], np.ones(((fold == k).sum(), 1))]) @ wh
    report["val_hand_only_cv5"] = per_part_auc(val, cvh)
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
