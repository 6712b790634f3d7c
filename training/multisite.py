"""The multi-site splits of issue 23 (numpy/OpenCV only, so CI can evaluate the committed ONNX files).

Sites: HAM10000 (Vienna/Queensland), ISIC 2017 train/val (several ISIC Archive collections, 256x256
squeezed files), the ISIC Archive UDA photos (full resolution). One lesion may be in ISIC 2017 train
and in the archive (same photo, two resolutions): both copies always share one split.

- ``train``: HAM train, ISIC 2017 train with image id < ISIC_0014000, the archive photos that are ISIC 2017
  train images (and their 256 px copies) except the ``val`` third of them.
- ``val`` (checkpoint, temperature, threshold, fusion): HAM val, ISIC 2017 val, a lesion-disjoint third of
  the archive's ISIC-2017-train photos (full resolution; their 256 px copies are left out of everything).
- ``heldout`` (external, never tuned on): ISIC 2017 train images with id >= ISIC_0014000 (later uploads to the
  ISIC Archive, a site-wise proxy -- the data has no site column: 89 melanomas, 240 benign) and the 101 archive photos that are not in ISIC 2017
  (45 melanomas, 56 benign). Reported per part.
- HAM test and PH2 stay the separate tests they always were.

Labels: ``label`` is the HAM class index when known, else -1; ``candidates`` the set of classes the
image may belong to (ISIC 2017 "nevus_or_seborrheic_keratosis" -> {bkl, nv}); ``melanoma`` 0/1.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from training.data import CLASSES, shared_data

HELDOUT_ISIC_FROM = 14000
BENIGN_UNKNOWN = (CLASSES.index("bkl"), CLASSES.index("nv"))


@dataclass(frozen=True)
class Item:
    image_id: str
    path: Path
    site: str  # ham | isic2017 | archive
    part: str  # finer name used in reports, e.g. "isic2017_val", "archive_not_in_isic2017"
    label: int  # HAM class index, -1 when only melanoma / not melanoma is known
    candidates: tuple[int, ...]
    melanoma: int
    restore: bool  # HAM's 224x224 files: restore_aspect first


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _archive_val(image_id: str) -> bool:
    """A fixed, lesion-disjoint third of the archive's ISIC-2017-train photos (hash of the id, no RNG)."""
    return int(hashlib.sha256(image_id.encode()).hexdigest(), 16) % 3 == 0


def _known(dx: str, melanoma: int) -> tuple[int, tuple[int, ...]]:
    if dx:
        k = CLASSES.index(dx)
        return k, (k,)
    if melanoma:
        k = CLASSES.index("mel")
        return k, (k,)
    return -1, BENIGN_UNKNOWN


def items(split: str, root: Path | None = None) -> list[Item]:
    """``split``: train | val | heldout."""
    root = root or shared_data()
    out: list[Item] = []
    ham = root / "ham10000"
    if split in ("train", "val"):
        for r in _rows(ham / "labels.csv"):
            if r["split"] == split:
                k = CLASSES.index(r["dx"])
                out.append(Item(r["image_id"], ham / "images" / f"{r['image_id']}.jpg", "ham", f"ham_{split}", k, (k,),
                                int(r["dx"] == "mel"), True))
    arch = root / "isic_archive"
    arch_rows = _rows(arch / "labels.csv")
    in_val = {r["image_id"] for r in arch_rows if r["isic2017_split"] == "train" and _archive_val(r["image_id"])}
    for r in arch_rows:
        mel = int(r["benign_malignant"] == "malignant")
        k, cand = _known(r["dx"], mel)
        if not r["dx"] and not mel:
            cand = tuple(range(len(CLASSES)))  # benign, class unknown: only "not melanoma" is certain
            cand = tuple(c for c in cand if CLASSES[c] not in ("mel", "akiec", "bcc"))
        path = arch / "images" / f"{r['image_id']}.jpg"
        if r["isic2017_split"] == "not_in_isic2017":
            which = "heldout"
        else:
            which = "val" if r["image_id"] in in_val else "train"
        if which == split:
            out.append(Item(r["image_id"] + "_full", path, "archive", f"archive_{which}" if which != "heldout"
                            else "archive_not_in_isic2017", k, cand, mel, False))
    isic = root / "isic2017"
    for r in _rows(isic / "labels.csv"):
        mel = int(r["melanoma"])
        k, cand = _known(r["dx"], mel)
        if r["split"] == "val":
            which = "val"
        elif int(r["image_id"][5:]) >= HELDOUT_ISIC_FROM:
            which = "heldout"
        elif r["image_id"] in in_val:
            continue  # its full-resolution copy is in val
        else:
            which = "train"
        if which == split:
            part = {"val": "isic2017_val", "train": "isic2017_train", "heldout": "isic2017_train_id_ge_14000"}[which]
            out.append(Item(r["image_id"], isic / "images" / f"{r['image_id']}.jpg", "isic2017", part, k, cand, mel,
                            False))
    return out
