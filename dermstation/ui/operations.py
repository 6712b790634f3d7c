"""Every piece of work a widget starts goes through here (Anki's CollectionOp/QueryOp, on qasync).

A widget never makes a thread, a progress dialog or an error box of its own. It writes a coroutine
and hands it to :meth:`Operations.spawn`; inside, it awaits :meth:`Operations.db` (the one database
thread: every session and write is serialised there) or :meth:`Operations.work` (the pool for
images, models, PDFs). Failures go to the :class:`~dermstation.ui.errors.ErrorPresenter` unless the
coroutine catches them itself; cancellations are silent.

"Latest wins": ``spawn(coro, key="patient-search")`` cancels the previous task with the same key, so
a stale query's result is never shown (a query still queued for the database thread is dropped).

"What changed": after a write succeeds, the widget that made it calls :meth:`Operations.announce`
(``ops.announce(Kind.ANALYSES, analysis_id)``); every page listens to the one :attr:`Operations.changed`
signal and reloads what concerns it. No page calls another page's ``refresh()``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from dermstation.core.i18n import _
from dermstation.core.progress import Progress
from dermstation.ui.errors import ErrorPresenter, is_silent

log = logging.getLogger(__name__)

T = TypeVar("T")

PROGRESS_DELAY_MS = 500
"""Work quicker than this never shows a progress dialog (no flicker for fast queries)."""


class Kind(StrEnum):
    """What kind of record a write changed (the pages decide what to reload from it)."""

    PATIENTS = "patients"
    LESIONS = "lesions"
    PICTURES = "pictures"  # captures stored or retracted
    ANALYSES = "analyses"
    ASSESSMENTS = "assessments"  # signed assessments, histology, follow-up requests
    APPOINTMENTS = "appointments"  # bookings, moves, cancellations, working hours
    REFERRALS = "referrals"
    HOSPITALS = "hospitals"  # the referral directory


@dataclass(frozen=True)
class Changed:
    """One successful write: the kind of record and the ids it touched (empty: several or unknown)."""

    kind: Kind
    ids: tuple[int, ...] = ()


class Operations(QObject):
    """Runs blocking service calls off the GUI thread and awaits them on the qasync loop."""

    #: Emitted when a spawned task ends, however it ended (tests and busy indicators wait on it).
    settled = Signal(str)
    #: Emitted on the GUI thread after a successful write (a :class:`Changed`); pages reload from it.
    changed = Signal(object)

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        db_executor: Executor,
        work_executor: Executor,
        presenter: ErrorPresenter,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._loop = loop
        self._db = db_executor
        self._work = work_executor
        self.presenter = presenter
        self._tasks: set[asyncio.Task[Any]] = set()
        self._latest: dict[str, asyncio.Task[Any]] = {}

    # --- awaiting blocking calls ----------------------------------------------------------------
    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a service call on the database thread."""
        return await self._submit(self._db, fn, args, kwargs)

    async def work(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run CPU-heavy work (inference, PDFs, DICOM) on the worker pool."""
        return await self._submit(self._work, fn, args, kwargs)

    def on_db_thread(self, fn: Callable[[], T]) -> T:
        """From a worker thread: run ``fn`` on the database thread and wait for it. For services that
        decode on a worker and store on the database thread (``run_on_db``); never call it on the db thread."""
        return self._db.submit(fn).result()

    async def with_progress(
        self,
        fn: Callable[..., T],
        *args: Any,
        label: str,
        parent: QWidget | None = None,
        on_db: bool = False,
        **kwargs: Any,
    ) -> T:
        """Run ``fn(*args, progress=Progress, **kwargs)``; show a cancellable dialog if it lasts.

        The dialog appears only after :data:`PROGRESS_DELAY_MS`; its Cancel button sets the
        ``Progress`` flag, and the service raises ``Cancelled`` at its next check.
        """
        dialog: QProgressDialog | None = None
        progress = Progress()

        def show_dialog() -> None:
            nonlocal dialog
            dialog = QProgressDialog(label, _("Cancel"), 0, max(progress.total, 0), parent)
            dialog.setWindowTitle(_("DermStation"))
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(0)
            dialog.setAutoClose(False)
            dialog.setAutoReset(False)
            dialog.canceled.connect(lambda: progress.cancel())
            dialog.setValue(progress.done)
            dialog.show()

        posted = threading.Event()  # set while an update is queued for the GUI thread

        def changed(_done: int, _total: int, _text: str) -> None:  # on the worker thread
            # Coalesce: a tight loop may report thousands of steps; the GUI needs the latest one.
            if not posted.is_set():
                posted.set()
                self._loop.call_soon_threadsafe(update)

        def update() -> None:
            posted.clear()
            if dialog is not None and not progress.cancelled:
                total = max(progress.total, 0)
                dialog.setMaximum(total)
                dialog.setValue(min(progress.done, total) if total else 0)
                if progress.label:
                    dialog.setLabelText(progress.label)

        progress.on_change = changed
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(show_dialog)
        timer.start(PROGRESS_DELAY_MS)
        executor = self._db if on_db else self._work
        try:
            return await self._submit(executor, fn, args, {**kwargs, "progress": progress})
        except asyncio.CancelledError:
            progress.cancel()  # the awaiting task went away: stop the work too
            raise
        finally:
            timer.stop()
            timer.deleteLater()
            if dialog is not None:
                dialog.close()
                dialog.deleteLater()

    async def _submit(self, executor: Executor, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        return await asyncio.wrap_future(executor.submit(functools.partial(fn, *args, **kwargs)), loop=self._loop)

    def announce(self, kind: Kind, *ids: int) -> None:
        """Tell every page that a write succeeded (call it after the awaited write returned)."""
        self.changed.emit(Changed(kind, tuple(int(i) for i in ids)))

    # --- starting work from signal handlers ----------------------------------------------------
    def spawn(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        key: str | None = None,
        parent: QWidget | None = None,
    ) -> asyncio.Task[Any]:
        """Start ``coro`` as a task, keep it alive, and present whatever it raises.

        With ``key``, an earlier task under the same key is cancelled first (latest wins).
        """
        if key is not None:
            stale = self._latest.pop(key, None)
            if stale is not None and not stale.done():
                stale.cancel()
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        if key is not None:
            self._latest[key] = task
        task.add_done_callback(functools.partial(self._finished, key or "", parent))
        return task

    def _finished(self, key: str, parent: QWidget | None, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if key and self._latest.get(key) is task:
            del self._latest[key]
        if not task.cancelled():
            exc = task.exception()
            if exc is not None and not is_silent(exc):
                self.presenter.present(exc, _alive(parent))
        self.settled.emit(key)

    def busy(self, key: str | None = None) -> bool:
        """True while a task (under ``key``, if given) is still running."""
        if key is None:
            return bool(self._tasks)
        task = self._latest.get(key)
        return task is not None and not task.done()

    def cancel_all(self) -> None:
        """Cancel every running task (sign-out, window closing)."""
        for task in list(self._tasks):
            task.cancel()


def _alive(widget: QWidget | None) -> QWidget | None:
    """``widget`` if its C++ object still exists, else None (a closed dialog is a poor parent)."""
    if widget is None:
        return None
    try:
        widget.objectName()
    except RuntimeError:
        return None
    return widget
