"""Classifier v2: multi-site training (issue 23) on HAM10000 + ISIC 2017 + ISIC Archive lesion crops.

    python -m training.train_multisite --out /root/dermstation-train/ms160 --size 160 \
        --init-onnx models/classifier.onnx --init-member 0

Resumable: re-running the same command continues from ``OUT/last.pt`` (saved every epoch); ``OUT`` also
holds the lesion-crop cache, ``train.log`` and ``history.json``. Splits: ``training.multisite``.

Loss: partial-label cross-entropy, -log of the probability mass on the classes the image may belong to:
the usual cross-entropy when the HAM class is known, -log(p(bkl) + p(nv)) for ISIC 2017's
"nevus_or_seborrheic_keratosis" (known: not melanoma; unknown: which benign class). The 7-class head
is thereby also a melanoma head trained on every image, without a second output the app would have
to learn about. Checkpoint score on the multi-site val split (never on held-out, HAM test or PH2):
mean of HAM val balanced accuracy, HAM val macro AUC and 2x the mean malignancy-score melanoma AUC of
the non-HAM val parts (ISIC 2017 val, archive val), /4.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from dermstation.inference.preprocess import crop_box, resize_to, restore_aspect, shades_of_grey, to_tensor
from training import cards
from training.augment import blur_noise, colour_jitter
from training.config import CLS_MEAN, CLS_STD, CLS_WIDTHS, SOG_P
from training.data import CLASSES, MALIGNANT, MODELS, read_rgb
from training.metrics import classification_metrics, roc_auc
from training.multisite import Item, items
from training.nets import CamNet
from training.pipeline import Segmenter, _step
from training.train_classifier import Recipe

PATCH_CONTEXT = 1.5  # training patches keep 1.5x the lesion box (zoom-out and rotation need the context)
MAL = [CLASSES.index(c) for c in MALIGNANT]


def load_image(it: Item) -> np.ndarray:
    img = read_rgb(it.path)
    return restore_aspect(img) if it.restore else img


def boxes_for(its: list[Item], seg: Segmenter, cache: Path) -> dict[str, list[int]]:
    crop = _step({"preprocessing": cards.classifier_preprocessing()}, "lesion_crop")
    from dermstation.inference.preprocess import lesion_box

    known = json.loads(cache.read_text()) if cache.exists() else {}
    todo = [it for it in its if it.image_id not in known]
    for n, it in enumerate(todo):
        known[it.image_id] = list(lesion_box(seg.mask(load_image(it)), crop["margin"], crop["min_fraction"]))
        if n % 500 == 499:
            cache.write_text(json.dumps(known))
    if todo:
        cache.write_text(json.dumps(known))
    return known


def patch(img: np.ndarray, box, side: int) -> np.ndarray:
    x0, y0, x1, y1 = box
    s = (x1 - x0) * PATCH_CONTEXT
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    b = (int(round(cx - s / 2)), int(round(cy - s / 2)), int(round(cx + s / 2)), int(round(cy + s / 2)))
    return resize_to(crop_box(img, b), side, side)


def augment(p: np.ndarray, size: int, rng: np.random.Generator, recipe: Recipe) -> np.ndarray:
    """training.train_classifier.train_tensor on a pre-cut patch whose central 1/1.5 is the lesion box."""
    side = p.shape[0] / PATCH_CONTEXT * math.exp(rng.uniform(-0.25, 0.2))
    c = p.shape[0] / 2
    cx, cy = c + rng.uniform(-0.1, 0.1) * side, c + rng.uniform(-0.1, 0.1) * side
    s = int(round(side))
    bx0, by0 = int(round(cx - s / 2)), int(round(cy - s / 2))
    crop = crop_box(p, (bx0, by0, bx0 + s, by0 + s))
    mat = cv2.getRotationMatrix2D((s / 2, s / 2), rng.uniform(0, 360), 1.0)
    crop = cv2.warpAffine(crop, mat, (s, s), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    crop = np.ascontiguousarray(crop)
    if recipe.colour_aug > 0:
        crop = colour_jitter(crop, rng, recipe.colour_aug)
    if recipe.blur_noise:
        crop = blur_noise(crop, rng)
    return to_tensor(resize_to(shades_of_grey(crop, SOG_P), size, size), CLS_MEAN, CLS_STD)


def eval_tensor(img: np.ndarray, box, size: int) -> np.ndarray:
    """The card's pipeline: crop -> shades_of_grey -> resize -> normalise."""
    return to_tensor(resize_to(shades_of_grey(crop_box(img, tuple(box)), SOG_P), size, size), CLS_MEAN, CLS_STD)


class PatchSet(Dataset):
    def __init__(self, patches: list[np.ndarray], cand: np.ndarray, size: int, seed: int, recipe: Recipe) -> None:
        self.patches, self.cand, self.size, self.seed, self.recipe = patches, cand, size, seed, recipe
        self.calls = 0

    def __len__(self) -> int:
        return len(self.patches)

    def __getitem__(self, i: int):
        self.calls += 1
        rng = np.random.default_rng([self.seed, i, self.calls, int(time.time() * 1e6) % 2**31])
        x = augment(self.patches[i], self.size, rng, self.recipe)
        return torch.from_numpy(x), torch.from_numpy(self.cand[i])


def partial_label_loss(logits: torch.Tensor, cand: torch.Tensor) -> torch.Tensor:
    """-log(sum of softmax over the candidate classes); = cross-entropy for a single known class."""
    logp = torch.log_softmax(logits, 1)
    return -(torch.logsumexp(logp.masked_fill(~cand, -1e9), 1)).mean()


def predict(net: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    net.eval()
    with torch.no_grad():
        return torch.cat([net(x[i:i + 128])[0] for i in range(0, len(x), 128)]).numpy()


def val_score(logits: np.ndarray, va: list[Item]) -> dict:
    p = torch.softmax(torch.from_numpy(logits), 1).numpy()
    ham = np.array([it.site == "ham" for it in va])
    y = np.array([it.label for it in va])
    m = classification_metrics(y[ham], p[ham])
    mal = p[:, MAL].sum(1)
    mel = np.array([it.melanoma for it in va])
    parts = {}
    for part in ("isic2017_val", "archive_val", "ham_val"):
        sel = np.array([it.part == part for it in va])
        parts[part] = round(roc_auc(mel[sel], mal[sel]), 4)
    out = {"ham_bal_acc": round(m["balanced_accuracy"], 4), "ham_macro_auc": round(m["macro_auc"], 4),
           "mel_auc": parts}
    out["score"] = round((out["ham_bal_acc"] + out["ham_macro_auc"]
                          + parts["isic2017_val"] + parts["archive_val"]) / 4, 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("/root/dermstation-train/ms160"))
    ap.add_argument("--size", type=int, default=160)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--samples-per-epoch", type=int, default=3200)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--sampling-power", type=float, default=0.5)
    ap.add_argument("--ema", type=float, default=0.99)
    ap.add_argument("--colour-aug", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init-onnx", type=Path, help="warm start from a member of this shipped classifier ONNX")
    ap.add_argument("--init-member", type=int, default=0)
    ap.add_argument("--patch-side", type=int, help="side of the cached training patches (default from --size)")
    ap.add_argument("--speed-test", action="store_true", help="time 5 batches and exit")
    args = ap.parse_args()
    recipe = Recipe(colour_aug=args.colour_aug, size=args.size)
    torch.set_num_threads(2)
    cv2.setNumThreads(1)
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    seg = Segmenter(MODELS)
    tr, va = items("train"), items("val")
    boxes = boxes_for(tr + va, seg, args.out / f"boxes_{seg.card['sha256'][:12]}.json")
    print(f"boxes ready: {len(tr)} train, {len(va)} val", flush=True)
    side = args.patch_side or int(round(args.size * PATCH_CONTEXT * 1.07))
    pcache = args.out / f"patches_{side}.npy"
    if pcache.exists():
        patches = list(np.load(pcache))
    else:
        patches = [patch(load_image(it), boxes[it.image_id], side) for it in tr]
        np.save(pcache, np.stack(patches))
    vcache = args.out / f"val_{args.size}.npy"
    if vcache.exists():
        xv = torch.from_numpy(np.load(vcache))
    else:
        xv = torch.from_numpy(np.stack([eval_tensor(load_image(it), boxes[it.image_id], args.size) for it in va]))
        np.save(vcache, xv.numpy())
    print("patches ready", flush=True)
    cand = np.zeros((len(tr), len(CLASSES)), bool)
    for i, it in enumerate(tr):
        cand[i, list(it.candidates)] = True
    group = np.array([it.label if it.label >= 0 else len(CLASSES) for it in tr])
    counts = np.bincount(group)
    weights = (counts.astype(float) ** args.sampling_power / counts)[group]
    sampler = WeightedRandomSampler(torch.from_numpy(weights), num_samples=args.samples_per_epoch, replacement=True)
    loader = DataLoader(PatchSet(patches, cand, args.size, args.seed, recipe), batch_size=args.batch, sampler=sampler,
                        num_workers=1, drop_last=True, persistent_workers=True)
    net = CamNet(widths=CLS_WIDTHS)
    if args.init_onnx is not None:
        from training.warmstart import load_member

        load_member(args.init_onnx, args.init_member, net)
    ema = CamNet(widths=CLS_WIDTHS)
    ema.load_state_dict(net.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.wd)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.epochs * len(loader), pct_start=0.1)
    if args.speed_test:
        t = time.time()
        for n, (x, c) in enumerate(loader):
            loss = partial_label_loss(net(x)[0], c)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if n == 4:
                break
        print(f"{(time.time() - t) / 5:.2f} s/batch", flush=True)
        return
    start, best, history = 0, -1.0, []
    ck = args.out / "last.pt"
    if ck.exists():  # resume
        st = torch.load(ck, weights_only=False)
        net.load_state_dict(st["net"])
        ema.load_state_dict(st["ema"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        start, best, history = st["epoch"] + 1, st["best"], st["history"]
    else:
        row = {"epoch": -1, "init": val_score(predict(net, xv), va)}
        print(json.dumps(row), flush=True)
        history.append(row)
    t0 = time.time() - (history[-1].get("seconds", 0.0) if history else 0.0)
    meta = {"recipe": asdict(recipe), "args": {k: str(v) for k, v in vars(args).items()}}
    for epoch in range(start, args.epochs):
        net.train()
        losses = []
        for x, c in loader:
            loss = partial_label_loss(net(x)[0], c)
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
        row = {"epoch": epoch, "loss": round(float(np.mean(losses)), 4), "seconds": round(time.time() - t0, 1)}
        # only the EMA weights are scored: one val pass per epoch is already a sizeable share of a CPU epoch
        row["ema"] = val_score(predict(ema, xv), va)
        which = "ema"
        row["which"] = which
        history.append(row)
        if row[which]["score"] > best:
            best = row[which]["score"]
            torch.save({"net": (ema if which == "ema" else net).state_dict(), "epoch": epoch, "val": row[which],
                        "which": which, **meta}, args.out / "best.pt")
        torch.save({"net": net.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "epoch": epoch, "best": best, "history": history}, ck)
        torch.save({"net": ema.state_dict(), "epoch": epoch, "which": "ema-last", **meta}, args.out / "final.pt")
        (args.out / "history.json").write_text(json.dumps(history, indent=1))
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
