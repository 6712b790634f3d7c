from __future__ import annotations

import pytest

from dermstation.core.errors import Cancelled, DermStationError
from dermstation.core.progress import Progress


def test_progress_reports_and_cancels() -> None:
    seen: list[tuple[int, int, str]] = []
    progress = Progress(on_change=lambda d, t, label: seen.append((d, t, label)))
    progress.update(1, 10, "first")
    progress.update(2)
    assert seen == [(1, 10, "first"), (2, 10, "first")]
    progress.cancel()
    with pytest.raises(Cancelled):
        progress.update(3)
    assert progress.cancelled


def test_errors_carry_message_and_details() -> None:
    err = DermStationError("The image cannot be read", "truncated at byte 100")
    assert err.message == "The image cannot be read"
    assert "truncated" in str(err)
    assert isinstance(Cancelled(), DermStationError)
