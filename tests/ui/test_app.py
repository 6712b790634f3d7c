"""app.py: uncaught exceptions from any thread or the loop reach the log and the presenter."""

import sys
import threading

import pytest

from dermstation.app import _route_uncaught_exceptions
from dermstation.core.errors import DatabaseLocked
from dermstation.ui.errors import ErrorPresenter


@pytest.fixture
def routed(loop, presenter: ErrorPresenter):
    saved = sys.excepthook, threading.excepthook, loop.get_exception_handler()
    _route_uncaught_exceptions(loop, presenter)
    yield presenter
    sys.excepthook, threading.excepthook = saved[0], saved[1]
    loop.set_exception_handler(saved[2])
    for box in presenter.open_boxes():
        box.close()


def test_gui_thread_exception_is_presented(qtbot, routed: ErrorPresenter) -> None:
    with qtbot.waitSignal(routed.presented) as blocker:
        sys.excepthook(DatabaseLocked, DatabaseLocked("The database is busy."), None)
    assert blocker.args[0].message == "The database is busy."


def test_worker_thread_exception_is_presented_on_the_gui_thread(qtbot, routed: ErrorPresenter) -> None:
    def boom() -> None:
        raise RuntimeError("worker failed")

    with qtbot.waitSignal(routed.presented, timeout=5000) as blocker:
        worker = threading.Thread(target=boom)
        worker.start()
        worker.join()
    assert str(blocker.args[0]) == "worker failed"
    assert routed.open_boxes()[-1].text() == "Something went wrong."


def test_loop_callback_exception_is_presented(qtbot, loop, routed: ErrorPresenter) -> None:
    def callback() -> None:
        raise ValueError("callback failed")

    with qtbot.waitSignal(routed.presented, timeout=5000) as blocker:
        loop.call_soon(callback)
    assert isinstance(blocker.args[0], ValueError)
