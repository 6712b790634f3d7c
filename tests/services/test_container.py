from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from dermstation.core.config import Paths, Settings, save_settings
from dermstation.services.auth import AuthService
from dermstation.services.container import Services, build_services


def test_build_services_uses_sqlite_in_the_data_dir_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DERMSTATION_DATABASE_URL", raising=False)
    paths = Paths(tmp_path / "fresh")
    services = build_services(paths)
    try:
        assert isinstance(services, Services)
        assert isinstance(services.auth, AuthService)
        assert paths.database_file.is_file()
        assert paths.backups.is_dir() and paths.image_store.is_dir()
        assert services.database.backend == "sqlite"
        assert "patients" in inspect(services.database.engine).get_table_names()
        assert services.auth.needs_setup()
    finally:
        services.close()


def test_environment_url_wins_over_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = Paths(tmp_path / "data")
    save_settings(paths, Settings(database_url=f"sqlite:///{tmp_path / 'from-settings.sqlite3'}"))
    monkeypatch.setenv("DERMSTATION_DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.sqlite3'}")
    build_services(paths).close()
    assert (tmp_path / "from-env.sqlite3").exists()
    assert not (tmp_path / "from-settings.sqlite3").exists()
    monkeypatch.delenv("DERMSTATION_DATABASE_URL")
    build_services(paths).close()
    assert (tmp_path / "from-settings.sqlite3").exists()
    assert not paths.database_file.exists()


def test_services_share_one_database(services: Services) -> None:
    assert services.database is services.database
    services.auth.set_up_clinic("admin", "Ada", "admin-password")
    admin = services.auth.sign_in("admin", "admin-password")
    assert services.users.list_users(admin)[0].id == admin.id
