"""Where DermStation keeps its files, and the settings of this workstation and of the clinic.

Paths come from platformdirs unless ``DERMSTATION_DATA_DIR`` points elsewhere (tests, portable
installs). The database URL comes from ``DERMSTATION_DATABASE_URL``, else the settings file, else a
SQLite file in the data directory.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import platformdirs

from dermstation.core.errors import ConfigError


def _(message: str) -> str:
    """``core.i18n._``, imported when called (``core.i18n`` reads PROJECT_ROOT from this module)."""
    from dermstation.core.i18n import _ as translate

    return translate(message)

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
    def image_cache(self) -> Path:
        """Local copies, by hash, of pictures kept in the clinic's database."""
        return self.data_dir / "image-cache"

    @property
    def workstation_id_file(self) -> Path:
        return self.data_dir / "workstation-id"

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
            raise ConfigError(_("Cannot create the data directory {data_dir}").format(data_dir=self.data_dir),
                              str(exc)) from exc


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
    """What differs per workstation, kept in ``settings.json`` in the data directory.

    Everything the clinic shares (name, time zone, policies) is a ``ClinicSettings`` in the database.
    """

    database_url: str = ""
    language: str = "en"
    execution_provider: str = "auto"  # auto | cpu
    camera: str = ""  # camera index or name; empty: the first camera found

    def with_changes(self, **changes: object) -> Settings:
        return replace(self, **changes)


DEFAULT_OPENING_HOURS = ("08:00-17:00",) * 5 + ("", "")


@dataclass(frozen=True)
class ClinicSettings:
    """Settings every workstation of the clinic shares (stored in the database, one row per field).

    ``opening_hours`` has seven entries, Monday first: ``"HH:MM-HH:MM"`` in clinic time, or ``""``
    when closed. ``image_folder`` names a shared folder for pictures (empty: the database on
    PostgreSQL, the local folder on SQLite).
    """

    clinic_name: str = ""
    clinic_address: str = ""
    clinic_phone: str = ""
    clinic_email: str = ""
    timezone: str = "UTC"
    clinic_latitude: float | None = None
    clinic_longitude: float | None = None
    opening_hours: tuple[str, ...] = DEFAULT_OPENING_HOURS
    assistant_enabled: bool = True
    assistant_online: bool = False  # online answers stay off until an administrator turns them on (issue 14)
    report_header: str = ""
    image_folder: str = ""
    screen_lock_minutes: int = 5  # shared workstations lock after this long without input (1-120)

    def with_changes(self, **changes: object) -> ClinicSettings:
        return replace(self, **changes)


MACHINE_KEYS = frozenset(f.name for f in fields(Settings))
CLINIC_KEYS = frozenset(f.name for f in fields(ClinicSettings))


def read_settings_file(paths: Paths) -> dict[str, object]:
    """The raw JSON object of the settings file ({} when there is none)."""
    if not paths.settings_file.exists():
        return {}
    try:
        raw = json.loads(paths.settings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(_("The settings file {settings_file} cannot be read").format(
            settings_file=paths.settings_file), str(exc)) from exc
    if not isinstance(raw, dict):
        raise ConfigError(_("The settings file {settings_file} cannot be read").format(
            settings_file=paths.settings_file), "not a JSON object")
    return raw


def load_settings(paths: Paths) -> Settings:
    """Read the settings file; a missing file gives defaults, a broken one a clear error.

    Keys of older versions (clinic values, moved into the database) are ignored here.
    """
    raw = read_settings_file(paths)
    return Settings(**{k: v for k, v in raw.items() if k in MACHINE_KEYS})


def save_settings(paths: Paths, settings: Settings) -> None:
    """Write settings atomically so a crash never leaves half a file."""
    write_settings_file(paths, asdict(settings))


def write_settings_file(paths: Paths, raw: dict[str, object]) -> None:
    paths.ensure()
    data = json.dumps(raw, indent=2, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(dir=paths.data_dir, prefix=".settings-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, paths.settings_file)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(_("Cannot save the settings"), str(exc)) from exc


def database_url(paths: Paths, settings: Settings) -> str:
    """The SQLAlchemy URL to use: environment, then settings, then the local SQLite file."""
    return (
        os.environ.get("DERMSTATION_DATABASE_URL")
        or settings.database_url
        or f"sqlite:///{paths.database_file}"
    )
