"""AnalysisService: files, folders, DICOM, progress/cancel, per-file errors, overlays."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from dermstation.core.config import PROJECT_ROOT
from dermstation.core.errors import Cancelled, ImageReadError, ModelLoadError
from dermstation.core.progress import Progress
from dermstation.services.analysis import AnalysisService, collect_paths

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dicom_samples import write_dicom  # noqa: E402

MODELS = PROJECT_ROOT / "models"


@pytest.fixture(scope="module")
def service() -> AnalysisService:
    return AnalysisService(models_dir=MODELS, provider="cpu")


@pytest.fixture
def images(test_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(test_data / "ph2" / "images" / "IMD006.jpg", folder / "IMD006.jpg")
    shutil.copy(test_data / "ph2" / "images" / "IMD010.jpg", folder / "sub" / "IMD010.jpg")
    (folder / "notes.txt").write_text("ignored: not an image extension")
    return folder


def test_analyze_file_reports_progress(service: AnalysisService, test_data: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    r = service.analyze_file(
        test_data / "ph2" / "images" / "IMD006.jpg",
        Progress(on_change=lambda *a: seen.append(a)),
        pixel_spacing_mm=0.01,
    )
    assert r.top_class in service.analyzer.classes
    assert r.metric("diameter").unit == "mm" and "decode" in r.timings
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] == 3


def test_analyze_file_errors_are_clear(service: AnalysisService, tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="does not exist"):
        service.analyze_file(tmp_path / "missing.jpg")


def test_cancel_stops_before_work(service: AnalysisService, test_data: Path) -> None:
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        service.analyze_file(test_data / "ph2" / "images" / "IMD006.jpg", progress)


def test_collect_paths_recurses_folders(images: Path) -> None:
    assert [p.name for p in collect_paths([images])] == ["IMD006.jpg", "IMD010.jpg"]


def test_analyze_files_yields_results_and_errors(
    service: AnalysisService, images: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0garbage")
    outcomes = list(service.analyze_files([images, bad, tmp_path / "missing.png"], keep_images=True))
    assert [o.ok for o in outcomes] == [True, True, False, False]
    assert all(isinstance(o.error, ImageReadError) for o in outcomes[2:])
    assert outcomes[0].image is not None and outcomes[0].image.shape[:2] == outcomes[0].result.mask.shape


def test_analyze_files_cancel(service: AnalysisService, images: Path) -> None:
    progress = Progress()
    it = service.analyze_files([images], progress)
    next(it)
    progress.cancel()
    with pytest.raises(Cancelled):
        next(it)


def test_dicom_uses_its_pixel_spacing(service: AnalysisService, test_data: Path, tmp_path: Path) -> None:
    rgb = cv2.cvtColor(cv2.imread(str(test_data / "ph2" / "images" / "IMD006.jpg")), cv2.COLOR_BGR2RGB)
    path = write_dicom(tmp_path / "lesion.dcm", rgb, (0.01, 0.01))
    r = service.analyze_file(path)
    ref = service.analyze_image(rgb, pixel_spacing_mm=0.01)
    assert r.pixel_spacing_mm == pytest.approx(0.01)
    assert r.probabilities == ref.probabilities
    assert r.metric("area").unit == "mm²"


def test_overlay_png(service: AnalysisService, test_data: Path) -> None:
    rgb = cv2.cvtColor(cv2.imread(str(test_data / "ph2" / "images" / "IMD010.jpg")), cv2.COLOR_BGR2RGB)
    r = service.analyze_image(rgb)
    png = service.overlay_png(r, rgb)
    decoded = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == rgb.shape
    assert not np.array_equal(decoded[..., ::-1], rgb)


def test_follow_up_comparison(service: AnalysisService, test_data: Path) -> None:
    rgb = cv2.cvtColor(cv2.imread(str(test_data / "ph2" / "images" / "IMD010.jpg")), cv2.COLOR_BGR2RGB)
    a = service.analyze_image(rgb, pixel_spacing_mm=0.01)
    b = service.analyze_image(rgb, pixel_spacing_mm=0.011)  # same pixels, larger pixel size = growth
    c = service.compare(a, b)
    assert c.diameter_change_pct == pytest.approx(10.0, abs=0.01)
    assert c.area_change_pct == pytest.approx(21.0, abs=0.01)
    assert c.colour_count_change == 0


def test_broken_models_raise_on_first_use(tmp_path: Path) -> None:
    service = AnalysisService(models_dir=tmp_path, provider="cpu")
    with pytest.raises(ModelLoadError, match="segmenter.json"):
        service.analyzer  # noqa: B018
