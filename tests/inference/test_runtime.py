"""Model loading: verified against the card and hash, corrupt/mismatched files refused by name,
providers chosen quietly (no GPU here: CPU, and nothing on stderr)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnx.helper as oh
import pytest

from dermstation.core.errors import ModelLoadError
from dermstation.inference import runtime
from dermstation.inference.analyzer import Analyzer
from dermstation.inference.runtime import CPU, file_sha256, load_model, provider_order, usable_providers


def _rewrite_card(card: Path, **changes) -> None:
    raw = json.loads(card.read_text())
    raw.update(changes)
    card.write_text(json.dumps(raw))


def test_cards_and_sessions_load(models_dir: Path) -> None:
    seg = load_model(models_dir / "segmenter.json", provider="cpu")
    clf = load_model(models_dir / "classifier.json", provider="cpu")
    assert seg.card.task == "segmentation" and clf.card.task == "classification"
    assert seg.provider == CPU and seg.provider_name == "CPU"
    assert clf.card.classes == ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")


def test_sessions_are_built_once_and_reused(models_dir: Path) -> None:
    a = load_model(models_dir / "segmenter.json", provider="cpu")
    b = load_model(models_dir / "segmenter.json", provider="cpu")
    assert a is b


def test_cpu_is_always_usable_and_last() -> None:
    usable = usable_providers()
    assert usable[-1] == CPU
    assert provider_order("cpu") == (CPU,)
    assert provider_order("auto")[-1] == CPU
    with pytest.raises(ValueError):
        provider_order("quantum")


def test_auto_provider_falls_back_quietly(models_dir: Path) -> None:
    """onnxruntime-gpu without CUDA: a fresh process loading with provider=auto prints nothing."""
    code = (
        "from dermstation.inference.analyzer import Analyzer\n"
        f"a = Analyzer.from_models_dir({str(models_dir)!r}, provider='auto')\n"
        f"a.analyze_file({str(models_dir.parent / 'tests' / 'data' / 'ph2' / 'images' / 'IMD006.jpg')!r})\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(runtime.__file__).parents[2])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "" and proc.stdout.strip() == ""


def test_active_provider_is_reported(analyzer: Analyzer) -> None:
    assert analyzer.provider in {"CPU", "CUDA", "TensorRT", "CUDA+CPU", "TensorRT+CPU"}


def test_missing_model_file(models_copy: Path) -> None:
    (models_copy / "classifier.onnx").unlink()
    with pytest.raises(ModelLoadError, match="classifier.onnx"):
        Analyzer.from_models_dir(models_copy, provider="cpu")


def test_missing_card(models_copy: Path) -> None:
    (models_copy / "segmenter.json").unlink()
    with pytest.raises(ModelLoadError, match="segmenter.json"):
        Analyzer.from_models_dir(models_copy, provider="cpu")


def test_broken_card_json(models_copy: Path) -> None:
    (models_copy / "classifier.json").write_text("{ not json")
    with pytest.raises(ModelLoadError, match="classifier.json"):
        load_model(models_copy / "classifier.json", provider="cpu")


def test_card_without_required_field(models_copy: Path) -> None:
    raw = json.loads((models_copy / "classifier.json").read_text())
    del raw["operating_threshold"]
    (models_copy / "classifier.json").write_text(json.dumps(raw))
    with pytest.raises(ModelLoadError, match="classifier.json"):
        load_model(models_copy / "classifier.json", provider="cpu")


def test_corrupt_model_fails_the_hash(models_copy: Path) -> None:
    path = models_copy / "segmenter.onnx"
    data = bytearray(path.read_bytes())
    for i in range(1000, len(data), len(data) // 50):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="segmenter.onnx") as info:
        load_model(models_copy / "segmenter.json", provider="cpu")
    assert "sha256" in str(info.value)


def test_corrupt_model_with_matching_hash_fails_to_load(models_copy: Path) -> None:
    # someone "fixed" the card's hash: the file still has to be a loadable model
    path = models_copy / "segmenter.onnx"
    data = bytearray(path.read_bytes())
    data[: len(data) // 3] = bytes(len(data) // 3)
    path.write_bytes(bytes(data))
    _rewrite_card(models_copy / "segmenter.json", sha256=file_sha256(path))
    with pytest.raises(ModelLoadError, match="segmenter.onnx.*(corrupt|cannot be loaded)"):
        load_model(models_copy / "segmenter.json", provider="cpu")


def test_card_sha_mismatch(models_copy: Path) -> None:
    _rewrite_card(models_copy / "classifier.json", sha256="0" * 64)
    with pytest.raises(ModelLoadError, match="classifier.onnx does not match its card"):
        load_model(models_copy / "classifier.json", provider="cpu")


def test_card_input_name_mismatch(models_copy: Path) -> None:
    card = models_copy / "classifier.json"
    raw = json.loads(card.read_text())
    raw["input"]["name"] = "pixels"
    card.write_text(json.dumps(raw))
    with pytest.raises(ModelLoadError, match="classifier.onnx does not match its card") as info:
        load_model(card, provider="cpu")
    assert "pixels" in info.value.details


def test_card_input_shape_mismatch(models_copy: Path) -> None:
    card = models_copy / "segmenter.json"
    raw = json.loads(card.read_text())
    raw["input"]["shape"] = [None, 3, 100, 100]
    card.write_text(json.dumps(raw))
    with pytest.raises(ModelLoadError, match="segmenter.onnx does not match its card"):
        load_model(card, provider="cpu")


def test_card_output_name_mismatch(models_copy: Path) -> None:
    _rewrite_card(models_copy / "classifier.json", outputs={"logits": "scores", "class_maps": "class_maps"})
    with pytest.raises(ModelLoadError, match="classifier.onnx does not match its card"):
        load_model(models_copy / "classifier.json", provider="cpu")


def _tiny_model(path: Path, input_shape: list, out_name: str = "probability") -> None:
    x = oh.make_tensor_value_info("image", onnx.TensorProto.FLOAT, input_shape)
    y = oh.make_tensor_value_info(out_name, onnx.TensorProto.FLOAT, [None, 1, 64, 64])
    node_a = oh.make_node("ReduceMean", ["image", "axes"], ["mean"], keepdims=1)
    node_b = oh.make_node("Sigmoid", ["mean"], [out_name])
    axes = oh.make_tensor("axes", onnx.TensorProto.INT64, [1], [1])
    graph = oh.make_graph([node_a, node_b], "tiny", [x], [y], initializer=[axes])
    model = oh.make_model(graph, opset_imports=[oh.make_opsetid("", 18)])
    model.ir_version = 9  # what the installed onnxruntime reads
    onnx.save(model, str(path))


def test_model_with_wrong_input_shape(models_copy: Path) -> None:
    """A segmenter whose graph takes 64x64 while its card (unchanged) says 192x256."""
    path = models_copy / "segmenter.onnx"
    _tiny_model(path, [None, 3, 64, 64])
    _rewrite_card(models_copy / "segmenter.json", sha256=file_sha256(path))
    with pytest.raises(ModelLoadError, match="segmenter.onnx does not match its card") as info:
        load_model(models_copy / "segmenter.json", provider="cpu")
    assert "64" in info.value.details


def test_swapped_models_are_refused(models_copy: Path) -> None:
    seg, clf = models_copy / "segmenter.json", models_copy / "classifier.json"
    tmp = models_copy / "tmp.json"
    seg.rename(tmp)
    clf.rename(seg)
    tmp.rename(clf)
    with pytest.raises(ModelLoadError):
        Analyzer.from_models_dir(models_copy, provider="cpu")


def test_session_run_returns_outputs_by_role(models_dir: Path) -> None:
    clf = load_model(models_dir / "classifier.json", provider="cpu")
    h, w = clf.card.input.height, clf.card.input.width
    out = clf.run(np.zeros((2, 3, h, w), np.float32))
    assert out["logits"].shape == (2, len(clf.card.classes))
    assert out["class_maps"].shape[:2] == (2, len(clf.card.classes))


def test_gpu_provider_that_fails_to_start_falls_back_to_cpu_silently(models_dir: Path) -> None:
    """Even when the probe is fooled (providers claimed usable), a failing GPU session is retried on
    CPU with nothing printed: onnxruntime-gpu here has no CUDA libraries to load."""
    code = (
        "from dermstation.inference import runtime\n"
        "runtime.usable_providers = lambda: (runtime.TENSORRT, runtime.CUDA, runtime.CPU)\n"
        f"m = runtime.load_model(__import__('pathlib').Path({str(models_dir / 'segmenter.json')!r}), 'auto')\n"
        "print(m.provider)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(runtime.__file__).parents[2])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == CPU
    assert proc.stderr.strip() == ""
