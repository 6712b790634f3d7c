"""The committed models match their cards: hash, graph signature, and the metrics they claim.

The metric check reruns both ONNX files over HAM10000 test, PH2 val and the PH2 external test with
the card's own pipeline (no cached boxes) and compares with the card within 0.005.
"""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest
from sample_data import needs_shared_data

from training import cards
from training.data import MODELS

TOL = 0.005
needs_data = needs_shared_data("ham10000/labels.csv", "ph2/diagnoses.csv")


def _card(name: str) -> dict:
    return json.loads((MODELS / f"{name}.json").read_text())


@pytest.mark.parametrize("name", ["segmenter", "classifier"])
def test_file_matches_card(name: str) -> None:
    card = _card(name)
    path = MODELS / card["file"]
    assert path.stat().st_size <= 30 * 1024 * 1024
    assert cards.sha256(path) == card["sha256"]
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,) = sess.get_inputs()
    assert inp.name == card["input"]["name"] == "image"
    assert list(inp.shape[1:]) == card["input"]["shape"][1:]
    assert not isinstance(inp.shape[0], int), "batch axis must be dynamic"
    assert {o.name for o in sess.get_outputs()} == set(card["outputs"].values())
    x = np.zeros([2, *card["input"]["shape"][1:]], np.float32)
    outs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"image": x}), strict=True))
    if name == "classifier":
        assert outs["logits"].shape == (2, len(card["classes"]))
        maps = outs["class_maps"]
        assert maps.shape[:2] == (2, len(card["classes"]))
        # logits are the spatial mean of the class maps (what makes the CAM exact)
        np.testing.assert_allclose(maps.mean(axis=(2, 3)), outs["logits"], atol=1e-4)
        assert [s["step"] for s in card["preprocessing"]] == ["lesion_crop", "shades_of_grey", "resize", "normalize"]
    else:
        p = outs["probability"]
        assert p.shape == (2, 1, *card["input"]["shape"][2:]) and p.min() >= 0 and p.max() <= 1


@pytest.fixture(scope="module")
def recomputed() -> dict:
    from training.evaluate import evaluate

    return evaluate(MODELS, cache=False)


def _close(card_value: float, value: float) -> None:
    assert abs(card_value - value) <= TOL, (card_value, value)


@pytest.mark.slow
@needs_data
def test_segmenter_metrics_match_card(recomputed: dict) -> None:
    card, got = _card("segmenter")["metrics"]["val_ph2"], recomputed["segmenter"]["val_ph2"]
    for k in ("dice", "iou", "precision", "recall"):
        _close(card[k], got[k])
    assert got["dice"] > 0.8


@pytest.mark.slow
@needs_data
def test_classifier_metrics_match_card(recomputed: dict) -> None:
    card = _card("classifier")
    test, got = card["metrics"]["test"], recomputed["classifier"]["test_ham"]
    for k in ("accuracy", "balanced_accuracy", "macro_f1", "macro_auc", "mel_auc", "malignancy_auc", "ece"):
        _close(test[k], got[k])
    for k in ("mel_sensitivity", "specificity_benign"):
        _close(test["at_threshold"][k], got["at_threshold"][k])
    assert card["confusion_matrix"]["matrix"] == got["confusion_matrix"]
    ext, got_ext = card["metrics"]["external_ph2"], recomputed["classifier"]["external_ph2"]
    for k in ("auc", "sensitivity", "specificity", "ece", "malignancy_ece"):
        _close(ext[k], got_ext[k])
    # goal-independent sanity: a broken or untrained model fails here
    assert got["balanced_accuracy"] > 0.5 and got["macro_auc"] > 0.85 and got_ext["auc"] > 0.7
    # fitted on a validation split (HAM val up to 1.3.0, the multi-site val from 2.0.0), never on a test set
    assert card["operating_threshold"]["chosen_on"].startswith(("HAM10000 val", "multi-site val"))


def test_classifier_graph_averages_the_views_its_card_names() -> None:
    """A view-averaging graph gives the same logits for a rotated/mirrored input, and class maps that
    turn with it; this fails if a view's maps were mapped back wrongly or the card names the wrong views."""
    card = _card("classifier")
    views = card.get("tta_views", "flip4" if "graph" in card["test_time_augmentation"] else "none")
    assert views in ("none", "flip4", "dihedral8")
    transforms = {"none": [], "flip4": [lambda a: a[..., ::-1], lambda a: a[..., ::-1, :]],
                  "dihedral8": [lambda a: a[..., ::-1], lambda a: np.swapaxes(a, -1, -2),
                                lambda a: np.rot90(a, 1, axes=(-2, -1))]}[views]
    sess = ort.InferenceSession(str(MODELS / card["file"]), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).normal(0, 1, [2, *card["input"]["shape"][1:]]).astype(np.float32)
    logits, maps = sess.run(["logits", "class_maps"], {"image": x})
    for t in transforms:
        lt, mt = sess.run(["logits", "class_maps"], {"image": np.ascontiguousarray(t(x))})
        np.testing.assert_allclose(lt, logits, atol=1e-4)
        np.testing.assert_allclose(mt, t(maps), atol=1e-4)
    if views == "none":  # no averaging: a mirrored input is another input
        lt = sess.run(["logits"], {"image": np.ascontiguousarray(x[..., ::-1])})[0]
        assert np.abs(lt - logits).max() > 1e-3
