"""Work-arounds for bugs in the Qt binding we ship with.

PySide6 6.12 on CPython 3.11: ``Signal.emit()`` returns ``True`` without taking a reference to it,
so every emit from Python — ours, qasync's ``call_soon_threadsafe`` (one per finished executor job),
pytest-qt's — lowers ``True``'s reference count by one. After a few hundred emits the interpreter
aborts with "bool_dealloc: deallocating True or False". CPython 3.12+ makes ``True`` immortal; on
3.11 we do the same by hand, once, and only when the bug is actually present.
"""

from __future__ import annotations

import ctypes
import logging
import sys

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

_PINNED = False


class _Probe(QObject):
    fired = Signal()


def emit_leaks_true() -> bool:
    """True if emitting a signal from Python drops a reference to ``True`` (the bug above)."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        probe.fired.emit()
    return sys.getrefcount(True) < before


def keep_true_alive() -> None:
    """Make ``True`` effectively immortal if this binding leaks references to it."""
    global _PINNED
    if _PINNED or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    if emit_leaks_true():
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(True)).value += 1 << 40
        log.debug("pinned True: this PySide6 build drops a reference to it on every Signal.emit()")
    _PINNED = True
