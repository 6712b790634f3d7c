"""Fixtures: the fake Perplexity server, an in-memory keyring, no real API key from the environment."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_perplexity import VALID_KEY, FakePerplexity  # noqa: E402
from memory_keyring import MemoryKeyring, use_memory_keyring  # noqa: E402

__all__ = ["VALID_KEY"]


@pytest.fixture
def fake_perplexity() -> Iterator[FakePerplexity]:
    server = FakePerplexity().start()
    yield server
    server.stop()


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv("DERMSTATION_PERPLEXITY_API_KEY", raising=False)
    with use_memory_keyring() as ring:
        yield ring
