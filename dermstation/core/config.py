"""Where DermStation keeps its files, and the settings a clinic can change.

Paths come from platformdirs unless ``DERMSTATION_DATA_DIR`` points elsewhere (tests, portable
installs). The database URL comes from ``DERMSTATION_DATABASE_URL``, else the settings file, else a
SQLite file in the data directory.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import platformdirs

from dermstation.core.errors import ConfigError

APP_NAME = "DermStation"
APP_AUTHOR = "DermStation"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Paths:
    """Every directory the application writes to."""

    data_dir: Path

    @property
    def database_file(self) -> Path:
        return self.data_dir / "dermstation.sqlite3"

    @property
    def image_store(self) -> Path:
        return self.data_dir / "images"

    @property
    def backups(self) -> Path:
        return self.data_dir / "backups"

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    @property
    def settings_file(self) -> Path:
        return self.data_dir / "settings.json"

    def ensure(self) -> None:
        """Create the directories, or say plainly why we cannot."""
        try:
            for path in (self.data_dir, self.image_store, self.backups, self.logs):
                path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"Cannot create the data directory {self.data_dir}", str(exc)) from exc


def default_paths() -> Paths:
    override = os.environ.get("DERMSTATION_DATA_DIR")
    if override:
        return Paths(Path(override).expanduser().resolve())
    return Paths(Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)))


def models_dir() -> Path:
    """The bundled models (``models/`` beside the package), or ``DERMSTATION_MODELS_DIR``."""
    override = os.environ.get("DERMSTATION_MODELS_DIR")
    return Path(override) if override else PROJECT_ROOT / "models"


@dataclass(frozen=True)
class Settings:
    """Clinic-wide settings persisted as JSON in the data directory."""

    clinic_name: str = ""
    language: str = "en"
    timezone: str = "UTC"
    database_url: str = ""
    clinic_latitude: float | None = None
    clinic_longitude: float | None = None
    assistant_enabled: bool = True
    execution_provider: str = "auto"  # auto | cpu
    hair_removal: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)


def load_settings(paths: Paths) -> Settings:
    """Read the settings file; a missing file gives defaults, a broken one a clear error."""
    if not paths.settings_file.exists():
        return Settings()
    try:
        raw = json.loads(paths.settings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The settings file {paths.settings_file} cannot be read", str(exc)) from exc
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in raw.items() if k in known})


def save_settings(paths: Paths, settings: Settings) -> None:
    """Write settings atomically so a crash never leaves half a file."""
    paths.ensure()
    data = json.dumps(asdict(settings), indent=2, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(dir=paths.data_dir, prefix=".settings-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, paths.settings_file)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError("Cannot save the settings", str(exc)) from exc


def database_url(paths: Paths, settings: Settings) -> str:
    """The SQLAlchemy URL to use: environment, then settings, then the local SQLite file."""
    return (
        os.environ.get("DERMSTATION_DATABASE_URL")
        or settings.database_url
        or f"sqlite:///{paths.database_file}"
    )
