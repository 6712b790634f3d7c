"""Property tests: invariants that must hold for any lesion shape or any input array."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dermstation.core.errors import ImageReadError
from dermstation.inference.image_io import load_array
from dermstation.inference.metrics import compute_metrics
from dermstation.inference.preprocess import lesion_box
from dermstation.inference.segmentation import clean_mask

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(a=st.integers(20, 150), b=st.integers(20, 150), angle=st.floats(0, 180),
       spacing=st.floats(0.005, 0.1))
def test_ellipse_invariants(a: int, b: int, angle: float, spacing: float) -> None:
    m = np.zeros((400, 400), np.uint8)
    cv2.ellipse(m, (200, 200), (a, b), angle, 0, 360, 1, -1)
    px = {x.name: x.value for x in compute_metrics(m.astype(bool))}
    mm = {x.name: x.value for x in compute_metrics(m.astype(bool), pixel_spacing_mm=spacing)}
    assert px["asymmetry"] < 0.06  # symmetric about both principal axes
    assert 0 < px["compactness"] <= 1.0 and px["border_irregularity"] >= 1.0
    assert abs(px["diameter"] - 2 * max(a, b)) <= 3
    assert np.isclose(mm["diameter"], px["diameter"] * spacing)
    assert np.isclose(mm["area"], px["area"] * spacing**2)


@FAST
@given(h=st.integers(2, 60), w=st.integers(2, 60), channels=st.sampled_from([None, 1, 3, 4]),
       dtype=st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.int32, bool]))
def test_load_array_accepts_any_image_like_array(h: int, w: int, channels: int | None, dtype: type) -> None:
    shape = (h, w) if channels is None else (h, w, channels)
    arr = np.random.default_rng(h * w).random(shape)
    arr = (arr * (65535 if dtype == np.uint16 else 255)).astype(dtype) if dtype not in (np.float32, np.float64) \
        else arr.astype(dtype)
    try:
        out = load_array(arr).pixels
    except ImageReadError:
        return  # refusing is allowed; crashing is not
    assert out.shape == (h, w, 3) and out.dtype == np.uint8 and out.flags.c_contiguous


@FAST
@given(st.lists(st.tuples(st.integers(0, 199), st.integers(0, 149), st.integers(3, 40)), min_size=1, max_size=6))
def test_clean_mask_is_one_filled_component_inside_the_box(blobs: list[tuple[int, int, int]]) -> None:
    m = np.zeros((150, 200), np.uint8)
    for x, y, r in blobs:
        cv2.circle(m, (x, y), r, 1, -1)
    out = clean_mask(m.astype(bool))
    count, _ = cv2.connectedComponents(out.astype(np.uint8), connectivity=8)
    assert count - 1 <= 1
    if out.any():
        x0, y0, x1, y1 = lesion_box(out)
        ys, xs = np.nonzero(out)
        assert x1 - x0 == y1 - y0  # square
        assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1


@FAST
@given(h=st.integers(1, 300), w=st.integers(1, 300), seed=st.integers(0, 2**16),
       kind=st.sampled_from(["noise", "flat", "dark", "white", "two_tone"]))
def test_appearance_is_finite_and_complete_for_any_picture(h: int, w: int, seed: int, kind: str) -> None:
    """Whatever the picture (a 1-pixel strip, all black, all white, two flat colours, noise), the colour
    statistics and the appearance the "not dermoscopy" score reads come back whole and finite."""
    from dermstation.inference import applicability

    rng = np.random.default_rng(seed)
    image = {"noise": lambda: rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
             "flat": lambda: np.full((h, w, 3), rng.integers(0, 256, 3), np.uint8),
             "dark": lambda: rng.integers(0, 40, (h, w, 3), dtype=np.uint8),
             "white": lambda: np.full((h, w, 3), 255, np.uint8),
             "two_tone": lambda: np.where(rng.random((h, w, 1)) < 0.5, rng.integers(0, 256, 3),
                                          rng.integers(0, 256, 3)).astype(np.uint8)}[kind]()
    evidence = applicability.measure_image(image)
    look = np.asarray(evidence.appearance)
    assert look.shape == (applicability.APPEARANCE_SIZE,) and np.isfinite(look).all()
    inputs = applicability.appearance_inputs(evidence)
    assert inputs.shape == (applicability.APPEARANCE_SIZE + len(applicability.APPEARANCE_EVIDENCE),)
    assert np.isfinite(inputs).all()
