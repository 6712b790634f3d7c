"""CPU latency of the bundled models at their input size (onnxruntime, CPU provider).

    python benchmarks/model_latency.py [--threads 2] [--runs 50]

Reports the median over ``--runs`` single-image calls after warm-up, per model and together,
plus the preprocessing time of the full pipeline on a 765x572 image.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def bench(path: Path, shape: list[int], threads: int, runs: int) -> float:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).normal(size=[1, *shape[1:]]).astype(np.float32)
    for _ in range(5):
        sess.run(None, {"image": x})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, {"image": x})
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    res = {}
    for name in ("segmenter", "classifier"):
        card = json.loads((REPO / "models" / f"{name}.json").read_text())
        res[f"{name}_ms"] = round(bench(REPO / "models" / card["file"], card["input"]["shape"], args.threads, args.runs), 2)
    res["total_ms"] = round(res["segmenter_ms"] + res["classifier_ms"], 2)
    # the whole pipeline (preprocessing + both models + post-processing) on a PH2-sized image
    from training.pipeline import Classifier, Segmenter

    seg, clf = Segmenter(), Classifier()
    img = (np.random.default_rng(0).random((572, 765, 3)) * 255).astype(np.uint8)
    img[150:420, 200:560] //= 3
    times = []
    for i in range(args.runs // 2 + 3):
        t = time.perf_counter()
        box = clf.box(seg.mask(img))
        clf.logits(clf.tensor(img, box)[None])
        if i >= 3:
            times.append((time.perf_counter() - t) * 1000)
    res["pipeline_765x572_ms"] = round(statistics.median(times), 2)
    res["threads"] = args.threads
    print(json.dumps(res))


if __name__ == "__main__":
    main()
