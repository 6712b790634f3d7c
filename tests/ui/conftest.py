"""UI fixtures: real services on a temporary SQLite database, a qasync loop driven by qtbot.

Widgets run their service calls on a real single-thread database executor; tests wait on the
widgets' own signals (``qtbot.waitSignal``), never on sleeps.
"""

import asyncio
import gc
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

# tests/ui (windows.py, fake_analysis.py), tests/ (the shared fixtures) and the repository root
for _path in Path(__file__).resolve().parents[0:3]:
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import qasync  # noqa: E402
from assistant_fixtures import *  # noqa: E402, F403
from PySide6.QtWidgets import QApplication  # noqa: E402
from records_fixtures import *  # noqa: E402, F403

from dermstation.core.i18n import set_language  # noqa: E402
from dermstation.ui.errors import ErrorPresenter  # noqa: E402
from dermstation.ui.garbage import collect_due  # noqa: E402
from dermstation.ui.operations import Operations  # noqa: E402
from dermstation.ui.theme import apply_theme  # noqa: E402


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The widgets are backend-agnostic: SQLite is enough here (the services tests cover PostgreSQL)."""
    return sqlite_url


@pytest.fixture(autouse=True)
def cycles_collected_on_the_main_thread() -> Iterator[None]:
    """As in the app (ui/garbage.py): no automatic collection that could run on the database thread and
    destroy Qt objects there (a rare segfault in long runs); the due generations are collected here."""
    gc.disable()
    yield
    collect_due()
    gc.enable()


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@pytest.fixture(scope="session")
def themed_app(qapp: QApplication) -> QApplication:
    """The app's theme, applied once: setStyleSheet re-polishes every live widget (0.4 s a test here)."""
    apply_theme(qapp)
    return qapp


@pytest.fixture
def loop(themed_app: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop that counts as running while qtbot spins the Qt event loop."""
    qapp = themed_app
    if not qapp.styleSheet():  # a test that cleared the theme does not leave the next one unstyled
        apply_theme(qapp)
    event_loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    for task in asyncio.all_tasks(event_loop):
        task.cancel()
    qapp.processEvents()
    # loop.stop() would call QApplication.exit(), which makes every later QEventLoop.exec (and so
    # qtbot.waitSignal) return at once; mark the loop stopped without it.
    event_loop._QEventLoop__is_running = False
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    event_loop.close()


@pytest.fixture
def presenter() -> ErrorPresenter:
    return ErrorPresenter()


@pytest.fixture
def ops(loop: asyncio.AbstractEventLoop, presenter: ErrorPresenter) -> Iterator[Operations]:
    db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")
    work = ThreadPoolExecutor(max_workers=2, thread_name_prefix="work")
    yield Operations(loop, db, work, presenter)
    db.shutdown(wait=True, cancel_futures=True)
    work.shutdown(wait=True, cancel_futures=True)
