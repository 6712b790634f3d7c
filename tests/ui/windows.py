"""The main window as the shell builds it: the one service container (a real SQLite file) and a user."""

from __future__ import annotations

from dermstation.services.container import Services
from dermstation.services.types import CurrentUser
from dermstation.ui.main_window import MainWindow, describe_database
from dermstation.ui.operations import Operations
from dermstation.ui.preferences import UiPreferences


def open_main_window(qtbot, services: Services, user: CurrentUser, ops: Operations, *,  # type: ignore[no-untyped-def]
                     language: str = "en", preferences: UiPreferences | None = None,
                     clinic_name: str = "Riverside Dermatology") -> MainWindow:
    window = MainWindow(
        user, services,
        preferences=preferences or UiPreferences(services.paths.data_dir / "ui.ini"),
        ops=ops,
        clinic_name=clinic_name,
        database_label=describe_database(f"sqlite:///{services.paths.database_file}"),
        language=language,
    )
    qtbot.addWidget(window)
    window.show()
    return window
