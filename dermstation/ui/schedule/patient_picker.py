"""Find and choose one patient (search as you type), for booking and referral dialogs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.i18n import _, isolate
from dermstation.ui.operations import Operations
from dermstation.ui.text import day_or_blank
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.patients import PatientService
    from dermstation.services.types import CurrentUser, PatientSummary

DEBOUNCE_MS = 250


class PatientPicker(QWidget):
    #: the chosen PatientSummary (or None when the choice is cleared)
    chosen = Signal(object)
    #: a search finished and its results are listed (count)
    results_shown = Signal(int)

    def __init__(self, patients: PatientService, user: CurrentUser, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self._patients = patients
        self._user = user
        self._ops = ops
        self._key = f"patient-picker-{id(self)}"
        self.patient: PatientSummary | None = None
        self.search = QLineEdit()
        self.search.setObjectName("patientSearch")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(_("Search by name, record number or date of birth"))
        self.results = QListWidget()
        self.results.setObjectName("patientResults")
        self.results.setMaximumHeight(120)
        self.results.setUniformItemSizes(True)
        self.results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.current = set_role(QLabel(_("No patient chosen")), "subtitle")
        self.current.setObjectName("chosenPatient")
        # a very long name must not widen the dialog: the label may be cut, the tooltip has it all
        self.current.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        layout.addWidget(self.current)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.search_now)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.search_now)
        self.results.currentItemChanged.connect(self._picked)

    def set_patient(self, patient: PatientSummary) -> None:
        """Preselect ``patient`` (opening the dialog from a patient's chart)."""
        self.patient = patient
        text = _("Patient: {name} ({record})").format(name=isolate(patient.display_name),
                                                     record=isolate(patient.record_number))
        self.current.setText(text)
        self.current.setToolTip(text)
        self.chosen.emit(patient)

    def search_now(self) -> None:
        self._debounce.stop()
        text = self.search.text().strip()
        self._ops.spawn(self._search(text), key=self._key, parent=self)

    async def _search(self, text: str) -> None:
        found = await self._ops.db(self._patients.search, self._user, text, 30)
        self.results.blockSignals(True)
        self.results.clear()
        for p in found:
            parts = (p.display_name, p.record_number, day_or_blank(p.date_of_birth))
            item = QListWidgetItem("  ·  ".join(isolate(part) for part in parts))  # each part whole in Arabic
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.results.addItem(item)
        self.results.blockSignals(False)
        if len(found) == 1:
            self.results.setCurrentRow(0)
        self.results_shown.emit(len(found))

    def _picked(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is not None:
            self.set_patient(item.data(Qt.ItemDataRole.UserRole))
