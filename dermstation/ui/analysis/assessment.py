"""The clinician's own diagnosis, notes and signature. The analysis is advice; this is the record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.domain import LESION_CLASSES, Role
from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _, format_moment
from dermstation.ui.analysis.probability_chart import class_label
from dermstation.ui.text import breakable

if TYPE_CHECKING:
    from dermstation.services.analysis_records import AnalysisRecordService, SignedAssessment
    from dermstation.services.types import CurrentUser
    from dermstation.ui.operations import Operations


class AssessmentForm(QWidget):
    """Diagnosis (one of the seven classes or free text), notes, Sign; earlier signatures below."""

    signed = Signal(object)  # SignedAssessment
    history_shown = Signal(int)

    def __init__(self, records: AnalysisRecordService, user: CurrentUser, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._records = records
        self._user = user
        self._ops = ops
        self._lesion_id: int | None = None
        self._analysis_id: int | None = None
        self.may_sign = user.role == Role.DERMATOLOGIST

        self.diagnosis = QComboBox()
        self.diagnosis.setEditable(True)
        self.diagnosis.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # long class names must not force the side panel wider than the window
        self.diagnosis.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.diagnosis.setMinimumContentsLength(12)
        self.diagnosis.addItem("", "")
        for cls in LESION_CLASSES:
            self.diagnosis.addItem(class_label(cls), cls)
        self.diagnosis.lineEdit().setPlaceholderText(_("Choose or type a diagnosis"))
        self.diagnosis.setAccessibleName(_("Diagnosis"))
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText(_("Findings, plan, follow-up"))
        self.notes.setAccessibleName(_("Notes"))
        self.notes.setFixedHeight(self.fontMetrics().height() * 4 + 16)
        self.error = QLabel()
        self.error.setProperty("role", "fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.sign_button = QPushButton(_("Sign assessment"))
        self.sign_button.setProperty("primary", True)
        self.sign_button.clicked.connect(self.sign)
        self.sign_button.setEnabled(False)
        note_text = (_("Your signed diagnosis is the record; the analysis above is advice.") if self.may_sign
                     else _("Only a dermatologist can sign an assessment."))
        self.note = QLabel(note_text)
        self.note.setProperty("role", "subtitle")
        self.note.setWordWrap(True)
        self.history = QLabel()
        self.history.setObjectName("assessmentHistory")
        self.history.setWordWrap(True)
        self.history.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(_("Diagnosis"), self.diagnosis)
        form.addRow(_("Notes"), self.notes)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        layout.addWidget(self.sign_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.history)
        for w in (self.diagnosis, self.notes):
            w.setEnabled(self.may_sign)

    def set_subject(self, lesion_id: int | None, analysis_id: int | None) -> None:
        """What a signature will refer to; loads the lesion's earlier signatures."""
        changed = lesion_id != self._lesion_id
        self._lesion_id = lesion_id
        self._analysis_id = analysis_id
        self.sign_button.setEnabled(self.may_sign and lesion_id is not None)
        self.error.hide()
        if changed:
            self.diagnosis.setCurrentIndex(0)
            self.diagnosis.setEditText("")
            self.notes.clear()
        if lesion_id is None:
            self.history.clear()
            return
        self._ops.spawn(self._load_history(lesion_id), key=f"assessments-{id(self)}", parent=self)

    def diagnosis_text(self) -> str:
        text = self.diagnosis.currentText().strip()
        index = self.diagnosis.findText(text)
        return class_label(self.diagnosis.itemData(index)) if index > 0 else text

    def sign(self) -> None:
        if self._lesion_id is None or not self.may_sign:
            return
        self._ops.spawn(self._sign(self._lesion_id, self._analysis_id), key=f"sign-{id(self)}", parent=self)

    async def _sign(self, lesion_id: int, analysis_id: int | None) -> None:
        self.error.hide()
        self.sign_button.setEnabled(False)
        try:
            signed = await self._ops.db(self._records.sign, self._user, lesion_id, self.diagnosis_text(),
                                        self.notes.toPlainText(), analysis_id)
        except ValidationError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        finally:
            self.sign_button.setEnabled(True)
        self.signed.emit(signed)
        await self._load_history(lesion_id)

    async def _load_history(self, lesion_id: int) -> None:
        rows = await self._ops.db(self._records.assessments, self._user, lesion_id)
        if lesion_id != self._lesion_id:
            return
        self.show_history(rows)

    def show_history(self, rows: tuple[SignedAssessment, ...]) -> None:
        if not rows:
            self.history.setText(_("Not signed yet."))
        else:
            lines = [_("Signed by {name} on {when}: {diagnosis}").format(
                name=r.signed_by, when=format_moment(r.signed_at.astimezone()), diagnosis=r.diagnosis) for r in rows[:5]]
            self.history.setText(breakable("\n".join(lines)))
        self.history_shown.emit(len(rows))
