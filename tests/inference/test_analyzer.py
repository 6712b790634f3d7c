"""The Analyzer end to end on real PH² images: shapes, determinism, geometry, thread safety.

Geometry is checked with the expert mask injected as the segmenter's output, so these tests mean
something whatever the bundled model's training state; test_model_quality.py judges the models.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from dermstation.core.errors import ImageReadError, NotApplicable
from dermstation.inference.analyzer import AnalysisResult, Analyzer
from dermstation.inference.preprocess import lesion_box

from .conftest import dice, ph2


def _inject_mask(monkeypatch: pytest.MonkeyPatch, analyzer: Analyzer, mask: np.ndarray) -> None:
    """Make the segmenter 'predict' ``mask`` (at its own input resolution, as the real one does)."""
    card = analyzer.segmenter.card
    h, w = card.input.height, card.input.width
    prob = cv2.resize(mask.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    monkeypatch.setattr(analyzer, "_segment_probability", lambda image, tta: prob)


def test_result_shapes_and_types(analyzer: Analyzer) -> None:
    image, _ = ph2("IMD006")
    r = analyzer.analyze(image)
    h, w = image.shape[:2]
    assert isinstance(r, AnalysisResult)
    assert r.mask.shape == (h, w) and r.mask.dtype == bool
    assert r.cam.shape == (h, w) and r.cam.dtype == np.float32
    assert float(r.cam.min()) >= 0.0 and float(r.cam.max()) <= 1.0
    assert r.contour.ndim == 2 and r.contour.shape[1] == 2
    assert [c for c, _ in r.probabilities] == list(analyzer.classes)
    assert sum(p for _, p in r.probabilities) == pytest.approx(1.0, abs=1e-5)
    assert r.top_class == max(r.probabilities, key=lambda cp: cp[1])[0]
    mal = sum(r.probability(c) for c in analyzer.classifier.card.malignant_classes)
    assert r.malignancy == pytest.approx(mal)
    assert r.threshold == analyzer.classifier.card.operating_threshold.malignancy
    assert r.is_suspicious == (r.malignancy >= r.threshold)
    assert [m.name for m in r.models] == [analyzer.segmenter.card.name, analyzer.classifier.card.name]
    assert r.provider == "CPU"
    stages = r.timings
    assert {"quality", "segmentation", "mask", "classification", "cam", "metrics", "total"} <= set(stages)
    assert stages["total"] >= sum(v for k, v in stages.items() if k != "total") - 1e-6
    assert r.image_size == (h, w) and r.scale == 1.0


def test_result_is_frozen(analyzer: Analyzer) -> None:
    r = analyzer.analyze(ph2("IMD010")[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.top_class = "mel"  # type: ignore[misc]
    with pytest.raises(ValueError):
        r.mask[0, 0] = True


def test_deterministic(analyzer: Analyzer) -> None:
    image, _ = ph2("IMD018")
    a, b = analyzer.analyze(image), analyzer.analyze(image.copy())
    assert a.probabilities == b.probabilities
    assert np.array_equal(a.mask, b.mask) and np.array_equal(a.cam, b.cam)
    assert a.metrics == b.metrics


def test_analyze_file_matches_analyze(analyzer: Analyzer, test_data: Path) -> None:
    path = test_data / "ph2" / "images" / "IMD045.jpg"
    image, _ = ph2("IMD045")
    a, b = analyzer.analyze_file(path), analyzer.analyze(image)
    assert a.probabilities == b.probabilities and np.array_equal(a.mask, b.mask)


def test_analyze_file_refuses_bad_files(analyzer: Analyzer, tmp_path: Path) -> None:
    (tmp_path / "x.jpg").write_text("hello")
    with pytest.raises(ImageReadError):
        analyzer.analyze_file(tmp_path / "x.jpg")


def test_geometry_with_the_expert_mask(analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch) -> None:
    image, expert = ph2("IMD105")
    _inject_mask(monkeypatch, analyzer, expert)
    r = analyzer.analyze(image, pixel_spacing_mm=0.01)
    assert dice(r.mask, expert) > 0.95
    # the classifier saw the card's lesion box around that mask, and the CAM lives inside it
    card = analyzer.classifier.card.step("lesion_crop").params
    assert r.cam_box == lesion_box(r.mask, float(card["margin"]), float(card["min_fraction"]))
    x0, y0, x1, y1 = r.cam_box
    outside = np.ones(r.cam.shape, bool)
    outside[max(0, y0):y1, max(0, x0):x1] = False
    assert not r.cam[outside].any() and r.cam.max() == pytest.approx(1.0, abs=1e-3)
    ys, xs = np.nonzero(expert)
    assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1
    # the contour traces the mask, metrics are in mm
    assert r.mask[r.contour[:, 1], r.contour[:, 0]].all()
    assert r.metric("diameter").unit == "mm"
    assert r.metric("area").value == pytest.approx(r.mask.sum() * 1e-4)
    assert r.trustworthy


def test_no_lesion_is_flagged_not_guessed(analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch) -> None:
    image, expert = ph2("IMD010")
    _inject_mask(monkeypatch, analyzer, np.zeros_like(expert))
    r = analyzer.analyze(image)
    assert not r.trustworthy
    assert [f.issue for f in r.quality_flags] == ["no_lesion"]
    assert r.metrics == () and not r.mask.any()


def test_blurred_image_is_untrustworthy(analyzer: Analyzer) -> None:
    image, _ = ph2("IMD006")
    r = analyzer.analyze(cv2.GaussianBlur(image, (0, 0), 3))
    assert not r.trustworthy and "blurred" in [f.issue for f in r.quality_flags]
    with pytest.raises(NotApplicable) as refused:  # so blurred that no detail is left: not judged at all
        analyzer.analyze(cv2.GaussianBlur(image, (0, 0), 16))
    assert refused.value.reasons == ("no_texture",)


def test_tta_keeps_shapes_and_meaning(analyzer: Analyzer) -> None:
    image, _ = ph2("IMD006")
    plain, tta = analyzer.analyze(image), analyzer.analyze(image, tta=True)
    assert tta.tta and not plain.tta
    assert tta.cam.shape == plain.cam.shape and tta.mask.shape == plain.mask.shape
    assert sum(p for _, p in tta.probabilities) == pytest.approx(1.0, abs=1e-5)


def test_camera_frame_and_odd_inputs(analyzer: Analyzer) -> None:
    image, _ = ph2("IMD006")
    frame = cv2.resize(image, (640, 480))
    assert analyzer.analyze(frame).mask.shape == (480, 640)
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    with pytest.raises(NotApplicable) as refused:  # decoded fine, but a grey picture is not judged
        analyzer.analyze(grey)
    assert refused.value.reasons == ("no_colour",)
    deep = frame.astype(np.uint16) * 257
    assert analyzer.analyze(deep).probabilities == analyzer.analyze(frame).probabilities
    portrait = np.ascontiguousarray(np.rot90(frame))
    assert analyzer.analyze(portrait).mask.shape == (640, 480)


def test_huge_array_is_analysed_at_working_size_with_spacing_scaled(analyzer: Analyzer) -> None:
    image, _ = ph2("IMD006")
    big = cv2.resize(image, (image.shape[1] * 4, image.shape[0] * 4), interpolation=cv2.INTER_LINEAR)
    r = analyzer.analyze(big, pixel_spacing_mm=0.005)
    assert max(r.image_size) == 2048 and r.scale == pytest.approx(2048 / max(big.shape[:2]))
    assert r.pixel_spacing_mm == pytest.approx(0.005 / r.scale)


def test_concurrent_calls_match_sequential(analyzer: Analyzer) -> None:
    images = [ph2(i)[0] for i in ("IMD006", "IMD010", "IMD018")]
    sequential = [analyzer.analyze(im) for im in images]
    with ThreadPoolExecutor(max_workers=3) as pool:
        parallel = list(pool.map(analyzer.analyze, images * 2))
    for i, r in enumerate(parallel):
        ref = sequential[i % 3]
        assert np.allclose([p for _, p in r.probabilities], [p for _, p in ref.probabilities], atol=1e-5)
        assert np.array_equal(r.mask, ref.mask)


def test_to_dict_is_json_ready(analyzer: Analyzer) -> None:
    import json

    d = analyzer.analyze(ph2("IMD006")[0], pixel_spacing_mm=0.01).to_dict()
    text = json.dumps(d)
    assert json.loads(text)["prediction"] in analyzer.classes
    assert set(d) >= {"prediction", "probabilities", "malignancy", "threshold", "suspicious", "quality_flags",
                      "metrics", "models", "provider", "timings_ms"}
