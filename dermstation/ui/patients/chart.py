"""The right-hand side of the Patients section: one patient's details and, for clinicians, the chart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.domain import CaptureSource
from dermstation.core.i18n import _, format_day, format_moment, isolate, ngettext
from dermstation.ui.patients.body_map import BodyMapPanel
from dermstation.ui.text import birth_label, breakable, fitzpatrick_label, sex_label
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.types import LesionSummary, PatientChart, PatientDetail


def _source_label(source: CaptureSource) -> str:
    return {
        CaptureSource.CAMERA: _("Camera"),
        CaptureSource.FILE: _("Image file"),
        CaptureSource.DICOM: _("DICOM"),
    }.get(CaptureSource(source), str(source))


class PatientPanel(QScrollArea):
    """Shows a PatientDetail, and the lesions and captures of a PatientChart when given one."""

    edit_requested = Signal()
    add_lesion_requested = Signal()
    lesion_opened = Signal(int)  # lesion id: the user wants to analyse or follow up this lesion
    visit_report_requested = Signal()

    def __init__(self, clinical: bool, extra: QWidget | None = None, parent: QWidget | None = None) -> None:
        """``extra`` (e.g. the patient's appointments) goes below the details and the lesions."""
        super().__init__(parent)
        self.clinical = clinical
        self.patient: PatientDetail | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(20, 4, 14, 12)
        layout.setSpacing(10)

        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.name = set_role(QLabel(), "title")
        self.name.setObjectName("patientName")
        self.name.setWordWrap(True)
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = set_role(QLabel(), "subtitle")
        self.summary.setWordWrap(True)
        titles.addWidget(self.name)
        titles.addWidget(self.summary)
        header.addLayout(titles, 1)
        self.edit_button = QPushButton(_("Edit…"))
        self.edit_button.setToolTip(_("Edit this patient's details"))
        self.edit_button.clicked.connect(self.edit_requested)
        header.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)

        card = QFrame()
        card.setObjectName("card")
        grid = QGridLayout(card)
        grid.setContentsMargins(14, 12, 14, 12)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        self._values: dict[str, QLabel] = {}
        rows = [("phone", _("Phone")), ("email", _("E-mail")), ("address", _("Address"))]
        if clinical:
            rows += [("fitzpatrick", _("Skin type")), ("notes", _("Notes"))]
        for row, (key, title) in enumerate(rows):
            name = set_role(QLabel(title), "fieldName")
            value = QLabel()
            value.setObjectName(f"value_{key}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1)
            self._values[key] = value
        layout.addWidget(card)

        self.lesions = QTreeWidget()
        self.lesions.setObjectName("lesions")
        if clinical:
            lesion_header = QHBoxLayout()
            lesion_header.addWidget(set_role(QLabel(_("Lesions and captures")), "section"), 1)
            self.add_lesion_button = QPushButton(_("Add lesion…"))
            self.add_lesion_button.clicked.connect(self.add_lesion_requested)
            self.visit_report_button = QPushButton(_("Visit report…"))
            self.visit_report_button.setToolTip(_("All lesions photographed at one visit, as a PDF"))
            self.visit_report_button.clicked.connect(self.visit_report_requested)
            lesion_header.addWidget(self.visit_report_button)
            lesion_header.addWidget(self.add_lesion_button)
            layout.addLayout(lesion_header)
            self.lesions.setColumnCount(3)
            self.lesions.setHeaderLabels([_("Lesion / capture"), _("Details"), _("Date")])
            self.lesions.setAlternatingRowColors(True)
            self.lesions.setUniformRowHeights(True)
            self.lesions.setTextElideMode(Qt.TextElideMode.ElideRight)
            self.lesions.setToolTip(_("Double-click a lesion to open it in the analysis view."))
            self.lesions.itemActivated.connect(self._activated)
            self.lesions.setMinimumHeight(160)
            head = self.lesions.header()
            head.setStretchLastSection(False)
            head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
            head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
            self.no_lesions = set_role(QLabel(_("No lesions recorded yet.")), "empty")
            self.body_map = BodyMapPanel()
            self.body_map.lesion_opened.connect(self.lesion_opened)
            layout.addWidget(self.body_map)
            layout.addWidget(self.lesions, 1)
            layout.addWidget(self.no_lesions)
        else:
            self.lesions.hide()
        if extra is not None:
            layout.addWidget(extra)
        layout.addStretch(0 if clinical else 1)
        self.setWidget(body)

    def show_patient(self, patient: PatientDetail, chart: PatientChart | None = None) -> None:
        self.patient = patient
        self.name.setText(breakable(patient.display_name))
        self.name.setToolTip(patient.display_name)
        parts = [_("Record {number}").format(number=isolate(patient.record_number)), birth_label(patient.date_of_birth),
                 sex_label(patient.sex)]
        self.summary.setText(breakable(" · ".join(parts)))
        blank = "—"
        self._values["phone"].setText(patient.phone or blank)
        self._values["email"].setText(breakable(patient.email) or blank)
        self._values["address"].setText(breakable(patient.address) or blank)
        if self.clinical:
            self._values["fitzpatrick"].setText(fitzpatrick_label(patient.fitzpatrick))
            self._values["notes"].setText(breakable(patient.notes) or blank)
            self._show_lesions(chart.lesions if chart is not None else ())

    def _show_lesions(self, lesions: tuple[LesionSummary, ...]) -> None:
        self.lesions.clear()
        for lesion in lesions:
            title = lesion.body_site + (f" — {lesion.label}" if lesion.label else "")
            count = len(lesion.captures)
            item = QTreeWidgetItem(
                [title, ngettext("{n} capture", "{n} captures", count).format(n=count), format_day(lesion.created_at.date())]
            )
            item.setToolTip(0, title)
            item.setData(0, Qt.ItemDataRole.UserRole, lesion.id)
            for capture in lesion.captures:
                analyses = ngettext("{n} analysis", "{n} analyses", capture.analysis_count).format(
                    n=capture.analysis_count
                )
                child = QTreeWidgetItem(
                    [
                        _source_label(capture.source),
                        f"{capture.width} × {capture.height} px · {analyses}",
                        format_moment(capture.taken_at),
                    ]
                )
                child.setData(0, Qt.ItemDataRole.UserRole, capture.id)
                item.addChild(child)
            self.lesions.addTopLevelItem(item)
            item.setExpanded(True)
        self.lesions.setVisible(bool(lesions))
        self.no_lesions.setVisible(not lesions)
        self.body_map.set_lesions(lesions)
        self.body_map.setVisible(bool(lesions))

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        lesion_item = item.parent() or item  # a capture row opens its lesion
        self.lesion_opened.emit(int(lesion_item.data(0, Qt.ItemDataRole.UserRole)))

    def lesion_titles(self) -> list[str]:
        return [self.lesions.topLevelItem(i).text(0) for i in range(self.lesions.topLevelItemCount())]
