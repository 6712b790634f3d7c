"""An IT administrator (administration only) opens every section shown to them without a refusal."""

from __future__ import annotations

from windows import open_main_window

from dermstation.ui.navigation import Section


def test_an_it_administrator_meets_no_permission_error(qtbot, services, admin, ops, presenter) -> None:
    shown: list[BaseException] = []
    presenter.presented.connect(shown.append)
    window = open_main_window(qtbot, services, admin, ops)
    assert window.section_names() == [Section.HOSPITALS, Section.SETTINGS]
    for section in window.section_names():
        window.show_section(section)
        qtbot.waitUntil(lambda: not ops.busy(), timeout=10000)
    assert shown == [], [getattr(e, "message", repr(e)) for e in shown]
