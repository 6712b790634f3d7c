"""Fit and measure the applicability check ("is this dermoscopy of a skin lesion?") for the bundled models.

    python -m training.calibrate_applicability            # writes models/applicability.{json,npz}
    python -m training.calibrate_applicability --measure-only   # re-measures, writes nothing

Torch-free: it runs the app's own ``Analyzer`` (ONNX) on the shared data. Rerun it whenever
``models/classifier.onnx`` changes: the statistics name the classifier's sha256 and the app ignores
them (and says so on every result) for any other file.

Data (see ../shared/data/README.md), never the HAM10000 test split for fitting or choosing anything:
- fit the feature distribution: HAM10000 train (every 3rd image) + ISIC 2017 train (rows 0, 4, 8, ...);
- choose the threshold (``TARGET_REFUSAL`` of it refused by the feature distance): HAM10000 val +
  ISIC 2017 train (rows 1, 5, 9, ...);
- fit the "no lesion" score: that threshold set against the TUNING part of the lesion-free skin crops,
  and set its threshold by the same rule on the threshold set;
- report: HAM10000 test, ISIC 2017 val, PH2, the full-resolution ISIC archive photos, and the
  non-dermoscopy pictures of ``training.applicability_data`` (tuning part and held-out part apart).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from dermstation.core.errors import DermStationError
from dermstation.inference import applicability
from dermstation.inference.analyzer import Analyzer
from dermstation.inference.image_io import load_array, read_image
from training.applicability_data import Negative, all_negatives
from training.data import MODELS, REPO, shared_data

TARGET_REFUSAL = 0.005
"""Share of the threshold set's pictures (those the colour checks let through) refused by the feature
distance alone, and again by the no-lesion score alone."""
SHRINKAGE = 0.1
CACHE = REPO / ".train_runs" / "applicability_cache"
VERSION = "1.0.0"
EVIDENCE_VERSION = "2"  # bump when what the cache holds changes


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def dermoscopy_sets(root: Path) -> dict[str, list[tuple[str, Path]]]:
    ham = _rows(root / "ham10000" / "labels.csv")
    isic = _rows(root / "isic2017" / "labels.csv")
    isic_train = [r for r in isic if r["split"] == "train"]

    def ham_files(split: str, step: int = 1) -> list[tuple[str, Path]]:
        rows = [r for r in ham if r["split"] == split][::step]
        return [(r["image_id"], root / "ham10000" / "images" / f"{r['image_id']}.jpg") for r in rows]

    def isic_files(rows: Iterable[dict[str, str]]) -> list[tuple[str, Path]]:
        return [(r["image_id"], root / "isic2017" / "images" / f"{r['image_id']}.jpg") for r in rows]

    archive = sorted((root / "isic_archive" / "images").glob("*.jpg"))
    return {
        "fit": ham_files("train", 3) + isic_files(isic_train[0::4]),
        "threshold": ham_files("val") + isic_files(isic_train[1::4]),
        "ham_test": ham_files("test"),
        "isic2017_val": isic_files(r for r in isic if r["split"] == "val"),
        "ph2": [(p.stem, p) for p in sorted((root / "ph2" / "images").glob("*.jpg"))],
        "isic_archive": [(p.stem, p) for p in archive],
    }


def _evidence(analyzer: Analyzer, items: list[tuple[str, Callable[[], np.ndarray]]], name: str,
              sha: str) -> dict[str, np.ndarray]:
    """Per picture: the image/lesion evidence and pooled features, cached per classifier file."""
    ids = [i for i, _ in items]
    key = hashlib.sha256(("\n".join(ids) + sha + EVIDENCE_VERSION).encode()).hexdigest()[:16]
    cache = CACHE / f"{name}-{key}.npz"
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    fields = ("height", "width", "scene_share", "chroma", "flat_share", "top_colours", "skin_share", "smooth_share",
              "lesion_share", "cut_share", "contrast", "confidence")
    rows, feats = [], []
    start = time.perf_counter()
    for n, (_, make) in enumerate(items):
        pixels = make()
        image = load_array(pixels).pixels if not isinstance(pixels, Path) else read_image(pixels).pixels
        e, les, features = analyzer.evidence(image)
        rows.append([e.height, e.width, e.scene_share, e.chroma, e.flat_share, e.top_colours, e.skin_share, e.smooth_share,
                     les.lesion_share, les.cut_share, les.contrast, les.confidence])
        feats.append(features)
        if n % 200 == 199:
            print(f"  {name}: {n + 1}/{len(items)} ({time.perf_counter() - start:.0f} s)", flush=True)
    table = np.asarray(rows, np.float64)
    out = {f: table[:, i] for i, f in enumerate(fields)} | {"features": np.asarray(feats, np.float32),
                                                           "ids": np.asarray(ids)}
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, **out)
    return out


def _lesion(ev: dict[str, np.ndarray], i: int) -> applicability.LesionEvidence:
    return applicability.LesionEvidence(float(ev["lesion_share"][i]), float(ev["cut_share"][i]),
                                        float(ev["contrast"][i]), float(ev["confidence"][i]))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 4000
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(centre, scale, weights, bias) of a class-balanced, L2-regularised logistic regression."""
    centre, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - centre) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    weight = np.where(y == 1, (y == 0).sum() / max(1, (y == 1).sum()), 1.0)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        g = (p - y) * weight
        w -= 0.1 * (z.T @ g / len(y) + l2 * w)
        b -= 0.1 * float(g.mean())
    return centre, scale, w, b


def verdicts(ev: dict[str, np.ndarray], ood: applicability.FeatureDistance | None) -> list[tuple[str, ...]]:
    """The reasons each picture would be refused for (empty: accepted)."""
    out = []
    for i in range(len(ev["ids"])):
        image = applicability.ImageEvidence(int(ev["height"][i]), int(ev["width"][i]), float(ev["scene_share"][i]),
                                            float(ev["chroma"][i]), float(ev["flat_share"][i]),
                                            float(ev["top_colours"][i]), float(ev["skin_share"][i]),
                                            float(ev["smooth_share"][i]))
        v = applicability.judge(image, _lesion(ev, i), ev["features"][i], ood)
        out.append(tuple(str(r) for r in v.reasons))
    return out


def summary(reasons: list[tuple[str, ...]]) -> dict[str, object]:
    refused = [r for r in reasons if r]
    return {"n": len(reasons), "refused": len(refused), "refused_share": round(len(refused) / max(1, len(reasons)), 4),
            "first_reasons": dict(Counter(r[0] for r in refused).most_common())}


def _file_items(files: list[tuple[str, Path]]) -> list[tuple[str, Callable[[], np.ndarray]]]:
    return [(i, (lambda p=p: p)) for i, p in files]  # type: ignore[misc]


def _neg_items(negatives: list[Negative]) -> list[tuple[str, Callable[[], np.ndarray]]]:
    return [(n.name, n.make) for n in negatives]


def report(ev: dict[str, dict[str, np.ndarray]], ood: applicability.FeatureDistance, negatives: list[Negative]
           ) -> tuple[dict[str, object], dict[str, dict[str, int]], list[str]]:
    """Refusals per source, held-out negatives per kind, and the held-out negatives let through (printed)."""
    results = {name: summary(verdicts(e, ood)) for name, e in ev.items()}
    neg = ev["negatives_held_out"]
    kinds = Counter(n.kind for n in negatives if n.held_out)
    by_kind: dict[str, dict[str, int]] = {}
    held_reasons = verdicts(neg, ood)
    kind_of = {n.name: n.kind for n in negatives}
    for name, reasons in zip(neg["ids"], held_reasons, strict=True):
        k = by_kind.setdefault(kind_of[str(name)], {"n": 0, "refused": 0})
        k["n"] += 1
        k["refused"] += bool(reasons)
    missed = [str(n) for n, r in zip(neg["ids"], held_reasons, strict=True) if not r]
    for part, is_skin in (("negatives_held_out_skin", True), ("negatives_held_out_not_skin", False)):
        results[part] = summary([r for n, r in zip(neg["ids"], held_reasons, strict=True)
                                 if kind_of[str(n)] == "skin" if is_skin] if is_skin else
                                [r for n, r in zip(neg["ids"], held_reasons, strict=True) if kind_of[str(n)] != "skin"])
    print(json.dumps(results, indent=1))
    print("held-out negatives by kind:", json.dumps(by_kind), "missed:", missed, dict(kinds))
    return results, by_kind, missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=MODELS)
    parser.add_argument("--measure-only", action="store_true", help="use the committed statistics, write nothing")
    args = parser.parse_args()
    root = shared_data()
    analyzer = Analyzer.from_models_dir(args.models, provider="cpu")
    sha = analyzer.classifier.card.sha256
    if "features" not in dict(analyzer.classifier.card.outputs):
        raise SystemExit("the classifier card names no 'features' output (see training/onnx_features.py)")
    sets = dermoscopy_sets(root)
    negatives = all_negatives(root / "ph2")
    ev = {name: _evidence(analyzer, _file_items(files), name, sha) for name, files in sets.items()}
    ev["negatives_tuning"] = _evidence(analyzer, _neg_items([n for n in negatives if not n.held_out]),
                                       "negatives_tuning", sha)
    ev["negatives_held_out"] = _evidence(analyzer, _neg_items([n for n in negatives if n.held_out]),
                                         "negatives_held_out", sha)

    if args.measure_only:
        ood, status = applicability.load_feature_distance(args.models, sha)
        if ood is None:
            raise SystemExit(f"no usable statistics for this classifier ({status})")
    else:
        mean, precision = applicability.fit_feature_distance(ev["fit"]["features"], SHRINKAGE)
        probe = applicability.FeatureDistance(sha, mean, precision, float("inf"))
        held = ev["threshold"]
        # the thresholds count only pictures the colour checks let through (they are refused anyway)
        passed = [i for i, r in enumerate(verdicts(held, None)) if not r]
        distances = np.array([probe.distance(held["features"][i]) for i in passed])
        threshold = round(float(np.quantile(distances, 1 - TARGET_REFUSAL)), 4)
        skin_ev = ev["negatives_tuning"]
        skin = [i for i, name in enumerate(skin_ev["ids"]) if str(name).startswith("skin-")]
        skin_d = [probe.distance(skin_ev["features"][i]) for i in skin]
        x_pos = np.array([applicability.lesion_score_inputs(_lesion(held, i), d / threshold)
                          for i, d in zip(passed, distances, strict=True)])
        x_neg = np.array([applicability.lesion_score_inputs(_lesion(skin_ev, i), d / threshold)
                          for i, d in zip(skin, skin_d, strict=True)])
        centre, scale, weights, bias = fit_logistic(np.concatenate([x_pos, x_neg]),
                                                    np.r_[np.zeros(len(x_pos)), np.ones(len(x_neg))])
        scores = ((x_pos - centre) / scale) @ weights + bias
        lesion_threshold = round(float(np.quantile(scores, 1 - TARGET_REFUSAL)), 4)
        ood = applicability.FeatureDistance(sha, mean, precision, threshold, VERSION, centre, scale, weights,
                                            bias, lesion_threshold)

    if args.measure_only:
        report(ev, ood, negatives)
        return

    stats = args.models / "applicability.npz"
    np.savez_compressed(stats, mean=ood.mean.astype(np.float32), precision=ood.precision.astype(np.float32))
    card = {
        "name": "dermstation-applicability",
        "version": VERSION,
        "task": "applicability",
        "question": "is this picture a dermoscopic image of a skin lesion? (only then does it get an AI score)",
        "checks": [
            "geometry: longest/shortest side <= 2.5, shortest side >= 96 px",
            "colour, at <= 256 px, outside the dark vignette: CIELAB chroma p90 >= 4.5 (else no_colour); "
            "flat 3x3 share <= 0.45, 8 commonest colours <= 0.9 and texture-less share <= 0.85 of the scene "
            "(else graphic); "
            ">= 0.5% of coloured pixels with a skin hue (else not_skin); >= 35% of pixels neither vignette nor white",
            "segmenter: lesion >= 0.2% of the picture (else no_lesion); <= 20% of its outline on the picture's "
            "edge (else lesion_cut)",
            "classifier features: Mahalanobis distance of the square-rooted pooled penultimate features (output "
            "'features') from dermoscopy's, shrinkage 0.1 (else unfamiliar)",
            "no lesion: logistic score of the segmenter's confidence, the lesion/skin colour contrast, the lesion's "
            "size and edge contact and the feature distance (else no_lesion)",
            f"a lesion with > {applicability.MAX_CUT_SHARE:.0%} of its outline on the picture's edge is NOT refused: "
            "the result carries the quality flag lesion_cut",
        ],
        "feature_distance": {
            "classifier_sha256": sha,
            "classifier_version": analyzer.classifier.card.version,
            "file": stats.name,
            "sha256": hashlib.sha256(stats.read_bytes()).hexdigest(),
            "dimensions": int(ood.mean.shape[0]),
            "threshold": ood.threshold,
            "threshold_rule": f"quantile {1 - TARGET_REFUSAL} of the distances of the threshold set's pictures "
                              "that pass the cheaper checks",
            "fitted_on": f"HAM10000 train (every 3rd) + ISIC 2017 train (rows 0, 4, 8, ...): {len(sets['fit'])} pictures",
            "threshold_set": f"HAM10000 val + ISIC 2017 train (rows 1, 5, 9, ...): {len(sets['threshold'])} pictures",
        },
        "lesion_score": {
            "inputs": list(applicability.LESION_SCORE_INPUTS),
            "centre": ood.lesion_centre.round(6).tolist(), "scale": ood.lesion_scale.round(6).tolist(),
            "weights": ood.lesion_weights.round(6).tolist(), "bias": round(ood.lesion_bias, 6),
            "threshold": ood.lesion_threshold,
            "fitted_on": "the threshold set's pictures that pass the colour checks (lesion) against the tuning "
                         "part of the PH2 lesion-free skin crops (no lesion), classes weighted equally",
            "threshold_rule": f"quantile {1 - TARGET_REFUSAL} of the threshold set's scores",
        },
        "tuned_on": "the constants of the cheaper checks were set on HAM10000 val, ISIC 2017 train and the TUNING "
                    "part of the non-dermoscopy pictures; the feature distance on the sets named above",
        "negatives": "training/applicability_data.py: scikit-image data images, pydicom test files' pixels, synthetic "
                     "documents / invoice gradients / charts / gradients / colour bars / cartoons / X-ray-like / "
                     "noise, PH2 skin crops without the lesion; split by source picture (1 in 3 held out)",
        "command": "python -m training.calibrate_applicability",
        "date": datetime.now(UTC).date().isoformat(),
    }
    path = args.models / applicability.CARD_FILE
    path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    # measure with what the app will load (float32 statistics, rounded thresholds), then record it
    stored, status = applicability.load_feature_distance(args.models, sha)
    if stored is None:
        raise SystemExit(f"the statistics just written do not load ({status})")
    results, by_kind, missed = report(ev, stored, negatives)
    card |= {"metrics": results, "held_out_negatives_by_kind": by_kind, "held_out_negatives_missed": missed}
    path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print("wrote", stats, args.models / applicability.CARD_FILE)


if __name__ == "__main__":
    try:
        main()
    except DermStationError as exc:
        raise SystemExit(str(exc)) from exc
