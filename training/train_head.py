"""Classifier 2.0: the 1.3.0 networks' class head refitted on every site (last-layer retraining).

    python -m training.train_head --out ~/dermstation-train/head --init-onnx v130/classifier.onnx

Why the head only: on the shared 2-core machine a full fine-tune at 128-160 px ran at >10 s per
32-image batch (other engineers' test runs), i.e. a few thousand images an hour. Refitting the last
linear layer on frozen features ("deep feature reweighting", Kirichenko et al. 2023) is the documented
cheap fix for a shift between sites, and it fits in minutes.

1. Both members of the shipped ensemble are read back from its ONNX file (``training.warmstart``).
2. Every multi-site training image (``training.multisite``: HAM10000 train, ISIC 2017 train, archive
   train) is cut, augmented ``--views`` times exactly as in training (lesion-box jitter, rotation, flip,
   colour/device jitter strength 2, blur/noise, then Shades of Grey, 128 px) and both trunks' pooled
   features are stored (512 = 2 x 256). Val images go through the card's pipeline and the graph's
   8 dihedral views (features averaged over views, as the exported graph does).
3. One linear head on the 512 features, partial-label cross-entropy (``train_multisite``), sample weights
   n_group^-0.5 (classes, plus "benign, class unknown"), L2 pull towards the shipped heads; the strength
   is chosen on the multi-site val score. Because logits = mean of the members' class maps, the head
   splits back into two 1x1 heads (x2 each) and the CAM stays exact.

Resumable: features are cached per view in ``--out``; ``head.pt`` holds the chosen head.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from training.multisite import items
from training.nets import CamNet, ExportWrapper
from training.train_classifier import Recipe
from training.train_multisite import augment, val_score
from training.warmstart import load_member, member_count

SIZE = 128


def members(onnx_path: Path) -> list[CamNet]:
    nets = [load_member(onnx_path, k, CamNet()) for k in range(member_count(onnx_path))]
    for n in nets:
        n.eval()
    return nets


def pooled(nets: list[CamNet], x: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return torch.cat([n.forward_all(x)[2] for n in nets], 1).numpy()


def train_features(nets: list[CamNet], patches: np.ndarray, view: int, out: Path) -> np.ndarray:
    path = out / f"train_feats_view{view}.npy"
    if path.exists():
        return np.load(path)
    recipe = Recipe(colour_aug=2.0, size=SIZE)
    rng = np.random.default_rng([view, 2026])
    feats = []
    for i in range(0, len(patches), 64):
        x = np.stack([augment(p, SIZE, rng, recipe) for p in patches[i:i + 64]])
        feats.append(pooled(nets, torch.from_numpy(x)))
    f = np.concatenate(feats).astype(np.float32)
    np.save(path, f)
    return f


def val_features(nets: list[CamNet], xv: np.ndarray, out: Path) -> np.ndarray:
    path = out / "val_feats_dihedral8.npy"
    if path.exists():
        return np.load(path)
    wrap = ExportWrapper(nets, "dihedral8", features=True).eval()
    with torch.no_grad():
        f = np.concatenate([wrap(torch.from_numpy(xv[i:i + 32]))[2].numpy() for i in range(0, len(xv), 32)])
    np.save(path, f)
    return f


def shipped_head(nets: list[CamNet]) -> tuple[torch.Tensor, torch.Tensor]:
    """The ensemble's logits as one linear map of the concatenated features: W = [W0, W1] / 2."""
    w = torch.cat([n.head.weight.detach()[:, :, 0, 0] for n in nets], 1) / len(nets)
    b = sum(n.head.bias.detach() for n in nets) / len(nets)
    return w.double(), b.double()


def fit_head(f: np.ndarray, cand: np.ndarray, weight: np.ndarray, w0: torch.Tensor, b0: torch.Tensor,
             l2: float) -> tuple[torch.Tensor, torch.Tensor]:
    x, c = torch.from_numpy(f).double(), torch.from_numpy(cand)
    sw = torch.from_numpy(weight / weight.mean()).double()
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        logp = torch.log_softmax(x @ w.T + b, 1)
        nll = -(torch.logsumexp(logp.masked_fill(~c, -1e9), 1) * sw).mean()
        loss = nll + l2 * ((w - w0) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path.home() / "dermstation-train" / "head")
    ap.add_argument("--init-onnx", type=Path, required=True, help="the shipped 1.3.0 classifier (2 members)")
    ap.add_argument("--patches", type=Path, required=True, help="train patches cached by train_multisite (N,S,S,3)")
    ap.add_argument("--val", type=Path, required=True, help="val tensors at 128 px cached by train_multisite")
    ap.add_argument("--views", type=int, default=3)
    ap.add_argument("--l2", type=float, nargs="+", default=[1e-4, 1e-3, 1e-2, 1e-1])
    args = ap.parse_args()
    torch.set_num_threads(2)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    nets = members(args.init_onnx)
    tr, va = items("train"), items("val")
    patches = np.load(args.patches, mmap_mode="r")
    assert len(patches) == len(tr)
    fv = val_features(nets, np.load(args.val), args.out)
    print(f"val features {fv.shape} {time.time() - t0:.0f}s", flush=True)
    feats = []
    for v in range(args.views):
        feats.append(train_features(nets, patches, v, args.out))
        print(f"view {v} done {time.time() - t0:.0f}s", flush=True)
    f = np.concatenate(feats)
    cand = np.zeros((len(tr), 7), bool)
    for i, it in enumerate(tr):
        cand[i, list(it.candidates)] = True
    group = np.array([it.label if it.label >= 0 else 7 for it in tr])
    counts = np.bincount(group)
    weight = (counts.astype(float) ** 0.5 / counts)[group]
    cand, weight = np.tile(cand, (args.views, 1)), np.tile(weight, args.views)
    w0, b0 = shipped_head(nets)
    fvt = torch.from_numpy(fv).double()
    rows = [{"l2": None, **val_score((fvt @ w0.T + b0).float().numpy(), va)}]
    print(json.dumps(rows[0]), flush=True)
    best = None
    for l2 in args.l2:
        w, b = fit_head(f, cand, weight, w0, b0, l2)
        row = {"l2": l2, **val_score((fvt @ w.T + b).float().numpy(), va)}
        rows.append(row)
        print(json.dumps(row), flush=True)
        if best is None or row["score"] > best[0]["score"]:
            best = (row, w, b)
    assert best is not None
    row, w, b = best
    torch.save({"w": w.float(), "b": b.float(), "val": row, "table": rows, "views": args.views,
                "seconds": time.time() - t0}, args.out / "head.pt")
    (args.out / "table.json").write_text(json.dumps(rows, indent=1))
    print("chosen", json.dumps(row), flush=True)


def apply_head(nets: list[CamNet], w: torch.Tensor, b: torch.Tensor) -> list[CamNet]:
    """Split the joint head back into the members' 1x1 heads (the graph averages the members)."""
    k = len(nets)
    c = w.shape[1] // k
    with torch.no_grad():
        for i, n in enumerate(nets):
            n.head.weight.copy_((w[:, i * c:(i + 1) * c] * k)[:, :, None, None])
            n.head.bias.copy_(b)
    return nets


if __name__ == "__main__":
    main()
