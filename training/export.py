"""Export trained checkpoints to ONNX and write the model cards (torch needed).

    python -m training.export segmenter  --ckpt .train_runs/segmenter/best.pt --version 1.0.0
    python -m training.export classifier --ckpt A/best.pt [--ckpt B/best.pt ...] --version 1.0.0 \
        [--tta none|flip4|dihedral8]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from training import cards
from training.config import CLS_SIZE, CLS_WIDTHS, SEG_H, SEG_W, SEG_WIDTHS
from training.data import MODELS
from training.nets import TTA_VIEWS, CamNet, ExportWrapper, UNetPlusPlus

OPSET = 17


def _export(module: torch.nn.Module, example: torch.Tensor, path: Path, outputs: list[str]) -> None:
    module.eval()
    dyn = {"image": {0: "batch"}, **{o: {0: "batch"} for o in outputs}}
    torch.onnx.export(module, (example,), str(path), input_names=["image"], output_names=outputs,
                      dynamic_axes=dyn, opset_version=OPSET, dynamo=False, do_constant_folding=True)
    # the ONNX graph must compute what torch computes
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = torch.randn(3, *example.shape[1:])
    with torch.no_grad():
        ref = module(x)
    ref = ref if isinstance(ref, tuple) else (ref,)
    got = sess.run(outputs, {"image": x.numpy()})
    for r, g, name in zip(ref, got, outputs, strict=True):
        err = float(np.abs(r.numpy() - g).max())
        assert err < 1e-3, f"{name}: onnxruntime differs from torch by {err}"
        print(f"{path.name}:{name} shape {g.shape} max |torch-ort| = {err:.2e}")


def export_segmenter(ckpt: Path | None, version: str, training: dict | None = None) -> Path:
    net = UNetPlusPlus(SEG_WIDTHS)
    if ckpt is not None:
        net.load_state_dict(torch.load(ckpt, weights_only=False)["net"])
    path = MODELS / "segmenter.onnx"
    _export(net, torch.randn(1, 3, SEG_H, SEG_W), path, ["probability"])
    cards.write_segmenter_card(path, version, training)
    return path


def export_classifier(ckpts: list[Path], version: str, tta: str, training: dict | None = None,
                      models: Path = MODELS, size: int = CLS_SIZE, features: bool = False,
                      multisite: bool = False, init_onnx: Path | None = None, head: Path | None = None) -> Path:
    """One ONNX graph: the members' logits (and class maps) averaged over members and TTA views.

    ``init_onnx`` + ``head``: the members read back from a shipped classifier, with the class head
    refitted by ``training.train_head``.
    """
    nets = []
    if init_onnx is not None:
        from training.train_head import apply_head, members

        nets = members(init_onnx)
        if head is not None:
            st = torch.load(head, weights_only=False)
            apply_head(nets, st["w"], st["b"])
    for ckpt in ckpts if init_onnx is not None else (ckpts or [None]):
        net = CamNet(widths=CLS_WIDTHS)
        if ckpt is not None:
            net.load_state_dict(torch.load(ckpt, weights_only=False)["net"])
        nets.append(net)
    path = models / "classifier.onnx"
    outputs = ["logits", "class_maps"] + (["features"] if features else [])
    _export(ExportWrapper(nets, tta, features), torch.randn(1, 3, size, size), path, outputs)
    cards.write_classifier_card(path, version, tta, training, members=len(nets), size=size, features=features,
                                multisite=multisite)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("which", choices=["segmenter", "classifier"])
    ap.add_argument("--ckpt", type=Path, action="append", default=[],
                    help="checkpoint; classifier: repeat it to export an ensemble (logits averaged)")
    ap.add_argument("--version", default="0.0.1")
    ap.add_argument("--tta", choices=sorted(TTA_VIEWS), default="none", help="classifier: views averaged in the graph")
    ap.add_argument("--models-dir", type=Path, default=MODELS, help="classifier only: where to write (ablations)")
    ap.add_argument("--size", type=int, default=CLS_SIZE, help="classifier input side (the card's resize)")
    ap.add_argument("--features", action="store_true", help="classifier: add the pooled-features output")
    ap.add_argument("--multisite", action="store_true", help="classifier: trained by training.train_multisite")
    ap.add_argument("--init-onnx", type=Path, help="classifier: members read back from this shipped ONNX file")
    ap.add_argument("--head", type=Path, help="classifier: head.pt of training.train_head (with --init-onnx)")
    ap.add_argument("--training-json", type=Path, help="facts about the run (command, epochs, minutes) for the card")
    args = ap.parse_args()
    torch.set_num_threads(2)
    training = json.loads(args.training_json.read_text()) if args.training_json else None
    if args.which == "segmenter":
        export_segmenter(args.ckpt[0] if args.ckpt else None, args.version, training)
    else:
        export_classifier(args.ckpt, args.version, args.tta, training, args.models_dir, args.size, args.features,
                          args.multisite, args.init_onnx, args.head)


if __name__ == "__main__":
    main()
