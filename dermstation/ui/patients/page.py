"""The Patients section: search as you type on the left, the selected patient on the right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.i18n import _, ngettext
from dermstation.ui.lesion_dialog import NewLesionDialog
from dermstation.ui.navigation import sees_clinical_data
from dermstation.ui.operations import Changed, Kind, Operations
from dermstation.ui.patients.chart import PatientPanel
from dermstation.ui.patients.editor import PatientDialog
from dermstation.ui.patients.list_model import PatientListModel
from dermstation.ui.patients.visit_report import VisitReportLauncher
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.appointments import AppointmentService
    from dermstation.services.patients import PatientService
    from dermstation.services.reports import ReportService
    from dermstation.services.types import CurrentUser, PatientDetail

SEARCH_DEBOUNCE_MS = 250
SEARCH_LIMIT = 200
# what a write must touch for the open chart to be reloaded (the front desk sees no clinical data)
_CHART_KINDS = frozenset(Kind) - {Kind.HOSPITALS}
_FRONT_DESK_KINDS = frozenset({Kind.PATIENTS, Kind.APPOINTMENTS})


class PatientsPage(QWidget):
    #: The search results now on screen (count); tests and status wait on it.
    results_shown = Signal(int)
    #: A patient's details (and chart, for clinicians) are on screen.
    patient_shown = Signal(object)
    #: A patient was created or changed.
    patient_saved = Signal(object)
    lesion_opened = Signal(int, int)  # patient id, lesion id

    def __init__(
        self,
        patients: PatientService,
        user: CurrentUser,
        ops: Operations,
        appointments: AppointmentService | None = None,
        parent: QWidget | None = None,
        reports: ReportService | None = None,
    ):
        super().__init__(parent)
        self._patients = patients
        self._user = user
        self._ops = ops
        self.clinical = sees_clinical_data(user.roles)
        self._search_key = f"patient-search-{id(self)}"
        self._open_key = f"patient-open-{id(self)}"
        self._shown_text: str | None = None

        title = set_role(QLabel(_("Patients")), "title")
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(_("Search by name, record number or date of birth"))
        self.search.setToolTip(_("Ctrl+F"))
        self.new_button = QPushButton(_("New patient"))
        self.new_button.setProperty("primary", True)
        self.new_button.setToolTip(_("Ctrl+N"))
        self.new_button.clicked.connect(self.new_patient)

        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.search, 1)
        top.addWidget(self.new_button)

        self.model = PatientListModel()
        self.table = QTableView()
        self.table.setObjectName("patientTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        head = self.table.horizontalHeader()
        head.setHighlightSections(False)
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setMinimumSectionSize(60)
        head.setSectionResizeMode(PatientListModel.NAME, QHeaderView.ResizeMode.Stretch)
        for column in (PatientListModel.RECORD, PatientListModel.BORN):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.activated.connect(lambda _index: self.panel.setFocus())

        self.empty = set_role(QLabel(), "empty")
        self.empty.setObjectName("emptyResults")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.results = QStackedWidget()
        self.results.addWidget(self.table)
        self.results.addWidget(self.empty)
        self.count = set_role(QLabel(), "subtitle")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(6)
        left_layout.addWidget(self.results, 1)
        left_layout.addWidget(self.count)

        self.appointments = None
        if appointments is not None:
            from dermstation.ui.schedule.patient_appointments import PatientAppointmentsPanel

            self.appointments = PatientAppointmentsPanel(appointments, user, ops)
        self.panel = PatientPanel(self.clinical, self.appointments)
        self.panel.edit_requested.connect(self.edit_patient)
        self.panel.add_lesion_requested.connect(self._add_lesion)
        self.panel.lesion_opened.connect(
            lambda lesion_id: self.panel.patient and self.lesion_opened.emit(self.panel.patient.id, lesion_id)
        )
        # "Visit report…" needs the report service (clinical roles)
        self.visit_reports = VisitReportLauncher(reports, user, ops, self) if reports and self.clinical else None
        if self.clinical:
            self.panel.visit_report_button.setVisible(self.visit_reports is not None)
            self.panel.visit_report_requested.connect(
                lambda: self.panel.patient and self.visit_reports and self.visit_reports.start(self.panel.patient.id))
        self.nothing_selected = set_role(QLabel(_("Select a patient to see their details.")), "empty")
        self.nothing_selected.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.nothing_selected.setWordWrap(True)
        self.detail = QStackedWidget()
        self.detail.addWidget(self.nothing_selected)
        self.detail.addWidget(self.panel)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        left.setMinimumWidth(280)
        self.detail.setMinimumWidth(300)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._search_now)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self._search_now)
        # Down arrow from the search field moves into the results (keyboard-only workflow).
        QShortcut(QKeySequence(Qt.Key.Key_Down), self.search, self._focus_results, context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence.StandardKey.New, self, self.new_patient,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.setTabOrder(self.search, self.new_button)
        self.setTabOrder(self.new_button, self.table)
        self.setTabOrder(self.table, self.panel)
        ops.changed.connect(self._changed)

    def _changed(self, change: Changed) -> None:
        """A write anywhere (this page, Analysis, Schedule, Hospitals): reload what it touched."""
        if change.kind is Kind.PATIENTS:
            self.refresh()
        shown = self.panel.patient
        if shown is not None and change.kind in (_CHART_KINDS if self.clinical else _FRONT_DESK_KINDS):
            self.open_patient(shown.id)

    # --- search ---------------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def refresh(self) -> None:
        """Run the current search again now (after a save, or when the section is opened)."""
        self._search_now()

    def _search_now(self) -> None:
        self._debounce.stop()
        self._ops.spawn(self._search(self.search.text().strip()), key=self._search_key, parent=self)

    async def _search(self, text: str) -> None:
        found = await self._ops.db(self._patients.search, self._user, text, SEARCH_LIMIT)
        selected = self.selected_patient_id()
        self.model.set_patients(found)
        self._shown_text = text
        if self.panel.patient is not None and self.model.row_of(self.panel.patient.id) < 0:
            # the details on the right never belong to a patient the list no longer shows
            self.panel.patient = None
            self.detail.setCurrentWidget(self.nothing_selected)
        if found:
            self.results.setCurrentWidget(self.table)
            shown = len(found)
            self.count.setText(
                ngettext("{n} patient", "{n} patients", shown).format(n=shown)
                if shown < SEARCH_LIMIT
                else _("First {n} patients — refine the search to see others").format(n=shown)
            )
            row = self.model.row_of(selected) if selected is not None else -1
            if row >= 0:
                self.table.selectRow(row)
        else:
            self.results.setCurrentWidget(self.empty)
            self.empty.setText(
                _("No patient matches “{text}”.").format(text=text)
                if text
                else _("No patients yet. Use “New patient” to register the first one.")
            )
            self.count.clear()
        self.results_shown.emit(len(found))

    def _focus_results(self) -> None:
        if self.model.rowCount():
            self.table.setFocus()
            if not self.table.selectionModel().hasSelection():
                self.table.selectRow(0)

    # --- selection and detail ----------------------------------------------------------------
    def selected_patient_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.patient(rows[0].row()).id if rows else None

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        patient_id = self.selected_patient_id()
        if patient_id is None:
            return
        if self.panel.patient is not None and self.panel.patient.id == patient_id:
            return
        self.open_patient(patient_id)

    def open_patient(self, patient_id: int) -> None:
        self._ops.spawn(self._open(patient_id), key=self._open_key, parent=self)

    async def _open(self, patient_id: int) -> None:
        if self.clinical:
            chart = await self._ops.db(self._patients.chart, self._user, patient_id)
            self.panel.show_patient(chart.patient, chart)
            patient = chart.patient
        else:
            patient = await self._ops.db(self._patients.get, self._user, patient_id)
            self.panel.show_patient(patient)
        self.detail.setCurrentWidget(self.panel)
        if self.appointments is not None:
            self.appointments.show_patient(patient_id)
        self.patient_shown.emit(patient)

    # --- create and edit --------------------------------------------------------------------
    def new_patient(self) -> PatientDialog:
        dialog = PatientDialog(self._patients, self._user, self._ops, parent=self)
        self._open_dialog(dialog)
        return dialog

    def edit_patient(self) -> PatientDialog | None:
        if self.panel.patient is None:
            return None
        dialog = PatientDialog(self._patients, self._user, self._ops, existing=self.panel.patient, parent=self)
        self._open_dialog(dialog)
        return dialog

    def _open_dialog(self, dialog: PatientDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._saved)
        dialog.open()

    def _saved(self, patient: PatientDetail) -> None:
        self.patient_saved.emit(patient)
        self.open_patient(patient.id)  # a new patient is shown at once; the list reloads on `changed`

    def _add_lesion(self) -> None:
        if self.panel.patient is None:
            return
        patient_id = self.panel.patient.id
        dialog = NewLesionDialog(self._patients, self._user, self._ops, patient_id, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
