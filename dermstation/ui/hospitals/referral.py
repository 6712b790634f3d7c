"""Refer a patient to a hospital (with linked analyses), preview the letter, and follow a patient's referrals.

The referral flow ends in the letter: the signed diagnosis and plan of each attached analysis, the
pictures the clinician ticked, and their signed notes when they chose to include them
(:meth:`~dermstation.services.reports.ReportService.referral_letter`), shown in the report preview to
print or save."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.domain import ReferralStatus, ReferralUrgency
from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _, current_language, format_day
from dermstation.services.reception_types import ReferralInput
from dermstation.services.referrals import TRANSITIONS, referral_status_label, urgency_label
from dermstation.services.reports import render_referral_letter_file
from dermstation.ui.analysis.probability_chart import percent
from dermstation.ui.forms import FormErrors
from dermstation.ui.navigation import sees_clinical_data
from dermstation.ui.operations import Changed, Kind, Operations
from dermstation.ui.report_preview import ReportPreviewDialog
from dermstation.ui.schedule.patient_picker import PatientPicker
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.patients import PatientService
    from dermstation.services.reception_types import HospitalInfo, ReferralInfo
    from dermstation.services.referrals import ReferralService
    from dermstation.services.reports import ReportService
    from dermstation.services.types import CurrentUser, PatientSummary


async def open_letter(reports: ReportService, user: CurrentUser, ops: Operations, referral_id: int,
                      include_notes: bool, parent: QWidget | None) -> ReportPreviewDialog:
    """Render the referral letter (in the UI language) and show it in the preview to print or save."""
    inputs = await ops.db(reports.referral_letter_data, user, referral_id, language=current_language(),
                          include_notes=include_notes)
    report = await ops.work(render_referral_letter_file, inputs)  # pictures decoded, PDF drawn off the db thread
    dialog = ReportPreviewDialog(report, _("Referral letter"), ops, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


class ReferralDialog(QDialog):
    saved = Signal(object)
    analyses_shown = Signal(int)
    #: The letter of the new referral is shown (ReportPreviewDialog).
    letter_opened = Signal(object)

    def __init__(
        self,
        referrals: ReferralService,
        patients: PatientService,
        user: CurrentUser,
        ops: Operations,
        hospitals: list[HospitalInfo],
        hospital_id: int | None = None,
        parent: QWidget | None = None,
        reports: ReportService | None = None,
    ) -> None:
        super().__init__(parent)
        self._referrals = referrals
        self._reports = reports
        self._user = user
        self._ops = ops
        self.setWindowTitle(_("Refer a patient"))
        self.setMinimumWidth(540)
        self.picker = PatientPicker(patients, user, ops)
        self.picker.chosen.connect(self._patient_chosen)
        self.hospital = QComboBox()
        self.hospital.setObjectName("hospital")
        for h in hospitals:
            if h.accepts_referrals and not h.retired:
                self.hospital.addItem(f"{h.name} — {h.city}" if h.city else h.name, h.id)
        if hospital_id is not None:
            self.hospital.setCurrentIndex(max(0, self.hospital.findData(hospital_id)))
        self.urgency = QComboBox()
        for urgency in ReferralUrgency:
            self.urgency.addItem(urgency_label(urgency), urgency)
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(90)
        self.reason.setPlaceholderText(_("Clinical question, findings, what you ask the hospital to do"))
        self.analyses = QListWidget()
        self.analyses.setObjectName("analyses")
        self.analyses.setMaximumHeight(110)
        self.no_analyses = set_role(QLabel(_("Choose a patient to see their analyses.")), "subtitle")
        analyses_box = QWidget()
        box_layout = QVBoxLayout(analyses_box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.addWidget(self.analyses)
        box_layout.addWidget(self.no_analyses)

        general = QLabel()
        self.errors = FormErrors(general)
        form = QFormLayout()
        form.addRow(_("Patient"), self.errors.field("patient", self.picker))
        form.addRow(_("Hospital"), self.errors.field("hospital", self.hospital))
        form.addRow(_("Urgency"), self.errors.field("urgency", self.urgency))
        form.addRow(_("Reason"), self.errors.field("reason", self.reason))
        form.addRow(_("Pictures to send"), self.errors.field("analyses", analyses_box))
        self.include_notes = QCheckBox(_("Include my signed notes in the letter"))
        self.include_notes.setObjectName("includeNotes")
        if reports is not None:
            form.addRow("", self.include_notes)
        buttons = QDialogButtonBox()
        self.save_button = QPushButton(_("Create referral"))
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(lambda: self._ops.spawn(self._save(), parent=self))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.addWidget(set_role(QLabel(self.windowTitle()), "title"))
        layout.addWidget(general)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _patient_chosen(self, patient: PatientSummary | None) -> None:
        if patient is not None:
            self._ops.spawn(self._load_analyses(patient.id), key=f"referral-analyses-{id(self)}", parent=self)

    async def _load_analyses(self, patient_id: int) -> None:
        choices = await self._ops.db(self._referrals.analyses_for_patient, self._user, patient_id)
        self.analyses.clear()
        for c in choices:
            # the clinician's signed diagnosis is what a hospital reads; the model is only "AI score"
            label = _("{day} · {site} · {diagnosis} · AI score {score}").format(
                day=format_day(c.created_at.date()), site=c.body_site,
                diagnosis=c.signed.diagnosis_name(current_language()) if c.signed else _("not signed yet"),
                score=percent(c.malignancy_score),
            )
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.analyses.addItem(item)
        self.no_analyses.setText("" if choices else _("This patient has no analyses yet."))
        self.no_analyses.setVisible(not choices)
        self.analyses_shown.emit(len(choices))

    def referral_input(self) -> ReferralInput:
        checked = tuple(
            self.analyses.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.analyses.count())
            if self.analyses.item(i).checkState() == Qt.CheckState.Checked
        )
        patient = self.picker.patient
        return ReferralInput(
            patient_id=patient.id if patient else 0,
            hospital_id=self.hospital.currentData() or 0,
            urgency=self.urgency.currentData(),
            reason=self.reason.toPlainText(),
            analysis_ids=checked,
        )

    async def _save(self) -> None:
        self.errors.clear()
        if self.picker.patient is None:
            self.errors.show(ValidationError(_("Please choose a patient."), field="patient"))
            return
        try:
            referral = await self._ops.db(self._referrals.create, self._user, self.referral_input())
        except ValidationError as exc:
            self.errors.show(exc)
            return
        self._ops.announce(Kind.REFERRALS, referral.id)
        if self._reports is not None:  # the flow ends in the letter, to print or save
            letter = await open_letter(self._reports, self._user, self._ops, referral.id,
                                       self.include_notes.isChecked(), self.parentWidget())
            self.letter_opened.emit(letter)
        self.saved.emit(referral)
        self.accept()


class ReferralsPanel(QWidget):
    """A patient's referrals with their status; the status moves on with one button."""

    shown = Signal(int)
    changed = Signal(object)
    #: The selected referral's letter is shown (ReportPreviewDialog).
    letter_opened = Signal(object)

    def __init__(
        self, referrals: ReferralService, patients: PatientService, user: CurrentUser, ops: Operations,
        parent: QWidget | None = None, reports: ReportService | None = None,
    ) -> None:
        super().__init__(parent)
        self._referrals = referrals
        self._reports = reports
        self._user = user
        self._ops = ops
        ops.changed.connect(self._changed)
        self._patient_id: int | None = None
        self.picker = PatientPicker(patients, user, ops)
        self.picker.chosen.connect(lambda p: p is not None and self.show_patient(p.id))
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("referrals")
        self.table.setHorizontalHeaderLabels([_("Created"), _("Hospital"), _("Urgency"), _("Status")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column in (0, 2, 3):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.next_status = QComboBox()
        self.next_status.setObjectName("nextStatus")
        self.apply = QPushButton(_("Set status"))
        self.apply.clicked.connect(self._apply)
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Change to")))
        row.addWidget(self.next_status, 1)
        row.addWidget(self.apply)
        self.letter_button = QPushButton(_("Letter…"))
        self.letter_button.setObjectName("referralLetter")
        self.letter_button.clicked.connect(self.letter)
        if reports is not None:  # the page hands the report service to clinical roles only
            row.addWidget(self.letter_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picker)
        layout.addWidget(self.table, 1)
        if sees_clinical_data(user.roles):
            layout.addWidget(self.reason)
        layout.addLayout(row)
        self._selection_changed()

    def show_patient(self, patient_id: int) -> None:
        self._patient_id = patient_id
        self._ops.spawn(self._load(), key=f"referrals-{id(self)}", parent=self)

    def _changed(self, change: Changed) -> None:
        if change.kind is Kind.REFERRALS and self._patient_id is not None:
            self._ops.spawn(self._load(), key=f"referrals-{id(self)}", parent=self)

    async def _load(self) -> None:
        if self._patient_id is None:
            return
        rows = await self._ops.db(self._referrals.for_patient, self._user, self._patient_id)
        self.table.setRowCount(len(rows))
        for index, r in enumerate(rows):
            cells = (format_day(r.created_at.date()), r.hospital_name, urgency_label(r.urgency),
                     referral_status_label(r.status))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, r)
                self.table.setItem(index, column, item)
        self._selection_changed()
        self.shown.emit(len(rows))

    def selected(self) -> ReferralInfo | None:
        rows = self.table.selectionModel().selectedRows()
        item = self.table.item(rows[0].row(), 0) if rows else None
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _selection_changed(self) -> None:
        r = self.selected()
        self.next_status.clear()
        if r is not None:
            for status in ReferralStatus:
                if status in TRANSITIONS[r.status]:
                    self.next_status.addItem(referral_status_label(status), status)
            self.reason.setText(r.reason)
        else:
            self.reason.clear()
        self.apply.setEnabled(self.next_status.count() > 0)
        self.letter_button.setEnabled(r is not None)

    def letter(self) -> None:
        """Preview the selected referral's letter (signed diagnoses and plans, pictures; no notes)."""
        r = self.selected()
        if r is not None and self._reports is not None:
            self._ops.spawn(self._letter(r.id), parent=self)

    async def _letter(self, referral_id: int) -> None:
        assert self._reports is not None
        self.letter_opened.emit(await open_letter(self._reports, self._user, self._ops, referral_id, False, self))

    def _apply(self) -> None:
        r, status = self.selected(), self.next_status.currentData()
        if r is not None and status is not None:
            self._ops.spawn(self._set(r.id, status), parent=self)

    async def _set(self, referral_id: int, status: ReferralStatus) -> None:
        changed = await self._ops.db(self._referrals.set_status, self._user, referral_id, status)
        self._ops.announce(Kind.REFERRALS, referral_id)  # this table reloads on it
        self.changed.emit(changed)
