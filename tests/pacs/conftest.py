"""Fixtures of the PACS tests: a real Orthanc on localhost (skipped with the reason when not installed),
the shared database fixtures, an in-memory keyring."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).absolute().parent
for _path in (HERE, HERE.parent / "assistant", *Path(__file__).absolute().parents[1:3]):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from memory_keyring import MemoryKeyring, use_memory_keyring  # noqa: E402
from orthanc import Orthanc, available  # noqa: E402
from records_fixtures import *  # noqa: E402, F403


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring: destination passwords never touch the real OS keyring in tests."""
    with use_memory_keyring() as memory:
        yield memory


def _start(folder: Path) -> Orthanc:
    reason = available()
    if reason:
        pytest.skip(reason)
    return Orthanc(folder).start()


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    """One Orthanc for a test module (tests use their own patient IDs, so they do not see each other's data)."""
    server = _start(tmp_path_factory.mktemp("orthanc"))
    yield server
    server.stop()


@pytest.fixture
def fresh_orthanc(tmp_path: Path) -> Iterator[Orthanc]:
    """An Orthanc of the test's own (for tests that stop and restart the server)."""
    server = _start(tmp_path / "orthanc")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def analysis_results():
    """Two real analyses of shipped PH² images (computed once per session)."""
    from dermstation.core.config import PROJECT_ROOT
    from dermstation.services.analysis import AnalysisService

    service = AnalysisService(models_dir=PROJECT_ROOT / "models", provider="cpu")
    images = HERE.parent / "data" / "ph2" / "images"
    return {name: (images / f"{name}.jpg", service.analyze_file(images / f"{name}.jpg", pixel_spacing_mm=0.01))
            for name in ("IMD006", "IMD010")}
