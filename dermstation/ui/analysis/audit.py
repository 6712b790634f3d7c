"""The model audit for dermatologists: AI score against histology and against the signed diagnosis.

One row per signed analysis of a live picture. Agreement needs histology: without it the row says
so instead of guessing. The summary counts only rows with a histology result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.i18n import _, current_language, format_day
from dermstation.ui.analysis.assessment import category_label
from dermstation.ui.analysis.probability_chart import class_label, percent
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.assessments import AssessmentService, AuditRow
    from dermstation.services.types import CurrentUser
    from dermstation.ui.operations import Operations

AGREE = QColor("#1E4D33")
DISAGREE = QColor("#8C1D18")
COLUMNS = ("date", "record", "ai_score", "ai_class", "signed", "histology", "ai_vs_histology", "signed_vs_histology")


def agreement(value: bool | None) -> str:
    return {True: _("agrees"), False: _("disagrees"), None: "—"}[value]


def audit_summary(rows: tuple[AuditRow, ...]) -> str:
    """Sensitivity and specificity of the AI threshold against histology, where histology exists."""
    judged = [r for r in rows if r.histology is not None and r.ai_suspicious is not None]
    if not judged:
        return _("No signed analysis has a histology result yet.")
    malignant = [r for r in judged if r.histology_malignant]
    benign = [r for r in judged if not r.histology_malignant]
    parts = [_("{n} analyses with histology").format(n=len(judged))]
    if malignant:
        found = sum(1 for r in malignant if r.ai_suspicious)
        parts.append(_("AI above threshold in {k} of {n} malignant").format(k=found, n=len(malignant)))
    if benign:
        calm = sum(1 for r in benign if not r.ai_suspicious)
        parts.append(_("below threshold in {k} of {n} benign").format(k=calm, n=len(benign)))
    signed = [r for r in judged if r.signed_agrees_with_histology is not None]
    if signed:
        parts.append(_("signed diagnosis agrees in {k} of {n}").format(
            k=sum(1 for r in signed if r.signed_agrees_with_histology), n=len(signed)))
    return " · ".join(parts)


class AuditView(QWidget):
    shown = Signal(int)

    def __init__(self, assessments: AssessmentService, user: CurrentUser, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._assessments = assessments
        self._user = user
        self._ops = ops
        self._loaded = False
        self.rows: tuple[AuditRow, ...] = ()
        title = set_role(QLabel(_("AI audit: model score against histology and the signed diagnosis")), "section")
        note = set_role(QLabel(_("AI output is decision support. Agreement is judged only where a histology "
                                 "result was recorded.")), "subtitle")
        note.setWordWrap(True)
        self.only_histology = QCheckBox(_("Only analyses with histology"))
        self.only_histology.toggled.connect(lambda _on: self.refresh())
        self.reload_button = QPushButton(_("Refresh"))
        self.reload_button.clicked.connect(self.refresh)
        self.summary = QLabel()
        self.summary.setObjectName("auditSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("auditTable")
        self.table.setHorizontalHeaderLabels([
            _("Captured"), _("Record no."), _("AI score"), _("AI top class"), _("Signed diagnosis"),
            _("Histology"), _("AI vs histology"), _("Signed vs histology")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        head = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(COLUMNS.index("signed"), QHeaderView.ResizeMode.Stretch)
        bar = QHBoxLayout()
        bar.addWidget(self.only_histology)
        bar.addStretch(1)
        bar.addWidget(self.reload_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(title)
        layout.addWidget(note)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.refresh()

    def refresh(self) -> None:
        self._ops.spawn(self._load(), key=f"audit-{id(self)}", parent=self)

    async def _load(self) -> None:
        rows = await self._ops.db(self._assessments.audit_rows, self._user,
                                  with_histology_only=self.only_histology.isChecked())
        self.show_rows(rows)

    def show_rows(self, rows: tuple[AuditRow, ...]) -> None:
        lang = current_language()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for index, r in enumerate(rows):
            score = percent(r.ai_malignancy)
            if r.ai_suspicious:
                score += " ▲"
            cells = [
                (format_day(r.taken_at.date()), None), (r.record_number, None), (score, None),
                (class_label(r.ai_class), None),
                (f"{r.signed.name(lang)} ({category_label(r.signed.category)})", None),
                (r.histology.name(lang) if r.histology else _("no histology"), None),
                (agreement(r.ai_agrees_with_histology), r.ai_agrees_with_histology),
                (agreement(r.signed_agrees_with_histology), r.signed_agrees_with_histology),
            ]
            for column, (text, agrees) in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, r.analysis_id)
                item.setToolTip(text)  # a narrow column elides ("Actinic keratosis / intr…"): the full text
                item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
                if agrees is not None:
                    item.setForeground(AGREE if agrees else DISAGREE)
                self.table.setItem(index, column, item)
        self.summary.setText(audit_summary(rows))
        self.shown.emit(len(rows))
