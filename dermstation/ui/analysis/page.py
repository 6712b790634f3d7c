"""The Analysis section: choose patient and lesion; import, capture live, analyse, sign, follow up.

Widgets only wire signals to service calls (through ``ui.operations``) and render results; the
work itself (decoding, inference, storing) happens in the services on the worker threads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dermstation.capture.camera import LatestFrameCamera
from dermstation.core.errors import DermStationError, NotApplicable
from dermstation.core.i18n import SUPPORTED_LANGUAGES, _, current_language, isolate, ngettext
from dermstation.services.analysis import ANALYSABLE_EXTENSIONS
from dermstation.services.analysis_records import StoredAnalysis, with_mask_contour
from dermstation.services.imports import decode_capture
from dermstation.services.reports import render_lesion_report_file, render_patient_summary_file
from dermstation.ui.analysis.annotations import AnnotationTools
from dermstation.ui.analysis.assessment import AssessmentForm
from dermstation.ui.analysis.audit import AuditView
from dermstation.ui.analysis.history import HistoryView
from dermstation.ui.analysis.image_view import LesionImageView
from dermstation.ui.analysis.live_view import LiveView
from dermstation.ui.analysis.panels import Headline, MetricsPanel, ModelLabel, QualityBanner, section
from dermstation.ui.analysis.probability_chart import ProbabilityChart
from dermstation.ui.analysis.refusal import RefusalView
from dermstation.ui.assistant_panel import AssistantPanel
from dermstation.ui.combo import name_in_full
from dermstation.ui.device_profiles import DeviceProfileChoice
from dermstation.ui.forms import open_dialog
from dermstation.ui.lesion_dialog import NewLesionDialog
from dermstation.ui.operations import Kind
from dermstation.ui.report_preview import ReportPreviewDialog
from dermstation.ui.shortcuts import IMPORT as IMPORT_KEYS
from dermstation.ui.shortcuts import REPORT as REPORT_KEYS
from dermstation.ui.text import breakable
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.analysis_records import PixelScale
    from dermstation.services.assistant import AssistantService
    from dermstation.services.imports import PictureImportReport
    from dermstation.services.patients import PatientService
    from dermstation.services.reports import ReportFile, ReportService
    from dermstation.services.types import CurrentUser, LesionSummary, PatientSummary
    from dermstation.services.workstation import WorkstationServices
    from dermstation.ui.operations import Changed, Operations

SEARCH_DEBOUNCE_MS = 250
INLINE_ERROR = ("QLabel#pageMessage { background:#FDECEA; border:1px solid #F3B8B3; border-radius:6px;"
                " color:#8C1D18; padding:8px 10px; }")
INLINE_INFO = ("QLabel#pageMessage { background:#EAF1F5; border:1px solid #C5D6E0; border-radius:6px;"
               " color:#163A49; padding:8px 10px; }")


@dataclass(frozen=True, eq=False)
class ShownAnalysis:
    """What the analysis view shows: the picture, the stored analysis, and its overlays."""

    capture_id: int
    image: np.ndarray
    stored: StoredAnalysis
    contour: np.ndarray
    cam: np.ndarray | None
    scale: PixelScale | None = None  # the picture's pixel size and where it came from


def lesion_title(lesion: LesionSummary) -> str:
    return f"{lesion.body_site} — {lesion.label}" if lesion.label else lesion.body_site


def local_files(urls: list) -> list[Path]:
    return [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]


class SummaryLanguageDialog(QDialog):
    """Asks which language the patient summary is written in."""

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Patient summary"))
        self.language = QComboBox()
        self.language.setAccessibleName(_("Language"))
        for code, name in SUPPORTED_LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(self.language.findData(language), 0))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Create summary"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(_("Language for the patient"), self.language)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("The summary explains the signed assessment in plain words.")))
        layout.addLayout(form)
        layout.addWidget(buttons)

    def chosen(self) -> str:
        return self.language.currentData()


class AnalysisPage(QWidget):
    patients_found = Signal(int)
    lesions_loaded = Signal(int)
    imported = Signal(object)  # PictureImportReport
    analysis_shown = Signal(object)  # ShownAnalysis
    analysis_refused = Signal(object)  # NotApplicable: the picture is not dermoscopy of a lesion
    message_shown = Signal(str)
    report_opened = Signal(object)  # ReportPreviewDialog

    def __init__(
        self,
        workstation: WorkstationServices,
        patients: PatientService,
        user: CurrentUser,
        ops: Operations,
        camera_factory: Callable[..., LatestFrameCamera] = LatestFrameCamera,
        parent: QWidget | None = None,
        *,
        reports: ReportService | None = None,
        assistant: AssistantService | None = None,
    ) -> None:
        super().__init__(parent)
        clinical = user.is_clinical
        # reports and the patient explanation are for clinicians; without the service they are hidden
        self._reports = reports if clinical else None
        self._ws = workstation
        self._patients = patients
        self._user = user
        self._ops = ops
        self._patient_id: int | None = None
        self._lesions: tuple[LesionSummary, ...] = ()
        self._shown: ShownAnalysis | None = None
        self._open_latest = False
        self._task: asyncio.Task | None = None
        self._listed = False
        self._subject: int | None = None  # the lesion whose result, refusal or message is on screen
        self._key = f"analysis-{id(self)}"
        self.setAcceptDrops(True)

        # --- patient and lesion ---------------------------------------------------------------
        title = set_role(QLabel(_("Analysis")), "title")
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(_("Find a patient"))
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.patient = QComboBox()
        self.patient.setAccessibleName(_("Patient"))
        self.patient.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.patient.setMinimumContentsLength(18)
        self.patient.currentIndexChanged.connect(self._patient_changed)
        self.lesion = QComboBox()
        self.lesion.setAccessibleName(_("Lesion"))
        self.lesion.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.lesion.setMinimumContentsLength(14)
        self.lesion.currentIndexChanged.connect(self._lesion_changed)
        self.new_lesion_button = QPushButton(_("New lesion…"))
        self.new_lesion_button.clicked.connect(self.new_lesion)
        self.import_button = QPushButton(_("Import…"))
        self.import_button.setProperty("primary", True)
        self.import_button.setToolTip(_("Images (JPEG, PNG, TIFF, BMP) and DICOM files; you can also drop them here"))
        self.import_button.clicked.connect(self.choose_files)
        # the device that takes the pictures: its profile gives imports and live captures a size in mm
        self.device_profile: DeviceProfileChoice | None = None
        if workstation.device_profiles is not None and clinical:
            self.device_profile = DeviceProfileChoice(workstation.device_profiles, user, ops)

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(title)
        top.addSpacing(12)
        top.addWidget(self.search, 2)
        top.addWidget(self.patient, 3)
        top.addWidget(QLabel(_("Lesion")))
        top.addWidget(self.lesion, 2)
        top.addWidget(self.new_lesion_button)
        if self.device_profile is not None:
            top.addWidget(self.device_profile, 1)
        top.addWidget(self.import_button)

        self.message = QLabel()
        self.message.setObjectName("pageMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        # --- analysis tab -----------------------------------------------------------------------
        self.image_view = LesionImageView()
        self.annotations = (AnnotationTools(self.image_view, workstation.annotations, user, ops)
                            if workstation.annotations is not None and clinical else None)  # marks layer
        self.headline = Headline()
        self.quality = QualityBanner()
        self.chart = ProbabilityChart()
        self.metrics = MetricsPanel()
        self.model_line = ModelLabel()
        self.assessment = AssessmentForm(workstation.assessments, workstation.hospitals, user, ops)
        self.assessment.retracted.connect(self._retracted)
        self.reanalyse_button = QPushButton(_("Analyse again"))
        self.reanalyse_button.setToolTip(_("Run the models on this picture again (shows the heatmap)"))
        self.reanalyse_button.clicked.connect(
            lambda: self._shown and self.analyse_capture(self._shown.capture_id))
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 8, 0)
        side_layout.setSpacing(8)
        side_layout.addWidget(self.quality)
        side_layout.addWidget(self.headline)
        side_layout.addWidget(section(_("Class probabilities")))
        side_layout.addWidget(self.chart)
        side_layout.addWidget(section(_("Lesion measurements")))
        side_layout.addWidget(self.metrics)
        side_layout.addWidget(self.model_line)
        self.report_button = QPushButton(_("Report"))
        self.report_button.setToolTip(_("A PDF report of this analysis, or a summary for the patient"))
        report_menu = QMenu(self.report_button)
        self.lesion_report_action = report_menu.addAction(_("Lesion report…"), self.lesion_report)
        self.patient_summary_action = report_menu.addAction(_("Patient summary…"), self.patient_summary)
        self.report_button.setMenu(report_menu)
        self.hospital_actions = None
        if workstation.hospital_link is not None:  # send to PACS / health record, prior studies (issue 22)
            from dermstation.ui.hospital_link import HospitalActions

            self.hospital_actions = HospitalActions(
                workstation.hospital_link, user, ops, lambda: self._shown.stored.id if self._shown else None,
                lambda: self._patient_id, self)
            self.hospital_actions.add_to(report_menu)
            self.assessment.signed.connect(
                lambda signed: self._ops.spawn(self.hospital_actions.after_signing(signed), parent=self))
        self.report_button.setVisible(self._reports is not None)
        side_layout.addWidget(self.reanalyse_button, 0, Qt.AlignmentFlag.AlignLeft)
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setStyleSheet("color:#DDE3E8;")
        side_layout.addWidget(rule)
        side_layout.addWidget(section(_("Your assessment")))
        side_layout.addWidget(self.assessment)
        side_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(side)
        scroll.setMinimumWidth(300)
        self.side_scroll = scroll
        result = QSplitter(Qt.Orientation.Horizontal)
        result.setChildrenCollapsible(False)
        result.addWidget(self.image_view)
        result.addWidget(scroll)
        result.setStretchFactor(0, 3)
        result.setStretchFactor(1, 2)

        self.busy = QWidget()
        busy_layout = QHBoxLayout(self.busy)
        busy_layout.setContentsMargins(0, 0, 0, 0)
        self.busy_label = QLabel()
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        busy_layout.addWidget(self.busy_label, 1)
        busy_layout.addWidget(self.cancel_button)
        self.busy.hide()

        self.empty = set_role(QLabel(), "empty")
        self.empty.setObjectName("emptyAnalysis")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.result_stack = QStackedWidget()
        self.result_stack.addWidget(self.empty)
        self.result_stack.addWidget(result)
        self.refusal = RefusalView()
        self.result_stack.addWidget(self.refusal)
        analysis_tab = QWidget()
        analysis_layout = QVBoxLayout(analysis_tab)
        analysis_layout.setContentsMargins(0, 8, 0, 0)
        analysis_layout.addWidget(self.busy)
        analysis_layout.addWidget(self.result_stack, 1)

        self.live = LiveView(workstation, user, ops, camera_factory)
        self.live.captured.connect(self._captured)
        if self.device_profile is not None:
            self.device_profile.chosen.connect(self.live.set_device_profile)
        self.history = HistoryView(workstation.records, user, ops,
                                   annotations=workstation.annotations if clinical else None)
        self.history.open_capture.connect(self.open_capture)
        self.history.timeline_shown.connect(self._timeline_shown)
        ops.changed.connect(self._changed)  # the history reloads itself on the same signal

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(analysis_tab, _("Analysis"))
        self.tabs.addTab(self.live, _("Live view"))
        self.tabs.addTab(self.history, _("History"))
        self.audit: AuditView | None = None
        if self.assessment.may_sign:  # the model-versus-histology audit is for dermatologists
            self.audit = AuditView(workstation.assessments, user, ops)
            self.tabs.addTab(self.audit, _("AI audit"))
        self.assistant_panel: AssistantPanel | None = None
        if assistant is not None and clinical:
            self.assistant_panel = AssistantPanel(assistant, user, ops)
            self.tabs.addTab(self.assistant_panel, _("Explain to patient"))
        self.tabs.currentChanged.connect(self._tab_changed)
        corner = QWidget()  # beside the tabs: always in view, whatever the side panel's scroll
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 0, 4)
        corner_layout.addWidget(self.report_button)
        self.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh_patients)
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.activated.connect(self.search.setFocus)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(IMPORT_KEYS, self, lambda: self.import_button.isEnabled() and self.choose_files(), context=context)
        QShortcut(REPORT_KEYS, self, lambda: self.report_button.isEnabled() and self.report_button.showMenu(),
                  context=context)
        self._show_empty()
        self._update_actions()

    # --- patients and lesions ---------------------------------------------------------------------
    def _changed(self, change: Changed) -> None:
        """A write anywhere: a new or renamed patient, a lesion added (here or in the patient chart)."""
        if change.kind is Kind.PATIENTS and self._listed:
            self.refresh_patients()
        elif change.kind is Kind.LESIONS and self._patient_id is not None:
            self._ops.spawn(self._lesions_changed(self._patient_id), key=f"{self._key}-lesions", parent=self)

    async def _lesions_changed(self, patient_id: int) -> None:
        chart = await self._ops.db(self._patients.chart, self._user, patient_id)
        if patient_id == self._patient_id and [x.id for x in chart.lesions] != [x.id for x in self._lesions]:
            self._set_lesions(chart.lesions, self.lesion_id)

    def refresh_patients(self) -> None:
        self._ops.spawn(self._search(self.search.text()), key=f"{self._key}-search", parent=self)

    async def _search(self, text: str) -> None:
        found: list[PatientSummary] = await self._ops.db(self._patients.search, self._user, text, 50)
        current, current_text = self.patient.currentData(), self.patient.currentText()
        self.patient.blockSignals(True)
        self.patient.clear()
        self.patient.addItem(_("Choose a patient") if found else _("No patient found"), None)
        for p in found:
            self.patient.addItem(f"{isolate(p.display_name)} · {isolate(p.record_number)}", p.id)
        if current is not None and self.patient.findData(current) < 0:
            self.patient.insertItem(1, current_text, current)  # the open patient stays open
        self.patient.setCurrentIndex(max(self.patient.findData(current), 0) if current is not None else 0)
        self.patient.blockSignals(False)
        name_in_full(self.patient, _("Patient"))
        if len(found) == 1 and text.strip() and found[0].id != current:
            self.patient.setCurrentIndex(self.patient.findData(found[0].id))  # the one match opens
        self.patients_found.emit(len(found))

    def show_patient(self, patient_id: int, lesion_id: int | None = None) -> None:
        """Open a patient (and lesion) chosen elsewhere, e.g. from the patient chart."""
        self._ops.spawn(self._show_patient(patient_id, lesion_id), key=f"{self._key}-patient", parent=self)

    async def _show_patient(self, patient_id: int, lesion_id: int | None) -> None:
        detail = await self._ops.db(self._patients.get, self._user, patient_id)
        self.patient.blockSignals(True)
        if self.patient.findData(patient_id) < 0:
            self.patient.addItem(f"{isolate(detail.display_name)} · {isolate(detail.record_number)}", patient_id)
        self.patient.setCurrentIndex(self.patient.findData(patient_id))
        self.patient.blockSignals(False)
        name_in_full(self.patient, _("Patient"))
        await self._load_lesions(patient_id, lesion_id)

    def _patient_changed(self) -> None:
        patient_id = self.patient.currentData()
        name_in_full(self.patient, _("Patient"))  # the box elides a long name
        if patient_id is None:
            self._patient_id = None
            self._set_lesions((), None)
            return
        # nothing of the last patient stays on screen (lesion, picture, result, history) while the lesions load
        self._patient_id = None
        self.lesion.blockSignals(True)
        self.lesion.clear()
        self.lesion.blockSignals(False)
        self._lesion_changed()
        self._show_empty(_("Loading…"))
        self._ops.spawn(self._load_lesions(patient_id, None), key=f"{self._key}-patient", parent=self)

    async def _load_lesions(self, patient_id: int, select: int | None) -> None:
        chart = await self._ops.db(self._patients.chart, self._user, patient_id)
        self._patient_id = patient_id
        self._set_lesions(chart.lesions, select)

    def _set_lesions(self, lesions: tuple[LesionSummary, ...], select: int | None) -> None:
        self._lesions = lesions
        self.lesion.blockSignals(True)
        self.lesion.clear()
        if not lesions:
            self.lesion.addItem(_("No lesions yet") if self._patient_id else "—", None)
        for lesion in lesions:
            self.lesion.addItem(lesion_title(lesion), lesion.id)
        index = self.lesion.findData(select) if select is not None else len(lesions) - 1
        self.lesion.setCurrentIndex(max(index, 0))
        self.lesion.blockSignals(False)
        self._lesion_changed()
        self.lesions_loaded.emit(len(lesions))

    @property
    def lesion_id(self) -> int | None:
        return self.lesion.currentData()

    def _lesion_changed(self) -> None:
        lesion_id = self.lesion_id
        name_in_full(self.lesion, _("Lesion"))
        if self._shown is None or self._shown.stored.lesion_id != lesion_id:
            self._shown = None
            self.image_view.clear()
            self._show_empty()
        if lesion_id != self._subject:  # another lesion or patient: nothing of the last one stays on screen
            self._subject = lesion_id
            self._clear_result()
        self._open_latest = lesion_id is not None
        self.live.set_lesion(lesion_id)
        self.history.set_lesion(lesion_id)
        self.assessment.set_subject(lesion_id, self._shown.stored.id if self._shown else None,
                                    self._shown.capture_id if self._shown else None)
        if self.assistant_panel is not None and self._shown is None:
            self.assistant_panel.set_analysis(None)
        self._update_actions()

    def _timeline_shown(self, _count: int) -> None:
        # a freshly chosen lesion opens on its newest picture
        if self._open_latest and self._shown is None and self.history.entries:
            self._open_latest = False
            self.open_capture(self.history.entries[-1].capture.id)

    def new_lesion(self) -> NewLesionDialog | None:
        if self._patient_id is None:
            return None
        dialog = NewLesionDialog(self._patients, self._user, self._ops, self._patient_id, self)
        dialog.saved.connect(lambda lesion: self._ops.spawn(
            self._load_lesions(self._patient_id, lesion.id), key=f"{self._key}-patient", parent=self))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _update_actions(self) -> None:
        has_lesion = self.lesion_id is not None
        self.import_button.setEnabled(has_lesion)
        self.new_lesion_button.setEnabled(self._patient_id is not None)
        self.reanalyse_button.setEnabled(self._shown is not None)
        self.report_button.setEnabled(self._shown is not None and not self._ops.busy(f"{self._key}-report"))
        if self.assistant_panel is not None:
            self.tabs.setTabEnabled(self.tabs.indexOf(self.assistant_panel), self._shown is not None)

    def _show_empty(self, text: str | None = None) -> None:
        if text is None:
            if self._patient_id is None:
                text = _("Find a patient above to begin.")
            elif self.lesion_id is None:
                text = _("This patient has no lesions yet. Use “New lesion…” to mark one on the body diagram.")
            else:
                text = _("Drop pictures here or use “Import…”, or capture one in Live view.")
        self.empty.setText(text)
        self.result_stack.setCurrentWidget(self.empty)

    def _set_message(self, text: str, error: bool = False) -> None:
        self.message.setText(breakable(text))
        self.message.setStyleSheet(INLINE_ERROR if error else INLINE_INFO)
        self.message.setVisible(bool(text))
        self.message_shown.emit(text)

    # --- importing --------------------------------------------------------------------------------
    def choose_files(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in ANALYSABLE_EXTENSIONS)
        paths, _filter = QFileDialog.getOpenFileNames(
            self, _("Import pictures"), "", _("Images and DICOM ({patterns});;All files (*)").format(patterns=patterns))
        if paths:
            self.import_files(paths)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls() and local_files(event.mimeData().urls()) and self.lesion_id is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = local_files(event.mimeData().urls())
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    def import_files(self, paths: list[str | Path]) -> None:
        lesion_id = self.lesion_id
        if lesion_id is None:
            self._set_message(_("Choose a patient and a lesion before importing."), error=True)
            return
        self._ops.spawn(self._import(lesion_id, [Path(p) for p in paths]), key=f"{self._key}-import", parent=self)

    async def _import(self, lesion_id: int, paths: list[Path]) -> None:
        self._set_message("")
        report: PictureImportReport = await self._ops.with_progress(
            # decoding runs on a worker; each file's storing hops to the database thread
            self._ws.imports.import_files, self._user, lesion_id, paths, run_on_db=self._ops.on_db_thread,
            device_profile=self.device_profile.current() if self.device_profile is not None else None,
            label=_("Importing pictures…"), parent=self)
        lines = []
        if report.imported:
            lines.append(ngettext("Imported {n} picture.", "Imported {n} pictures.", len(report.imported)).format(
                n=len(report.imported)))
        if report.cancelled:
            lines.append(_("Import cancelled."))
        for failure in report.failures[:8]:
            lines.append(failure.message if failure.path.name in failure.message else
                         _("{name}: {message}").format(name=failure.path.name, message=failure.message))
        if len(report.failures) > 8:
            lines.append(_("… and {n} more files could not be imported.").format(n=len(report.failures) - 8))
        if not report.imported and not report.failures and not report.cancelled:
            lines.append(_("No pictures found in what was dropped."))
        self._set_message("\n".join(lines), error=bool(report.failures) or not report.imported)
        if report.imported:
            self._ops.announce(Kind.PICTURES, *(c.id for c in report.imported))
        self.imported.emit(report)
        if report.imported and lesion_id == self.lesion_id:
            self.tabs.setCurrentIndex(0)
            self.analyse_capture(report.imported[-1].id)

    def _captured(self, summary) -> None:  # noqa: ANN001 - CaptureSummary
        self.analyse_capture(summary.id, switch=False)

    # --- analysing --------------------------------------------------------------------------------
    def analyse_capture(self, capture_id: int, switch: bool = True) -> None:
        """Run the models on a stored picture, store the analysis, show it."""
        if switch:
            self.tabs.setCurrentIndex(0)
        self._task = self._ops.spawn(self._run(self._analyse(capture_id), _("Analysing the picture…")),
                                     key=f"{self._key}-analysis", parent=self)

    def open_capture(self, capture_id: int) -> None:
        """Show a picture: its latest stored analysis if there is one, else a new analysis."""
        entry = next((e for e in self.history.entries if e.capture.id == capture_id), None)
        if entry is None or entry.analysis is None:
            self.analyse_capture(capture_id)
            return
        self.tabs.setCurrentIndex(0)
        self._task = self._ops.spawn(self._run(self._open(capture_id, entry.analysis.id), _("Opening the picture…")),
                                     key=f"{self._key}-analysis", parent=self)

    def cancel(self) -> None:
        """Stop the analysis in progress (its result is dropped)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _run(self, coro, label: str) -> None:  # noqa: ANN001 - a coroutine
        self.busy_label.setText(label)
        self.busy.show()
        try:
            await coro
        except DermStationError as exc:
            self._set_message(exc.message, error=True)
            if self._shown is None:
                self._show_empty(exc.message)
        finally:
            self.busy.hide()

    async def _analyse(self, capture_id: int) -> None:
        lesion_id = self.lesion_id
        image = await self._ops.db(self._ws.records.capture_image, self._user, capture_id)
        loaded = await self._ops.work(decode_capture, image)
        try:
            result = await self._ops.work(self._ws.analysis.analyze_loaded, loaded, image.pixel_spacing_mm)
        except NotApplicable as exc:  # kept as a photograph of the lesion, never scored
            if lesion_id == self.lesion_id:  # else the user moved on to another lesion meanwhile
                self._show_refusal(loaded.pixels, exc)
            return
        stored = await self._ops.db(self._ws.records.save, self._user, capture_id, result)
        self._show(ShownAnalysis(capture_id, loaded.pixels, stored, result.contour, result.cam, image.scale))
        self._ops.announce(Kind.ANALYSES, stored.id)

    async def _open(self, capture_id: int, analysis_id: int) -> None:
        image = await self._ops.db(self._ws.records.capture_image, self._user, capture_id)
        stored = await self._ops.db(self._ws.records.load, self._user, analysis_id)
        loaded = await self._ops.work(decode_capture, image)
        stored, contour = await self._ops.work(with_mask_contour, stored)  # the mask decoded off the db thread
        self._show(ShownAnalysis(capture_id, loaded.pixels, stored, contour, None, image.scale))

    def _show(self, shown: ShownAnalysis) -> None:
        if shown.stored.lesion_id != self.lesion_id:
            return  # the user moved on to another lesion meanwhile
        self._shown = shown
        self.busy.hide()
        a = shown.stored
        self.image_view.show_image(shown.image, shown.contour, shown.cam, capture_id=shown.capture_id)
        self.headline.show_analysis(a)
        self.quality.show_flags(a.quality_flags, a.quality_messages)
        self.chart.set_values(a.probabilities, a.malignancy, a.threshold)
        self.metrics.show_metrics(a.metrics, shown.scale)
        self.model_line.show_analysis(a)
        self.assessment.set_subject(a.lesion_id, a.id, shown.capture_id)
        if self.assistant_panel is not None:
            self.assistant_panel.set_analysis(a.id, current_language())
        self.result_stack.setCurrentIndex(1)
        self._reveal_verdict()
        QTimer.singleShot(0, self, self._reveal_verdict)  # again once the new texts are laid out
        self._update_actions()
        self.analysis_shown.emit(shown)

    def _show_refusal(self, image: np.ndarray, error: NotApplicable) -> None:
        self._shown = None
        self.busy.hide()
        self.refusal.show_refusal(image, error)
        self.result_stack.setCurrentWidget(self.refusal)
        self.assessment.set_subject(self.lesion_id, None)
        if self.assistant_panel is not None:
            self.assistant_panel.set_analysis(None)
        self._update_actions()
        self.analysis_refused.emit(error)

    def _reveal_verdict(self) -> None:
        """A new result opens at its verdict, wherever the side panel was scrolled to (e.g. the signing form)."""
        self.side_scroll.widget().layout().activate()
        self.side_scroll.ensureWidgetVisible(self.headline, 0, 0)
        if not self.quality.isHidden():
            self.side_scroll.ensureWidgetVisible(self.quality, 0, 0)  # the warning above the verdict too

    def _clear_result(self) -> None:
        """Forget what was shown for the previous lesion: verdict, warnings, refusal, messages."""
        self.headline.clear()
        self.quality.show_flags(())
        self.chart.clear()
        self.metrics.clear()
        self.model_line.clear()
        self.refusal.clear()
        self._set_message("")
        self.side_scroll.verticalScrollBar().setValue(0)

    def _retracted(self, capture_id: int) -> None:
        """A retracted picture leaves the screen and the lesion's history."""
        if self._shown is not None and self._shown.capture_id == capture_id:
            self._shown = None
            self.image_view.clear()
            self._show_empty(_("The picture was retracted. It no longer appears in history, comparisons or "
                               "reports."))
            if self.assistant_panel is not None:
                self.assistant_panel.set_analysis(None)
        self._update_actions()

    @property
    def shown(self) -> ShownAnalysis | None:
        return self._shown

    # --- reports ----------------------------------------------------------------------------------
    def lesion_report(self) -> None:
        """Render the lesion report of the shown analysis and preview it."""
        if self._reports is None or self._shown is None:
            return
        self._start_report(self._lesion_report(self._shown.stored.id), _("Lesion report"))

    def patient_summary(self, language: str | None = None) -> SummaryLanguageDialog | None:
        """The plain-language summary of the shown analysis's signed assessment; asks the language unless it
        is given. Without a signed, coded diagnosis and plan the service refuses and the message says why."""
        if self._reports is None or self._shown is None:
            return None
        analysis_id = self._shown.stored.id
        if language is not None:
            self._start_report(self._patient_summary(analysis_id, language), _("Patient summary"))
            return None
        dialog = SummaryLanguageDialog(current_language(), self)
        dialog.accepted.connect(lambda: self.patient_summary(dialog.chosen()))
        open_dialog(dialog)
        return dialog

    def _start_report(self, coro, title: str) -> None:  # noqa: ANN001 - a coroutine
        self._ops.spawn(self._report(coro, title), key=f"{self._key}-report", parent=self)

    async def _lesion_report(self, analysis_id: int) -> ReportFile:
        # rows, stored bytes and the audit event on the database thread; decoding and drawing on a worker
        inputs = await self._ops.db(self._reports.lesion_report_data, self._user, analysis_id,
                                    language=current_language())
        return await self._ops.work(render_lesion_report_file, inputs)

    async def _patient_summary(self, analysis_id: int, language: str) -> ReportFile:
        inputs = await self._ops.db(self._reports.patient_summary_data, self._user, analysis_id, language=language)
        return await self._ops.work(render_patient_summary_file, inputs)

    async def _report(self, coro, title: str) -> None:  # noqa: ANN001 - a coroutine
        self.report_button.setEnabled(False)
        self.report_button.setText(_("Preparing…"))
        try:
            report = await coro
        finally:
            self.report_button.setText(_("Report"))
            self.report_button.setEnabled(self._shown is not None)
        dialog = ReportPreviewDialog(report, title, self._ops, self)
        open_dialog(dialog)
        self.report_opened.emit(dialog)

    # --- tabs -------------------------------------------------------------------------------------
    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is not self.live and self.live.running:
            self.live.stop_camera()  # give the camera back when nobody looks at it

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().showEvent(event)
        if self.device_profile is not None and not event.spontaneous():
            self.device_profile.refresh()  # profiles made in Settings meanwhile
        if not self._listed:
            self._listed = True
            self.refresh_patients()  # the most recent patients, before anything is typed

    def hideEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        if not event.spontaneous():  # another section, not a minimised window: free the camera
            self.live.stop_camera()
        super().hideEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        self.live.stop_camera()
        super().closeEvent(event)
