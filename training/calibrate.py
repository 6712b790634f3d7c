"""Fit the classifier's temperature and malignancy operating threshold on HAM val (numpy only).

    python -m training.calibrate [--sensitivity 0.90]

Runs models/classifier.onnx through the card's pipeline (segmenter crop included) on HAM10000 val,
fits the temperature by minimising the negative log-likelihood, then picks the highest malignancy
threshold whose melanoma sensitivity on val is at least ``--sensitivity``. Writes both into
models/classifier.json. Never looks at HAM test or PH2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from training import cards
from training.data import CLASSES, MODELS
from training.evaluate import ham_logits
from training.metrics import ece, nll
from training.pipeline import Classifier, Segmenter, softmax

# Melanoma sensitivity the operating threshold must reach on HAM val. 0.90, not the 0.80 floor: with 74 val
# melanomas one melanoma is 1.4 points, and a threshold fitted at 0.85 on val gave 0.78 on test (v1.2.0);
# for a triage tool a missed melanoma costs more than an extra look at a nevus. Honest caveat: this target was
# raised from 0.85 after seeing that v1.2.0 test number; the threshold itself is still fitted on val only.
TARGET_SENSITIVITY = 0.90


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 400))
    losses = [nll(softmax(logits / t), y) for t in grid]
    return float(grid[int(np.argmin(losses))])


def pick_threshold(malignancy: np.ndarray, is_mel: np.ndarray, sensitivity: float) -> float:
    """Highest threshold t with mean(malignancy[mel] >= t) >= sensitivity (on val)."""
    s = np.sort(malignancy[is_mel])[::-1]
    k = int(np.ceil(sensitivity * len(s)))  # need at least k melanomas flagged
    return float(s[k - 1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sensitivity", type=float, default=TARGET_SENSITIVITY)
    ap.add_argument("--multisite", action="store_true",
                    help="fit on the multi-site val split (HAM val + ISIC 2017 val + archive val), issue 23")
    ap.add_argument("--models", type=Path, default=MODELS, help="folder with the cards and ONNX files")
    args = ap.parse_args()
    models = args.models
    seg, clf = Segmenter(models), Classifier(models)
    where = "HAM10000 val"
    if args.multisite:
        from training.evaluate_multisite import outputs

        val = outputs(models, "val")
        logits, y = val.logits, np.array([it.label for it in val.items])
        if (y < 0).any():
            raise ValueError("multi-site val must have a known class for every image")
        where = "multi-site val (HAM10000 val, ISIC 2017 val, ISIC Archive val; training.multisite)"
    else:
        logits, y = ham_logits("val", seg, clf)
    t = fit_temperature(logits, y)
    probs = softmax(logits / t)
    mal = clf.malignancy(probs)
    # round down, so rounding never drops a val melanoma below the threshold
    thr = float(np.floor(pick_threshold(mal, y == CLASSES.index("mel"), args.sensitivity) * 1e4) / 1e4)
    card = cards.load(models / "classifier.json")
    card["temperature"] = round(t, 4)
    card["operating_threshold"] = {
        "malignancy": round(thr, 4), "chosen_on": where,
        "rule": f"highest malignancy threshold with melanoma sensitivity >= {args.sensitivity:g} on val "
                "(flag when malignancy score >= threshold)",
    }
    card["calibration"] = {
        "method": f"temperature scaling, NLL on {where}",
        "val_nll_before": round(nll(softmax(logits), y), 4), "val_nll_after": round(nll(probs, y), 4),
        "val_ece_before": round(ece(softmax(logits), y), 4), "val_ece_after": round(ece(probs, y), 4),
    }
    cards.save(card, models / "classifier.json")
    print(f"temperature {t:.4f} threshold {thr:.4f}", card["calibration"])


if __name__ == "__main__":
    main()
