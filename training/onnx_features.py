"""Give an exported classifier a ``features`` output: pooled penultimate features, shape (N, C).

The applicability check (``dermstation.inference.applicability``) measures how far an image's features
lie from those of dermoscopy (Mahalanobis distance). New exports write ``features`` themselves; this
adds it to a graph exported before that, without touching the existing outputs: for each ensemble
member the last residual block's activation (views stacked on the batch axis by the in-graph
test-time augmentation) is averaged over space and over the views, and the members are concatenated.

    python -m training.onnx_features models/classifier.onnx   # rewrites the file, prints the new sha256

Then update the card (``outputs.features``, ``sha256``) and rerun ``python -m training.calibrate_applicability``.
Needs only the ``onnx`` package.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FEATURES = "features"


def _member_activations(graph: onnx.GraphProto) -> list[tuple[str, int]]:
    """(input, channels) of each member's 1x1 head convolution (the last feature map), in member order."""
    weights = {w.name: tuple(w.dims) for w in graph.initializer}
    found = []
    for node in graph.node:
        if node.op_type == "Conv" and re.search(r"head", node.name + "".join(node.output)):
            found.append((node.input[0], int(weights[node.input[1]][1])))
    if not found:
        raise ValueError("no head convolution found: is this a DermStation classifier graph?")
    return found


def _views(graph: onnx.GraphProto) -> int:
    """How many test-time views the graph stacks on the batch axis (1 when it stacks none)."""
    first = graph.input[0].name
    for node in graph.node:
        if node.op_type == "Concat" and node.input and node.input[0] == first:
            return len(node.input)
    return 1


def add_features_output(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    if any(o.name == FEATURES for o in graph.output):
        return model
    views = _views(graph)
    pooled = []
    for i, (activation, channels) in enumerate(_member_activations(graph)):
        spatial = f"/features/member{i}/spatial_mean"
        graph.node.append(helper.make_node("ReduceMean", [activation], [spatial], keepdims=0, axes=[2, 3]))
        shape = f"/features/member{i}/shape"
        graph.initializer.append(numpy_helper.from_array(np.array([views, -1, channels], np.int64), shape))
        # (views * N, C) -> (views, N, C): the in-graph TTA concatenates whole views along the batch
        stacked = f"/features/member{i}/stacked"
        graph.node.append(helper.make_node("Reshape", [spatial, shape], [stacked]))
        mean = f"/features/member{i}/mean"
        graph.node.append(helper.make_node("ReduceMean", [stacked], [mean], keepdims=0, axes=[0]))
        pooled.append(mean)
    graph.node.append(helper.make_node("Concat", pooled, [FEATURES], axis=1))
    graph.output.append(helper.make_tensor_value_info(FEATURES, TensorProto.FLOAT, ["batch", None]))
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="default: rewrite MODEL")
    args = parser.parse_args()
    model = add_features_output(onnx.load(str(args.model)))
    out = args.out or args.model
    onnx.save(model, str(out))
    print(out, hashlib.sha256(out.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
