"""Settings: everyone's own language and password; the clinic and its user accounts for admins."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import available_timezones

from babel.dates import get_day_names
from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.errors import ValidationError
from dermstation.core.i18n import SUPPORTED_LANGUAGES, _, current_language
from dermstation.services.device_profiles import PROFILE_MANAGERS
from dermstation.services.settings import check_clinic
from dermstation.ui.accounts import (
    ChangePasswordDialog,
    NewUserDialog,
    ResetPasswordDialog,
    RolesDialog,
    SignInLocks,
    UserTableModel,
)
from dermstation.ui.forms import FormErrors, dialog_finished, open_dialog
from dermstation.ui.navigation import manages_clinic
from dermstation.ui.operations import Operations
from dermstation.ui.preferences import UiPreferences
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.assistant import AssistantService
    from dermstation.services.auth import AuthService
    from dermstation.services.device_profiles import DeviceProfileService
    from dermstation.services.hospital_link import HospitalLink
    from dermstation.services.settings import SettingsStore
    from dermstation.services.types import CurrentUser, UserInfo
    from dermstation.services.users import UserService
    from dermstation.services.workstation_registry import WorkstationRegistry


def _card(title: str, subtitle: str = "") -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setObjectName("card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(16, 12, 16, 14)
    layout.setSpacing(8)
    layout.addWidget(set_role(QLabel(title), "section"))
    if subtitle:
        note = set_role(QLabel(subtitle), "subtitle")
        note.setWordWrap(True)
        layout.addWidget(note)
    return card, layout


def _degrees(text: str, field: str) -> float | None:
    """A typed coordinate ("52.52" or "52,52"); empty means not set."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationError(_("Enter the position in decimal degrees, e.g. 52.5200."), field=field) from None


def _language_combo(current: str) -> QComboBox:
    combo = QComboBox()
    for code, name in SUPPORTED_LANGUAGES.items():
        combo.addItem(name, code)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # a short list: no full-width box
    return combo


class SettingsPage(QScrollArea):
    #: The signed-in user chose another language; the window is rebuilt in it.
    language_changed = Signal(str)
    #: The clinic settings were saved (the new ClinicSettings).
    clinic_saved = Signal(object)
    #: The users table shows this many accounts.
    users_shown = Signal(int)

    def __init__(
        self,
        user: CurrentUser,
        settings_store: SettingsStore,
        users: UserService,
        auth: AuthService,
        preferences: UiPreferences,
        ops: Operations,
        language: str,
        assistant: AssistantService | None = None,
        parent: QWidget | None = None,
        hospital_link: HospitalLink | None = None,
        workstations: WorkstationRegistry | None = None,
        device_profiles: DeviceProfileService | None = None,
    ) -> None:
        super().__init__(parent)
        self._user = user
        self._settings_store = settings_store
        self._users = users
        self._auth = auth
        self._preferences = preferences
        self._ops = ops
        self.is_admin = manages_clinic(user.roles)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(14)
        layout.addWidget(set_role(QLabel(_("Settings")), "title"))

        # --- personal ----------------------------------------------------------------------------
        card, box = _card(_("Your preferences"), _("These apply to you on this workstation."))
        form = QFormLayout()
        self.language = _language_combo(language)
        self.language.setObjectName("language")
        self.language.activated.connect(self._language_chosen)
        form.addRow(_("Language"), self.language)
        box.addLayout(form)
        self.change_password_button = QPushButton(_("Change your password…"))
        self.change_password_button.clicked.connect(self.change_password)
        box.addWidget(self.change_password_button, 0, Qt.AlignmentFlag.AlignLeft)
        box.addStretch(1)

        if self.is_admin:
            cards = QHBoxLayout()
            cards.setSpacing(14)
            cards.addWidget(card, 2)
            cards.addWidget(self._clinic_card(), 3)
            layout.addLayout(cards)
            if assistant is not None:
                from dermstation.ui.assistant_settings import AssistantSettings

                self.assistant_card = AssistantSettings(assistant, user, ops)
                layout.addWidget(self.assistant_card)
            if hospital_link is not None:
                from dermstation.ui.hospital_link import DestinationsCard

                self.destinations_card = DestinationsCard(hospital_link, user, ops)
                layout.addWidget(self.destinations_card)
            if workstations is not None:
                from dermstation.ui.workstations_card import WorkstationsCard

                self.workstations_card = WorkstationsCard(workstations, user, ops)
                layout.addWidget(self.workstations_card)
            layout.addWidget(self._users_card(), 1)
        else:
            card.setMaximumWidth(560)
            layout.addWidget(card)
            layout.addStretch(1)
        self.device_profiles_card = None
        if device_profiles is not None and user.roles & PROFILE_MANAGERS:  # administrators and dermatologists
            from dermstation.ui.device_profiles import DeviceProfilesCard

            self.device_profiles_card = DeviceProfilesCard(device_profiles, user, ops)
            layout.insertWidget(2, self.device_profiles_card)
        self.setWidget(body)
        if self.is_admin:
            self.refresh()

    # --- clinic (admin) ----------------------------------------------------------------------
    def _clinic_card(self) -> QFrame:
        card, box = _card(_("Clinic"), _("Shared by every workstation of the clinic."))
        general = QLabel()
        self.clinic_errors = FormErrors(general)
        self.clinic_name = QLineEdit()
        self.clinic_name.setObjectName("clinicName")
        self.clinic_address = QLineEdit()
        self.clinic_address.setPlaceholderText(_("Street, postcode, town"))
        self.clinic_phone = QLineEdit()
        self.clinic_email = QLineEdit()
        self.report_header = QLineEdit()
        self.report_header.setPlaceholderText(_("Printed under the clinic's name on reports (optional)"))
        self.timezone = QComboBox()
        self.timezone.setObjectName("timezone")
        self.timezone.setEditable(True)
        self.timezone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.timezone.addItems(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))
        self.timezone.setCurrentText("UTC")  # until the stored zone has loaded
        self.timezone.setToolTip(_("Appointments, reports and calendar files use this time zone."))
        self.opening_hours: list[QLineEdit] = []
        hours_grid = QGridLayout()  # Monday first, four days to a row so "08:00-17:00" fits
        hours_grid.setContentsMargins(0, 0, 0, 0)
        names = get_day_names("abbreviated", locale=current_language())
        for index in range(7):
            edit = QLineEdit()
            edit.setPlaceholderText(_("closed"))
            edit.setToolTip(_("e.g. 08:00-17:00; empty when closed"))
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("00:00-00:00") + 18)
            self.opening_hours.append(edit)
            row, column = divmod(index, 4)
            hours_grid.addWidget(set_role(QLabel(names[index]), "fieldName"), row * 2, column)
            hours_grid.addWidget(edit, row * 2 + 1, column)
        self.clinic_language = _language_combo("en")
        self.latitude = QLineEdit()
        self.latitude.setPlaceholderText(_("e.g. 52.5200"))
        self.longitude = QLineEdit()
        self.longitude.setPlaceholderText(_("e.g. 13.4050"))
        for edit in (self.latitude, self.longitude):
            edit.setMaximumWidth(160)
            edit.setToolTip(_("Decimal degrees; used for distances to hospitals."))
        hours_box = QWidget()
        hours_box.setLayout(hours_grid)
        form = QFormLayout()
        form.addRow(_("Clinic name"), self.clinic_errors.field("clinic_name", self.clinic_name))
        form.addRow(_("Address"), self.clinic_errors.field("clinic_address", self.clinic_address))
        form.addRow(_("Phone"), self.clinic_errors.field("clinic_phone", self.clinic_phone))
        form.addRow(_("E-mail"), self.clinic_errors.field("clinic_email", self.clinic_email))
        form.addRow(_("Report header"), self.clinic_errors.field("report_header", self.report_header))
        form.addRow(_("Time zone"), self.clinic_errors.field("timezone", self.timezone))
        form.addRow(_("Opening hours"), self.clinic_errors.field("opening_hours", hours_box))
        form.addRow(_("Latitude"), self.clinic_errors.field("clinic_latitude", self.latitude))
        form.addRow(_("Longitude"), self.clinic_errors.field("clinic_longitude", self.longitude))
        self.screen_lock = QSpinBox()
        self.screen_lock.setObjectName("screenLockMinutes")
        self.screen_lock.setRange(1, 120)
        self.screen_lock.setMaximumWidth(120)
        self.screen_lock.setSuffix(_(" min"))
        self.screen_lock.setToolTip(_("Every workstation locks its screen after this long without keyboard or mouse "
                                      "input; the password unlocks it and nothing typed is lost."))
        form.addRow(_("Lock screen when idle"), self.clinic_errors.field("screen_lock_minutes", self.screen_lock))
        self.image_folder = QLineEdit()
        self.image_folder.setObjectName("imageFolder")
        self.image_folder.setPlaceholderText(_("empty: pictures are kept in the clinic's database (PostgreSQL) or "
                                               "in this workstation's data folder (SQLite)"))
        self.image_folder.setToolTip(_("A shared folder mounted at this same path on every workstation. It can "
                                       "only be chosen before the first picture is stored."))
        form.addRow(_("Shared picture folder"), self.clinic_errors.field("image_folder", self.image_folder))
        form.addRow(_("Start-up language of this workstation"),
                    self.clinic_errors.field("language", self.clinic_language))
        box.addWidget(general)
        box.addLayout(form)
        self.clinic_confirmation: QMessageBox | None = None
        self.save_clinic_button = QPushButton(_("Save clinic settings"))
        self.save_clinic_button.setProperty("primary", True)
        self.save_clinic_button.clicked.connect(lambda: self._ops.spawn(self._save_clinic(), parent=self))
        self.clinic_name.returnPressed.connect(self.save_clinic_button.click)
        box.addWidget(self.save_clinic_button, 0, Qt.AlignmentFlag.AlignRight)
        return card

    async def _save_clinic(self) -> None:
        self.clinic_errors.clear()
        try:
            latitude = _degrees(self.latitude.text(), "clinic_latitude")
            longitude = _degrees(self.longitude.text(), "clinic_longitude")
            if not self.clinic_name.text().strip():
                raise ValidationError(_("Please enter the clinic's name."), field="clinic_name")
        except ValidationError as exc:
            self.clinic_errors.show(exc)
            return
        # Re-read first: other cards (the assistant's) and other workstations save into the same settings.
        current = await self._ops.db(self._settings_store.load)
        changed = current.with_changes(
            clinic_name=self.clinic_name.text().strip(),
            clinic_address=self.clinic_address.text().strip(),
            clinic_phone=self.clinic_phone.text().strip(),
            clinic_email=self.clinic_email.text().strip(),
            report_header=self.report_header.text().strip(),
            screen_lock_minutes=self.screen_lock.value(),
            timezone=self.timezone.currentText().strip(),
            opening_hours=tuple(e.text().strip().replace(" ", "").replace("–", "-") for e in self.opening_hours),
            clinic_latitude=latitude,
            clinic_longitude=longitude,
            image_folder=self.image_folder.text().strip(),
        )
        try:
            check_clinic(changed)
        except ValidationError as exc:
            self.clinic_errors.show(exc)
            return
        if changed != current:
            self.clinic_confirmation = QMessageBox(
                QMessageBox.Icon.Question, _("Clinic settings"),
                _("These settings apply to every workstation of the clinic. Save them?"),
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel, self)
            self.clinic_confirmation.setDefaultButton(QMessageBox.StandardButton.Save)
            answer = await dialog_finished(self.clinic_confirmation)
            self.clinic_confirmation = None
            if answer != QMessageBox.StandardButton.Save:
                return
        try:
            saved = await self._ops.db(self._settings_store.save, self._user, changed)
        except ValidationError as exc:
            self.clinic_errors.show(exc)
            return
        machine = await self._ops.db(self._settings_store.machine)
        if machine.language != self.clinic_language.currentData():
            await self._ops.db(self._settings_store.save_machine,
                               machine.with_changes(language=self.clinic_language.currentData()))
        self.clinic_saved.emit(saved)

    # --- users (admin) -----------------------------------------------------------------------
    def _users_card(self) -> QFrame:
        card, box = _card(_("User accounts"))
        self.user_model = UserTableModel()
        self.user_table = QTableView()
        self.user_table.setObjectName("users")
        self.user_table.setModel(self.user_model)
        self.user_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.user_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.user_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.user_table.setAlternatingRowColors(True)
        self.user_table.setShowGrid(False)
        self.user_table.setWordWrap(False)
        self.user_table.verticalHeader().hide()
        self.user_table.setMinimumHeight(150)
        head = self.user_table.horizontalHeader()
        head.setHighlightSections(False)
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.user_table.selectionModel().selectionChanged.connect(self._user_selection_changed)
        box.addWidget(self.user_table, 1)

        buttons = QHBoxLayout()
        self.new_user_button = QPushButton(_("New user…"))
        self.new_user_button.clicked.connect(self.new_user)
        self.toggle_button = QPushButton(_("Disable"))
        self.toggle_button.clicked.connect(lambda: self._ops.spawn(self._toggle_disabled(), parent=self))
        self.reset_button = QPushButton(_("Reset password…"))
        self.reset_button.clicked.connect(self.reset_password)
        self.roles_button = QPushButton(_("Roles…"))
        self.roles_button.clicked.connect(self.edit_roles)
        buttons.addWidget(self.new_user_button)
        buttons.addStretch(1)
        buttons.addWidget(self.roles_button)
        buttons.addWidget(self.toggle_button)
        buttons.addWidget(self.reset_button)
        box.addLayout(buttons)
        self.sign_in_locks = SignInLocks(self._auth, self._user, self._ops)
        self.sign_in_locks.unlocked.connect(
            lambda: self._ops.spawn(self._load_users(), key=f"users-{id(self)}", parent=self))
        box.addWidget(self.sign_in_locks)
        self._user_selection_changed(QItemSelection(), QItemSelection())
        return card

    def refresh(self) -> None:
        self._ops.spawn(self._load(), key=f"settings-{id(self)}", parent=self)

    async def _load(self) -> None:
        settings = await self._ops.db(self._settings_store.load)
        machine = await self._ops.db(self._settings_store.machine)
        self.clinic_name.setText(settings.clinic_name)
        self.clinic_address.setText(settings.clinic_address)
        self.clinic_phone.setText(settings.clinic_phone)
        self.clinic_email.setText(settings.clinic_email)
        self.report_header.setText(settings.report_header)
        self.screen_lock.setValue(settings.screen_lock_minutes)
        self.image_folder.setText(settings.image_folder)
        self.timezone.setCurrentText(settings.timezone)
        for edit, hours in zip(self.opening_hours, settings.opening_hours, strict=True):
            edit.setText(hours)
        self.clinic_language.setCurrentIndex(max(self.clinic_language.findData(machine.language), 0))
        for edit, value in ((self.latitude, settings.clinic_latitude), (self.longitude, settings.clinic_longitude)):
            edit.setText("" if value is None else f"{value:.6f}".rstrip("0").rstrip("."))
        await self._load_users()

    async def _load_users(self, select_id: int | None = None) -> None:
        users = await self._ops.db(self._users.list_users, self._user)
        self.user_model.set_users(users)
        if select_id is not None and (row := self.user_model.row_of(select_id)) >= 0:
            self.user_table.selectRow(row)
        self._user_selection_changed(QItemSelection(), QItemSelection())
        self.users_shown.emit(len(users))
        await self.sign_in_locks.load()

    def selected_user(self) -> UserInfo | None:
        rows = self.user_table.selectionModel().selectedRows()
        return self.user_model.user(rows[0].row()) if rows else None

    def _user_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        target = self.selected_user()
        self.toggle_button.setEnabled(target is not None and target.id != self._user.id)
        self.reset_button.setEnabled(target is not None)
        self.roles_button.setEnabled(target is not None)
        self.toggle_button.setText(_("Enable") if target is not None and target.disabled else _("Disable"))

    def new_user(self) -> NewUserDialog:
        dialog = NewUserDialog(self._users, self._user, self._ops, parent=self)
        dialog.created.connect(
            lambda info: self._ops.spawn(self._load_users(info.id), key=f"users-{id(self)}", parent=self)
        )
        open_dialog(dialog)
        return dialog

    def reset_password(self) -> ResetPasswordDialog | None:
        target = self.selected_user()
        if target is None:
            return None
        return open_dialog(ResetPasswordDialog(self._users, self._user, self._ops, target, parent=self))

    def edit_roles(self) -> RolesDialog | None:
        target = self.selected_user()
        if target is None:
            return None
        dialog = RolesDialog(self._users, self._user, self._ops, target, parent=self)
        dialog.changed.connect(
            lambda info: self._ops.spawn(self._load_users(info.id), key=f"users-{id(self)}", parent=self)
        )
        return open_dialog(dialog)

    async def _toggle_disabled(self) -> None:
        target = self.selected_user()
        if target is None:
            return
        await self._ops.db(self._users.set_disabled, self._user, target.id, not target.disabled)
        await self._load_users(target.id)

    # --- personal ----------------------------------------------------------------------------
    def change_password(self) -> ChangePasswordDialog:
        return open_dialog(ChangePasswordDialog(self._auth, self._user, self._ops, parent=self))

    def _language_chosen(self, _index: int) -> None:
        language = self.language.currentData()
        self._preferences.set_language_for(self._user.username, language)
        self.language_changed.emit(language)
