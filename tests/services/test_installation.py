"""``dermstation --version`` and ``dermstation doctor``: what is installed, with model hashes, and whether it works."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dermstation.__main__ import main as entry
from dermstation.core.config import PROJECT_ROOT
from dermstation.services.installation import doctor, model_versions, version_text


def test_version_names_every_model_with_the_hash_of_its_file(capsys) -> None:
    assert entry(["--version"]) == 0
    out = capsys.readouterr().out
    import dermstation

    assert out.startswith(f"DermStation {dermstation.__version__}")
    for card in ("segmenter", "classifier"):
        raw = json.loads((PROJECT_ROOT / "models" / f"{card}.json").read_text())
        assert f"{raw['name']} {raw['version']}" in out and raw["sha256"] in out
    assert "DOES NOT MATCH" not in out


def test_a_damaged_model_file_is_named(tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(PROJECT_ROOT / "models", models)
    onnx = models / "segmenter.onnx"
    data = bytearray(onnx.read_bytes())
    data[-1] ^= 0xFF
    onnx.write_bytes(bytes(data))
    versions = {m.file: m.file_ok for m in model_versions(models)}
    assert versions == {"classifier.onnx": True, "segmenter.onnx": False}
    assert "FILE DOES NOT MATCH ITS CARD" in version_text(models)


def test_doctor_checks_a_fresh_workstation_without_creating_its_database(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    checks = {c.name: c for c in doctor()}
    assert all(c.ok for c in checks.values()), checks
    assert "CPUExecutionProvider" in checks["Execution provider"].detail
    assert "first start creates it" in checks["Database"].detail
    assert not any(data_dir.glob("*.sqlite3"))
    assert entry(["doctor"]) == 0
    assert "ok    Models:" in capsys.readouterr().out


def test_doctor_fails_on_an_unreachable_database(data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("DERMSTATION_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    assert entry(["doctor"]) == 1
    assert "FAIL  Database" in capsys.readouterr().out
