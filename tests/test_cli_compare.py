"""``dermstation compare``: the History comparison from the command line, through the real models."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import pytest

from dermstation.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main


@pytest.fixture
def half_size_copy(test_data: Path, tmp_path: Path) -> tuple[Path, Path]:
    original = test_data / "ph2" / "images" / "IMD010.jpg"
    later = tmp_path / "IMD010 later.png"
    image = cv2.imread(str(original))
    cv2.imwrite(str(later), cv2.resize(cv2.rotate(image, cv2.ROTATE_180), None, fx=0.5, fy=0.5,
                                       interpolation=cv2.INTER_AREA))
    return original, later


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["compare", *args, "--provider", "cpu"], out, err)
    return code, out.getvalue(), err.getvalue()


def test_same_picture_at_two_resolutions_with_matching_spacing_reports_no_change(half_size_copy) -> None:
    before, after = half_size_copy
    code, out, _err = run(str(before), str(after), "--pixel-spacing", "0.01", "0.02", "--json")
    assert code == EXIT_OK
    report = json.loads(out)
    assert report["verdict"] == "stable" and report["aligned"] and report["same_lesion"]
    assert report["unit"] == "mm" and report["area"]["unit"] == "mm²"
    assert abs(report["diameter"]["change_pct"]) < 5
    assert report["alignment"]["scale"] == pytest.approx(2.0, rel=0.02)

    code, out, _err = run(str(before), str(after), "--pixel-spacing", "0.01", "0.02")
    assert code == EXIT_OK
    assert "verdict: stable" in out and "aligned: yes; same lesion: yes" in out and " mm -> " in out


def test_pictures_that_cannot_be_compared_say_so_and_fail(test_data: Path) -> None:
    images = test_data / "ph2" / "images"
    code, out, _err = run(str(images / "IMD006.jpg"), str(images / "IMD105.jpg"), "--json")
    report = json.loads(out)
    assert code == EXIT_FAILED
    assert report["verdict"] == "not_comparable" and "no_scale" in report["notes"]
    assert report["diameter"]["change_pct"] is None


def test_bad_arguments_and_missing_files(test_data: Path, tmp_path: Path) -> None:
    image = test_data / "ph2" / "images" / "IMD006.jpg"
    assert run(str(image), str(image), "--pixel-spacing", "0.01", "0.02", "0.03")[0] == EXIT_USAGE
    assert run(str(image), str(image), "--pixel-spacing", "-1")[0] == EXIT_USAGE
    code, _out, err = run(str(image), str(tmp_path / "missing.jpg"))
    assert code == EXIT_FAILED and "missing.jpg" in err


def test_the_dermstation_command_runs_compare_headless(half_size_copy, capsys) -> None:
    from dermstation.__main__ import HEADLESS_COMMANDS
    from dermstation.__main__ import main as entry

    assert "compare" in HEADLESS_COMMANDS  # never starts the GUI
    before, after = half_size_copy
    assert entry(["compare", str(before), str(after), "--provider", "cpu", "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["verdict"] == "stable"


@pytest.mark.parametrize("corner", [(255, 255, 255), (0, 0, 0)], ids=["white", "black"])
def test_a_picture_turned_in_software_with_padded_corners_reports_no_change(test_data: Path, tmp_path: Path,
                                                                           corner) -> None:
    """The issue's "grew +102 %": the outline ran into the white corners of a picture turned in software."""
    original = test_data / "ph2" / "images" / "IMD006.jpg"
    image = cv2.imread(str(original))
    h, w = image.shape[:2]
    turned = cv2.warpAffine(image, cv2.getRotationMatrix2D((w / 2, h / 2), 30, 1.0), (w, h), borderValue=corner)
    later = tmp_path / "IMD006 turned.jpg"
    cv2.imwrite(str(later), turned, [cv2.IMWRITE_JPEG_QUALITY, 92])
    code, out, _err = run(str(original), str(later), "--pixel-spacing", "0.02", "--json")
    report = json.loads(out)
    assert code == EXIT_OK and report["verdict"] == "stable" and report["same_lesion"], report
    assert abs(report["diameter"]["change_pct"]) < 5 and abs(report["area"]["change_pct"]) < 5
