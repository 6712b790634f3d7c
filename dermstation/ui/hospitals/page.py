"""The Hospitals section: the referral directory (filter, distance, admin edits, CSV) and referrals."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.domain import LESION_CLASS_NAMES
from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _, format_number, ngettext
from dermstation.core.private_files import write_private_file
from dermstation.services.places import resolve_location
from dermstation.services.reception_types import HospitalSuggestion
from dermstation.services.specialties import SPECIALTIES, specialties_for_diagnosis, specialty_label
from dermstation.ui.hospitals.editor import HospitalDialog
from dermstation.ui.hospitals.import_report import ImportReportDialog
from dermstation.ui.hospitals.referral import ReferralDialog, ReferralsPanel
from dermstation.ui.navigation import sees_clinical_data
from dermstation.ui.operations import Changed, Kind, Operations
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.hospitals import HospitalService
    from dermstation.services.patients import PatientService
    from dermstation.services.reception_types import HospitalInfo
    from dermstation.services.referrals import ReferralService
    from dermstation.services.reports import ReportService
    from dermstation.services.types import CurrentUser

FILTER_DEBOUNCE_MS = 250
NAME, CITY, SPECIALTIES_COLUMN, DISTANCE, REFERRALS, PHONE = range(6)


class HospitalsPage(QWidget):
    #: the directory table shows fresh rows (count)
    loaded = Signal(int)
    hospital_saved = Signal(object)
    imported = Signal(object)  # ImportReport
    referral_created = Signal(object)
    file_written = Signal(object)

    def __init__(
        self,
        hospitals: HospitalService,
        referrals: ReferralService,
        patients: PatientService,
        user: CurrentUser,
        ops: Operations,
        parent: QWidget | None = None,
        reports: ReportService | None = None,
    ) -> None:
        super().__init__(parent)
        self._reports = reports
        self._hospitals = hospitals
        self._referrals = referrals
        self._patients = patients
        self._user = user
        self._ops = ops
        self._key = f"hospitals-load-{id(self)}"
        self.admin = user.is_admin
        self.clinical = sees_clinical_data(user.roles)
        self._rows: list[HospitalSuggestion] = []

        title = set_role(QLabel(_("Hospitals")), "title")
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(_("Filter by name, city or address"))
        self.needs = QComboBox()
        self.needs.setObjectName("specialtyFilter")
        self.needs.addItem(_("All specialties"), ())
        for diagnosis in ("mel", "bcc", "akiec"):
            name = _(LESION_CLASS_NAMES[diagnosis])  # English reads "for melanoma"; other languages keep their case
            self.needs.addItem(
                _("For {diagnosis}").format(diagnosis=name.lower() if name == LESION_CLASS_NAMES[diagnosis] else name),
                specialties_for_diagnosis(diagnosis),
            )
        for code in SPECIALTIES:
            self.needs.addItem(specialty_label(code), (code,))
        self.origin = QComboBox()
        self.origin.setObjectName("origin")
        self.origin.addItem(_("Distance from the clinic"), "clinic")
        self.origin.addItem(_("Distance from a location…"), "typed")
        self.location = QLineEdit()
        self.location.setObjectName("location")
        self.location.setPlaceholderText(_("town, or latitude, longitude"))
        self.location.setToolTip(_("A town (“Berlin”, “Paris, France”) or coordinates (“52.52, 13.40”)"))
        self.location.setMaximumWidth(220)
        self.location.setVisible(False)
        self.show_retired = QCheckBox(_("Show retired"))
        self.show_retired.setVisible(self.admin)

        filters = QHBoxLayout()
        filters.setSpacing(8)
        filters.addWidget(title)
        filters.addSpacing(10)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.needs)
        filters.addWidget(self.origin)
        filters.addWidget(self.location)
        filters.addWidget(self.show_retired)

        self.table = QTableWidget(0, 6)
        self.table.setObjectName("hospitalTable")
        self.table.setHorizontalHeaderLabels(
            [_("Name"), _("City"), _("Specialties"), _("Distance"), _("Referrals"), _("Phone")]
        )
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        head = self.table.horizontalHeader()
        head.setHighlightSections(False)
        head.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(SPECIALTIES_COLUMN, QHeaderView.ResizeMode.Stretch)
        for column in (CITY, DISTANCE, REFERRALS, PHONE):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _i: self.edit_hospital() if self.admin else None)
        self.note = set_role(QLabel(), "subtitle")
        self.note.setObjectName("directoryNote")
        self.note.setWordWrap(True)

        self.refer_button = QPushButton(_("Refer a patient…"))
        self.refer_button.setProperty("primary", True)
        self.refer_button.clicked.connect(lambda: self.refer())
        self.refer_button.setVisible(self.clinical)
        self.add_button = QPushButton(_("Add"))
        self.add_button.clicked.connect(lambda: self.add_hospital())
        self.edit_button = QPushButton(_("Edit…"))
        self.edit_button.clicked.connect(lambda: self.edit_hospital())
        self.retire_button = QPushButton(_("Retire"))
        self.retire_button.clicked.connect(self.toggle_retired)
        self.csv_button = QPushButton(_("CSV"))
        csv_menu = QMenu(self.csv_button)
        self.import_action = csv_menu.addAction(_("Import from CSV…"), self._import_dialog)
        csv_menu.addAction(_("Export to CSV…"), self._export_dialog)
        self.retire_samples_action = csv_menu.addAction(_("Retire all sample entries"), self.retire_samples)
        self.import_action.setEnabled(self.admin)
        self.retire_samples_action.setEnabled(self.admin)
        self.csv_button.setMenu(csv_menu)
        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        for button in (self.add_button, self.edit_button, self.retire_button):
            button.setVisible(self.admin)
            buttons.addWidget(button)
        buttons.addWidget(self.csv_button)
        buttons.addWidget(self.refer_button)

        directory = QWidget()
        directory_layout = QVBoxLayout(directory)
        directory_layout.setContentsMargins(0, 8, 0, 0)
        directory_layout.addWidget(self.table, 1)
        directory_layout.addLayout(buttons)

        self.referrals_panel = ReferralsPanel(referrals, patients, user, ops,
                                              reports=reports if self.clinical else None)
        self.tabs = QTabWidget()
        self.tabs.addTab(directory, _("Directory"))
        self.tabs.addTab(self.referrals_panel, _("Referrals"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addLayout(filters)
        layout.addWidget(self.tabs, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(FILTER_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.location.textChanged.connect(lambda _t: self._debounce.start())
        self.needs.currentIndexChanged.connect(lambda _i: self.refresh())
        self.show_retired.toggled.connect(lambda _c: self.refresh())
        self.origin.currentIndexChanged.connect(self._origin_changed)
        ops.changed.connect(self._changed)
        self._update_buttons()

    # --- loading ---------------------------------------------------------------------------------
    def _changed(self, change: Changed) -> None:
        if change.kind is Kind.HOSPITALS:
            self.refresh()

    def refresh(self) -> None:
        self._debounce.stop()
        self._ops.spawn(self._load(), key=self._key, parent=self)

    def _origin_changed(self) -> None:
        typed = self.origin.currentData() == "typed"
        self.location.setVisible(typed)
        if typed:
            self.location.setFocus()
        self.refresh()

    async def _load(self) -> None:
        needed = self.needs.currentData() or ()
        origin = None
        origin_note = ""
        if self.origin.currentData() == "typed" and self.location.text().strip():
            try:
                place = await self._ops.work(resolve_location, self.location.text())
            except ValidationError as exc:
                origin_note = exc.message
            else:
                origin = (place.latitude, place.longitude)
                origin_note = _("Distances from {place}").format(place=place.label)
        suggestions = await self._ops.db(
            self._hospitals.suggest, self._user, specialties=needed, origin=origin, include_all=True
        )
        if self.show_retired.isChecked():
            distance = {s.hospital.id: s.distance_km for s in suggestions}
            everyone = await self._ops.db(self._hospitals.list, self._user, "", None, True)
            suggestions = [
                HospitalSuggestion(h, distance.get(h.id))
                for h in everyone
                if not needed or set(needed) & set(h.specialties)
            ]
        words = self.search.text().casefold().split()
        rows = [
            s for s in suggestions
            if all(w in f"{s.hospital.name} {s.hospital.city} {s.hospital.address}".casefold() for w in words)
        ]
        clinic = await self._ops.db(self._hospitals.clinic_location)
        self._fill(rows)
        notes = [ngettext("{n} hospital", "{n} hospitals", len(rows)).format(n=len(rows))]
        if origin_note:
            notes.append(origin_note)
        elif origin is None and clinic is None:
            notes.append(_("Set the clinic's location in Settings to see distances."))
        if any(s.hospital.sample for s in rows):
            notes.append(_("Entries marked (sample) are examples shipped with DermStation, not real hospitals."))
        self.note.setText(" · ".join(notes))
        self.loaded.emit(len(rows))

    def _fill(self, rows: list[HospitalSuggestion]) -> None:
        selected = self.selected()
        self._rows = rows
        self.table.setRowCount(len(rows))
        for index, s in enumerate(rows):
            h = s.hospital
            distance = "—" if s.distance_km is None else _("{km} km").format(km=format_number(s.distance_km, 1))
            cells = (
                h.name, h.city, ", ".join(specialty_label(c) for c in h.specialties), distance,
                _("Accepts") if h.accepts_referrals else _("No"), h.phone,
            )
            tip = "\n".join(x for x in (h.name, h.address.replace("\n", ", "), h.email, h.website) if x)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, h)
                item.setToolTip(tip)
                if column == DISTANCE:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if h.retired or h.sample:
                    font = QFont(item.font())
                    font.setItalic(True)
                    item.setFont(font)
                if h.retired:
                    item.setForeground(self.palette().placeholderText())
                self.table.setItem(index, column, item)
            if selected is not None and h.id == selected.id:
                self.table.selectRow(index)
        self._update_buttons()

    def selected(self) -> HospitalInfo | None:
        rows = self.table.selectionModel().selectedRows()
        item = self.table.item(rows[0].row(), 0) if rows else None
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def shown_hospitals(self) -> list[tuple[str, float | None]]:
        """(name, distance) in table order (tests and screen readers)."""
        return [(s.hospital.name, s.distance_km) for s in self._rows]

    def _update_buttons(self) -> None:
        h = self.selected()
        self.edit_button.setEnabled(h is not None)
        self.retire_button.setEnabled(h is not None)
        self.retire_button.setText(_("Reinstate") if h is not None and h.retired else _("Retire"))
        self.refer_button.setEnabled(h is None or (h.accepts_referrals and not h.retired))

    # --- admin -----------------------------------------------------------------------------------
    def add_hospital(self) -> HospitalDialog:
        return self._open_editor(HospitalDialog(self._hospitals, self._user, self._ops, parent=self))

    def edit_hospital(self) -> HospitalDialog | None:
        h = self.selected()
        if h is None:
            return None
        return self._open_editor(HospitalDialog(self._hospitals, self._user, self._ops, existing=h, parent=self))

    def _open_editor(self, dialog: HospitalDialog) -> HospitalDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._saved)
        dialog.open()
        return dialog

    def _saved(self, h: HospitalInfo) -> None:
        self.hospital_saved.emit(h)  # the directory reloads on `changed`

    def toggle_retired(self) -> None:
        h = self.selected()
        if h is not None:
            self._ops.spawn(self._retire(h.id, not h.retired), parent=self)

    async def _retire(self, hospital_id: int, retired: bool) -> None:
        changed = await self._ops.db(self._hospitals.retire, self._user, hospital_id, retired)
        self._ops.announce(Kind.HOSPITALS, changed.id)
        self.hospital_saved.emit(changed)

    def retire_samples(self) -> None:
        async def run() -> None:
            await self._ops.db(self._hospitals.retire_samples, self._user)
            self._ops.announce(Kind.HOSPITALS)

        self._ops.spawn(run(), parent=self)

    # --- CSV -------------------------------------------------------------------------------------
    def import_csv_from(self, path: Path) -> None:
        self._ops.spawn(self._import(path), parent=self)

    async def _import(self, path: Path) -> None:
        data = await self._ops.work(path.read_bytes)
        report = await self._ops.db(self._hospitals.import_csv, self._user, data)
        dialog = ImportReportDialog(report, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.report_dialog = dialog
        self._ops.announce(Kind.HOSPITALS)
        self.imported.emit(report)

    def export_csv_to(self, path: Path) -> None:
        self._ops.spawn(self._export(path), parent=self)

    async def _export(self, path: Path) -> None:
        text = await self._ops.db(self._hospitals.export_csv, self._user, self.show_retired.isChecked())
        await self._ops.work(write_private_file, path, text.encode("utf-8"), overwrite=True)
        self.file_written.emit(path)

    def _import_dialog(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(self, _("Import hospitals"), "", _("CSV files (*.csv)"))
        if name:
            self.import_csv_from(Path(name))

    def _export_dialog(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(self, _("Export hospitals"), "hospitals.csv", _("CSV files (*.csv)"))
        if name:
            self.export_csv_to(Path(name))

    # --- referrals -------------------------------------------------------------------------------
    def refer(self) -> ReferralDialog:
        h = self.selected()
        hospitals = [s.hospital for s in self._rows]
        dialog = ReferralDialog(
            self._referrals, self._patients, self._user, self._ops, hospitals,
            hospital_id=h.id if h else None, parent=self, reports=self._reports,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._referred)
        dialog.open()
        return dialog

    def _referred(self, referral: object) -> None:
        self.referral_created.emit(referral)
        patient_id = getattr(referral, "patient_id", None)
        if patient_id is not None:
            self.referrals_panel.show_patient(patient_id)
