"""How much two captures of an UNCHANGED lesion differ after segmentation, alignment and measurement.

We have no pairs of real repeat captures, so each PH² picture is "captured again" the way a second
visit does it: the dermatoscope turned (any angle), moved, held at another zoom and another camera
resolution, other lighting and white balance, a little blur, JPEG again, and the white or black corners
a turned picture gets. Both pictures then go through the app's segmenter, metrics and
``follow_up.compare_pictures``. The 95th percentiles of |diameter change| and |area change| are the noise
limits ``follow_up.DIAMETER_NOISE_PCT`` / ``AREA_NOISE_PCT``; the share of pairs called "changed" is the
false-alarm rate at those limits.

    python benchmarks/comparison_repeatability.py [--images N] [--json OUT]

Images: PH² from $DERMSTATION_SHARED_DATA (or ../shared/data), else the few in tests/data/ph2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dermstation.inference.analyzer import Analyzer  # noqa: E402
from dermstation.inference.follow_up import Picture, Verdict, compare_pictures  # noqa: E402
from dermstation.inference.metrics import compute_metrics  # noqa: E402


def ph2_images() -> list[Path]:
    shared = Path(os.environ.get("DERMSTATION_SHARED_DATA", ROOT.parent / "shared" / "data")) / "ph2" / "images"
    folder = shared if shared.is_dir() else ROOT / "tests" / "data" / "ph2" / "images"
    return sorted(folder.glob("*.jpg"))


def recapture(rgb: np.ndarray, rng: np.random.Generator, padded: bool) -> tuple[np.ndarray, float]:
    """A second capture of the same skin; returns it and its scale (after pixels per before pixel).

    ``padded``: a picture turned in software, with white or black corners; otherwise the camera sees
    skin up to its edges (skin mirrored in where the turned field leaves a corner, then the middle 85 %).
    """
    h, w = rgb.shape[:2]
    zoom = rng.uniform(0.85, 1.2)
    angle = rng.uniform(0, 360)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, zoom)
    matrix[:, 2] += rng.uniform(-0.05, 0.05, 2) * (w, h)
    corner = (255, 255, 255) if rng.random() < 0.5 else (0, 0, 0)
    if padded:
        moved = cv2.warpAffine(rgb, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=corner)
    else:
        moved = cv2.warpAffine(rgb, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        moved = moved[round(0.075 * h): round(0.925 * h), round(0.075 * w): round(0.925 * w)]
    resolution = rng.uniform(0.6, 2.0)  # another camera
    moved = cv2.resize(moved, (round(w * resolution), round(h * resolution)), interpolation=cv2.INTER_AREA)
    light = moved.astype(np.float32) / 255.0
    light = light ** rng.uniform(0.85, 1.15) * rng.uniform(0.92, 1.08, 3) * rng.uniform(0.9, 1.1)
    moved = np.clip(light * 255.0, 0, 255).astype(np.uint8)
    sigma = rng.uniform(0.0, 1.0)
    if sigma > 0.2:
        moved = cv2.GaussianBlur(moved, (0, 0), sigma)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(moved, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(85, 96))])
    assert ok
    return cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB), zoom * resolution


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--padded", action="store_true",
                        help="pictures turned in software, with white/black corners (tests the spill guard)")
    args = parser.parse_args()
    analyzer = Analyzer.from_models_dir(provider="cpu")
    rng = np.random.default_rng(args.seed)
    spacing = 0.02  # mm per pixel of the first capture (a typical 765-px-wide dermoscopy field of ~15 mm)
    rows = []
    start = time.perf_counter()
    for path in ph2_images()[: args.images]:
        first = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        second, scale = recapture(first, rng, args.padded)
        pictures = []
        for rgb, px in ((first, spacing), (second, spacing / scale)):
            mask = analyzer.segment(rgb)
            pictures.append(Picture(rgb, mask, compute_metrics(mask, rgb, px), None, px))
        result = compare_pictures(*pictures)
        rows.append({"image": path.name, "aligned": bool(result.aligned), "same_lesion": None if result.same_lesion is None else bool(result.same_lesion),
                     "verdict": str(result.verdict), "diameter_pct": result.diameter_change_pct,
                     "area_pct": result.area_change_pct, "colours_changed":
                         bool(result.colours_added or result.colours_lost), "notes": [str(n) for n in result.notes]})
    seconds = time.perf_counter() - start
    measured = [r for r in rows if r["diameter_pct"] is not None]
    d = np.abs([r["diameter_pct"] for r in measured])
    a = np.abs([r["area_pct"] for r in measured])
    summary = {
        "pairs": len(rows),
        "aligned_share": float(np.mean([r["aligned"] for r in rows])),
        "same_lesion_share": float(np.mean([r["same_lesion"] is True for r in rows])),
        "diameter_abs_pct": {"median": float(np.median(d)), "p95": float(np.percentile(d, 95)), "max": float(d.max())},
        "area_abs_pct": {"median": float(np.median(a)), "p95": float(np.percentile(a, 95)), "max": float(a.max())},
        "colour_flip_share": float(np.mean([r["colours_changed"] for r in rows])),
        "called_changed_share": float(np.mean([r["verdict"] == Verdict.CHANGED for r in rows])),
        "not_comparable_share": float(np.mean([r["verdict"] == Verdict.NOT_COMPARABLE for r in rows])),
        "seconds": round(seconds, 1),
    }
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "pairs": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
