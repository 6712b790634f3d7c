"""``dermstation calibrate`` and ``--device-profile`` for analyze/compare (real models, a real database in a
temporary data directory)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import cv2
import pytest

from dermstation.cli import EXIT_FAILED, EXIT_OK, main
from dermstation.core.config import default_paths
from dermstation.records.device_models import DeviceProfileRow
from dermstation.services.container import build_services

sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))
from test_calibration import ruler_picture  # noqa: E402


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DERMSTATION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DERMSTATION_DATABASE_URL", raising=False)
    return tmp_path / "data"


def add_profiles(*rows: tuple[str, int, int, float]) -> None:
    services = build_services(default_paths())
    try:
        with services.database.session() as session:
            for name, width, height, spacing in rows:
                session.add(DeviceProfileRow(name=name, width=width, height=height, mm_per_pixel=spacing,
                                             method="manual", note=""))
    finally:
        services.close()


def test_calibrate_a_ruler_picture(tmp_path: Path) -> None:
    path = tmp_path / "ruler.png"
    cv2.imwrite(str(path), ruler_picture(10.8, -6.0)[:, :, ::-1])
    code, out, _err = run("calibrate", str(path), "--ruler", "1", "--json")
    assert code == EXIT_OK
    result = json.loads(out)
    assert (result["width"], result["height"], result["method"]) == (1200, 900, "ruler")
    assert result["mm_per_pixel"] == pytest.approx(1 / 10.8, rel=0.02)


def test_calibrate_refuses_a_picture_without_a_ruler(test_data: Path) -> None:
    code, _out, err = run("calibrate", str(test_data / "ph2" / "images" / "IMD006.jpg"), "--ruler", "1")
    assert code == EXIT_FAILED and "IMD006.jpg" in err and "ruler" in err


def test_compare_with_the_device_profile_of_each_file(data_dir: Path, test_data: Path, tmp_path: Path) -> None:
    original = test_data / "ph2" / "images" / "IMD010.jpg"
    image = cv2.imread(str(original))
    h, w = image.shape[:2]
    later = tmp_path / "later.png"
    cv2.imwrite(str(later), cv2.resize(cv2.rotate(image, cv2.ROTATE_180), (w // 2, h // 2),
                                       interpolation=cv2.INTER_AREA))
    add_profiles(("clinic A", w, h, 0.01), ("clinic B", w // 2, h // 2, 0.02))
    code, out, err = run("compare", str(original), str(later), "--device-profile", "clinic A", "clinic B",
                         "--json", "--provider", "cpu")
    assert code == EXIT_OK, err
    report = json.loads(out)
    assert report["verdict"] == "stable" and report["unit"] == "mm"
    assert abs(report["diameter"]["change_pct"]) < 5
    code, _out, err = run("compare", str(original), str(later), "--device-profile", "clinic C", "--provider", "cpu")
    assert code == EXIT_FAILED and "clinic C" in err


def test_analyze_with_a_profile_of_another_shape_names_the_file(data_dir: Path, test_data: Path) -> None:
    add_profiles(("video", 1920, 1080, 0.01))
    code, _out, err = run("analyze", str(test_data / "ph2" / "images" / "IMD006.jpg"), "--device-profile", "video",
                          "--provider", "cpu")
    assert code == EXIT_FAILED and "IMD006.jpg" in err and "video" in err
