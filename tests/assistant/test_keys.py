"""The API key: environment first, then the keyring; never logged, never in a repr."""

from __future__ import annotations

import logging

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from memory_keyring import MemoryKeyring

from dermstation.assistant.keys import ENV_VAR, KEYRING_SERVICE, KEYRING_USERNAME, KeySource, KeyStore
from dermstation.core.errors import AssistantError

SECRET = "pplx-secret-abcdef0123456789"


def test_no_key_anywhere(memory_keyring: MemoryKeyring) -> None:
    key = KeyStore().get()
    assert key.source is KeySource.NONE and not key.present


def test_keyring_key_is_used(memory_keyring: MemoryKeyring) -> None:
    KeyStore().set(SECRET)
    assert memory_keyring.store[(KEYRING_SERVICE, KEYRING_USERNAME)] == SECRET
    key = KeyStore().get()
    assert (key.value, key.source) == (SECRET, KeySource.KEYRING)


def test_environment_wins_over_the_keyring(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    KeyStore().set(SECRET)
    monkeypatch.setenv(ENV_VAR, "pplx-from-env")
    key = KeyStore().get()
    assert (key.value, key.source) == ("pplx-from-env", KeySource.ENVIRONMENT)
    assert KeyStore().environment_overrides()
    monkeypatch.setenv(ENV_VAR, "   ")  # blank counts as unset
    assert KeyStore().get().source is KeySource.KEYRING


def test_clear_removes_the_key_and_is_idempotent(memory_keyring: MemoryKeyring) -> None:
    store = KeyStore()
    store.set(SECRET)
    store.clear()
    store.clear()
    assert store.get().source is KeySource.NONE


@pytest.mark.parametrize("bad", ["", "   ", "two words", "x" * 600])
def test_implausible_keys_are_refused(memory_keyring: MemoryKeyring, bad: str) -> None:
    with pytest.raises(AssistantError):
        KeyStore().set(bad)


def test_no_usable_keyring_reads_as_no_key_and_refuses_to_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        assert KeyStore().get().source is KeySource.NONE
        with pytest.raises(AssistantError, match="keyring"):
            KeyStore().set(SECRET)
    finally:
        keyring.set_keyring(previous)


def test_the_key_never_appears_in_logs_or_reprs(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = KeyStore()
    store.set(SECRET)
    key = store.get()
    monkeypatch.setenv(ENV_VAR, SECRET)
    env_key = store.get()
    store.clear()
    assert caplog.records  # it did log, just not the secret
    assert SECRET not in caplog.text
    assert SECRET not in repr(key) and SECRET not in str(env_key) and SECRET not in f"{key}"
