"""Time and accuracy of measuring a pixel size on calibration pictures (synthetic rulers and a sticker).

    python benchmarks/calibration.py [--runs 5] [--json out.json]

Rulers of known tick period (crisp and faint, turned, at 1200x900, 3000x2000 and 6000x4000 pixels) and a
round sticker of known diameter; reports the median time of ``--runs`` calls and the error of the measured
period / diameter. The target: well under the time a user waits for a dialog (about a second) at 24 MP,
and errors far inside the 2 % the calibration needs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "inference")]

from test_calibration import ruler_picture  # noqa: E402

from dermstation.inference.calibration import measure_ruler, measure_sticker  # noqa: E402

RULERS = (  # name, period, angle, size (h, w), faint
    ("crisp 1200x900", 12.37, 4.0, (900, 1200), False),
    ("faint 1200x900", 30.0, 20.0, (900, 1200), True),
    ("crisp 3000x2000", 31.25, 3.0, (2000, 3000), False),
    ("crisp 6000x4000", 62.5, -2.0, (4000, 6000), False),
)


def sticker(diameter: float, size: tuple[int, int] = (900, 1200)) -> np.ndarray:
    h, w = size
    canvas = np.full((h * 4, w * 4), 210, np.uint8)
    cv2.circle(canvas, (w * 2, h * 2), round(diameter * 2), 40, -1, lineType=cv2.LINE_AA)
    return np.dstack([cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)] * 3)


def _median_ms(fn, runs: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    for name, period, angle, size, faint in RULERS:
        kwargs = {"strip": (0.4, 0.6), "shades": (150, 200, 120), "noise": 8.0, "blur": 1.2, "duty": 0.15} if faint else {}
        rgb = ruler_picture(period, angle, size=size, **kwargs)
        measured = measure_ruler(rgb).period_px
        rows.append({"picture": f"ruler {name}", "true": period, "measured": round(measured, 4),
                     "error_pct": round(100 * (measured / period - 1), 3),
                     "median_ms": round(_median_ms(lambda rgb=rgb: measure_ruler(rgb), args.runs), 1)})
    rgb = sticker(287.2)
    measured = measure_sticker(rgb).diameter_px
    rows.append({"picture": "sticker 1200x900", "true": 287.2, "measured": round(measured, 3),
                 "error_pct": round(100 * (measured / 287.2 - 1), 3),
                 "median_ms": round(_median_ms(lambda: measure_sticker(rgb), args.runs), 1)})
    for row in rows:
        print(f"{row['picture']:<24} true {row['true']:>8} measured {row['measured']:>10} "
              f"error {row['error_pct']:+.3f} %  {row['median_ms']:>8.1f} ms")
    if args.json:
        args.json.write_text(json.dumps({"machine": platform.platform(), "runs": args.runs, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
