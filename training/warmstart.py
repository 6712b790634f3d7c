"""Warm start: read one ensemble member's weights back out of a shipped classifier ONNX (torch needed).

The export folds every BatchNorm into the preceding convolution, so member k's 18 Conv nodes (in graph
order = forward order) carry (W, b); each is loaded into the CamNet conv with its BatchNorm set to the
identity plus bias b (gamma 1, beta b, running mean 0, running var 1 - eps), which computes exactly the
folded graph in eval mode and trains like a normal network from there.
"""

from __future__ import annotations

from pathlib import Path

import onnx
import torch
from onnx import numpy_helper
from torch import nn

from training.nets import CamNet


def _forward_order(net: CamNet, size: int = 64) -> list[nn.Conv2d]:
    order: list[nn.Conv2d] = []
    hooks = [m.register_forward_hook(lambda mod, _i, _o: order.append(mod)) for m in net.modules()
             if isinstance(m, nn.Conv2d)]
    net.eval()
    with torch.no_grad():
        net(torch.zeros(1, 3, size, size))
    for h in hooks:
        h.remove()
    return order


def _bn_after(net: CamNet) -> dict[nn.Conv2d, nn.BatchNorm2d]:
    """Each conv's BatchNorm (the module registered right after it), head excluded."""
    mods = list(net.modules())
    out = {}
    for i, m in enumerate(mods):
        if isinstance(m, nn.Conv2d):
            nxt = next((x for x in mods[i + 1:] if isinstance(x, nn.BatchNorm2d | nn.Conv2d)), None)
            if isinstance(nxt, nn.BatchNorm2d):
                out[m] = nxt
    return out


def member_count(onnx_path: Path) -> int:
    """How many CamNet members the exported graph holds (each contributes the same run of Conv nodes)."""
    convs = [n for n in onnx.load(str(onnx_path)).graph.node if n.op_type == "Conv"]
    return len(convs) // len(_forward_order(CamNet()))


def load_member(onnx_path: Path, member: int, net: CamNet) -> CamNet:
    model = onnx.load(str(onnx_path))
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    order = _forward_order(net)
    mine = convs[member * len(order):(member + 1) * len(order)]
    bns = _bn_after(net)
    with torch.no_grad():
        for conv, node in zip(order, mine, strict=True):
            w = torch.from_numpy(inits[node.input[1]].copy())
            b = torch.from_numpy(inits[node.input[2]].copy())
            if w.shape != conv.weight.shape:
                raise ValueError(f"member {member}: conv shape {tuple(w.shape)} != {tuple(conv.weight.shape)}")
            conv.weight.copy_(w)
            if conv in bns:
                bn = bns[conv]
                bn.weight.fill_(1.0)
                bn.bias.copy_(b)
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
            else:
                conv.bias.copy_(b)
    return net
