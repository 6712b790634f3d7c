"""Evaluate the committed ONNX models exactly as the app runs them; write metrics JSON + PNG plots.

    python -m training.evaluate --out eval_out/               # metrics.json, confusion/ROC/reliability PNGs
    python -m training.evaluate --out eval_out/ --update-cards  # also store the metrics in models/*.json

numpy + OpenCV + onnxruntime only (CI runs it without torch).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from training import cards
from training.data import CLASSES, MODELS, ham_split, ph2_items, read_mask, read_rgb
from training.metrics import classification_metrics, melanoma_vs_nevus, roc_curve
from training.pipeline import Classifier, Segmenter, ham_image, lesion_boxes

# --- predictions ---------------------------------------------------------------------------------


def segmenter_metrics(seg: Segmenter, split: str = "val") -> dict[str, Any]:
    """Per-image Dice, IoU, precision, recall on PH2 ``split``, averaged over images."""
    rows = []
    for it in ph2_items(split):
        pred, true = seg.mask(read_rgb(it.image)), read_mask(it.mask)
        tp = float(np.logical_and(pred, true).sum())
        fp = float(np.logical_and(pred, ~true).sum())
        fn = float(np.logical_and(~pred, true).sum())
        rows.append((2 * tp / max(2 * tp + fp + fn, 1), tp / max(tp + fp + fn, 1), tp / max(tp + fp, 1),
                     tp / max(tp + fn, 1)))
    a = np.array(rows)
    return {"split": f"PH2 {split}", "n": len(rows), "dice": float(a[:, 0].mean()), "iou": float(a[:, 1].mean()),
            "precision": float(a[:, 2].mean()), "recall": float(a[:, 3].mean()),
            "dice_min": float(a[:, 0].min()), "averaging": "mean over images"}


def ham_logits(split: str, seg: Segmenter, clf: Classifier, cache: bool = True) -> tuple[np.ndarray, np.ndarray]:
    items = ham_split(split)
    boxes = lesion_boxes([(it.image_id, it.path) for it in items], seg, clf.card, ham=True, cache=cache)
    x = np.stack([clf.tensor(ham_image(it.path), boxes[it.image_id]) for it in items])
    return clf.logits(x), np.array([it.label for it in items])


def ph2_logits(seg: Segmenter, clf: Classifier, cache: bool = True) -> tuple[np.ndarray, np.ndarray, list[str]]:
    items = [it for it in ph2_items() if it.diagnosis]
    boxes = lesion_boxes([(it.image_id, it.image) for it in items], seg, clf.card, ham=False, cache=cache)
    x = np.stack([clf.tensor(read_rgb(it.image), boxes[it.image_id]) for it in items])
    return clf.logits(x), np.array([it.diagnosis == "melanoma" for it in items]), [it.diagnosis for it in items]


def evaluate(models: Path = MODELS, cache: bool = True, with_val: bool = False) -> dict[str, Any]:
    t0 = time.time()
    seg, clf = Segmenter(models), Classifier(models)
    thr = float(clf.card["operating_threshold"]["malignancy"])
    out: dict[str, Any] = {"segmenter": {"version": seg.card["version"], "sha256": seg.card["sha256"],
                                         "val_ph2": segmenter_metrics(seg)}}
    cl: dict[str, Any] = {"version": clf.card["version"], "sha256": clf.card["sha256"],
                          "temperature": clf.card["temperature"], "malignancy_threshold": thr}
    curves: dict[str, Any] = {}
    splits = ("val", "test") if with_val else ("test",)
    for split in splits:
        logits, y = ham_logits(split, seg, clf, cache)
        probs = clf.probabilities(logits)
        cl[f"{split}_ham"] = classification_metrics(y, probs, thr)
        if split == "test":
            curves["ham"] = (y, probs)
    logits, is_mel, diag = ph2_logits(seg, clf, cache)
    probs = clf.probabilities(logits)
    mal = clf.malignancy(probs)
    ext = melanoma_vs_nevus(is_mel, mal, thr, probs)
    ext["specificity_by_diagnosis"] = {d: float((mal[np.array(diag) == d] < thr).mean())
                                       for d in ("common_nevus", "atypical_nevus")}
    cl["external_ph2"] = ext
    curves["ph2"] = (is_mel, mal)
    out["classifier"] = cl
    out["seconds"] = round(time.time() - t0, 1)
    out["_curves"] = curves
    return out


# --- plots (OpenCV drawing: no matplotlib needed) --------------------------------------------------

WHITE, BLACK, GREY = (255, 255, 255), (0, 0, 0), (200, 200, 200)
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127)]


def _text(img: np.ndarray, s: str, org: tuple[int, int], scale: float = 0.45, colour=BLACK) -> None:
    cv2.putText(img, s, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)


def plot_confusion(cm: np.ndarray, labels: list[str], title: str, path: Path) -> None:
    k, cell, left, top = len(labels), 60, 90, 70
    img = np.full((top + k * cell + 60, left + k * cell + 20, 3), 255, np.uint8)
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    for i in range(k):
        for j in range(k):
            v = int(255 - 200 * norm[i, j])
            x0, y0 = left + j * cell, top + i * cell
            cv2.rectangle(img, (x0, y0), (x0 + cell, y0 + cell), (v, v, 255), -1)
            cv2.rectangle(img, (x0, y0), (x0 + cell, y0 + cell), GREY, 1)
            _text(img, str(cm[i, j]), (x0 + 8, y0 + 25), 0.5)
            _text(img, f"{norm[i, j]:.2f}", (x0 + 8, y0 + 45), 0.38)
        _text(img, labels[i], (10, top + i * cell + 35), 0.5)
        _text(img, labels[i], (left + i * cell + 10, top - 10), 0.5)
    _text(img, title, (10, 25), 0.55)
    _text(img, "rows: true, columns: predicted", (10, top + k * cell + 30), 0.45)
    cv2.imwrite(str(path), img[..., ::-1])


def plot_roc(curves: list[tuple[str, np.ndarray, np.ndarray, float]], title: str, path: Path,
             point: tuple[float, float] | None = None) -> None:
    size, m = 420, 50
    img = np.full((size + 2 * m + 20, size + 2 * m + 170, 3), 255, np.uint8)

    def xy(fpr: float, tpr: float) -> tuple[int, int]:
        return int(m + fpr * size), int(m + (1 - tpr) * size)

    cv2.rectangle(img, xy(0, 1), xy(1, 0), BLACK, 1)
    cv2.line(img, xy(0, 0), xy(1, 1), GREY, 1)
    for t in np.linspace(0, 1, 6):
        _text(img, f"{t:.1f}", (xy(t, 0)[0] - 10, m + size + 18), 0.4)
        _text(img, f"{t:.1f}", (m - 35, xy(0, t)[1] + 4), 0.4)
    _text(img, "false positive rate", (m + size // 2 - 60, m + size + 40), 0.45)
    _text(img, "TPR", (5, m - 10), 0.45)
    for n, (name, fpr, tpr, auc) in enumerate(curves):
        c = PALETTE[n % len(PALETTE)][::-1]
        pts = np.array([xy(a, b) for a, b in zip(fpr, tpr, strict=True)], np.int32)
        cv2.polylines(img, [pts], False, c[::-1], 2, cv2.LINE_AA)
        cv2.line(img, (m + size + 15, m + 15 + 20 * n), (m + size + 35, m + 15 + 20 * n), c[::-1], 3)
        _text(img, f"{name} {auc:.3f}", (m + size + 40, m + 20 + 20 * n), 0.42)
    if point is not None:
        cv2.circle(img, xy(*point), 6, (0, 0, 0), 2)
    _text(img, title, (m, 30), 0.5)
    cv2.imwrite(str(path), img[..., ::-1])


def plot_reliability(conf: np.ndarray, correct: np.ndarray, title: str, path: Path, bins: int = 15) -> None:
    size, m = 360, 50
    img = np.full((size + 2 * m, size + 2 * m, 3), 255, np.uint8)
    cv2.rectangle(img, (m, m), (m + size, m + size), BLACK, 1)
    cv2.line(img, (m, m + size), (m + size, m), GREY, 1)
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            acc = correct[sel].mean()
            cv2.rectangle(img, (int(m + lo * size), int(m + (1 - acc) * size)), (int(m + hi * size), m + size),
                          (180, 120, 31), -1)
            cv2.rectangle(img, (int(m + lo * size), int(m + (1 - acc) * size)), (int(m + hi * size), m + size),
                          BLACK, 1)
    _text(img, title, (m, 30), 0.5)
    _text(img, "confidence", (m + size // 2 - 40, m + size + 30), 0.45)
    cv2.imwrite(str(path), img[..., ::-1])


def write_outputs(res: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    curves = res.pop("_curves")
    cl = res["classifier"]
    plot_confusion(np.array(cl["test_ham"]["confusion_matrix"]), list(CLASSES), "HAM10000 test", out / "confusion_ham_test.png")
    y, probs = curves["ham"]
    lines = []
    for c, name in enumerate(CLASSES):
        fpr, tpr = roc_curve(y == c, probs[:, c])
        lines.append((name, fpr, tpr, cl["test_ham"]["per_class"][name]["auc"]))
    plot_roc(lines, "HAM10000 test, one-vs-rest ROC", out / "roc_ham_test.png")
    mal = probs[:, [CLASSES.index(c) for c in ("akiec", "bcc", "mel")]].sum(1)
    fpr, tpr = roc_curve(y == CLASSES.index("mel"), mal)
    at = cl["test_ham"]["at_threshold"]
    plot_roc([("mel vs rest (malignancy)", fpr, tpr, cl["test_ham"]["mel_vs_rest_auc_of_malignancy"])],
             "HAM test: malignancy score, melanoma", out / "roc_ham_test_melanoma.png",
             (1 - at["mel_vs_rest_specificity"], at["mel_sensitivity"]))
    is_mel, mal = curves["ph2"]
    fpr, tpr = roc_curve(is_mel, mal)
    ext = cl["external_ph2"]
    plot_roc([("PH2 mel vs nevus", fpr, tpr, ext["auc"])], "PH2 external test: malignancy score",
             out / "roc_ph2_external.png", (1 - ext["specificity"], ext["sensitivity"]))
    plot_reliability(probs.max(1), probs.argmax(1) == y, f"HAM test reliability, ECE {cl['test_ham']['ece']:.3f}",
                     out / "reliability_ham_test.png")
    (out / "metrics.json").write_text(json.dumps(res, indent=2) + "\n")


def _r(x: Any) -> Any:
    if isinstance(x, float):
        return round(x, 4)
    if isinstance(x, dict):
        return {k: _r(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_r(v) for v in x]
    return x


def update_cards(res: dict[str, Any], models: Path = MODELS) -> None:
    sp, cp = models / "segmenter.json", models / "classifier.json"
    s, c = cards.load(sp), cards.load(cp)
    assert s["sha256"] == res["segmenter"]["sha256"] and c["sha256"] == res["classifier"]["sha256"]
    s["metrics"] = {"val_ph2": _r(res["segmenter"]["val_ph2"])}
    cl = res["classifier"]
    test = {k: v for k, v in cl["test_ham"].items() if k != "confusion_matrix"}
    c["metrics"] = {"test": _r(test), "external_ph2": _r(cl["external_ph2"])}
    if "val_ham" in cl:
        c["metrics"]["val"] = _r({k: v for k, v in cl["val_ham"].items() if k not in ("confusion_matrix", "per_class")})
    c["confusion_matrix"] = {"split": "HAM10000 test", "rows_true": list(CLASSES), "columns_predicted": list(CLASSES),
                             "matrix": cl["test_ham"]["confusion_matrix"]}
    cards.save(s, sp)
    cards.save(c, cp)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("eval_out"))
    ap.add_argument("--models", type=Path, default=MODELS)
    ap.add_argument("--update-cards", action="store_true")
    ap.add_argument("--no-cache", action="store_true", help="recompute lesion boxes instead of .train_runs/ cache")
    args = ap.parse_args()
    res = evaluate(args.models, cache=not args.no_cache, with_val=True)
    write_outputs(res, args.out)
    if args.update_cards:
        update_cards(res, args.models)
    cl = res["classifier"]
    t, e, s = cl["test_ham"], cl["external_ph2"], res["segmenter"]["val_ph2"]
    print(f"segmenter PH2 val: dice {s['dice']:.4f} iou {s['iou']:.4f} precision {s['precision']:.4f} recall {s['recall']:.4f}")
    print(f"HAM test: acc {t['accuracy']:.4f} bal_acc {t['balanced_accuracy']:.4f} macro_auc {t['macro_auc']:.4f} "
          f"ece {t['ece']:.4f} mel sens {t['at_threshold']['mel_sensitivity']:.4f} "
          f"spec(benign) {t['at_threshold']['specificity_benign']:.4f}")
    print(f"PH2 external: auc {e['auc']:.4f} sens {e['sensitivity']:.4f} spec {e['specificity']:.4f} "
          f"ece {e['ece']:.4f} malignancy_ece {e['malignancy_ece']:.4f}")
    print(f"written to {args.out} in {res['seconds']} s")


if __name__ == "__main__":
    main()
