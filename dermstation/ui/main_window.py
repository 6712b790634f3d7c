"""The main window: navigation on the left, the chosen section on the right, who/where below."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

import dermstation
from dermstation.core.i18n import SUPPORTED_LANGUAGES, _, isolate
from dermstation.services.installation import model_versions
from dermstation.ui.accounts import ChangePasswordDialog
from dermstation.ui.forms import open_dialog
from dermstation.ui.navigation import Section, roles_label, section_title, sections_for
from dermstation.ui.operations import Operations
from dermstation.ui.patients.page import PatientsPage
from dermstation.ui.preferences import UiPreferences
from dermstation.ui.settings_page import SettingsPage
from dermstation.ui.shortcuts import SECTION_KEYS, SHORTCUTS_HELP, ShortcutsDialog
from dermstation.ui.theme import icon

if TYPE_CHECKING:
    from dermstation.services.container import Services
    from dermstation.services.types import CurrentUser


def describe_database(url: str) -> str:
    """"SQLite · /path/file" or "PostgreSQL · host/db": where the data lives, never a password."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0].lower()
    if scheme == "sqlite":
        path = url.split("///", 1)[1] if "///" in url else ""
        return _("SQLite · {file}").format(file=path or _("in memory"))
    if scheme in ("postgresql", "postgres"):
        host = parts.hostname or "localhost"
        if parts.port:
            host = f"{host}:{parts.port}"
        database = parts.path.lstrip("/")
        return _("PostgreSQL · {host}").format(host=f"{host}/{database}" if database else host)
    return scheme or _("unknown database")


class MainWindow(QMainWindow):
    """``closed`` carries why: "sign_out", "relaunch" (language changed) or "quit"."""

    closed = Signal(str)

    def __init__(
        self,
        user: CurrentUser,
        services: Services,
        *,
        preferences: UiPreferences,
        ops: Operations,
        clinic_name: str,
        database_label: str,
        language: str,
    ) -> None:
        super().__init__()
        self.user = user
        self._services = services  # the one container: every page takes what it needs from it
        self._auth = services.auth
        self._ops = ops
        self._reason = "quit"
        self.clinic_name = clinic_name
        self.setWindowTitle(f"{clinic_name} — DermStation" if clinic_name else "DermStation")
        self.setMinimumSize(QSize(900, 580))
        self.resize(1200, 760)

        self.sections = sections_for(user.roles)
        self._preferences, self._language = preferences, language  # every role picks its own language
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setIconSize(QSize(22, 22))
        self.navigation.setFixedWidth(184)
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.navigation.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.navigation.setSpacing(1)
        self.stack = QStackedWidget()
        self.pages: dict[Section, QWidget] = {}
        for section in self.sections:
            page = self._make_page(section, preferences, language)
            self.pages[section] = page
            self.stack.addWidget(page)
            item = QListWidgetItem(icon(section.value), section_title(section))
            item.setData(Qt.ItemDataRole.UserRole, section.value)
            item.setToolTip(section_title(section))
            item.setSizeHint(QSize(0, self.fontMetrics().height() + 18))
            self.navigation.addItem(item)
        self.navigation.currentRowChanged.connect(self._section_chosen)
        self.navigation.setCurrentRow(0)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.user_label = QLabel(_("{name} · {role}").format(name=isolate(user.full_name), role=roles_label(user.roles)))
        self.user_label.setObjectName("statusUser")
        self.clinic_label = QLabel(clinic_name)
        self.clinic_label.setObjectName("statusClinic")
        self.database_label = QLabel(database_label)
        self.database_label.setObjectName("statusDatabase")
        self.database_label.setToolTip(database_label)
        self.statusBar().addWidget(self.user_label)
        self.statusBar().addWidget(self.clinic_label)
        self.statusBar().addPermanentWidget(self.database_label)
        self.statusBar().setSizeGripEnabled(False)

        self._build_menus()
        patients_page = self.pages.get(Section.PATIENTS)
        if isinstance(patients_page, PatientsPage):
            patients_page.lesion_opened.connect(self.open_lesion)
            patients_page.refresh()
            patients_page.focus_search()

    def open_lesion(self, patient_id: int, lesion_id: int) -> None:
        """Show a lesion from the patient chart in the Analysis section (when this role has one)."""
        page = self.pages.get(Section.ANALYSIS)
        if page is not None and hasattr(page, "show_patient"):
            self.show_section(Section.ANALYSIS)
            page.show_patient(patient_id, lesion_id)

    def _make_page(self, section: Section, preferences: UiPreferences, language: str) -> QWidget:
        services = self._services
        if section is Section.PATIENTS:
            return PatientsPage(services.patients, self.user, self._ops, services.appointments,
                                reports=services.reports)
        if section is Section.SETTINGS:
            page = SettingsPage(
                self.user, services.settings_store, services.users, services.auth, preferences, self._ops,
                language, services.assistant, hospital_link=services.hospital_link,
                workstations=services.workstations, device_profiles=services.device_profiles,
            )
            page.language_changed.connect(lambda _lang: self.close_for("relaunch"))
            page.clinic_saved.connect(lambda settings: self._clinic_renamed(settings.clinic_name))
            return page
        if section is Section.ANALYSIS:
            from dermstation.ui.analysis.page import AnalysisPage

            return AnalysisPage(services.workstation, services.patients, self.user, self._ops,
                                reports=services.reports, assistant=services.assistant)
        if section is Section.SCHEDULE:
            from dermstation.ui.schedule.page import SchedulePage

            reception = services.reception
            return SchedulePage(reception.appointments, services.users, services.patients, self.user, self._ops,
                                hospital_link=reception.hospital_link, follow_ups=reception.follow_ups)
        from dermstation.ui.hospitals.page import HospitalsPage

        return HospitalsPage(services.hospitals, services.referrals, services.patients, self.user, self._ops,
                             reports=services.reports)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(_("&File"))
        change_password = QAction(_("Change &password…"), self)
        change_password.triggered.connect(
            lambda: open_dialog(ChangePasswordDialog(self._auth, self.user, self._ops, parent=self))
        )
        file_menu.addAction(change_password)
        # each user's own language (receptionists too: they have no Settings page); the window reopens in it
        self.language_menu = file_menu.addMenu(_("&Language"))
        for code, name in SUPPORTED_LANGUAGES.items():
            choice = self.language_menu.addAction(name)
            choice.setCheckable(True)
            choice.setChecked(code == self._language)
            choice.setData(code)
            choice.triggered.connect(lambda _c=False, code=code: self._choose_language(code))
        file_menu.addSeparator()
        self.sign_out_action = QAction(_("&Sign out"), self)
        self.sign_out_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.sign_out_action.triggered.connect(lambda: self.close_for("sign_out"))
        file_menu.addAction(self.sign_out_action)
        quit_action = QAction(_("&Quit"), self)
        # Ctrl+Q on every platform, whatever the desktop's key theme maps "Quit" to
        quit_action.setShortcuts(list(dict.fromkeys(
            [*QKeySequence.keyBindings(QKeySequence.StandardKey.Quit), QKeySequence("Ctrl+Q")])))
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(lambda: self.close_for("quit"))
        file_menu.addAction(quit_action)

        go_menu = self.menuBar().addMenu(_("&Go"))
        self.section_actions: list[QAction] = []
        for index, (section, keys) in enumerate(zip(self.sections, SECTION_KEYS, strict=False)):
            action = QAction(section_title(section), self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(lambda _c=False, i=index: self.navigation.setCurrentRow(i))
            go_menu.addAction(action)
            self.section_actions.append(action)

        help_menu = self.menuBar().addMenu(_("&Help"))
        shortcuts = QAction(_("&Keyboard shortcuts"), self)
        shortcuts.setShortcut(SHORTCUTS_HELP)
        shortcuts.triggered.connect(lambda: open_dialog(ShortcutsDialog(self)))
        help_menu.addAction(shortcuts)
        about = QAction(_("&About DermStation"), self)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def _section_chosen(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        if row < 0:
            return
        page = self.pages[self.sections[row]]
        # Schedule and hospitals read fresh data each time they are opened (another workstation may
        # have booked or referred meanwhile); patients and settings keep their own state.
        reload = getattr(page, "reload", None) or (
            getattr(page, "refresh", None) if self.sections[row] in (Section.SCHEDULE, Section.HOSPITALS) else None
        )
        if callable(reload):
            reload()

    def section_names(self) -> list[Section]:
        return list(self.sections)

    def show_section(self, section: Section) -> QWidget:
        self.navigation.setCurrentRow(self.sections.index(section))
        return self.pages[section]

    def _clinic_renamed(self, name: str) -> None:
        self.clinic_name = name
        self.clinic_label.setText(name)
        self.setWindowTitle(f"{name} — DermStation")

    def about_text(self) -> str:
        return "".join(
            [
                f"<h3>DermStation {dermstation.__version__}</h3>",
                "<p>", _("A clinical workstation for dermatology."), "</p>",
                "<p>", _("Models:"), "<br/>",
                "<br/>".join(f"{m.name} {m.version} · sha256 <tt>{m.sha256[:16]}…</tt>"
                             + ("" if m.file_ok else " — " + _("damaged")) for m in model_versions()),
                "</p>",
                "<p><b>", _("Decision support, not a diagnosis."), "</b> ",
                _("Every result must be reviewed by a qualified clinician."), "</p>",
                "<p>", _("The bundled models were trained on the HAM10000 data set, licensed under "
                         "CC BY-NC-SA 4.0 (non-commercial use, share alike)."), "</p>",
                "<p>", _("DermStation is free software under the GNU GPL version 3 or later."), "</p>",
            ]
        )

    def show_about(self) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.NoIcon, _("About DermStation"), self.about_text(),
                          QMessageBox.StandardButton.Close, self)
        box.setIconPixmap(icon("app").pixmap(QSize(56, 56)))
        box.setTextFormat(Qt.TextFormat.RichText)
        return open_dialog(box)

    def _choose_language(self, language: str) -> None:
        self._preferences.set_language_for(self.user.username, language)
        if language != self._language:
            self.close_for("relaunch")

    def close_for(self, reason: str) -> None:
        """Close the window, telling the shell what should happen next."""
        self._reason = reason
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self._ops.cancel_all()
        super().closeEvent(event)
        self.closed.emit(self._reason)
        self._reason = "quit"
