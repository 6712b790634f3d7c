"""Shared fixtures: the real images shipped in tests/data, optional data sets, a temporary data directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:  # --import-mode=importlib: make tests/sample_data.py importable
    sys.path.insert(0, str(TESTS))

from sample_data import TEST_DATA, shared_data_or_skip  # noqa: E402

# Qt widgets run without a display unless the caller chose otherwise (e.g. Xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def test_data() -> Path:
    """tests/data: the few real images shipped with the repository (tests/data/README.md)."""
    return TEST_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """$DERMSTATION_SHARED_DATA (whole data sets); the test is skipped with the reason when absent."""
    return shared_data_or_skip()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh DermStation data directory; DERMSTATION_DATA_DIR points at it."""
    path = tmp_path / "data"
    monkeypatch.setenv("DERMSTATION_DATA_DIR", str(path))
    monkeypatch.delenv("DERMSTATION_DATABASE_URL", raising=False)
    return path
