"""Train the 7-class CAM classifier on segmenter-derived lesion crops of HAM10000 train.

    python -m training.train_classifier --out .train_runs/classifier

Needs models/segmenter.onnx (lesion boxes come from it, exactly as in the app). Early stopping and
checkpoint selection on HAM val (mean of balanced accuracy and macro AUC, raw or EMA weights, whichever
scores higher); PH2 is never touched here.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from dermstation.inference.preprocess import centre_square_box, crop_box, resize_to, shades_of_grey, to_tensor
from training import cards
from training.augment import blur_noise, colour_jitter
from training.config import CLS_MEAN, CLS_SIZE, CLS_STD, CLS_WIDTHS, SOG_P
from training.data import CLASSES, MODELS, RUNS, ham_split
from training.metrics import classification_metrics
from training.nets import CamNet
from training.pipeline import Segmenter, ham_image, lesion_boxes


@dataclass(frozen=True)
class Recipe:
    """The preprocessing/augmentation choices an ablation switches one at a time (shipped: the defaults)."""

    framing: str = "lesion"  # "lesion": segmenter box; "whole": the image's centre square, no segmenter
    colour_constancy: str = "sog"  # "sog": Shades of Grey (p=SOG_P) after augmentation; "none"
    colour_aug: float = 1.0  # strength of illuminant/brightness/contrast/saturation/gamma jitter (0 = off)
    blur_noise: bool = True
    size: int = CLS_SIZE

    def frame(self, img: np.ndarray, box) -> tuple[int, int, int, int]:
        return tuple(box) if self.framing == "lesion" else centre_square_box(*img.shape[:2])

    def colour(self, img: np.ndarray) -> np.ndarray:
        return shades_of_grey(img, SOG_P) if self.colour_constancy == "sog" else img


SHIPPED = Recipe()


def eval_tensor(img: np.ndarray, box, recipe: Recipe = SHIPPED) -> np.ndarray:
    """Exactly the card's pipeline: crop -> shades_of_grey -> resize -> normalise."""
    crop = crop_box(img, recipe.frame(img, box))
    return to_tensor(resize_to(recipe.colour(crop), recipe.size, recipe.size), CLS_MEAN, CLS_STD)


def train_tensor(img: np.ndarray, box, rng: np.random.Generator, recipe: Recipe = SHIPPED) -> np.ndarray:
    """Same pipeline with augmentation: box zoom/shift, rotation, flips, light/colour/blur before shades_of_grey."""
    x0, y0, x1, y1 = recipe.frame(img, box)
    side = (x1 - x0) * math.exp(rng.uniform(-0.25, 0.2))
    cx = (x0 + x1) / 2 + rng.uniform(-0.1, 0.1) * side
    cy = (y0 + y1) / 2 + rng.uniform(-0.1, 0.1) * side
    s = int(round(side))
    bx0, by0 = int(round(cx - s / 2)), int(round(cy - s / 2))
    crop = crop_box(img, (bx0, by0, bx0 + s, by0 + s))
    if s > 2 * recipe.size:  # only speed: shades_of_grey's estimate hardly changes, the final resize follows anyway
        s = 2 * recipe.size
        crop = resize_to(crop, s, s)
    mat = cv2.getRotationMatrix2D((s / 2, s / 2), rng.uniform(0, 360), 1.0)
    crop = cv2.warpAffine(crop, mat, (s, s), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    crop = np.ascontiguousarray(crop)
    if recipe.colour_aug > 0:
        crop = colour_jitter(crop, rng, recipe.colour_aug)
    if recipe.blur_noise:
        crop = blur_noise(crop, rng)
    return to_tensor(resize_to(recipe.colour(crop), recipe.size, recipe.size), CLS_MEAN, CLS_STD)


class TrainSet(Dataset):
    def __init__(self, images: list[np.ndarray], boxes: list, labels: np.ndarray, seed: int,
                 recipe: Recipe = SHIPPED) -> None:
        self.images, self.boxes, self.labels, self.seed, self.recipe = images, boxes, labels, seed, recipe
        self.calls = 0

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        self.calls += 1
        rng = np.random.default_rng([self.seed, i, self.calls, int(time.time() * 1e6) % 2**31])
        return torch.from_numpy(train_tensor(self.images[i], self.boxes[i], rng, self.recipe)), int(self.labels[i])


def load_split(split: str, seg: Segmenter, clf_card: dict) -> tuple[list[np.ndarray], list, np.ndarray]:
    items = ham_split(split)
    boxes = lesion_boxes([(it.image_id, it.path) for it in items], seg, clf_card, ham=True)
    images = [ham_image(it.path) for it in items]
    return images, [boxes[it.image_id] for it in items], np.array([it.label for it in items])


def predict(net: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    net.eval()
    with torch.no_grad():
        return torch.cat([net(x[i:i + 128])[0] for i in range(0, len(x), 128)]).numpy()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=RUNS / "classifier")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--sampling-power", type=float, default=0.5,
                    help="class sampled in proportion to n_c**power (1 = natural, 0 = balanced)")
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", type=Path, help="start from these weights (a best.pt), e.g. to continue a shorter run")
    # ablation switches (defaults = the shipped recipe)
    ap.add_argument("--framing", choices=["lesion", "whole"], default=SHIPPED.framing)
    ap.add_argument("--colour-constancy", choices=["sog", "none"], default=SHIPPED.colour_constancy)
    ap.add_argument("--colour-aug", type=float, default=SHIPPED.colour_aug, help="colour jitter strength, 0 = off")
    ap.add_argument("--no-blur-noise", action="store_true")
    ap.add_argument("--size", type=int, default=CLS_SIZE)
    args = ap.parse_args()
    recipe = Recipe(args.framing, args.colour_constancy, args.colour_aug, not args.no_blur_noise, args.size)
    torch.set_num_threads(2)
    cv2.setNumThreads(1)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    seg = Segmenter(MODELS)
    clf_card = {"preprocessing": cards.classifier_preprocessing()}
    tr_img, tr_box, tr_y = load_split("train", seg, clf_card)
    va_img, va_box, va_y = load_split("val", seg, clf_card)
    xv = torch.from_numpy(np.stack([eval_tensor(i, b, recipe) for i, b in zip(va_img, va_box, strict=True)]))
    counts = np.bincount(tr_y, minlength=len(CLASSES))
    weights = (counts.astype(float) ** args.sampling_power / counts)[tr_y]
    sampler = WeightedRandomSampler(torch.from_numpy(weights), num_samples=len(tr_y), replacement=True)
    loader = DataLoader(TrainSet(tr_img, tr_box, tr_y, args.seed, recipe), batch_size=args.batch, sampler=sampler,
                        num_workers=1, drop_last=True, persistent_workers=True)
    net = CamNet(widths=CLS_WIDTHS)
    if args.init is not None:
        net.load_state_dict(torch.load(args.init, weights_only=False)["net"])
    ema = CamNet(widths=CLS_WIDTHS)
    ema.load_state_dict(net.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.epochs * len(loader), pct_start=0.15)
    start, best, bad, history = 0, -1.0, 0, []
    ck = args.out / "last.pt"
    if ck.exists():  # resume
        st = torch.load(ck, weights_only=False)
        net.load_state_dict(st["net"])
        ema.load_state_dict(st["ema"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        start, best, bad, history = st["epoch"] + 1, st["best"], st["bad"], st["history"]
    t0 = time.time() - (history[-1]["seconds"] if history else 0.0)
    for epoch in range(start, args.epochs):
        net.train()
        losses = []
        for x, y in loader:
            logits, _ = net(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                for pe, pn in zip(ema.state_dict().values(), net.state_dict().values(), strict=True):
                    if pe.dtype.is_floating_point:
                        pe.mul_(args.ema).add_(pn, alpha=1 - args.ema)
                    else:
                        pe.copy_(pn)
            losses.append(loss.item())
        row = {"epoch": epoch, "loss": float(np.mean(losses)), "seconds": time.time() - t0}
        for name, model in (("net", net), ("ema", ema)):
            m = classification_metrics(va_y, torch.softmax(torch.from_numpy(predict(model, xv)), 1).numpy())
            row[name] = {k: round(m[k], 4) for k in ("accuracy", "balanced_accuracy", "macro_auc", "mel_auc", "ece")}
        score = max(0.5 * (row[n]["balanced_accuracy"] + row[n]["macro_auc"]) for n in ("net", "ema"))
        which = max(("net", "ema"), key=lambda n: row[n]["balanced_accuracy"] + row[n]["macro_auc"])
        row["score"], row["which"] = score, which
        history.append(row)
        if score > best:
            best, bad = score, 0
            torch.save({"net": (ema if which == "ema" else net).state_dict(), "epoch": epoch, "val": row[which],
                        "which": which, "recipe": asdict(recipe)}, args.out / "best.pt")
        else:
            bad += 1
        torch.save({"net": net.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "epoch": epoch, "best": best, "bad": bad, "history": history}, ck)
        print(json.dumps(row), flush=True)
        # one-cycle: val dips while the learning rate is high, so stop early only in the annealing half
        if bad >= args.patience and epoch >= args.epochs // 2:
            print("early stop", flush=True)
            break
    # the annealed end of the run (EMA weights), for fine-tuning runs whose val-best epoch may still be
    # mostly the initial weights
    torch.save({"net": ema.state_dict(), "epoch": len(history) - 1, "which": "ema-final", "recipe": asdict(recipe)},
               args.out / "final.pt")
    (args.out / "history.json").write_text(json.dumps(history, indent=1))


if __name__ == "__main__":
    main()
