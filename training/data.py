"""Where the shared data lives and how its splits are read. numpy/OpenCV only (CI imports it)."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "models"
RUNS = REPO / ".train_runs"
# checkpoints, caches and logs of the multi-site runs: outside the Git work tree (several engineers share it)
TRAIN_DIR = Path(os.environ.get("DERMSTATION_TRAIN_DIR", str(Path.home() / "dermstation-train")))

CLASSES = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
MALIGNANT = ("akiec", "bcc", "mel")


def shared_data() -> Path:
    """``../shared/data`` next to the repository, or ``$DERMSTATION_SHARED_DATA``."""
    env = os.environ.get("DERMSTATION_SHARED_DATA")
    return Path(env) if env else (REPO / ".." / "shared" / "data").resolve()


def read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def read_mask(path: Path) -> np.ndarray:
    m = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if m is None:
        raise FileNotFoundError(path)
    return m > 127


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class HamItem:
    image_id: str
    label: int
    path: Path


def ham_split(split: str, root: Path | None = None) -> list[HamItem]:
    root = (root or shared_data()) / "ham10000"
    return [
        HamItem(r["image_id"], CLASSES.index(r["dx"]), root / "images" / f"{r['image_id']}.jpg")
        for r in _rows(root / "labels.csv")
        if r["split"] == split
    ]


@dataclass(frozen=True)
class Ph2Item:
    image_id: str
    image: Path
    mask: Path
    split: str
    diagnosis: str


def ph2_items(split: str | None = None, root: Path | None = None) -> list[Ph2Item]:
    root = (root or shared_data()) / "ph2"
    diag = {r["image_id"]: r["diagnosis"] for r in _rows(root / "diagnoses.csv")}
    out = []
    for r in _rows(root / "split.csv"):
        if split is None or r["split"] == split:
            i = r["image_id"]
            out.append(Ph2Item(i, root / "images" / f"{i}.jpg", root / "masks" / f"{i}.png", r["split"], diag.get(i, "")))
    return out
