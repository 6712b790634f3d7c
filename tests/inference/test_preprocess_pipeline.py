"""The card-driven pipeline the app runs equals what training runs (``compose``), hair removal aside."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from dermstation.inference.model_card import load_card
from dermstation.inference.preprocess import (
    StepSpec,
    build_pipeline,
    compose,
    crop_box,
    lesion_box,
    lesion_crop,
    remove_hair,
    resize_to,
    to_tensor,
)

from .conftest import ph2


def test_classifier_pipeline_equals_training_compose(models_dir: Path) -> None:
    card = load_card(models_dir / "classifier.json")
    pipe = build_pipeline(card.preprocessing, (card.input.height, card.input.width))
    crop = card.step("lesion_crop").params
    norm = card.step("normalize").params
    training_steps = compose(card.preprocessing)
    for image_id in ("IMD006", "IMD010"):
        image, mask = ph2(image_id)
        tensor, box = pipe.prepare(image, mask)
        expected_box = lesion_box(mask, float(crop["margin"]), float(crop["min_fraction"]))
        assert box == expected_box
        expected = to_tensor(training_steps(crop_box(image, expected_box)), norm["mean"], norm["std"])
        if card.step("remove_hair") is None:
            assert np.array_equal(tensor, expected)
        else:  # hair removal runs on a bounded copy: close, not identical
            assert np.abs(tensor - expected).mean() < 0.05
        assert tensor.shape == (3, card.input.height, card.input.width) and tensor.dtype == np.float32


def test_segmenter_pipeline_shape(models_dir: Path) -> None:
    card = load_card(models_dir / "segmenter.json")
    pipe = build_pipeline(card.preprocessing, (card.input.height, card.input.width))
    image, _ = ph2("IMD006")
    tensor, box = pipe.prepare(image)
    assert tensor.shape == (3, card.input.height, card.input.width)
    assert box == (0, 0, image.shape[1], image.shape[0])


HAIRY_CARD = (
    StepSpec("lesion_crop", {"margin": 0.25, "min_fraction": 0.25}),
    StepSpec("remove_hair", {"kernel_size": 17, "threshold": 10}),
    StepSpec("shades_of_grey", {"p": 6}),
    StepSpec("resize", {"width": 128, "height": 128}),
    StepSpec("normalize", {"mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}),
)


def test_hair_removal_runs_at_bounded_resolution() -> None:
    image, mask = ph2("IMD006")
    pipe = build_pipeline(HAIRY_CARD)
    pipe.prepare(image, mask)
    start = time.perf_counter()
    fast, _ = pipe.prepare(image, mask)
    bounded_ms = (time.perf_counter() - start) * 1000
    crop, _ = lesion_crop(image, mask)
    start = time.perf_counter()
    remove_hair(crop)
    full_ms = (time.perf_counter() - start) * 1000
    assert bounded_ms < full_ms
    slow = to_tensor(resize_to(compose(HAIRY_CARD[1:3])(crop), 128, 128), [0.5] * 3, [0.25] * 3)
    assert np.abs(fast - slow).mean() * 0.25 * 255 < 3.0  # within a few grey levels on average


def test_unknown_step_is_refused() -> None:
    with pytest.raises(ValueError, match="sharpen"):
        build_pipeline((StepSpec("sharpen", {}),))
