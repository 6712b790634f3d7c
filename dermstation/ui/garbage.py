"""Python's cycle collector runs on the main (Qt) thread only.

Left automatic, the collector runs in whichever thread happens to allocate when a threshold is crossed
— often the database thread or a worker. A cycle holding a Qt object (a widget and a lambda connected
to it) is then destroyed off the GUI thread, which Qt does not allow: a rare crash (seen in long UI test
runs). So the automatic collector is switched off and the same generational rule is applied from a
timer on the main thread. Reference counting still frees everything that is not in a cycle at once.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


def collect_due() -> int:
    """Collect the generations whose thresholds are crossed, as the automatic collector would."""
    threshold = gc.get_threshold()
    count = gc.get_count()
    if count[0] <= threshold[0]:
        return 0
    generation = 2 if count[2] > threshold[2] else 1 if count[1] > threshold[1] else 0
    return gc.collect(generation)


class MainThreadCollector(QObject):
    """Switches automatic collection off for the rest of the process and collects from a timer."""

    def __init__(self, parent: QObject, interval_ms: int = 500) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(collect_due)
        self._timer.start(interval_ms)
