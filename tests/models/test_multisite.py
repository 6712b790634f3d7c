"""Issue 23's multi-site splits and the classifier's extra outputs.

- the splits never put one lesion (an ISIC 2017 image and its full-resolution archive copy) on both
  sides of train / val / held-out, and keep HAM test and PH2 out of all three;
- the ``features`` output the applicability check reads is what the card says: (N, C), finite,
  invariant under the views the graph averages, and different for different images;
- the card's multi-site numbers are what the committed file gives (recomputed, slow).
"""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest
from sample_data import needs_shared_data

from training.data import MODELS

TOL = 0.005
needs_data = needs_shared_data("isic2017/labels.csv", "isic_archive/labels.csv", "ham10000/labels.csv")


def _card() -> dict:
    return json.loads((MODELS / "classifier.json").read_text())


@needs_data
def test_splits_are_lesion_disjoint_and_keep_the_tests_out() -> None:
    from training.multisite import items

    splits = {s: items(s) for s in ("train", "val", "heldout")}
    lesion = {s: {it.image_id.removesuffix("_full") for it in v} for s, v in splits.items()}
    assert not lesion["train"] & lesion["val"]
    assert not lesion["train"] & lesion["heldout"]
    assert not lesion["val"] & lesion["heldout"]
    sites = {s: {it.site for it in v} for s, v in splits.items()}
    assert sites["train"] == sites["val"] == {"ham", "isic2017", "archive"}
    assert {it.part for it in splits["heldout"]} == {"isic2017_train_id_ge_14000", "archive_not_in_isic2017"}
    assert {it.part for it in splits["val"] if it.site == "ham"} == {"ham_val"}
    every = {it.path.name for v in splits.values() for it in v}
    assert not any(name.startswith("IMD") for name in every), "PH2 must stay an external test"
    # every val image has a known class (temperature is fitted on its 7-class NLL)
    assert all(it.label >= 0 for it in splits["val"])
    # melanoma-only labels are handled as a set of candidate classes, never as a guessed class
    unknown = [it for it in splits["train"] if it.label < 0]
    assert unknown and all(it.melanoma == 0 and 4 not in it.candidates for it in unknown)
    for s in ("val", "heldout"):
        assert sum(it.melanoma for it in splits[s] if it.site != "ham") >= 30


def test_features_output_is_what_the_card_says() -> None:
    card = _card()
    assert card["outputs"].get("features") == "features"
    sess = ort.InferenceSession(str(MODELS / card["file"]), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, [3, *card["input"]["shape"][1:]]).astype(np.float32)
    logits, feats = sess.run(["logits", "features"], {"image": x})
    assert feats.ndim == 2 and feats.shape[0] == 3 and feats.shape[1] >= 16
    assert np.isfinite(feats).all()
    assert np.abs(feats[0] - feats[1]).max() > 1e-3, "different images must give different features"
    if card.get("tta_views") in ("flip4", "dihedral8"):  # pooled over the averaged views: a mirror changes nothing
        mirrored = sess.run(["features"], {"image": np.ascontiguousarray(x[..., ::-1])})[0]
        np.testing.assert_allclose(mirrored, feats, atol=1e-4)


@pytest.mark.slow
@needs_data
def test_multisite_metrics_match_card(tmp_path) -> None:
    from training import evaluate_multisite as em

    card = _card()
    stored = card["metrics"]["multisite"]
    thr = float(card["operating_threshold"]["malignancy"])
    mal_idx = [em.CLASSES.index(c) for c in card["malignant_classes"]]
    o = em.outputs(MODELS, "heldout", tmp_path / "cache")
    mal = em.softmax(o.logits / float(card["temperature"]))[:, mal_idx].sum(1)
    got = em.part_metrics(o, mal, thr)
    for part, m in stored["heldout"].items():
        for k in ("auc", "sensitivity", "specificity"):
            assert abs(m[k] - got[part][k]) <= TOL, (part, k, m[k], got[part][k])
    # goal-independent floors, well above chance (AUC sampling noise ~0.03 pooled, ~0.05 for the 101 archive
    # photos): a broken pipeline or model scores near 0.5 on other clinics' images
    assert got["pooled"]["auc"] > 0.58
    assert got["archive_not_in_isic2017"]["auc"] > 0.7
