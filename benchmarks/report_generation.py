"""Time to render each report to PDF bytes (reportlab, CPU), from data already in memory.

    python benchmarks/report_generation.py [--runs 20] [--json out.json] [--analyse]

Inputs are a real PH² dermoscopy image (765x572) with its expert mask, as the lesion report shows it
(photo with outline, activation heatmap, body diagram, probability chart, 7 measurements with change,
signed assessment). ``--analyse`` runs the bundled models first and renders the report of that
AnalysisResult instead (the models' time is not counted). Reported: the first call in the process
(fonts registered and parsed, cold caches) and the median / p90 / max of ``--runs`` later calls.
The issue's target: well under a second for a normal report.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "reports")]

from report_samples import ph2_image, referral_data, report_data, summary_data  # noqa: E402

from dermstation.reports import (  # noqa: E402
    ReportData,
    render_lesion_report,
    render_patient_summary,
    render_referral_letter,
)


def _time(fn: Callable[[], bytes], runs: int) -> dict[str, float]:
    start = time.perf_counter()
    pdf = fn()
    first = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        pdf = fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"first_ms": round(first, 1), "median_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1), "max_ms": round(times[-1], 1),
            "kb": round(len(pdf) / 1024, 1)}


def _analysed_report() -> ReportData:
    import cv2

    from dermstation.inference.analyzer import Analyzer
    from dermstation.inference.overlay import render_overlay
    from dermstation.reports import MetricLine, ModelLine

    rgb, _mask = ph2_image("IMD004")
    result = Analyzer.from_models_dir().analyze(rgb, pixel_spacing_mm=0.0125)
    h, w = result.image_size
    rgb = cv2.resize(rgb, (w, h)) if rgb.shape[:2] != (h, w) else rgb
    return report_data(
        image_rgb=rgb, overlay_rgb=render_overlay(rgb, contour=result.contour),
        cam_rgb=render_overlay(rgb, cam=result.cam, alpha=0.5), probabilities=result.probabilities,
        malignancy=result.malignancy, threshold=result.threshold,
        metrics=tuple(MetricLine(m.name, m.label, m.value, m.unit) for m in result.metrics
                      if not m.name.startswith("colour_") or m.name in ("colour_count", "colour_variegation")),
        quality_flags=tuple(f.message for f in result.quality_flags), previous_visit=None,
        models=tuple(ModelLine(m.name, m.version) for m in result.models), provider=result.provider)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--analyse", action="store_true", help="render the report of a real model run")
    args = parser.parse_args()

    # every input is built before timing: only the rendering is measured
    lesion = _analysed_report() if args.analyse else report_data()
    lesion_de = report_data(language="de")
    summaries = {"en": summary_data("en"), "hi": summary_data("hi", name="राम कुमार शर्मा"),
                 "ar": summary_data("ar", name="فاطمة الزهراء")}
    letter = referral_data()
    cases: dict[str, Callable[[], bytes]] = {
        "lesion report (en)": lambda: render_lesion_report(lesion),
        "lesion report (de)": lambda: render_lesion_report(lesion_de),
        "patient summary (en)": lambda: render_patient_summary(summaries["en"]),
        "patient summary (hi, shaped)": lambda: render_patient_summary(summaries["hi"]),
        "patient summary (ar, shaped)": lambda: render_patient_summary(summaries["ar"]),
        "referral letter (en)": lambda: render_referral_letter(letter),
    }
    results = {name: _time(fn, args.runs) for name, fn in cases.items()}
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{args.runs} runs after the first; image {ph2_image()[0].shape[1]}x{ph2_image()[0].shape[0]}")
    print(f"{'report':32} {'first':>8} {'median':>8} {'p90':>8} {'max':>8} {'size':>8}")
    for name, r in results.items():
        print(f"{name:32} {r['first_ms']:7.1f}ms {r['median_ms']:7.1f}ms {r['p90_ms']:7.1f}ms "
              f"{r['max_ms']:7.1f}ms {r['kb']:6.1f}KB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
