"""Where the Perplexity API key lives: the OS keyring, or an environment variable.

The key is a secret of the clinic, not patient data, but it must still never reach the database,
the settings file or the logs. ``DERMSTATION_PERPLEXITY_API_KEY`` wins over the keyring so that a
kiosk or a CI job can supply a key without touching the user's keyring. Nothing here logs the key;
log lines only say *where* a key came from.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from enum import StrEnum

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

from dermstation.core.errors import AssistantError
from dermstation.core.i18n import _

log = logging.getLogger(__name__)

ENV_VAR = "DERMSTATION_PERPLEXITY_API_KEY"
KEYRING_SERVICE = "DermStation"
KEYRING_USERNAME = "perplexity"
MAX_KEY_LENGTH = 512


class KeySource(StrEnum):
    ENVIRONMENT = "environment"
    KEYRING = "keyring"
    NONE = "none"


@dataclass(frozen=True)
class ApiKey:
    """A key and where it came from. ``repr`` never shows the secret."""

    value: str
    source: KeySource

    def __repr__(self) -> str:
        return f"ApiKey(source={self.source.value!r}, value=<hidden>)"

    __str__ = __repr__

    @property
    def present(self) -> bool:
        return bool(self.value)


NO_KEY = ApiKey("", KeySource.NONE)


class KeyStore:
    """Reads and writes the API key (environment first, then the keyring)."""

    def __init__(self, service: str = KEYRING_SERVICE, username: str = KEYRING_USERNAME,
                 env_var: str = ENV_VAR) -> None:
        self._service = service
        self._username = username
        self._env_var = env_var

    def get(self) -> ApiKey:
        """The key to use, or ``NO_KEY``. A broken keyring is treated as "no key" (offline answers)."""
        env = os.environ.get(self._env_var, "").strip()
        if env:
            log.debug("assistant API key taken from the environment")
            return ApiKey(env, KeySource.ENVIRONMENT)
        try:
            stored = keyring.get_password(self._service, self._username)
        except KeyringError as exc:
            log.warning("the OS keyring cannot be read (%s); the assistant answers offline", type(exc).__name__)
            return NO_KEY
        if stored and stored.strip():
            log.debug("assistant API key taken from the keyring")
            return ApiKey(stored.strip(), KeySource.KEYRING)
        return NO_KEY

    def set(self, value: str) -> None:
        """Store ``value`` in the keyring; raises ``AssistantError`` if there is no usable keyring."""
        value = value.strip()
        if not value or len(value) > MAX_KEY_LENGTH or any(c.isspace() for c in value):
            raise AssistantError(_("This does not look like an API key."))
        try:
            keyring.set_password(self._service, self._username, value)
        except KeyringError as exc:
            raise AssistantError(
                _("The API key cannot be saved: this computer has no usable password store (keyring)."),
                details=type(exc).__name__,
            ) from exc
        log.info("assistant API key saved in the keyring")

    def clear(self) -> None:
        """Remove the key from the keyring (an environment variable, if set, still applies)."""
        try:
            keyring.delete_password(self._service, self._username)
        except PasswordDeleteError:
            pass  # nothing stored: already clear
        except KeyringError as exc:
            raise AssistantError(
                _("The API key cannot be removed from the password store (keyring)."),
                details=type(exc).__name__,
            ) from exc
        log.info("assistant API key removed from the keyring")

    def environment_overrides(self) -> bool:
        """True when the environment variable supplies the key (the keyring is then ignored)."""
        return bool(os.environ.get(self._env_var, "").strip())
