"""Fixtures shared by every assistant test: the fake Perplexity server, an in-memory keyring (with no key
from the environment) and an AssistantService that talks to the fake server on a temporary database."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "assistant"))

from fake_perplexity import FakePerplexity  # noqa: E402
from memory_keyring import MemoryKeyring, use_memory_keyring  # noqa: E402

from dermstation.assistant.client import PerplexityClient, RetryPolicy  # noqa: E402
from dermstation.assistant.explain import Explainer  # noqa: E402
from dermstation.assistant.keys import KeyStore  # noqa: E402
from dermstation.services.assistant import AssistantService  # noqa: E402
from dermstation.services.container import Services  # noqa: E402

__all__ = ["assistant", "fake_perplexity", "ring"]


@pytest.fixture
def fake_perplexity() -> Iterator[FakePerplexity]:
    server = FakePerplexity().start()
    yield server
    server.stop()


@pytest.fixture
def ring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv("DERMSTATION_PERPLEXITY_API_KEY", raising=False)
    with use_memory_keyring() as memory:
        yield memory


@pytest.fixture
def assistant(services: Services, fake_perplexity: FakePerplexity, ring: MemoryKeyring) -> AssistantService:
    keys = KeyStore()
    explainer = Explainer(keys, lambda key: PerplexityClient(
        key, base_url=fake_perplexity.base_url, retry=RetryPolicy(max_attempts=1), read_timeout_s=3))
    return AssistantService(services.database, services.audit, services.settings_store, explainer, keys)
