"""Shared fixtures: real data from ../shared/data, a temporary data directory per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("DERMSTATION_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))

# Qt widgets run without a display unless the caller chose otherwise (e.g. Xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "ph2").is_dir():
        pytest.fail(f"real data not found at {SHARED_DATA}; set DERMSTATION_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh DermStation data directory; DERMSTATION_DATA_DIR points at it."""
    path = tmp_path / "data"
    monkeypatch.setenv("DERMSTATION_DATA_DIR", str(path))
    monkeypatch.delenv("DERMSTATION_DATABASE_URL", raising=False)
    return path
