"""The session flow: first-run set-up, sign-in, the main window, sign-out and back again."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QDialog

from dermstation.core.i18n import current_language, set_display_zone, set_language
from dermstation.services.clinic_time import clinic_zone
from dermstation.ui.fonts import apply_layout_direction
from dermstation.ui.forms import dialog_finished
from dermstation.ui.idle_lock import IdleLock
from dermstation.ui.main_window import MainWindow, describe_database
from dermstation.ui.operations import Operations
from dermstation.ui.preferences import UiPreferences
from dermstation.ui.qt_strings import install_catalogue_translator
from dermstation.ui.sign_in import FirstRunDialog, SignInDialog

if TYPE_CHECKING:
    from dermstation.services.container import Services
    from dermstation.services.types import CurrentUser

log = logging.getLogger(__name__)


class Shell:
    """Runs one workstation session after another until the user quits."""

    def __init__(
        self,
        services: Services,
        ops: Operations,
        database_url: str,
    ) -> None:
        self._services = services  # the one container (services/container.py); every page takes from it
        self._ops = ops
        self._database_label = describe_database(database_url)
        self.preferences = UiPreferences(services.paths.data_dir / "ui-preferences.ini")
        self._qt_translator: QTranslator | None = None
        self.window: MainWindow | None = None
        self.idle_lock: IdleLock | None = None
        self.dialog: QDialog | None = None
        self._geometry: QByteArray | None = None  # the window reopens where it was (language change)

    async def run(self) -> int:
        """Returns the process exit code (0: the user quit)."""
        services = self._services
        machine = await self._ops.db(services.settings_store.machine)  # this workstation's language
        self.use_language(machine.language)
        if await self._ops.db(services.auth.needs_setup):
            setup = FirstRunDialog(services.auth, services.settings_store, self._ops)
            if await self._finished(setup) != QDialog.DialogCode.Accepted:
                return 0
            assert setup.user is not None
            self.preferences.last_username = setup.user.username
            # a new clinic starts with the (clearly marked) sample referral directory
            await self._ops.db(services.hospitals.load_sample_directory_if_empty, setup.user)
        user: CurrentUser | None = None
        while True:
            settings = await self._ops.db(services.settings_store.load)
            set_display_zone(clinic_zone(settings.timezone))  # every moment shown in clinic time
            if user is None:
                self.use_language(machine.language)
                sign_in = SignInDialog(services.auth, self._ops, settings.clinic_name)
                sign_in.username.setText(self.preferences.last_username)
                if sign_in.username.text():
                    sign_in.password.setFocus()
                if await self._finished(sign_in) != QDialog.DialogCode.Accepted:
                    return 0
                user = sign_in.user
                assert user is not None
                self.preferences.last_username = user.username
            language = self.preferences.language_for(user.username, machine.language)
            self.use_language(language)
            reason = await self._main_window(user, settings.clinic_name, language)
            if reason == "relaunch":
                continue
            await self._sign_out(user)
            user = None
            if reason != "sign_out":
                return 0

    async def _main_window(self, user: CurrentUser, clinic_name: str, language: str) -> str:
        services = self._services
        window = MainWindow(
            user,
            services,
            preferences=self.preferences,
            ops=self._ops,
            clinic_name=clinic_name,
            database_label=self._database_label,
            language=language,
        )
        closed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        window.closed.connect(lambda reason: closed.done() or closed.set_result(reason))
        self.window = window
        if self._geometry is not None:
            window.restoreGeometry(self._geometry)
        window.show()
        # a shared workstation locks itself after the clinic's idle time (issue 17)
        clinic = await self._ops.db(services.settings_store.load)
        self.idle_lock = IdleLock(services.auth, user, self._ops, clinic.screen_lock_minutes, parent=window)
        self.idle_lock.sign_out_requested.connect(lambda: window.close_for("sign_out"))
        try:
            return await closed
        finally:
            self.idle_lock.stop()
            self._geometry = window.saveGeometry()
            self.window = None
            window.deleteLater()

    async def _sign_out(self, user: CurrentUser) -> None:
        try:
            await self._ops.db(self._services.auth.sign_out, user)
        except Exception:  # signing out is an audit note; never keep the user from leaving
            log.exception("sign-out could not be recorded")

    async def _finished(self, dialog: QDialog) -> int:
        """Show ``dialog`` and wait (without a nested event loop) until it closes."""
        self.dialog = dialog
        try:
            return await dialog_finished(dialog)
        finally:
            self.dialog = None
            dialog.deleteLater()

    def use_language(self, language: str) -> None:
        """Switch our catalogue and Qt's own (standard buttons, context menus) to ``language``."""
        if language == current_language() and self._qt_translator is not None:
            return
        set_language(language)
        app = QApplication.instance()
        if self._qt_translator is not None:
            app.removeTranslator(self._qt_translator)
            self._qt_translator = None
        translator = QTranslator()
        path = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if translator.load(QLocale(language), "qtbase", "_", path):
            app.installTranslator(translator)
            self._qt_translator = translator
        QLocale.setDefault(QLocale(language))
        apply_layout_direction(language)  # Arabic: the whole window mirrored
        install_catalogue_translator(app)  # "Cancel", "Yes"... where Qt has no translation (hi, ta, te)
