"""The composition root: settings → database → services → Qt application → session.

Nothing else in DermStation creates global state. ``main`` builds the graph once, runs the Qt event
loop as the asyncio loop (qasync), and returns the process exit code.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

import qasync
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

import dermstation
from dermstation.core.config import APP_AUTHOR, APP_NAME, database_url, default_paths, load_settings
from dermstation.core.errors import DermStationError
from dermstation.core.i18n import _, set_language
from dermstation.core.logs import configure_logging
from dermstation.services.container import build_services
from dermstation.ui.errors import ErrorPresenter
from dermstation.ui.forms import dialog_finished
from dermstation.ui.garbage import MainThreadCollector
from dermstation.ui.operations import Operations
from dermstation.ui.shell import Shell
from dermstation.ui.theme import apply_theme

log = logging.getLogger("dermstation.app")


def main(argv: list[str]) -> int:
    """Start the desktop application; returns the exit code."""
    paths = default_paths()
    try:
        paths.ensure()
        configure_logging(paths.logs)
        settings = load_settings(paths)
    except DermStationError as exc:
        configure_logging(None)
        log.error("cannot start: %s", exc)
        return _fatal(argv, exc)
    set_language(settings.language)
    url = database_url(paths, settings)
    log.info("DermStation %s starting; data in %s", dermstation.__version__, paths.data_dir)

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(argv)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(APP_AUTHOR)
    QCoreApplication.setApplicationVersion(dermstation.__version__)
    QGuiApplication.setDesktopFileName("dermstation")
    # The session decides when we are done (a sign-out closes the last window but goes on).
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    MainThreadCollector(app)

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    if os.environ.get("DERMSTATION_SMOKE_TEST"):
        _exit_when_a_window_shows(app)
    presenter = ErrorPresenter()
    db_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")
    work_executor = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="work")
    ops = Operations(loop, db_executor, work_executor, presenter)
    _route_uncaught_exceptions(loop, presenter)

    async def session() -> int:
        try:
            # Opening may migrate (after a backup): that is database work, on the database thread.
            # Every service is built there, once; models load (and are verified) on the first analysis.
            services = await ops.db(build_services, paths, url)
        except DermStationError as exc:
            log.error("cannot open the database: %s", exc)
            await dialog_finished(_fatal_box(exc))
            return 1
        services.hospital_link.sender.start()  # PACS sends go out on their own thread (issue 22)
        try:
            return await Shell(services, ops, url).run()
        finally:
            services.hospital_link.sender.stop()
            await ops.db(services.close)

    try:
        with loop:
            return loop.run_until_complete(session())
    finally:
        db_executor.shutdown(wait=True, cancel_futures=True)
        work_executor.shutdown(wait=False, cancel_futures=True)
        log.info("DermStation stopped")


def _exit_when_a_window_shows(app: QApplication) -> None:
    """Packaging smoke test: report the first window (sign-in or first run) and leave at once."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialog, QMainWindow

    timer = QTimer(app)

    def check() -> None:
        for widget in app.topLevelWidgets():
            if isinstance(widget, QDialog | QMainWindow) and widget.isVisible():
                print(f"DermStation smoke test: window shown: {widget.windowTitle()}", flush=True)
                os._exit(0)  # noqa: SLF001 - nothing to save: no one has signed in

    timer.timeout.connect(check)
    timer.start(50)


def _route_uncaught_exceptions(loop: asyncio.AbstractEventLoop, presenter: ErrorPresenter) -> None:
    """Send every exception nobody caught — GUI thread, worker threads, loop callbacks — to the log
    and the presenter, so no error is silent and none kills the window."""
    gui_thread = threading.main_thread()

    def present(exc: BaseException) -> None:
        if threading.current_thread() is gui_thread:
            presenter.present(exc)
        else:
            loop.call_soon_threadsafe(presenter.present, exc)

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        present(exc.with_traceback(tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            present(args.exc_value)

    def loop_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if exc is None:
            log.error("event loop: %s", context.get("message"))
            return
        present(exc)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    loop.set_exception_handler(loop_handler)


def _fatal_box(exc: DermStationError) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Critical, _("DermStation cannot start"), exc.message)
    if exc.details:
        box.setDetailedText(exc.details)
    return box


def _fatal(argv: list[str], exc: DermStationError) -> int:
    """Before the event loop exists (no data directory, broken settings file): a plain modal box."""
    app = QApplication.instance() or QApplication(argv)
    apply_theme(app)
    _fatal_box(exc).exec()
    return 1
