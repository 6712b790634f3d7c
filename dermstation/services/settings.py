"""Settings: the clinic's (in the database, changed by administrators) and this workstation's (a file).

Clinic-wide values live in ``clinic_settings``, one JSON value per ``ClinicSettings`` field, so every
workstation reads the same time zone, name and policies, and a change on one applies on all at the
next read. ``settings.json`` keeps only what differs per machine (database URL, camera, language,
execution provider). Clinic values that older versions kept in ``settings.json`` are moved into the
database on the first start (``adopt_settings_file``); the old file is kept beside it.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from dermstation.core.config import (
    CLINIC_KEYS,
    ClinicSettings,
    Paths,
    Settings,
    load_settings,
    read_settings_file,
    save_settings,
    write_settings_file,
)
from dermstation.core.domain import AuditAction
from dermstation.core.errors import ConfigError, DatabaseUnavailable, PermissionDenied, ValidationError
from dermstation.core.i18n import _
from dermstation.records.clinic_models import ClinicSetting
from dermstation.records.database import Database, translate_error
from dermstation.records.models import ImageCapture
from dermstation.services import clinic_time
from dermstation.services.audit import AuditLog
from dermstation.services.permissions import ADMIN_ONLY, authorize
from dermstation.services.types import CurrentUser

log = logging.getLogger(__name__)

LEGACY_BACKUP_SUFFIX = ".before-clinic-database"
# clinic values an older settings.json kept under "extra"
_LEGACY_EXTRA = {"clinic_address": "clinic_address", "clinic_phone": "clinic_phone",
                 "clinic_email": "clinic_email", "assistant_online": "assistant_online"}
_HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class SettingsStore:
    def __init__(self, paths: Paths, database: Database, audit: AuditLog) -> None:
        self._paths = paths
        self._db = database
        self._audit = audit
        # SQLite: a plain connection (deferred read, no BEGIN IMMEDIATE) reads beside an open writer (WAL)
        self._reader = (create_engine(database.engine.url, poolclass=NullPool)
                        if database.backend == "sqlite" else database.engine)

    # --- this workstation --------------------------------------------------------------------
    def machine(self) -> Settings:
        return load_settings(self._paths)

    def save_machine(self, settings: Settings) -> None:
        if settings.execution_provider not in ("auto", "cpu"):
            raise ValidationError(_("Unknown execution provider."), field="execution_provider")
        save_settings(self._paths, settings)

    # --- the clinic ----------------------------------------------------------------------------
    def load(self, session: Session | None = None) -> ClinicSettings:
        """The clinic's settings as stored now (defaults for keys never set).

        Without ``session`` it reads on a connection of its own that takes no write lock, so services
        may call it while their own transaction is open (SQLite allows one writer at a time).
        """
        query = select(ClinicSetting.key, ClinicSetting.value)
        if session is not None:
            return _from_stored({key: value for key, value in session.execute(query)})
        try:
            with self._reader.connect() as conn:
                return _from_stored({key: value for key, value in conn.execute(query)})
        except SQLAlchemyError as exc:
            raise (translate_error(exc) or DatabaseUnavailable(_("The clinic settings cannot be read."))) from exc

    def save(self, actor: CurrentUser, settings: ClinicSettings, session: Session | None = None) -> ClinicSettings:
        """Store clinic-wide settings (administrators only); audited with the names of changed keys."""
        if session is None:
            with self._db.session() as own:
                return self.save(actor, settings, own)
        authorize(session, actor, ADMIN_ONLY)
        check_clinic(settings)
        current = self.load(session)
        moved = settings.image_folder.strip() != current.image_folder.strip()
        if moved and session.scalar(select(func.count()).select_from(ImageCapture)):
            raise ValidationError(
                _("Pictures are already stored: the image store cannot be moved here. "
                  "See the deployment guide for moving a clinic's pictures."), field="image_folder")
        changed = _write(session, settings, current, actor.id)
        if changed:
            self._audit.record(session, actor.id, AuditAction.UPDATE, "clinic_settings", None,
                               ("changed " + ",".join(changed))[:200])
        return self.load(session)

    def set_clinic_name(self, name: str) -> ClinicSettings:
        """Name the clinic during first-run set-up (no user signed in yet); refused once it has a name."""
        name = name.strip()
        if not name:
            raise ValidationError(_("Please enter the clinic's name."), field="clinic_name")
        with self._db.session() as session:
            current = self.load(session)
            if current.clinic_name:  # set-up is over: renaming is an administrator's change (``save``)
                raise PermissionDenied(_("Only an administrator can change the clinic settings."),
                                       details="clinic already named")
            settings = current.with_changes(clinic_name=name)
            check_clinic(settings)
            _write(session, settings, current, None)
            return settings

    def adopt_settings_file(self) -> tuple[str, ...]:
        """Move clinic values an older version kept in settings.json into the database (first start).

        Values the database already holds win (another workstation moved them first). The original
        file is kept as ``settings.json.before-clinic-database``; returns the keys adopted.
        """
        raw = read_settings_file(self._paths)
        legacy = {key: raw[key] for key in CLINIC_KEYS & raw.keys()}
        extra = raw.get("extra") if isinstance(raw.get("extra"), dict) else {}
        for old, new in _LEGACY_EXTRA.items():
            if old in extra:
                legacy[new] = extra[old] != "0" if new == "assistant_online" else str(extra[old])
        leftovers = set(raw) - {f.name for f in dataclasses.fields(Settings)}
        if not leftovers:
            return ()
        adopted: list[str] = []
        with self._db.session() as session:
            present = set(session.scalars(select(ClinicSetting.key)))
            for key, value in legacy.items():
                if key not in present:
                    session.add(ClinicSetting(key=key, value=_to_json(value)))
                    adopted.append(key)
            if adopted:
                self._audit.record(session, None, AuditAction.UPDATE, "clinic_settings", None,
                                   ("adopted from settings.json: " + ",".join(sorted(adopted)))[:200])
        backup = self._paths.settings_file.with_name(self._paths.settings_file.name + LEGACY_BACKUP_SUFFIX)
        try:
            if not backup.exists():
                shutil.copy2(self._paths.settings_file, backup)
        except OSError as exc:
            raise ConfigError(_("Cannot keep a copy of the old settings file"), str(exc)) from exc
        write_settings_file(self._paths, {k: v for k, v in raw.items() if k not in leftovers})
        log.info("clinic settings moved into the database: %s", ", ".join(sorted(adopted)) or "none new")
        return tuple(sorted(adopted))


def _to_json(value: object) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _from_stored(stored: dict[str, Any]) -> ClinicSettings:
    values: dict[str, Any] = {}
    for key, value in stored.items():
        if key not in CLINIC_KEYS:
            continue  # written by a newer version
        if key == "opening_hours":
            value = tuple(str(v) for v in value) if isinstance(value, list) and len(value) == 7 else None
            if value is None:
                continue
        values[key] = value
    return ClinicSettings(**values)


def _write(session: Session, settings: ClinicSettings, current: ClinicSettings, actor_id: int | None) -> list[str]:
    changed = []
    for field in dataclasses.fields(ClinicSettings):
        new, old = getattr(settings, field.name), getattr(current, field.name)
        if new == old:
            continue
        row = session.get(ClinicSetting, field.name)
        if row is None:
            session.add(ClinicSetting(key=field.name, value=_to_json(new), updated_by_id=actor_id))
        else:
            row.value = _to_json(new)
            row.updated_by_id = actor_id
        changed.append(field.name)
    session.flush()
    return changed


def check_clinic(settings: ClinicSettings) -> None:
    """Refuse values no workstation could use, naming the field."""
    if len(settings.clinic_name) > 200:
        raise ValidationError(_("The clinic's name is too long."), field="clinic_name")
    if len(settings.clinic_address) > 500:
        raise ValidationError(_("The clinic's address is too long."), field="clinic_address")
    if len(settings.clinic_phone) > 50:
        raise ValidationError(_("The clinic's phone number is too long."), field="clinic_phone")
    if settings.clinic_email and not _EMAIL.fullmatch(settings.clinic_email):
        raise ValidationError(_("This is not an e-mail address."), field="clinic_email")
    if len(settings.report_header) > 300:
        raise ValidationError(_("The report header is too long."), field="report_header")
    try:
        clinic_time.clinic_zone(settings.timezone)
    except ConfigError as exc:
        raise ValidationError(exc.message, field="timezone") from exc
    lat, lon = settings.clinic_latitude, settings.clinic_longitude
    if lat is not None and not -90 <= lat <= 90:
        raise ValidationError(_("The latitude must be between -90 and 90."), field="clinic_latitude")
    if lon is not None and not -180 <= lon <= 180:
        raise ValidationError(_("The longitude must be between -180 and 180."), field="clinic_longitude")
    minutes = settings.screen_lock_minutes
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 120:
        raise ValidationError(_("The screen lock time is 1 to 120 minutes."), field="screen_lock_minutes")
    if len(settings.opening_hours) != 7:
        raise ValidationError(_("Opening hours need one entry per weekday."), field="opening_hours")
    for entry in settings.opening_hours:
        match = _HOURS.fullmatch(entry) if entry else None
        if entry and (match is None or entry[:5] >= entry[6:]):
            raise ValidationError(_("Opening hours look like 08:00-17:00, opening before closing."),
                                  field="opening_hours")
    folder = settings.image_folder.strip()
    if folder and not (Path(folder).is_absolute() and Path(folder).is_dir()):
        raise ValidationError(_("The shared picture folder must be an existing folder, given in full."),
                              field="image_folder")
