"""Device profiles in the UI: the choice at import and live capture, and their management in Settings.

A profile is made from a calibration picture the device took (a millimetre ruler or a round reference
sticker: measured on a worker, the user confirms the millimetres), a DICOM file's pixel spacing, or a
typed pixel size. Administrators and dermatologists manage them; the service audits every change.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.errors import DermStationError
from dermstation.core.i18n import N_, _, format_number
from dermstation.services.analysis import ANALYSABLE_EXTENSIONS
from dermstation.services.device_profiles import Calibration, DeviceProfile, calibrate_file
from dermstation.ui.combo import name_in_full
from dermstation.ui.forms import FormErrors, open_dialog
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.device_profiles import DeviceProfileService
    from dermstation.services.types import CurrentUser
    from dermstation.ui.operations import Operations

METHODS = (  # stored key, shown name
    ("ruler", N_("Picture of a millimetre ruler")),
    ("sticker", N_("Picture of a round reference sticker")),
    ("dicom", N_("DICOM file with pixel spacing")),
    ("manual", N_("Type the pixel size")),
)
METHOD_NAMES = {"ruler": N_("Ruler"), "sticker": N_("Sticker"), "dicom": N_("DICOM"), "manual": N_("Typed in")}
COLUMNS = (N_("Profile"), N_("Dermatoscope"), N_("Camera"), N_("Resolution"), N_("mm per pixel"), N_("Calibrated by"))


class DeviceProfileChoice(QComboBox):
    """Which device takes the pictures: its profile gives them a size in mm (none: sizes in pixels)."""

    chosen = Signal(object)  # DeviceProfile | None

    def __init__(self, service: DeviceProfileService, user: CurrentUser, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._user = user
        self._ops = ops
        self._profiles: dict[int, DeviceProfile] = {}
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        self.addItem(_("No device profile (sizes in pixels)"), None)
        self._name_in_full()
        self.currentIndexChanged.connect(self._name_in_full)
        self.currentIndexChanged.connect(lambda _i: self.chosen.emit(self.current()))

    def _name_in_full(self) -> None:  # the box elides a long profile name
        name_in_full(self, _("Device profile"),
                     _("The dermatoscope and camera that take the pictures: their profile gives sizes in mm"))

    def refresh(self) -> None:
        self._ops.spawn(self._load(), key=f"profiles-{id(self)}", parent=self)

    async def _load(self) -> None:
        self.set_profiles(await self._ops.db(self._service.list, self._user))

    def set_profiles(self, profiles: tuple[DeviceProfile, ...]) -> None:
        keep = self.currentData()
        self.blockSignals(True)
        self.clear()
        self.addItem(_("No device profile (sizes in pixels)"), None)
        self._profiles = {p.id: p for p in profiles}
        for p in profiles:
            self.addItem(p.name, p.id)
            self.setItemData(self.count() - 1, p.label, Qt.ItemDataRole.ToolTipRole)
        self.setCurrentIndex(max(self.findData(keep), 0) if keep is not None else (1 if len(profiles) == 1 else 0))
        self.blockSignals(False)
        self._name_in_full()
        self.chosen.emit(self.current())

    def current(self) -> DeviceProfile | None:
        data = self.currentData()
        return self._profiles.get(data) if data is not None else None


class ProfileDialog(QDialog):
    """A new device profile (or one to rename or recalibrate): name it, then measure a calibration picture
    (or type the pixel size). Pictures already stored keep the size they were given."""

    saved = Signal(object)  # DeviceProfile
    measured = Signal(object)  # Calibration, or the DermStationError that refused the picture

    def __init__(self, service: DeviceProfileService, user: CurrentUser, ops: Operations,
                 parent: QWidget | None = None, profile: DeviceProfile | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._user = user
        self._ops = ops
        self._profile = profile
        self._path: Path | None = None
        self._measured: Calibration | None = None  # at 1 mm (ruler) / 1 mm across (sticker)
        self.setWindowTitle(_("New device profile") if profile is None else _("Edit device profile"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(_("e.g. Heine Delta 30 + clinic phone"))
        self.dermatoscope = QLineEdit()
        self.camera = QLineEdit()
        self.method = QComboBox()
        for key, label in METHODS:
            self.method.addItem(_(label), key)
        self.method.currentIndexChanged.connect(self._method_changed)
        self.choose_button = QPushButton(_("Choose the calibration picture…"))
        self.choose_button.clicked.connect(self.choose_file)
        self.reference = QDoubleSpinBox()
        self.reference.setDecimals(2)
        self.reference.setRange(0.1, 100.0)
        self.reference.setValue(1.0)
        self.reference.setSuffix(" mm")
        self.reference.valueChanged.connect(self._update_result)
        self.reference_label = QLabel()
        self.width_edit = QSpinBox()
        self.height_edit = QSpinBox()
        for spin in (self.width_edit, self.height_edit):
            spin.setRange(1, 100_000)
            spin.setValue(1000)
        self.spacing_edit = QDoubleSpinBox()
        self.spacing_edit.setDecimals(5)
        self.spacing_edit.setRange(0.00001, 1.0)
        self.spacing_edit.setSingleStep(0.001)
        self.spacing_edit.setValue(0.01)
        self.spacing_edit.setSuffix(_(" mm per pixel"))
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        general = QLabel()
        self.errors = FormErrors(general)

        form = QFormLayout()
        form.addRow(_("Name"), self.errors.field("name", self.name))
        form.addRow(_("Dermatoscope"), self.dermatoscope)
        form.addRow(_("Camera"), self.camera)
        form.addRow(_("Calibrate with"), self.method)
        form.addRow("", self.errors.field("calibration", self.choose_button))
        form.addRow(self.reference_label, self.errors.field("reference_mm", self.reference))
        size = QHBoxLayout()
        size.addWidget(self.width_edit)
        size.addWidget(QLabel("×"))
        size.addWidget(self.height_edit)
        self.size_row = QWidget()
        self.size_row.setLayout(size)
        size.setContentsMargins(0, 0, 0, 0)
        form.addRow(_("Picture size (pixels)"), self.errors.field("resolution", self.size_row))
        form.addRow(_("Pixel size"), self.errors.field("mm_per_pixel", self.spacing_edit))
        self._form = form
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Save profile"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = QLabel(_("Photograph a millimetre ruler (or a round sticker of known size) with the dermatoscope "
                         "and camera, at the resolution you capture lesions with. The ruler's tick spacing is "
                         "measured on the picture; check the millimetres between two ticks."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.result)
        layout.addWidget(general)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())
        self._method_changed()
        if profile is not None:  # its current values, as typed: measure a new picture to recalibrate
            self.name.setText(profile.name)
            self.dermatoscope.setText(profile.dermatoscope)
            self.camera.setText(profile.camera)
            self.method.setCurrentIndex(self.method.findData("manual"))
            self.width_edit.setValue(profile.width)
            self.height_edit.setValue(profile.height)
            self.spacing_edit.setValue(profile.mm_per_pixel)

    @property
    def method_key(self) -> str:
        return self.method.currentData()

    def _method_changed(self) -> None:
        key = self.method_key
        picture = key in ("ruler", "sticker", "dicom")
        self.choose_button.setVisible(picture)
        self.reference.setVisible(key in ("ruler", "sticker"))
        self.reference_label.setVisible(key in ("ruler", "sticker"))
        self.reference_label.setText(_("Between two ticks") if key == "ruler" else _("Sticker diameter"))
        if key == "sticker" and self.reference.value() == 1.0:
            self.reference.setValue(10.0)
        elif key == "ruler" and self.reference.value() == 10.0:
            self.reference.setValue(1.0)
        for widget in (self.width_edit, self.height_edit, self.spacing_edit):
            widget.setEnabled(not picture)
        self._measured = None
        self._path = None
        self.choose_button.setText(_("Choose the calibration picture…") if key != "dicom"
                                   else _("Choose the DICOM file…"))
        self._update_result()

    def choose_file(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in ANALYSABLE_EXTENSIONS)
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Calibration picture"), "", _("Images and DICOM ({patterns});;All files (*)").format(
                patterns=patterns))
        if path:
            self.measure(Path(path))

    def measure(self, path: Path) -> None:
        """Measure ``path`` on a worker (the ruler's ticks, the sticker, or the DICOM spacing)."""
        self._path = path
        self.result.setText(_("Measuring {name}…").format(name=path.name))
        self._ops.spawn(self._measure(path, self.method_key), key=f"calibrate-{id(self)}", parent=self)

    async def _measure(self, path: Path, method: str) -> None:
        try:
            # measured for 1 mm, so changing the millimetres afterwards needs no new measurement
            calibration = await self._ops.work(calibrate_file, path, method, 1.0)
        except DermStationError as exc:
            self._measured = None
            self.errors.show(exc, "calibration")
            self.result.setText("")
            self.measured.emit(exc)
            return
        self.errors.clear()
        self._measured = calibration
        self._update_result()
        self.measured.emit(calibration)

    def calibration(self) -> Calibration | None:
        """What would be saved: the measurement at the confirmed millimetres, or the typed values."""
        key = self.method_key
        if key == "manual":
            return Calibration(self.width_edit.value(), self.height_edit.value(), self.spacing_edit.value(),
                               "manual", "typed in")
        m = self._measured
        if m is None:
            return None
        if key == "dicom":
            return m
        mm = self.reference.value()
        what = "mm between ticks" if key == "ruler" else "mm across"
        return Calibration(m.width, m.height, m.mm_per_pixel * mm, key, m.note.replace(f"1 {what}", f"{mm:g} {what}"))

    def _update_result(self) -> None:
        c = self.calibration()
        if c is None or self.method_key == "manual":
            self.result.setText("" if self.method_key == "manual" else
                                _("No calibration picture measured yet."))
            return
        self.width_edit.setValue(c.width)
        self.height_edit.setValue(c.height)
        self.spacing_edit.setValue(c.mm_per_pixel)
        if self.method_key == "ruler":
            text = _("Ticks {period} pixels apart: {spacing} mm per pixel at {width}×{height}.").format(
                period=format_number(self.reference.value() / c.mm_per_pixel, 2),
                spacing=format_number(c.mm_per_pixel, 5), width=c.width, height=c.height)
        elif self.method_key == "sticker":
            text = _("Sticker {across} pixels across: {spacing} mm per pixel at {width}×{height}.").format(
                across=format_number(self.reference.value() / c.mm_per_pixel, 1),
                spacing=format_number(c.mm_per_pixel, 5), width=c.width, height=c.height)
        else:
            text = _("The file states {spacing} mm per pixel at {width}×{height}.").format(
                spacing=format_number(c.mm_per_pixel, 5), width=c.width, height=c.height)
        self.result.setText(text)

    def save(self) -> None:
        calibration = self.calibration()
        if calibration is None:
            self.errors.show(DermStationError(_("Choose and measure a calibration picture first.")), "calibration")
            return
        self._ops.spawn(self._save(calibration), key=f"save-profile-{id(self)}", parent=self)

    def _unchanged(self, c: Calibration) -> bool:
        p = self._profile
        return p is not None and c.method == "manual" and (c.width, c.height, c.mm_per_pixel) == (
            p.width, p.height, round(p.mm_per_pixel, self.spacing_edit.decimals()))

    async def _save(self, calibration: Calibration) -> None:
        self.buttons.setEnabled(False)
        try:
            if self._profile is None:
                profile = await self._ops.db(self._service.create, self._user, self.name.text(),
                                             self.dermatoscope.text(), self.camera.text(), calibration)
            else:  # a rename keeps the calibration as it was measured
                profile = await self._ops.db(
                    self._service.update, self._user, self._profile.id, name=self.name.text(),
                    dermatoscope=self.dermatoscope.text(), camera=self.camera.text(),
                    calibration=None if self._unchanged(calibration) else calibration)
        except DermStationError as exc:
            self.errors.show(exc)
            return
        finally:
            self.buttons.setEnabled(True)
        self.saved.emit(profile)
        self.accept()


class DeviceProfilesCard(QFrame):
    """Settings card: the clinic's device profiles, a new one, retiring one."""

    loaded = Signal(object)  # tuple[DeviceProfile, ...]

    def __init__(self, service: DeviceProfileService, user: CurrentUser, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._user = user
        self._ops = ops
        self.profiles: tuple[DeviceProfile, ...] = ()
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 14)
        layout.setSpacing(8)
        layout.addWidget(set_role(QLabel(_("Device profiles")), "section"))
        note = set_role(QLabel(_("Each dermatoscope and camera at one resolution, with the size of one pixel. "
                                 "Chosen when pictures are imported or captured, it gives sizes in mm and "
                                 "lets follow-ups compare pictures from different devices.")), "subtitle")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("deviceProfiles")
        self.table.setHorizontalHeaderLabels([_(c) for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setMinimumHeight(120)
        head = self.table.horizontalHeader()
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_actions)
        layout.addWidget(self.table)
        self.empty = set_role(QLabel(_("No device profiles yet: pictures are measured in pixels.")), "subtitle")
        layout.addWidget(self.empty)
        buttons = QHBoxLayout()
        self.new_button = QPushButton(_("New profile…"))
        self.new_button.clicked.connect(self.new_profile)
        self.edit_button = QPushButton(_("Edit…"))
        self.edit_button.setToolTip(_("Rename the profile or calibrate it again"))
        self.edit_button.clicked.connect(self.edit_selected)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.retire_button = QPushButton(_("Retire"))
        self.retire_button.setToolTip(_("No longer offered at capture; pictures taken with it keep their sizes"))
        self.retire_button.clicked.connect(self.retire_selected)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.retire_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._update_actions()
        self.refresh()

    def refresh(self) -> None:
        self._ops.spawn(self._load(), key=f"profiles-card-{id(self)}", parent=self)

    async def _load(self) -> None:
        self.show_profiles(await self._ops.db(self._service.list, self._user))

    def show_profiles(self, profiles: tuple[DeviceProfile, ...]) -> None:
        self.profiles = profiles
        self.table.setRowCount(len(profiles))
        for row, p in enumerate(profiles):
            values = (p.name, p.dermatoscope, p.camera, f"{p.width}×{p.height}", format_number(p.mm_per_pixel, 5),
                      _(METHOD_NAMES.get(p.method, p.method)))
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, p.id)
                if column == 5 and p.note:
                    item.setToolTip(p.note)
                self.table.setItem(row, column, item)
        self.table.setVisible(bool(profiles))
        self.empty.setVisible(not profiles)
        self._update_actions()
        self.loaded.emit(profiles)

    def selected(self) -> DeviceProfile | None:
        rows = self.table.selectionModel().selectedRows()
        return self.profiles[rows[0].row()] if rows else None

    def _update_actions(self) -> None:
        self.retire_button.setEnabled(self.selected() is not None)
        self.edit_button.setEnabled(self.selected() is not None)

    def new_profile(self) -> ProfileDialog:
        dialog = ProfileDialog(self._service, self._user, self._ops, self)
        dialog.saved.connect(lambda _p: self.refresh())
        open_dialog(dialog)
        return dialog

    def edit_selected(self) -> ProfileDialog | None:
        profile = self.selected()
        if profile is None:
            return None
        dialog = ProfileDialog(self._service, self._user, self._ops, self, profile)
        dialog.saved.connect(lambda _p: self.refresh())
        open_dialog(dialog)
        return dialog

    def retire_selected(self) -> None:
        profile = self.selected()
        if profile is not None:
            self._ops.spawn(self._retire(profile), parent=self)

    async def _retire(self, profile: DeviceProfile) -> None:
        await self._ops.db(self._service.set_retired, self._user, profile.id, True)
        await self._load()
