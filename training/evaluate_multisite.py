"""Multi-site evaluation of a classifier ONNX exactly as the app runs it (numpy/OpenCV/onnxruntime).

    python -m training.evaluate_multisite --models models --out eval_out/multisite_v2.json
    python -m training.evaluate_multisite --models /tmp/v130 --out eval_out/multisite_v130.json  # the old model

Parts: the multi-site ``val`` split (named per site), the ``heldout`` external test of
``training.multisite`` (never trained or tuned on), PH2 (150, external) and HAM10000 test. Every image
goes through the segmenter card's mask, the classifier card's crop/colour/resize and the ONNX file;
malignancy = sum of the card's malignant classes after the card's temperature, flagged at the card's
threshold. Headline melanoma metrics (AUC, AUC above 80 % sensitivity, average precision) come from the
ISIC challenge scorer (``isic-challenge-scoring``, train extra) when it is installed, next to our own AUC.
Per-image outputs (logits, box, hand-crafted features) are cached in ``$DERMSTATION_TRAIN_DIR/eval_cache``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dermstation.inference.preprocess import restore_aspect
from training.data import CLASSES, MODELS, TRAIN_DIR, ham_split, ph2_items, read_rgb
from training.handcrafted import lesion_features
from training.metrics import classification_metrics, roc_auc, sens_spec
from training.multisite import Item, items
from training.pipeline import Classifier, Segmenter, softmax

MEL = CLASSES.index("mel")


def external_items(which: str) -> list[Item]:
    """``ph2`` (150, melanoma vs nevi) or ``ham_test`` as ``Item``s."""
    if which == "ph2":
        nv = CLASSES.index("nv")
        return [Item(it.image_id, it.image, "ph2", "ph2", MEL if it.diagnosis == "melanoma" else nv,
                     (MEL,) if it.diagnosis == "melanoma" else (nv,), int(it.diagnosis == "melanoma"), False)
                for it in ph2_items() if it.diagnosis]
    return [Item(it.image_id, it.path, "ham", "ham_test", it.label, (it.label,), int(it.label == MEL), True)
            for it in ham_split("test")]


def split_items(split: str) -> list[Item]:
    return items(split) if split in ("train", "val", "heldout") else external_items(split)


def load_image(it: Item) -> np.ndarray:
    img = read_rgb(it.path)
    return restore_aspect(img) if it.restore else img


@dataclass(frozen=True)
class Outputs:
    items: list[Item]
    logits: np.ndarray  # (N, 7) raw
    hand: np.ndarray  # (N, len(handcrafted.NAMES))

    @property
    def melanoma(self) -> np.ndarray:
        return np.array([it.melanoma for it in self.items])

    @property
    def parts(self) -> np.ndarray:
        return np.array([it.part for it in self.items])


def outputs(models: Path, split: str, cache_dir: Path = TRAIN_DIR / "eval_cache") -> Outputs:
    seg, clf = Segmenter(models), Classifier(models)
    its = split_items(split)
    cache_dir.mkdir(parents=True, exist_ok=True)
    seg_key = f"{seg.card['sha256'][:12]}_{split}"
    geo_path = cache_dir / f"geometry_{seg_key}.npz"
    clf_path = cache_dir / f"logits_{clf.card['sha256'][:12]}_{seg_key}.npy"
    geo = dict(np.load(geo_path, allow_pickle=False)) if geo_path.exists() else None
    logits = np.load(clf_path) if clf_path.exists() else None
    if geo is not None and logits is not None:
        return Outputs(its, logits, geo["hand"])
    boxes, hand, tensors = [], [], []
    for it in its:
        img = load_image(it)
        if geo is None:
            mask = seg.mask(img)
            box = clf.box(mask)
            boxes.append(box)
            hand.append(lesion_features(img, mask, box))
        else:
            box = tuple(int(v) for v in geo["boxes"][len(tensors)])
        tensors.append(clf.tensor(img, box))
    if geo is None:
        geo = {"boxes": np.array(boxes, np.int64), "hand": np.stack(hand)}
        np.savez(geo_path, **geo)
    logits = clf.logits(np.stack(tensors))
    np.save(clf_path, logits)
    return Outputs(its, logits, geo["hand"])


def isic_scores(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """The ISIC challenge scorer's melanoma metrics (its own functions, unweighted)."""
    try:
        import pandas as pd
        from isic_challenge_scoring import metrics as isic
    except ImportError:  # CI without the train extra: our own AUC is still reported
        return {}
    t = pd.Series(y.astype(float))
    p = pd.Series(score.astype(float))
    w = pd.Series(np.ones(len(y)))
    return {"isic_auc": float(isic.auc(t, p, w)), "isic_auc_sens_80": float(isic.auc_above_sensitivity(t, p, w, 0.80)),
            "isic_average_precision": float(isic.average_precision(t, p, w))}


def melanoma_metrics(mel: np.ndarray, malignancy: np.ndarray, threshold: float) -> dict[str, Any]:
    sens, spec = sens_spec(mel.astype(bool), malignancy >= threshold)
    return {"n": int(len(mel)), "n_melanoma": int(mel.sum()), "auc": roc_auc(mel, malignancy),
            **isic_scores(mel, malignancy), "sensitivity": sens, "specificity": spec}


def part_metrics(o: Outputs, malignancy: np.ndarray, threshold: float) -> dict[str, Any]:
    """Per part and pooled over the split: melanoma vs everything else, by the malignancy score."""
    out = {}
    for part in dict.fromkeys(o.parts):
        sel = o.parts == part
        out[str(part)] = melanoma_metrics(o.melanoma[sel], malignancy[sel], threshold)
    if len(out) > 1:
        out["pooled"] = melanoma_metrics(o.melanoma, malignancy, threshold)
    return out


def evaluate(models: Path) -> dict[str, Any]:
    card = json.loads((models / "classifier.json").read_text())
    t = float(card["temperature"])
    thr = float(card["operating_threshold"]["malignancy"])
    mal_idx = [CLASSES.index(c) for c in card["malignant_classes"]]
    res: dict[str, Any] = {"version": card["version"], "sha256": card["sha256"], "temperature": t,
                           "malignancy_threshold": thr}
    for split in ("val", "heldout", "ph2", "ham_test"):
        o = outputs(models, split)
        probs = softmax(o.logits / t)
        mal = probs[:, mal_idx].sum(1)
        res[split] = part_metrics(o, mal, thr)
        if split == "ham_test":
            y = np.array([it.label for it in o.items])
            m = classification_metrics(y, probs, thr)
            res[split]["classification"] = {k: m[k] for k in ("accuracy", "balanced_accuracy", "macro_f1", "macro_auc",
                                                              "mel_auc", "ece", "nll", "at_threshold")}
    return res


def update_card(res: dict[str, Any], models: Path = MODELS) -> None:
    """Store the multi-site numbers in the classifier card (tests/models recomputes them)."""
    path = models / "classifier.json"
    card = json.loads(path.read_text())
    if card["sha256"] != res["sha256"]:
        raise ValueError("these results are for another classifier file")
    keep = ("n", "n_melanoma", "auc", "isic_auc", "isic_auc_sens_80", "isic_average_precision", "sensitivity",
            "specificity")
    card["metrics"]["multisite"] = {
        "what": "melanoma vs every other lesion by the malignancy score at the card's threshold; val = the split "
                "that chose checkpoint, temperature and threshold (optimistic); heldout = external sites never "
                "trained or tuned on (training.multisite); isic_* from the ISIC challenge scorer",
        **{split: {part: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items() if k in keep}
                   for part, m in res[split].items() if part != "classification"}
           for split in ("val", "heldout")},
    }
    path.write_text(json.dumps(card, indent=2) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=Path, default=MODELS)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--update-card", action="store_true", help="write the val/held-out numbers into the card")
    args = ap.parse_args()
    res = evaluate(args.models)
    if args.update_card:
        update_card(res, args.models)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1))
    for split in ("val", "heldout", "ph2", "ham_test"):
        for part, m in res[split].items():
            if "auc" in m:
                print(f"{split:9s} {part:28s} n={m['n']:4d} mel={m['n_melanoma']:3d} AUC {m['auc']:.3f} "
                      f"sens {m['sensitivity']:.3f} spec {m['specificity']:.3f}")
    c = res["ham_test"]["classification"]
    print(f"HAM test bal acc {c['balanced_accuracy']:.3f} macro AUC {c['macro_auc']:.3f} ECE {c['ece']:.3f}")


if __name__ == "__main__":
    main()
