"""The PySide6 emit/True reference bug must never bring the application down."""

import sys

from PySide6.QtCore import QObject, Signal

from dermstation.ui.qt_compat import keep_true_alive


class _Emitter(QObject):
    fired = Signal()


def test_thousands_of_emits_keep_true_alive() -> None:
    keep_true_alive()
    emitter = _Emitter()
    for _ in range(5000):  # ~10x what aborted the interpreter before the work-around
        emitter.fired.emit()
    assert sys.getrefcount(True) > 1000
