"""Evaluate classifier checkpoints side by side: what each device-shift measure is worth (torch needed).

    python -m training.ablation --out training/ablation.json \
        full=.train_runs/ablation/full no_sog=.train_runs/ablation/no_sog ... \
        [--ensemble shipped=.train_runs/a,.train_runs/b]

Each NAME=RUN_DIR is a ``train_classifier`` output (``best.pt`` holds its recipe). For every run and
test-time augmentation (none / 4 flips / 8 dihedral views) it fits the temperature and the malignancy
threshold on HAM val exactly as ``calibrate.py`` does, then reports HAM val and the PH2 external test
(melanoma vs nevi: AUC, sensitivity/specificity at the val threshold, calibration error). ``--ensemble``
rows average the logits of runs that share a preprocessing recipe. PH2 is only measured, never chosen on
here; HAM test is not touched (it is reported for the shipped file only, by ``evaluate.py``).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from training import cards
from training.calibrate import TARGET_SENSITIVITY, fit_temperature, pick_threshold
from training.config import CLS_WIDTHS
from training.data import CLASSES, MODELS, ham_split, ph2_items, read_rgb
from training.metrics import classification_metrics, melanoma_vs_nevus
from training.nets import CamNet
from training.pipeline import Segmenter, ham_image, lesion_boxes, softmax
from training.train_classifier import Recipe, eval_tensor

MEL = CLASSES.index("mel")
TTA = ("none", "flip4", "dihedral8")


def views(x: torch.Tensor, tta: str) -> list[torch.Tensor]:
    if tta == "none":
        return [x]
    flips = [x, x.flip(3), x.flip(2), x.flip(2).flip(3)]
    return flips if tta == "flip4" else flips + [v.transpose(2, 3) for v in flips]


def run_logits(net: CamNet, x: np.ndarray, tta: str) -> np.ndarray:
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), 128):
            b = torch.from_numpy(x[i:i + 128])
            out.append(torch.stack([net(v)[0] for v in views(b, tta)]).mean(0))
    return torch.cat(out).numpy()


class Inputs:
    """Preprocessed HAM val and PH2 tensors per recipe (augmentation does not change evaluation inputs)."""

    def __init__(self) -> None:
        seg = Segmenter(MODELS)
        card = {"preprocessing": cards.classifier_preprocessing()}
        val = ham_split("val")
        vbox = lesion_boxes([(it.image_id, it.path) for it in val], seg, card, ham=True)
        self.val = [(ham_image(it.path), vbox[it.image_id]) for it in val]
        self.val_y = np.array([it.label for it in val])
        ph2 = [it for it in ph2_items() if it.diagnosis]
        pbox = lesion_boxes([(it.image_id, it.image) for it in ph2], seg, card, ham=False)
        self.ph2 = [(read_rgb(it.image), pbox[it.image_id]) for it in ph2]
        self.ph2_mel = np.array([it.diagnosis == "melanoma" for it in ph2])
        self._cache: dict[Recipe, tuple[np.ndarray, np.ndarray]] = {}

    def tensors(self, recipe: Recipe) -> tuple[np.ndarray, np.ndarray]:
        # augmentation strength does not change evaluation inputs
        key = Recipe(recipe.framing, recipe.colour_constancy, 0.0, False, recipe.size)
        if key not in self._cache:
            self._cache[key] = tuple(np.stack([eval_tensor(i, b, recipe) for i, b in rows])  # type: ignore[assignment]
                                     for rows in (self.val, self.ph2))
        return self._cache[key]


def load(run: Path) -> tuple[CamNet, Recipe, dict[str, Any]]:
    st = torch.load(run if run.suffix == ".pt" else run / "best.pt", weights_only=False)
    net = CamNet(widths=CLS_WIDTHS)
    net.load_state_dict(st["net"])
    return net, Recipe(**st.get("recipe", {})), {"epoch": st["epoch"], "which": st.get("which")}


def score(inp: Inputs, val_logits: np.ndarray, ph2_logits: np.ndarray) -> dict[str, Any]:
    """Calibrate on HAM val like calibrate.py, then measure val and PH2."""
    t = fit_temperature(val_logits, inp.val_y)
    pv = softmax(val_logits / t)
    mal_idx = [CLASSES.index(c) for c in ("akiec", "bcc", "mel")]
    thr = pick_threshold(pv[:, mal_idx].sum(1), inp.val_y == MEL, TARGET_SENSITIVITY)
    mv = classification_metrics(inp.val_y, pv, thr)
    pp = softmax(ph2_logits / t)
    ext = melanoma_vs_nevus(inp.ph2_mel, pp[:, mal_idx].sum(1), thr, pp)
    r = lambda v: round(float(v), 4)  # noqa: E731
    return {"temperature": r(t), "threshold": r(thr),
            "val": {k: r(mv[k]) for k in ("accuracy", "balanced_accuracy", "macro_auc", "mel_auc", "ece", "nll")},
            "ph2": {"auc": r(ext["auc"]), "sensitivity": r(ext["sensitivity"]),
                    "specificity": r(ext["specificity"]), "malignancy_ece": r(ext["malignancy_ece"]),
                    "ece": r(ext["ece"])}}


def markdown(results: dict[str, Any]) -> str:
    """One row per run/ensemble and TTA: HAM val (where choices are made) and PH2 (external, measured only)."""
    head = ("| run | TTA | HAM val bal. acc. | val macro AUC | val mel AUC | val NLL | PH2 AUC | PH2 sens. / spec. "
            "| PH2 malignancy ECE |\n|---|---|---|---|---|---|---|---|---|\n")
    rows = []
    for key, v in results.items():
        name, tta = key.rsplit("/", 1)
        val, ph2 = v["val"], v["ph2"]
        rows.append(f"| {name} | {tta} | {val['balanced_accuracy']:.3f} | {val['macro_auc']:.3f} | {val['mel_auc']:.3f} "
                    f"| {val['nll']:.3f} | {ph2['auc']:.3f} | {ph2['sensitivity']:.3f} / {ph2['specificity']:.3f} "
                    f"| {ph2['malignancy_ece']:.3f} |")
    return head + "\n".join(rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="*", help="NAME=RUN_DIR (its best.pt) or NAME=CHECKPOINT.pt")
    ap.add_argument("--ensemble", action="append", default=[], help="NAME=RUN_DIR,RUN_DIR,... (same recipe)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    inp = Inputs()
    results: dict[str, Any] = {}
    cached: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def logits(run: Path, tta: str) -> tuple[np.ndarray, np.ndarray, Recipe, dict[str, Any]]:
        net, recipe, info = load(run)
        key = (str(run), tta)
        if key not in cached:
            xv, xp = inp.tensors(recipe)
            cached[key] = (run_logits(net, xv, tta), run_logits(net, xp, tta))
        return *cached[key], recipe, info

    for spec in args.runs:
        name, run = spec.split("=", 1)
        for tta in TTA:
            lv, lp, recipe, info = logits(Path(run), tta)
            results[f"{name}/{tta}"] = {"run": run, "tta": tta, "recipe": asdict(recipe), **info, **score(inp, lv, lp)}
            print(name, tta, json.dumps(results[f"{name}/{tta}"]), flush=True)
    for spec in args.ensemble:
        name, runs = spec.split("=", 1)
        members = [Path(r) for r in runs.split(",")]
        for tta in TTA:
            outs = [logits(m, tta) for m in members]
            if len({o[2].framing + o[2].colour_constancy + str(o[2].size) for o in outs}) != 1:
                raise SystemExit(f"{name}: ensemble members must share framing, colour constancy and size")
            lv = np.mean([o[0] for o in outs], 0)
            lp = np.mean([o[1] for o in outs], 0)
            results[f"{name}/{tta}"] = {"members": runs.split(","), "tta": tta, "recipe": asdict(outs[0][2]),
                                        **score(inp, lv, lp)}
            print(name, tta, json.dumps(results[f"{name}/{tta}"]), flush=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    args.out.with_suffix(".md").write_text(markdown(results))


if __name__ == "__main__":
    main()
