"""CPU latency of the inference package per stage and end to end, against PyTorch eager.

    python benchmarks/inference_latency.py [--runs 15] [--threads N] [--json out.json]

Measures (medians after warm-up):
  * models alone, batch 1 and batch 32: onnxruntime (the app's tuned session options, and ORT
    defaults) vs the same architecture in PyTorch eager (training/nets.py, random weights: latency
    does not depend on the weights);
  * the whole Analyzer on PH² images (765x572): per stage and end to end, with the models run by
    onnxruntime and, as the baseline, by PyTorch eager (same preprocessing and post-processing);
  * the live-camera path: a 640x480 frame, no TTA; and TTA on.
  * 32 images analysed one after the other (throughput);
  * the whole analysis again with onnxruntime's thread spinning on (the option the app turns off).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dermstation.inference import runtime  # noqa: E402
from dermstation.inference.analyzer import Analyzer  # noqa: E402
from dermstation.inference.runtime import ModelInfo, load_model  # noqa: E402

DATA = Path(os.environ.get("DERMSTATION_SHARED_DATA", REPO.parent / "shared" / "data"))
IMAGES = ("IMD006", "IMD010", "IMD018", "IMD045", "IMD105", "IMD369")


def median_ms(fn: Callable[[], object], runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000.0)
    return statistics.median(times)


class TorchSession:
    """Duck-types ``runtime.ModelSession`` with a PyTorch eager module (the baseline).

    The torch module runs on every call (that is what is timed). Its weights are random, so, to make
    the rest of the pipeline (mask post-processing, CAM, metrics) do the same work as with the real
    model, it returns the ONNX model's outputs for the same input, looked up from a cache filled
    before timing (a hash lookup, ~0.3 ms).
    """

    def __init__(self, ort_model: runtime.ModelSession, module) -> None:  # noqa: ANN001
        import torch

        self._torch = torch
        self._ort = ort_model
        self._cache: dict[bytes, Mapping[str, np.ndarray]] = {}
        self.card = ort_model.card
        self.module = module.eval()
        self.provider = "PyTorch"
        self.provider_name = "PyTorch eager"
        self.info = ModelInfo(self.card.name, self.card.version, self.card.file, self.card.sha256)

    def run(self, batch: np.ndarray) -> Mapping[str, np.ndarray]:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        with self._torch.inference_mode():
            self.module(self._torch.from_numpy(batch))
        key = hashlib.blake2b(batch.tobytes(), digest_size=16).digest()
        if key not in self._cache:
            self._cache[key] = self._ort.run(batch)
        return self._cache[key]

def torch_modules(seg_card, cls_card):  # noqa: ANN001, ANN201
    """The trainer's architectures with the widths of the bundled models (random weights)."""
    from training import config
    from training.nets import CamNet, ExportWrapper, UNetPlusPlus

    seg = UNetPlusPlus(config.SEG_WIDTHS)
    views = cls_card.raw.get("tta_views") or (
        "flip4" if "graph" in str(cls_card.raw.get("test_time_augmentation", "")).lower() else "none")
    members = int(cls_card.raw.get("ensemble_members", 1))
    nets = [CamNet(num_classes=len(cls_card.classes), widths=config.CLS_WIDTHS) for _ in range(members)]
    clf = ExportWrapper(nets, views)
    return seg, clf


def stage_medians(analyze: Callable[[np.ndarray], object], images: list[np.ndarray], runs: int) -> dict[str, float]:
    for im in images:  # warm-up (and fills the baseline's output cache)
        analyze(im)
    per_stage: dict[str, list[float]] = {}
    for i in range(runs):
        r = analyze(images[i % len(images)])
        for k, v in r.timings_ms:  # type: ignore[attr-defined]
            per_stage.setdefault(k, []).append(v)
    return {k: round(statistics.median(v), 1) for k, v in per_stage.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    import onnxruntime as ort
    import torch

    torch.set_num_threads(args.threads)
    out: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, "
                   f"load average {os.getloadavg()[0]:.2f} at start",
        "python": platform.python_version(), "onnxruntime": ort.__version__, "torch": torch.__version__,
        "threads": args.threads, "runs": args.runs,
    }
    seg_ort = load_model(REPO / "models" / "segmenter.json", "cpu", args.threads)
    cls_ort = load_model(REPO / "models" / "classifier.json", "cpu", args.threads)
    out["models"] = f"{seg_ort.card.label}, {cls_ort.card.label}"
    seg_t, cls_t = torch_modules(seg_ort.card, cls_ort.card)
    seg_pt, cls_pt = TorchSession(seg_ort, seg_t), TorchSession(cls_ort, cls_t)

    # ORT with library-default session options, for the tuning comparison
    def default_session(model: runtime.ModelSession):  # noqa: ANN202
        return ort.InferenceSession(str(model.card.model_path), providers=["CPUExecutionProvider"])

    rng = np.random.default_rng(0)
    models: dict[str, dict[str, float]] = {}
    for name, m_ort, m_pt in (("segmenter", seg_ort, seg_pt), ("classifier", cls_ort, cls_pt)):
        h, w = m_ort.card.input.height, m_ort.card.input.width
        plain = default_session(m_ort)
        row = {}
        for n in (1, 32):
            x = rng.normal(size=(n, 3, h, w)).astype(np.float32)
            runs = args.runs if n == 1 else max(3, args.runs // 5)
            row[f"ort_b{n}_ms"] = round(median_ms(lambda x=x, m=m_ort: m.run(x), runs), 2)
            row[f"ort_defaults_b{n}_ms"] = round(median_ms(lambda x=x, p=plain: p.run(None, {"image": x}), runs), 2)
            row[f"torch_b{n}_ms"] = round(median_ms(lambda x=x, m=m_pt: m.run(x), runs), 2)
            row[f"speedup_b{n}"] = round(row[f"torch_b{n}_ms"] / row[f"ort_b{n}_ms"], 2)
        models[name] = row
    out["models_only"] = models

    images = [cv2.cvtColor(cv2.imread(str(DATA / "ph2" / "images" / f"{i}.jpg")), cv2.COLOR_BGR2RGB) for i in IMAGES]
    a_ort, a_pt = Analyzer(seg_ort, cls_ort), Analyzer(seg_pt, cls_pt)  # type: ignore[arg-type]
    e2e = {
        "onnxruntime": stage_medians(a_ort.analyze, images, args.runs),
        "pytorch_eager": stage_medians(a_pt.analyze, images, args.runs),
    }
    e2e["speedup_total"] = round(e2e["pytorch_eager"]["total"] / e2e["onnxruntime"]["total"], 2)  # type: ignore[index]
    out["end_to_end_765x572"] = e2e
    # A/B: the same analysis with onnxruntime's thread spinning turned back on
    def spinning(model: runtime.ModelSession) -> runtime.ModelSession:
        opts = runtime.session_options(args.threads)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1")
        session = ort.InferenceSession(str(model.card.model_path), opts, providers=["CPUExecutionProvider"])
        return runtime.ModelSession(model.card, session)

    a_spin = Analyzer(spinning(seg_ort), spinning(cls_ort))
    out["end_to_end_765x572_with_spinning"] = stage_medians(a_spin.analyze, images, args.runs)
    del a_spin
    frames = [cv2.resize(im, (640, 480), interpolation=cv2.INTER_AREA) for im in images]
    out["live_640x480"] = {
        "onnxruntime": stage_medians(a_ort.analyze, frames, args.runs),
        "pytorch_eager": stage_medians(a_pt.analyze, frames, args.runs),
    }
    out["tta_765x572_onnxruntime"] = stage_medians(lambda im: a_ort.analyze(im, tta=True), images, max(3, args.runs // 3))
    batch = [images[i % len(images)] for i in range(32)]
    t = time.perf_counter()
    for im in batch:
        a_ort.analyze(im)
    out["batch_of_32_images_onnxruntime"] = {"total_s": round(time.perf_counter() - t, 2),
                                             "per_image_ms": round((time.perf_counter() - t) * 1000 / 32, 1)}
    out["load_average_end"] = round(os.getloadavg()[0], 2)
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
