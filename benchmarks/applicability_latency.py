"""What the applicability check ("is this dermoscopy?") adds to one analysis, and the whole analysis.

    python benchmarks/applicability_latency.py [--runs 7]

Medians over the shipped PH2 photos (765x572), CPU provider, after a warm-up: the colour statistics,
the lesion evidence (contrast, confidence), the feature distance and the learned scores, and the whole
``Analyzer.analyze`` (which runs them all). Prints the load average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from dermstation.inference import applicability  # noqa: E402
from dermstation.inference.analyzer import Analyzer  # noqa: E402


def _ms(fn, runs: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    analyzer = Analyzer.from_models_dir(ROOT / "models", provider="cpu")
    images = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
              for p in sorted((ROOT / "tests" / "data" / "ph2" / "images").glob("*.jpg"))]
    print(f"load average at start: {os.getloadavg()[0]:.2f}; {len(images)} images; status "
          f"{analyzer.applicability_status}")
    rows: dict[str, list[float]] = {"colour statistics": [], "lesion evidence": [], "distance + learned scores": [],
                                    "whole analysis": []}
    for image in images:
        analyzer.analyze(image)  # warm-up
        mask = analyzer.segment(image)
        prob = analyzer._segment_probability(image, False)  # noqa: SLF001 - the same call the analysis makes
        _, _, _, features = analyzer._classify_features(image, mask, False)  # noqa: SLF001
        lesion = applicability.measure_lesion(mask, image, prob)
        ood = analyzer._ood  # noqa: SLF001
        rows["colour statistics"].append(_ms(lambda im=image: applicability.measure_image(im), args.runs))
        rows["lesion evidence"].append(_ms(lambda m=mask, im=image, p=prob: applicability.measure_lesion(m, im, p),
                                           args.runs))
        if ood is not None:
            evidence = applicability.measure_image(image)
            rows["distance + learned scores"].append(
                _ms(lambda f=features, le=lesion, o=ood, e=evidence: applicability.judge(e, le, f, o), args.runs))
        rows["whole analysis"].append(_ms(lambda im=image: analyzer.analyze(im), args.runs))
    for name, values in rows.items():
        if values:
            print(f"{name:28s} median {np.median(values):7.2f} ms  (per-image medians {min(values):.1f}-"
                  f"{max(values):.1f})")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
