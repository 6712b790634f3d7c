"""Record a new lesion by clicking its site on the body diagram (patients chart and analysis page)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _
from dermstation.ui.analysis.body_site_picker import BodySitePicker
from dermstation.ui.operations import Kind
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.patients import PatientService
    from dermstation.services.types import CurrentUser
    from dermstation.ui.operations import Operations


class NewLesionDialog(QDialog):
    """Record a lesion by clicking its site on the body diagram."""

    saved = Signal(object)  # LesionSummary

    def __init__(self, patients: PatientService, user: CurrentUser, ops: Operations, patient_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._patients, self._user, self._ops, self._patient_id = patients, user, ops, patient_id
        self.setWindowTitle(_("New lesion"))
        self.picker = BodySitePicker()
        self.label = QLineEdit()
        self.label.setPlaceholderText(_("e.g. L1"))
        self.error = set_role(QLabel(), "fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(_("Save"))
        self.save_button.setEnabled(False)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(lambda: self._ops.spawn(self._save(), parent=self))
        buttons.rejected.connect(self.reject)
        self.picker.site_changed.connect(lambda text: self.save_button.setEnabled(bool(text)))
        form = QFormLayout()
        form.addRow(_("Label"), self.label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker, 1)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(440, 520)

    async def _save(self) -> None:
        try:
            lesion = await self._ops.db(self._patients.add_lesion, self._user, self._patient_id,
                                        self.picker.site_text(), self.label.text().strip())
        except ValidationError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        self._ops.announce(Kind.LESIONS, lesion.id)
        self.saved.emit(lesion)
        self.accept()
