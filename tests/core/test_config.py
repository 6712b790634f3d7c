from __future__ import annotations

import json
from pathlib import Path

import pytest

from dermstation.core.config import (
    Settings,
    database_url,
    default_paths,
    load_settings,
    save_settings,
)
from dermstation.core.errors import ConfigError


def test_data_dir_override_and_sqlite_default(data_dir: Path) -> None:
    paths = default_paths()
    assert paths.data_dir == data_dir.resolve()
    paths.ensure()
    assert paths.image_store.is_dir() and paths.backups.is_dir()
    assert database_url(paths, Settings()) == f"sqlite:///{paths.database_file}"


def test_database_url_precedence(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = default_paths()
    settings = Settings(database_url="postgresql+psycopg://clinic-server/derm")
    assert database_url(paths, settings) == "postgresql+psycopg://clinic-server/derm"
    monkeypatch.setenv("DERMSTATION_DATABASE_URL", "sqlite:////tmp/other.sqlite3")
    assert database_url(paths, settings) == "sqlite:////tmp/other.sqlite3"


def test_settings_round_trip_is_atomic(data_dir: Path) -> None:
    paths = default_paths()
    assert load_settings(paths) == Settings()
    settings = Settings(language="de", execution_provider="cpu", camera="1")
    save_settings(paths, settings)
    assert load_settings(paths) == settings
    # no temporary files left behind
    assert [p.name for p in paths.data_dir.iterdir() if p.name.startswith(".settings-")] == []


def test_unknown_keys_are_ignored_and_broken_file_is_reported(data_dir: Path) -> None:
    paths = default_paths()
    paths.ensure()
    paths.settings_file.write_text(json.dumps({"language": "fr", "clinic_name": "A", "from_the_future": 1}))
    assert load_settings(paths) == Settings(language="fr")  # clinic values live in the database now
    paths.settings_file.write_text("{not json")
    with pytest.raises(ConfigError, match="settings file"):
        load_settings(paths)


def test_unwritable_data_dir_gives_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("DERMSTATION_DATA_DIR", str(blocker / "inside"))
    with pytest.raises(ConfigError, match="Cannot create the data directory"):
        default_paths().ensure()
