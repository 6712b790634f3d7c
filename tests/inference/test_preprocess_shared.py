"""The preprocessing steps training and the app share, on real PH² images and their expert masks."""

from __future__ import annotations

import numpy as np
from sample_data import ph2_case

from dermstation.inference.preprocess import (
    StepSpec,
    compose,
    crop_box,
    largest_component,
    lesion_box,
    restore_aspect,
    shades_of_grey,
    to_tensor,
)


def _ph2(image_id: str) -> tuple[np.ndarray, np.ndarray]:
    return ph2_case(image_id)


def test_lesion_box_is_square_and_contains_the_lesion() -> None:
    image, mask = _ph2("IMD002")
    x0, y0, x1, y1 = lesion_box(mask, margin=0.25)
    assert x1 - x0 == y1 - y0
    ys, xs = np.nonzero(mask)
    assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1
    crop = crop_box(image, (x0, y0, x1, y1))
    assert crop.shape == (y1 - y0, x1 - x0, 3)


def test_box_shifts_inside_when_it_fits() -> None:
    mask = np.zeros((300, 400), bool)
    mask[5:25, 370:395] = True  # small lesion in the top-right corner
    x0, y0, x1, y1 = lesion_box(mask, margin=0.25, min_fraction=0.25)
    assert x0 >= 0 and y0 >= 0 and x1 <= 400 and y1 <= 300


def test_empty_mask_gives_centre_square() -> None:
    assert lesion_box(np.zeros((300, 400), bool)) == (50, 0, 350, 300)


def test_crop_outside_pads_by_reflection() -> None:
    image = np.arange(10 * 10 * 3, dtype=np.uint8).reshape(10, 10, 3)
    crop = crop_box(image, (-3, -3, 13, 13))
    assert crop.shape == (16, 16, 3)
    np.testing.assert_array_equal(crop[3:13, 3:13], image)


def test_shades_of_grey_removes_a_colour_cast() -> None:
    image, _ = _ph2("IMD004")
    cast = np.clip(image.astype(np.float32) * np.array([0.7, 1.0, 1.25]), 0, 255).astype(np.uint8)
    a, b = shades_of_grey(image), shades_of_grey(cast)
    # the same lesion under two illuminants comes out nearly the same colour
    diff_before = np.abs(image.astype(int).mean((0, 1)) - cast.astype(int).mean((0, 1))).max()
    diff_after = np.abs(a.astype(int).mean((0, 1)) - b.astype(int).mean((0, 1))).max()
    assert diff_after < diff_before / 3


def test_restore_aspect_and_tensor_layout() -> None:
    square = np.zeros((224, 224, 3), np.uint8)
    assert restore_aspect(square).shape == (224, 299, 3)
    tensor = to_tensor(np.full((8, 8, 3), 255, np.uint8), mean=[0.5] * 3, std=[0.25] * 3)
    assert tensor.shape == (3, 8, 8) and tensor.dtype == np.float32
    assert np.allclose(tensor, 2.0)


def test_compose_follows_the_card_order() -> None:
    steps = [StepSpec.parse({"step": "shades_of_grey", "p": 6}), StepSpec.parse({"step": "resize", "width": 32, "height": 24})]
    out = compose(steps)(np.full((100, 120, 3), 90, np.uint8))
    assert out.shape == (24, 32, 3)


def test_largest_component_keeps_the_biggest_blob() -> None:
    mask = np.zeros((50, 50), np.uint8)
    mask[2:6, 2:6] = 255
    mask[20:40, 20:40] = 255
    kept = largest_component(mask)
    assert kept[30, 30] and not kept[3, 3]
