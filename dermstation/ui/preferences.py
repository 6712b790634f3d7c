"""Per-user, per-workstation UI preferences (language, last user name) in the data directory.

Clinic-wide settings belong to the SettingsStore and only an administrator may change them; a
dermatologist's or receptionist's own language is a preference of this workstation's UI.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from dermstation.core.i18n import SUPPORTED_LANGUAGES


class UiPreferences:
    def __init__(self, file: Path) -> None:
        self._settings = QSettings(str(file), QSettings.Format.IniFormat)

    def language_for(self, username: str, default: str) -> str:
        value = self._settings.value(f"language/{username}", default)
        return value if value in SUPPORTED_LANGUAGES else default

    def set_language_for(self, username: str, language: str) -> None:
        self._settings.setValue(f"language/{username}", language)
        self._settings.sync()

    @property
    def last_username(self) -> str:
        return str(self._settings.value("sign_in/last_username", ""))

    @last_username.setter
    def last_username(self, username: str) -> None:
        self._settings.setValue("sign_in/last_username", username)
        self._settings.sync()
