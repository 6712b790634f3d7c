"""Qt-free progress reporting and cancellation for long-running service calls."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from dermstation.core.errors import Cancelled


@dataclass
class Progress:
    """Passed into long service calls. The UI reads it (via ``on_change``) and may ``cancel()``."""

    on_change: Callable[[int, int, str], None] | None = None
    _cancel: threading.Event = field(default_factory=threading.Event)
    done: int = 0
    total: int = 0
    label: str = ""

    def update(self, done: int, total: int | None = None, label: str | None = None) -> None:
        """Record progress and raise ``Cancelled`` if the user asked to stop."""
        self.done = done
        if total is not None:
            self.total = total
        if label is not None:
            self.label = label
        if self.on_change is not None:
            self.on_change(self.done, self.total, self.label)
        self.check()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise ``Cancelled`` if cancellation was requested; call between units of work."""
        if self._cancel.is_set():
            raise Cancelled()


NO_PROGRESS = Progress
"""Factory for callers that do not watch progress: ``progress=NO_PROGRESS()``."""
