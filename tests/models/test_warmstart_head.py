"""Reading the shipped classifier back into torch, and splitting a refitted joint head into the members.

Both are what training/train_head.py and ``export --init-onnx/--head`` rely on: the networks read back
from models/classifier.onnx must compute what the ONNX file computes, and a joint linear head on the
members' concatenated features must become per-member 1x1 heads without changing the logits.
Needs the ``train`` extra (torch); skipped without it.
"""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pytest

from training.data import MODELS

torch = pytest.importorskip("torch")


def test_members_read_back_from_onnx_compute_the_shipped_graph() -> None:
    from training.nets import ExportWrapper
    from training.train_head import members

    card = json.loads((MODELS / "classifier.json").read_text())
    nets = members(MODELS / card["file"])
    x = np.random.default_rng(0).normal(0, 1, [2, *card["input"]["shape"][1:]]).astype(np.float32)
    sess = ort.InferenceSession(str(MODELS / card["file"]), providers=["CPUExecutionProvider"])
    want_logits, want_maps = sess.run(["logits", "class_maps"], {"image": x})
    with torch.no_grad():
        logits, maps = ExportWrapper(nets, card["tta_views"]).eval()(torch.from_numpy(x))
    np.testing.assert_allclose(logits.numpy(), want_logits, atol=1e-4)
    np.testing.assert_allclose(maps.numpy(), want_maps, atol=1e-4)


def test_joint_head_splits_back_into_member_heads() -> None:
    from training.nets import ExportWrapper
    from training.train_head import apply_head, members, pooled, shipped_head

    card = json.loads((MODELS / "classifier.json").read_text())
    nets = members(MODELS / card["file"])
    x = torch.from_numpy(np.random.default_rng(1).normal(0, 1, [3, *card["input"]["shape"][1:]]).astype(np.float32))
    w0, b0 = shipped_head(nets)
    with torch.no_grad():
        before = ExportWrapper(nets, "none").eval()(x)[0].numpy()
    # the shipped heads are one linear map of the concatenated pooled features
    np.testing.assert_allclose((torch.from_numpy(pooled(nets, x)).double() @ w0.T + b0).numpy(), before, atol=1e-4)
    # a different joint head, split back: the graph's logits are that head applied to the features
    w = w0 + 0.01 * torch.randn_like(w0)
    b = b0 + 0.1
    apply_head(nets, w.float(), b.float())
    with torch.no_grad():
        after = ExportWrapper(nets, "none").eval()(x)[0].numpy()
    np.testing.assert_allclose((torch.from_numpy(pooled(nets, x)).double() @ w.T + b).numpy(), after, atol=1e-4)
    assert np.abs(after - before).max() > 1e-3
