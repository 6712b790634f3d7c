"""INT8 static quantisation of the bundled models (onnxruntime.quantization): speed and what it costs.

    python benchmarks/quantization.py --out /tmp/int8 [--runs 30]

Writes QDQ INT8 copies of models/segmenter.onnx and models/classifier.onnx (per-channel weights,
activations calibrated on 64 real inputs each: PH2 train images for the segmenter, HAM10000 val lesion
crops for the classifier — never a test image), then reports batch-1 latency (median, 2 threads) of the
FP32 and INT8 files and the accuracy change: segmenter Dice on PH2 val, classifier melanoma AUC on PH2
(150) and on the multi-site held-out sets (boxes from the FP32 segmenter, cached by
training.evaluate_multisite). Measures only; the shipped files are not replaced.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from model_latency import bench  # noqa: E402  (benchmarks/ is the script's folder)

from dermstation.inference.preprocess import resize_to, to_tensor  # noqa: E402
from training.data import MODELS, ph2_items, read_mask, read_rgb  # noqa: E402


class Reader(CalibrationDataReader):
    def __init__(self, batches: list[np.ndarray]) -> None:
        self.it = iter([{"image": b[None]} for b in batches])

    def get_next(self):
        return next(self.it, None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    from training.evaluate_multisite import outputs, part_metrics, split_items
    from training.pipeline import Classifier, Segmenter, softmax

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    for f in ("segmenter.onnx", "segmenter.json", "classifier.onnx", "classifier.json"):
        shutil.copy(MODELS / f, out / f)
    seg, clf = Segmenter(MODELS), Classifier(MODELS)
    ph2_train = ph2_items("train")[:64]
    seg_x = [to_tensor(resize_to(read_rgb(it.image), *seg.size), seg.norm["mean"], seg.norm["std"]) for it in ph2_train]
    val = split_items("val")
    rng = np.random.default_rng(0)
    cal = [val[i] for i in rng.choice(len(val), 64, replace=False)]
    from training.evaluate_multisite import load_image

    cls_x = [clf.tensor(im, clf.box(seg.mask(im))) for im in (load_image(it) for it in cal)]
    res: dict = {}
    for name, xs in (("segmenter", seg_x), ("classifier", cls_x)):
        q = out / f"{name}_int8.onnx"
        quantize_static(str(MODELS / f"{name}.onnx"), str(q), Reader(xs), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        card = json.loads((MODELS / f"{name}.json").read_text())
        res[name] = {"fp32_ms": round(bench(MODELS / f"{name}.onnx", card["input"]["shape"], 2, args.runs), 2),
                     "int8_ms": round(bench(q, card["input"]["shape"], 2, args.runs), 2),
                     "fp32_mb": round((MODELS / f"{name}.onnx").stat().st_size / 2**20, 2),
                     "int8_mb": round(q.stat().st_size / 2**20, 2)}
        print(name, res[name], flush=True)
    # accuracy: segmenter Dice on PH2 val
    sq = Segmenter(out)
    sq.session = ort.InferenceSession(str(out / "segmenter_int8.onnx"), providers=["CPUExecutionProvider"])
    dice = {"fp32": [], "int8": []}
    for it in ph2_items("val"):
        img, true = read_rgb(it.image), read_mask(it.mask)
        for k, s in (("fp32", seg), ("int8", sq)):
            pred = s.mask(img)
            dice[k].append(2 * (pred & true).sum() / max(pred.sum() + true.sum(), 1))
    res["segmenter"]["ph2_val_dice"] = {k: round(float(np.mean(v)), 4) for k, v in dice.items()}
    # classifier: PH2 and held-out melanoma AUC with the FP32 segmenter's boxes
    shutil.copy(out / "classifier_int8.onnx", out / "classifier.onnx")
    card = json.loads((out / "classifier.json").read_text())
    from training import cards

    card["sha256"] = cards.sha256(out / "classifier.onnx")
    (out / "classifier.json").write_text(json.dumps(card))
    mal_idx = [0, 1, 4]
    for split in ("ph2", "heldout"):
        for k, m in (("fp32", MODELS), ("int8", out)):
            o = outputs(m, split)
            mal = softmax(o.logits / float(card["temperature"]))[:, mal_idx].sum(1)
            pm = part_metrics(o, mal, float(card["operating_threshold"]["malignancy"]))
            res["classifier"][f"{split}_{k}"] = {p: round(v["auc"], 4) for p, v in pm.items()}
    print(json.dumps(res, indent=1))
    (out / "quantization.json").write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
