"""``dermstation analyze``: JSON per file, overlays, errors and exit codes, progress on stderr."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from dermstation.cli import main
from dermstation.core.config import PROJECT_ROOT


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def folder(test_data: Path, tmp_path: Path) -> Path:
    f = tmp_path / "cases"
    (f / "b").mkdir(parents=True)
    shutil.copy(test_data / "ph2" / "images" / "IMD006.jpg", f / "IMD006.jpg")
    shutil.copy(test_data / "ph2" / "images" / "IMD010.jpg", f / "b" / "IMD010.jpg")
    return f


def test_json_for_a_folder_with_overlays(folder: Path, tmp_path: Path) -> None:
    overlays = tmp_path / "overlays"
    code, out, err = _run(["analyze", str(folder), "--json", "--provider", "cpu", "--save-overlays", str(overlays)])
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [Path(r["file"]).name for r in rows] == ["IMD006.jpg", "IMD010.jpg"]
    for r in rows:
        assert r["ok"] and r["provider"] == "CPU"
        assert {"prediction", "probabilities", "malignancy", "threshold", "suspicious", "quality_flags",
                "metrics", "models", "timings_ms"} <= set(r)
        assert abs(sum(r["probabilities"].values()) - 1) < 1e-4
    assert sorted(p.name for p in overlays.iterdir()) == ["IMD006.overlay.png", "IMD010.overlay.png"]
    assert cv2.imread(str(overlays / "IMD006.overlay.png")) is not None
    assert "[2/2]" in err  # progress bar for several images


def test_failures_are_reported_per_file_with_nonzero_exit(folder: Path, tmp_path: Path) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_text("not an image")
    code, out, err = _run([str(folder / "IMD006.jpg"), str(bad), "--json", "--provider", "cpu"])
    assert code == 1
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows[0]["ok"] and not rows[1]["ok"]
    assert "broken.jpg" in rows[1]["error"]
    assert "broken.jpg" in err and "1 of 2" in err


def test_plain_text_summary_and_pixel_spacing(folder: Path) -> None:
    code, out, err = _run(["analyze", str(folder / "IMD006.jpg"), "--provider", "cpu", "--pixel-spacing", "0.01"])
    assert code == 0, err
    assert "IMD006.jpg" in out and "malignancy" in out and " mm" in out
    assert err == ""  # a single image: no progress bar


def test_missing_models_fail_clearly(folder: Path, tmp_path: Path) -> None:
    code, _, err = _run([str(folder), "--models", str(tmp_path / "none")])
    assert code == 1 and "segmenter.json" in err


def test_usage_error_exit_code() -> None:
    assert _run(["analyze"])[0] == 2


def test_python_m_dermstation_analyze(folder: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "dermstation", "analyze", str(folder / "IMD006.jpg"), "--json"],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)
    assert row["ok"] and row["file"].endswith("IMD006.jpg")
    assert proc.stderr == ""  # no onnxruntime chatter on a machine without CUDA


def test_dicom_in_a_folder_uses_its_pixel_spacing(test_data: Path, tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from dicom_samples import write_dicom

    rgb = cv2.cvtColor(cv2.imread(str(test_data / "ph2" / "images" / "IMD010.jpg")), cv2.COLOR_BGR2RGB)
    folder = tmp_path / "dicom"
    folder.mkdir()
    write_dicom(folder / "lesion.dcm", rgb, (0.01, 0.01))
    (folder / "broken.dcm").write_bytes(b"\x00" * 128 + b"DICM" + b"\x01\x02")
    code, out, err = _run([str(folder), "--json", "--provider", "cpu"])
    rows = {Path(r["file"]).name: r for r in map(json.loads, out.splitlines())}
    assert code == 1 and "broken.dcm" in err
    assert not rows["broken.dcm"]["ok"]
    good = rows["lesion.dcm"]
    assert good["ok"] and good["pixel_spacing_mm"] == pytest.approx(0.01)
    assert good["metrics"]["diameter"]["unit"] == "mm"


def test_overlays_never_follow_links_or_replace_files_unless_asked(folder: Path, tmp_path: Path) -> None:
    overlays = tmp_path / "overlays"
    overlays.mkdir()
    kept = overlays / "IMD006.overlay.png"
    kept.write_bytes(b"an earlier overlay")
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    (overlays / "IMD010.overlay.png").symlink_to(victim)
    code, _out, err = _run(["analyze", str(folder), "--provider", "cpu", "--save-overlays", str(overlays)])
    assert code == 1  # said per file; the analysis itself still ran and printed
    assert "IMD006.jpg: overlay not saved" in err and "already exists" in err
    assert "IMD010.jpg: overlay not saved" in err and "link" in err
    assert kept.read_bytes() == b"an earlier overlay" and victim.read_bytes() == b"precious"

    code, _out, err = _run(["analyze", str(folder / "IMD006.jpg"), "--provider", "cpu",
                            "--save-overlays", str(overlays), "--overwrite"])
    assert code == 0, err
    assert cv2.imread(str(kept)) is not None and kept.stat().st_mode & 0o777 == 0o600
