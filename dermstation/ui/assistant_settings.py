"""Administrators: switch the explanation assistant on or off, allow online answers, set the API key.

The key goes straight to the OS keyring through the service; the field is a password field and
is cleared as soon as the key is saved, so it never lingers in the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dermstation.assistant.keys import KeySource
from dermstation.core.i18n import _
from dermstation.ui.operations import Operations
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.assistant import AssistantService, AssistantStatus
    from dermstation.services.types import CurrentUser


def key_status_text(status: AssistantStatus) -> str:
    if status.key_source is KeySource.ENVIRONMENT:
        return _("API key: set by the environment variable DERMSTATION_PERPLEXITY_API_KEY (it overrides the "
                 "key stored here).")
    if status.key_source is KeySource.KEYRING:
        return _("API key: stored in this computer's password store (keyring).")
    return _("API key: not set — the assistant answers from the offline knowledge base.")


class AssistantSettings(QFrame):
    """A settings card for administrators."""

    #: The status after a load or a change (AssistantStatus).
    changed = Signal(object)

    def __init__(self, assistant: AssistantService, user: CurrentUser, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._assistant = assistant
        self._user = user
        self._ops = ops
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 14)
        layout.setSpacing(8)
        layout.addWidget(set_role(QLabel(_("Patient explanation assistant")), "section"))
        note = set_role(QLabel(_(
            "Explains an analysis to the patient in their language. Online answers come from Perplexity; only the "
            "result, the patient's age band and the question (with names, dates and numbers removed) are sent. "
            "Without a key or a network, a curated offline knowledge base answers.")), "subtitle")
        note.setWordWrap(True)
        layout.addWidget(note)

        self.enabled = QCheckBox(_("Offer the assistant in this clinic"))
        self.enabled.setObjectName("assistantEnabled")
        self.online = QCheckBox(_("Allow online answers (Perplexity)"))
        self.online.setObjectName("assistantOnline")
        self.enabled.toggled.connect(self.online.setEnabled)
        layout.addWidget(self.enabled)
        layout.addWidget(self.online)
        self.apply_button = QPushButton(_("Save"))
        self.apply_button.clicked.connect(lambda: self._ops.spawn(self._configure(), parent=self))
        layout.addWidget(self.apply_button, 0, Qt.AlignmentFlag.AlignRight)

        self.key_status = set_role(QLabel(), "subtitle")
        self.key_status.setWordWrap(True)
        layout.addWidget(self.key_status)
        row = QHBoxLayout()
        self.key = QLineEdit()
        self.key.setObjectName("assistantKey")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setPlaceholderText(_("Perplexity API key"))
        self.key.textChanged.connect(lambda text: self.save_key_button.setEnabled(bool(text.strip())))
        self.key.returnPressed.connect(lambda: self.save_key_button.click())
        self.save_key_button = QPushButton(_("Save key"))
        self.save_key_button.setEnabled(False)
        self.save_key_button.clicked.connect(lambda: self._ops.spawn(self._save_key(), parent=self))
        self.clear_key_button = QPushButton(_("Remove key"))
        self.clear_key_button.clicked.connect(lambda: self._ops.spawn(self._clear_key(), parent=self))
        row.addWidget(self.key, 1)
        row.addWidget(self.save_key_button)
        row.addWidget(self.clear_key_button)
        layout.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        self._ops.spawn(self._load(), key=f"assistant-settings-{id(self)}", parent=self)

    async def _load(self) -> None:
        self._show(await self._ops.db(self._assistant.status))

    async def _configure(self) -> None:
        status = await self._ops.db(self._assistant.configure, self._user,
                                    enabled=self.enabled.isChecked(), online=self.online.isChecked())
        self._show(status)

    async def _save_key(self) -> None:
        key = self.key.text()
        self.key.clear()  # do not keep the secret in the widget while the keyring call runs
        status = await self._ops.db(self._assistant.set_api_key, self._user, key)
        self._show(status)

    async def _clear_key(self) -> None:
        self._show(await self._ops.db(self._assistant.clear_api_key, self._user))

    def _show(self, status: AssistantStatus) -> None:
        self.enabled.setChecked(status.enabled)
        self.online.setChecked(status.online_allowed)
        self.online.setEnabled(status.enabled)
        self.key_status.setText(key_status_text(status))
        self.clear_key_button.setEnabled(status.key_source is KeySource.KEYRING)
        self.changed.emit(status)
