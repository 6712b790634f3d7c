"""Table model for patient search results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from dermstation.core.i18n import _
from dermstation.ui.text import day_or_blank

if TYPE_CHECKING:
    from dermstation.services.types import PatientSummary

Index = QModelIndex | QPersistentModelIndex


class PatientListModel(QAbstractTableModel):
    # Sex and contact details are in the panel beside the list; three columns stay readable at 900 px.
    NAME, RECORD, BORN = range(3)

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[PatientSummary] = []

    def set_patients(self, patients: Sequence[PatientSummary]) -> None:
        self.beginResetModel()
        self._rows = list(patients)
        self.endResetModel()

    def patient(self, row: int) -> PatientSummary:
        return self._rows[row]

    def row_of(self, patient_id: int) -> int:
        return next((i for i, p in enumerate(self._rows) if p.id == patient_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (_("Name"), _("Record number"), _("Date of birth"))[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        patient = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return patient.display_name
            if column == self.RECORD:
                return patient.record_number
            return day_or_blank(patient.date_of_birth)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.NAME:
            return patient.display_name  # the full name when the column elides it
        if role == Qt.ItemDataRole.UserRole:
            return patient.id
        return None
