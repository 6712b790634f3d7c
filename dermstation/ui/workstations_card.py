"""Administrators: which workstations use the clinic's database, their versions, who is connected now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.i18n import _, format_moment
from dermstation.ui.operations import Operations
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.types import CurrentUser
    from dermstation.services.workstation_registry import WorkstationInfo, WorkstationRegistry

COLUMNS = ("Workstation", "Version", "Schema", "Last started", "Connected")


class WorkstationsCard(QFrame):
    """A settings card: one row per workstation that has opened the database."""

    #: The rows shown after a load (tuple of WorkstationInfo).
    loaded = Signal(object)

    def __init__(self, registry: WorkstationRegistry, user: CurrentUser, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._registry = registry
        self._user = user
        self._ops = ops
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 14)
        layout.setSpacing(8)
        layout.addWidget(set_role(QLabel(_("Workstations")), "section"))
        note = set_role(QLabel(_("Every computer that has opened the clinic's database. Run the same "
                                 "DermStation version on all of them.")), "subtitle")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("workstations")
        self.table.setHorizontalHeaderLabels([_(c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setMinimumHeight(110)
        head = self.table.horizontalHeader()
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table)
        self.refresh_button = QPushButton(_("Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        layout.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignRight)
        self.refresh()

    def refresh(self) -> None:
        self._ops.spawn(self._load(), key=f"workstations-{id(self)}", parent=self)

    async def _load(self) -> None:
        rows = await self._ops.db(self._registry.list, self._user)
        self.show_rows(rows)
        self.loaded.emit(tuple(rows))

    def show_rows(self, rows: list[WorkstationInfo]) -> None:
        self.table.setRowCount(len(rows))
        for r, w in enumerate(rows):
            name = w.hostname + (" " + _("(this workstation)") if w.this_workstation else "")
            values = (name, w.app_version, w.schema_revision, format_moment(w.last_seen_at),
                      _("connected") if w.connected else _("not connected"))
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c == 0:
                    item.setToolTip(w.id)
                self.table.setItem(r, c, item)
