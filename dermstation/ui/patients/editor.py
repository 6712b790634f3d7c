"""Create or edit a patient; the service validates, errors appear beside their field."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.domain import FITZPATRICK_TYPES, Sex
from dermstation.core.errors import DuplicateRecord, ValidationError
from dermstation.core.i18n import _
from dermstation.services.types import PatientInput
from dermstation.ui.date_field import DateField
from dermstation.ui.forms import FormErrors, GuardedDialog
from dermstation.ui.navigation import sees_clinical_data
from dermstation.ui.operations import Kind, Operations
from dermstation.ui.text import fitzpatrick_label, sex_label
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.patients import PatientService
    from dermstation.services.types import CurrentUser, PatientDetail

class PatientDialog(GuardedDialog):
    """``saved`` carries the PatientDetail the service returned."""

    saved = Signal(object)

    def __init__(
        self,
        patients: PatientService,
        user: CurrentUser,
        ops: Operations,
        existing: PatientDetail | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._patients = patients
        self._user = user
        self._ops = ops
        self._existing = existing
        self.setWindowTitle(_("Edit patient") if existing else _("New patient"))
        self.setMinimumWidth(520)

        self.record_number = QLineEdit()
        self.given_name = QLineEdit()
        self.family_name = QLineEdit()
        self.date_of_birth = DateField("date_of_birth")  # empty: not recorded
        self.sex = QComboBox()
        for value in (Sex.UNKNOWN, Sex.FEMALE, Sex.MALE, Sex.OTHER):
            self.sex.addItem(sex_label(value), value)
        self.fitzpatrick = QComboBox()
        self.fitzpatrick.addItem(fitzpatrick_label(None), None)
        for skin_type in FITZPATRICK_TYPES:
            self.fitzpatrick.addItem(fitzpatrick_label(skin_type), skin_type)
        self.phone = QLineEdit()
        self.email = QLineEdit()
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(58)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(90)
        self.notes.setPlaceholderText(_("Clinical notes (not shown to reception)"))

        general = QLabel()
        self.errors = FormErrors(general)
        form = QFormLayout()
        form.setVerticalSpacing(6)
        form.addRow(_("Record number"), self.errors.field("record_number", self.record_number))
        form.addRow(_("Given name"), self.errors.field("given_name", self.given_name))
        form.addRow(_("Family name"), self.errors.field("family_name", self.family_name))
        form.addRow(_("Date of birth"), self.errors.field("date_of_birth", self.date_of_birth))
        form.addRow(_("Sex"), self.errors.field("sex", self.sex))
        form.addRow(_("Phone"), self.errors.field("phone", self.phone))
        form.addRow(_("E-mail"), self.errors.field("email", self.email))
        form.addRow(_("Address"), self.errors.field("address", self.address))
        self.clinical = sees_clinical_data(user.roles)
        if self.clinical:
            form.addRow(_("Skin type (Fitzpatrick)"), self.errors.field("fitzpatrick", self.fitzpatrick))
            form.addRow(_("Notes"), self.errors.field("notes", self.notes))
        else:
            # Reception never sees or edits clinical fields; keep them out of the dialog entirely.
            self.fitzpatrick.hide()
            self.notes.hide()

        buttons = QDialogButtonBox()
        self.save_button = QPushButton(_("Save") if existing else _("Create patient"))
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.setSpacing(10)
        layout.addWidget(set_role(QLabel(self.windowTitle()), "title"))
        layout.addWidget(general)
        layout.addLayout(form)
        layout.addWidget(buttons)

        if existing is not None:
            self._fill(existing)
        self.mark_clean()
        self.record_number.setFocus()

    def _fill(self, patient: PatientDetail) -> None:
        self.record_number.setText(patient.record_number)
        self.given_name.setText(patient.given_name)
        self.family_name.setText(patient.family_name)
        self.date_of_birth.setDate(patient.date_of_birth)
        self.sex.setCurrentIndex(max(self.sex.findData(Sex(patient.sex)), 0))
        self.fitzpatrick.setCurrentIndex(max(self.fitzpatrick.findData(patient.fitzpatrick), 0))
        self.phone.setText(patient.phone)
        self.email.setText(patient.email)
        self.address.setPlainText(patient.address)
        self.notes.setPlainText(patient.notes)

    def patient_input(self) -> PatientInput:
        born = self.date_of_birth.value()  # ValidationError on its field when not a date
        existing = self._existing
        return PatientInput(
            record_number=self.record_number.text().strip(),
            given_name=self.given_name.text().strip(),
            family_name=self.family_name.text().strip(),
            date_of_birth=born,
            sex=Sex(self.sex.currentData()),  # Qt hands the enum back as str
            phone=self.phone.text().strip(),
            email=self.email.text().strip(),
            address=self.address.toPlainText().strip(),
            # Hidden clinical fields keep what the record had; the service decides what to store.
            fitzpatrick=self.fitzpatrick.currentData() if self.clinical else (existing.fitzpatrick if existing else None),
            notes=self.notes.toPlainText().strip() if self.clinical else (existing.notes if existing else ""),
        )

    def _submit(self) -> None:
        if not self.saving:
            self._ops.spawn(self._save(), parent=self)

    async def _save(self) -> None:
        self.errors.clear()
        try:
            data = self.patient_input()
        except ValidationError as exc:
            self.errors.show(exc)
            return
        self.saving = True
        try:
            if self._existing is None:
                patient = await self._ops.db(self._patients.create, self._user, data)
            else:
                patient = await self._ops.db(self._patients.update, self._user, self._existing.id, data)
        except ValidationError as exc:
            self.errors.show(exc)
            return
        except DuplicateRecord as exc:
            self.errors.show(exc, "record_number")  # the only unique patient field
            return
        finally:
            self.saving = False
        self._ops.announce(Kind.PATIENTS, patient.id)
        self.saved.emit(patient)
        self.accept()
