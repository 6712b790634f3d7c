"""An IT administrator (administration only) opens every section shown to them without a refusal."""

from __future__ import annotations

from dermstation.services.reception import build_reception_services
from dermstation.ui.main_window import MainWindow, describe_database
from dermstation.ui.navigation import Section
from dermstation.ui.preferences import UiPreferences


def test_an_it_administrator_meets_no_permission_error(qtbot, services, admin, ops, presenter) -> None:
    shown: list[BaseException] = []
    presenter.presented.connect(shown.append)
    window = MainWindow(
        admin, patients=services.patients, users=services.users, settings_store=services.settings_store,
        auth=services.auth, preferences=UiPreferences(services.paths.data_dir / "ui.ini"), ops=ops,
        clinic_name="Riverside Dermatology", database_label=describe_database("sqlite:////x"), language="en",
        reception=build_reception_services(services),
    )
    qtbot.addWidget(window)
    window.show()
    assert window.section_names() == [Section.HOSPITALS, Section.SETTINGS]
    for section in window.section_names():
        window.show_section(section)
        qtbot.waitUntil(lambda: not ops.busy(), timeout=10000)
    assert shown == [], [getattr(e, "message", repr(e)) for e in shown]
