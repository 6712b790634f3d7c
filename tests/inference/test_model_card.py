"""Model card parsing into frozen values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dermstation.core.domain import LESION_CLASSES, MALIGNANT_CLASSES
from dermstation.core.errors import ModelLoadError
from dermstation.inference.model_card import load_card, parse_card


def test_bundled_cards_parse(models_dir: Path) -> None:
    seg = load_card(models_dir / "segmenter.json")
    clf = load_card(models_dir / "classifier.json")
    assert seg.task == "segmentation" and seg.output("probability")
    assert 0 < seg.threshold < 1
    assert clf.classes == LESION_CLASSES and set(clf.malignant_classes) == set(MALIGNANT_CLASSES)
    assert clf.operating_threshold is not None and 0 < clf.operating_threshold.malignancy < 1
    assert clf.temperature > 0
    assert clf.step("lesion_crop") is not None and clf.step("normalize") is not None
    assert clf.model_path == models_dir / "classifier.onnx"


def test_card_is_frozen(models_dir: Path) -> None:
    card = load_card(models_dir / "classifier.json")
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.version = "9"  # type: ignore[misc]
    with pytest.raises(TypeError):
        card.metrics["x"] = 1  # type: ignore[index]


BASE = {
    "name": "m", "version": "1", "task": "classification", "file": "m.onnx", "sha256": "AB",
    "input": {"name": "image", "shape": [None, 3, 8, 8]},
    "outputs": {"logits": "logits", "class_maps": "class_maps"},
    "classes": ["a", "b"], "malignant_classes": ["b"], "operating_threshold": {"malignancy": 0.3},
}


def test_minimal_card() -> None:
    card = parse_card(BASE, Path("/x/m.json"))
    assert card.sha256 == "ab" and card.input.height == 8 and card.temperature == 1.0


@pytest.mark.parametrize("change", [
    {"task": "poetry"},
    {"outputs": {"logits": "logits"}},
    {"malignant_classes": ["zzz"]},
    {"temperature": 0},
    {"classes": []},
    {"input": {"name": "image"}},
])
def test_invalid_cards_name_the_file(change: dict) -> None:
    with pytest.raises(ModelLoadError, match="m.json"):
        parse_card({**BASE, **change}, Path("/x/m.json"))
