"""ui/operations.py: off-thread work, latest wins, errors to the presenter, progress with cancel."""

import threading

from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton

from dermstation.core.errors import Cancelled, RecordNotFound
from dermstation.core.progress import Progress
from dermstation.ui.errors import ErrorPresenter, error_details
from dermstation.ui.operations import Operations


def test_db_work_runs_on_the_database_thread(qtbot, ops: Operations) -> None:
    seen: list[str] = []

    async def job() -> None:
        seen.append(await ops.db(lambda: threading.current_thread().name))
        seen.append(await ops.work(lambda: threading.current_thread().name))

    with qtbot.waitSignal(ops.settled, timeout=5000):
        ops.spawn(job())
    assert seen[0].startswith("db")
    assert seen[1].startswith("work")
    assert not ops.busy()


def test_latest_wins_drops_the_stale_result(qtbot, ops: Operations) -> None:
    release = threading.Event()
    shown: list[str] = []

    async def query(text: str, gate: threading.Event | None) -> None:
        result = await ops.db(lambda: (gate.wait(5) if gate else None, text)[1])
        shown.append(result)

    stale = ops.spawn(query("stale", release), key="search")
    ops.spawn(query("fresh", None), key="search")
    release.set()
    qtbot.waitUntil(lambda: not ops.busy(), timeout=5000)
    assert stale.cancelled()
    assert shown == ["fresh"]


def test_errors_reach_the_presenter_and_cancel_is_silent(qtbot, ops: Operations, presenter: ErrorPresenter):
    async def fails() -> None:
        await ops.db(_raise, RecordNotFound("This patient does not exist."))

    with qtbot.waitSignal(presenter.presented, timeout=5000) as blocker:
        ops.spawn(fails())
    assert isinstance(blocker.args[0], RecordNotFound)
    box = presenter.open_boxes()[-1]
    assert box.text() == "This patient does not exist."
    box.close()

    async def cancelled() -> None:
        await ops.db(_raise, Cancelled())

    with qtbot.assertNotEmitted(presenter.presented), qtbot.waitSignal(ops.settled, timeout=5000):
        ops.spawn(cancelled())


def test_unknown_error_offers_details(qtbot, presenter: ErrorPresenter) -> None:
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError as exc:
        error = exc
    with qtbot.waitSignal(presenter.presented):
        presenter.present(error)
    box = presenter.open_boxes()[-1]
    assert box.text() == "Something went wrong."
    assert "ZeroDivisionError" in box.detailedText()
    assert "ZeroDivisionError: boom" in error_details(error)
    copy = next(b for b in box.buttons() if b.text() == "Copy details")
    copy.click()
    assert "ZeroDivisionError" in QApplication.clipboard().text()
    assert box.isVisible()  # copying keeps the box open
    box.close()


def test_slow_work_shows_progress_and_cancel_stops_it(qtbot, ops: Operations, presenter) -> None:
    started = threading.Event()

    def long_task(progress: Progress) -> str:
        started.set()
        for step in range(1000):
            progress.update(step, 1000, "Working")
            progress._cancel.wait(0.01)  # a unit of real work would go here
        return "finished"

    async def job() -> None:
        await ops.with_progress(long_task, label="Analysing…")

    with qtbot.assertNotEmitted(presenter.presented), qtbot.waitSignal(ops.settled, timeout=10_000):
        ops.spawn(job())
        qtbot.waitUntil(lambda: _progress_dialog() is not None, timeout=5000)
        dialog = _progress_dialog()
        qtbot.waitUntil(lambda: dialog.labelText() == "Working", timeout=5000)
        dialog.findChild(QPushButton).click()
    assert started.is_set()


def _progress_dialog() -> QProgressDialog | None:
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog) and w.isVisible()), None)


def _raise(exc: BaseException) -> None:
    raise exc
