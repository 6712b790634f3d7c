"""Fixtures: the fake Perplexity server, an in-memory keyring, no real API key from the environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant_fixtures import *  # noqa: E402, F403  (fake_perplexity, ring)
from fake_perplexity import VALID_KEY  # noqa: E402
from memory_keyring import MemoryKeyring  # noqa: E402

__all__ = ["VALID_KEY"]


@pytest.fixture
def memory_keyring(ring: MemoryKeyring) -> MemoryKeyring:  # noqa: F811 - the fixture, by another name
    return ring
