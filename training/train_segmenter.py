"""Train the U-Net++ lesion segmenter on PH² train, early-stopped on PH² val (Dice + BCE).

    python -m training.train_segmenter --out .train_runs/segmenter
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from dermstation.inference.preprocess import largest_component, resize_to, to_tensor
from training.augment import blur_noise, colour_jitter, random_affine
from training.config import SEG_H, SEG_MEAN, SEG_STD, SEG_THRESHOLD, SEG_W, SEG_WIDTHS
from training.data import RUNS, ph2_items, read_mask, read_rgb
from training.nets import UNetPlusPlus


def load_train(scale_w: int = 384, scale_h: int = 288) -> tuple[list[np.ndarray], list[np.ndarray]]:
    imgs, masks = [], []
    for it in ph2_items("train"):
        imgs.append(resize_to(read_rgb(it.image), scale_w, scale_h))
        m = read_mask(it.mask).astype(np.uint8) * 255
        masks.append(cv2.resize(m, (scale_w, scale_h), interpolation=cv2.INTER_AREA))
    return imgs, masks


def sample(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    h, w = img.shape[:2]
    mat = random_affine(h, w, SEG_W, SEG_H, rng, scale=(0.75, 1.4), max_shift=0.12)
    border = cv2.BORDER_REFLECT_101
    im = cv2.warpAffine(img, mat, (SEG_W, SEG_H), flags=cv2.INTER_LINEAR, borderMode=border)
    mk = cv2.warpAffine(mask, mat, (SEG_W, SEG_H), flags=cv2.INTER_LINEAR, borderMode=border)
    im = blur_noise(colour_jitter(im, rng, strength=1.5), rng)
    return to_tensor(im, SEG_MEAN, SEG_STD), (mk > 127).astype(np.float32)[None]


def predict_mask(prob_fn, image: np.ndarray, threshold: float = SEG_THRESHOLD) -> np.ndarray:
    """The agreed pipeline: resize_to -> to_tensor -> probability -> resize back -> threshold -> largest_component."""
    h, w = image.shape[:2]
    x = to_tensor(resize_to(image, SEG_W, SEG_H), SEG_MEAN, SEG_STD)[None]
    prob = prob_fn(x)[0, 0]
    prob = cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
    return largest_component(prob > threshold)


def seg_scores(pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
    tp = float(np.logical_and(pred, true).sum())
    fp = float(np.logical_and(pred, ~true).sum())
    fn = float(np.logical_and(~pred, true).sum())
    return {
        "dice": 2 * tp / max(2 * tp + fp + fn, 1.0),
        "iou": tp / max(tp + fp + fn, 1.0),
        "precision": tp / max(tp + fp, 1.0),
        "recall": tp / max(tp + fn, 1.0),
    }


def evaluate_val(net: UNetPlusPlus, val: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    net.eval()

    def fn(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return net(torch.from_numpy(x)).numpy()

    scores = [seg_scores(predict_mask(fn, im), m) for im, m in val]
    return {k: float(np.mean([s[k] for s in scores])) for k in scores[0]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=RUNS / "segmenter")
    ap.add_argument("--epochs", type=int, default=80)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--patience", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    imgs, masks = load_train()
    val = [(read_rgb(it.image), read_mask(it.mask)) for it in ph2_items("val")]
    net = UNetPlusPlus(SEG_WIDTHS)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = len(imgs) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=0.1)
    start, best, bad, history = 0, -1.0, 0, []
    ck = args.out / "last.pt"
    if ck.exists():  # resume
        state = torch.load(ck, weights_only=False)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start, best, bad, history = state["epoch"] + 1, state["best"], state["bad"], state["history"]
        rng = np.random.default_rng(args.seed + start)
    t0 = time.time()
    for epoch in range(start, args.epochs):
        net.train()
        order = rng.permutation(len(imgs))
        losses = []
        for b in range(steps_per_epoch):
            idx = order[b * args.batch:(b + 1) * args.batch]
            batch = [sample(imgs[i], masks[i], rng) for i in idx]
            x = torch.from_numpy(np.stack([s[0] for s in batch]))
            y = torch.from_numpy(np.stack([s[1] for s in batch]))
            logit = net.logits(x)
            p = torch.sigmoid(logit)
            inter = (p * y).sum((1, 2, 3))
            dice = 1 - (2 * inter + 1) / (p.sum((1, 2, 3)) + y.sum((1, 2, 3)) + 1)
            loss = F.binary_cross_entropy_with_logits(logit, y) + dice.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        v = evaluate_val(net, val)
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), **v, "seconds": time.time() - t0})
        if v["dice"] > best:
            best, bad = v["dice"], 0
            torch.save({"net": net.state_dict(), "epoch": epoch, "val": v}, args.out / "best.pt")
        else:
            bad += 1
        torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "epoch": epoch,
                    "best": best, "bad": bad, "history": history}, ck)
        print(json.dumps(history[-1]), flush=True)
        if bad >= args.patience:
            print("early stop", flush=True)
            break
    (args.out / "history.json").write_text(json.dumps(history, indent=1))


if __name__ == "__main__":
    main()
