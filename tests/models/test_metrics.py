"""The numpy metrics agree with textbook values."""

from __future__ import annotations

import numpy as np

from training.metrics import binary_ece, classification_metrics, ece, roc_auc


def test_auc_matches_pairwise_definition() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(200) < 0.3
    s = np.round(rng.random(200) + y * 0.5, 1)  # ties on purpose
    pos, neg = s[y], s[~y]
    pairwise = ((pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum()) / (len(pos) * len(neg))
    assert abs(roc_auc(y, s) - pairwise) < 1e-12


def test_perfect_classifier() -> None:
    y = np.array([0, 1, 2, 3, 4, 5, 6] * 3)
    probs = np.eye(7)[y] * 0.94 + 0.01
    m = classification_metrics(y, probs, threshold=0.5)
    assert m["accuracy"] == 1.0 and m["balanced_accuracy"] == 1.0 and m["macro_auc"] == 1.0
    assert abs(m["ece"] - 0.05) < 1e-9  # top probability 0.95, always right
    assert m["at_threshold"]["mel_sensitivity"] == 1.0


def test_ece_of_calibrated_scores_is_small() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(20000)
    y = rng.random(20000) < p
    assert binary_ece(p, y.astype(float)) < 0.02
    probs = np.stack([p, 1 - p], 1)
    assert ece(probs, np.where(y, 0, 1)) < 0.02
