"""Backups that restore, a check of every picture, and moving a clinic from SQLite to PostgreSQL.

A backup is a folder: ``database.sqlite3`` (the SQLite online backup API for a SQLite clinic; a
logical copy through SQLAlchemy for PostgreSQL, which needs no ``pg_dump`` of the server's exact
version), ``images/`` (a content-addressed folder of every picture) and ``manifest.json`` (schema
revision, row counts per table, picture hashes). Every write is verified by reading it back: counts
and hashes must match the source, and every picture must read back with the right hash.

Restoring and moving use the same copy: tables in dependency order into an empty database at the
same schema revision, then every picture into the target's image store, then the same comparison.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, Table, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

import dermstation
from dermstation.core.config import Paths
from dermstation.core.domain import AuditAction
from dermstation.core.errors import ImageStoreError, OutputNotWritten, RecordError
from dermstation.core.i18n import _
from dermstation.core.private_files import private_dir
from dermstation.records import migrate
from dermstation.records.database import Database, create_private_file, sqlite_file
from dermstation.records.database_images import open_image_store
from dermstation.records.image_store import ImageStorage, ImageStore
from dermstation.records.models import Base
from dermstation.services.audit import AuditLog

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
BACKUP_DATABASE = "database.sqlite3"
BACKUP_IMAGES = "images"
FORMAT = 1
# where records name pictures: (table, column); the one list verify, backup and moves read
IMAGE_COLUMNS: tuple[tuple[str, str], ...] = (("image_captures", "sha256"), ("analyses", "mask_sha256"))
# storage, not records: picture bytes travel through the image stores, not the row copy
NOT_COPIED = frozenset({"stored_images", "alembic_version"})
_BATCH = 500


class MaintenanceError(RecordError):
    """A backup, restore, check or move that did not complete; the message says what to do."""


@dataclass(frozen=True)
class Inventory:
    """What a database holds, for comparing a copy with its source."""

    revision: tuple[str, ...]
    counts: tuple[tuple[str, int], ...]  # (table, rows), by table name
    images: tuple[str, ...]  # every picture hash the records name, sorted

    def count(self, table: str) -> int:
        return dict(self.counts).get(table, 0)

    def differences(self, other: Inventory) -> list[str]:
        out = []
        if self.revision != other.revision:
            out.append(f"schema revision {','.join(self.revision)} != {','.join(other.revision)}")
        mine, theirs = dict(self.counts), dict(other.counts)
        for table in sorted(set(mine) | set(theirs)):
            if mine.get(table, 0) != theirs.get(table, 0):
                out.append(f"{table}: {mine.get(table, 0)} rows != {theirs.get(table, 0)}")
        if self.images != other.images:
            out.append(f"pictures: {len(set(self.images) ^ set(other.images))} hashes differ")
        return out


@dataclass(frozen=True)
class Problem:
    """A record whose picture cannot be read, or reads back wrong."""

    table: str
    record_id: object
    sha256: str
    message: str

    def __str__(self) -> str:
        return f"{self.table} {self.record_id}: {self.sha256[:16]}… {self.message}"


@dataclass(frozen=True)
class Outcome:
    """What a backup, restore or move did, after it was verified."""

    where: str
    inventory: Inventory

    def summary(self) -> str:
        rows = sum(n for _t, n in self.inventory.counts)
        return f"{self.where}: {rows} rows in {len(self.inventory.counts)} tables, {len(self.inventory.images)} pictures"


def _tables() -> list[Table]:
    migrate.import_all_models()
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_COPIED]


@contextmanager
def _reading(bind: Engine | Connection) -> Iterator[Connection]:
    """A connection to read from: ``bind`` itself, or a new one on an engine."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """One consistent view of a live database (PostgreSQL: a REPEATABLE READ transaction; SQLite: our
    BEGIN IMMEDIATE, which holds writers off), so counts, hashes and copied rows agree."""
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        yield conn


def _revision(conn: Connection) -> tuple[str, ...]:
    return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def inventory(bind: Engine | Connection) -> Inventory:
    """Row counts of every table and the hashes of every picture the records name."""
    with _reading(bind) as conn:
        revision = _revision(conn)
        present = set(conn.dialect.get_table_names(conn))
        counts = tuple((t.name, int(conn.execute(select(func.count()).select_from(t)).scalar_one()))
                       for t in sorted(_tables(), key=lambda t: t.name) if t.name in present)
        hashes: set[str] = set()
        for table, column in IMAGE_COLUMNS:
            if table in present:
                col = Base.metadata.tables[table].c[column]
                hashes.update(conn.execute(select(col).where(col.is_not(None)).distinct()).scalars())
    return Inventory(revision, counts, tuple(sorted(hashes)))


def image_references(engine: Engine) -> list[tuple[str, object, str]]:
    """(table, record id, hash) of every picture a record names."""
    out: list[tuple[str, object, str]] = []
    with engine.connect() as conn:
        for table, column in IMAGE_COLUMNS:
            t = Base.metadata.tables[table]
            pk = list(t.primary_key.columns)[0]
            out += [(table, rid, h) for rid, h in
                    conn.execute(select(pk, t.c[column]).where(t.c[column].is_not(None)).order_by(pk))]
    return out


def verify(engine: Engine, store: ImageStorage) -> list[Problem]:
    """Every record's picture: present in the store and matching its hash (each hash checked once)."""
    checked: dict[str, str] = {}
    problems = []
    for table, record_id, sha in image_references(engine):
        if sha not in checked:
            try:
                store.check(sha)
                checked[sha] = ""
            except ImageStoreError as exc:
                checked[sha] = exc.message
        if checked[sha]:
            problems.append(Problem(table, record_id, sha, checked[sha]))
    return problems


def copy_rows(source: Engine | Connection, target: Engine) -> None:
    """Every record row from ``source`` into the empty ``target`` (same schema revision), in one transaction."""
    tables = _tables()
    with _reading(source) as src, target.begin() as dst:
        src_rev, dst_rev = _revision(src), _revision(dst)
        if src_rev != dst_rev:
            raise MaintenanceError(_("The two databases are at different schema versions; open both with the same "
                                     "DermStation version first."), details=f"{src_rev} vs {dst_rev}")
        for table in tables:
            if dst.execute(select(func.count()).select_from(table)).scalar_one():
                raise MaintenanceError(_("The target database is not empty; nothing was copied."),
                                       details=f"table {table.name} has rows")
        for table in tables:
            order = list(table.primary_key.columns)
            batch: list[dict[str, object]] = []
            for row in src.execute(select(table).order_by(*order)).mappings():
                batch.append(dict(row))
                if len(batch) >= _BATCH:
                    dst.execute(insert(table), batch)
                    batch = []
            if batch:
                dst.execute(insert(table), batch)
        if dst.dialect.name == "postgresql":  # rows came with their ids: move each id sequence past them
            for table in tables:
                keys = list(table.primary_key.columns)
                if len(keys) == 1 and keys[0].type.python_type is int:
                    name, column = table.name, keys[0].name
                    dst.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                        f"COALESCE((SELECT max({column}) FROM {name}), 0) + 1, false) "
                        f"WHERE pg_get_serial_sequence('{name}', '{column}') IS NOT NULL"))


def copy_images(hashes: Iterable[str], source: ImageStorage, target: ImageStorage,
                progress: Callable[[int], None] | None = None) -> int:
    """Copy pictures (verified on read, by ``source``) into ``target``; returns how many."""
    n = 0
    for n, sha in enumerate(hashes, start=1):
        if target.put(source.read(sha)) != sha:  # put hashes what it stores
            raise MaintenanceError(_("A picture changed while it was copied."), details=sha)
        if progress is not None:
            progress(n)
    return n


def _check_same(what: str, expected: Inventory, actual: Inventory) -> None:
    diffs = expected.differences(actual)
    if diffs:
        raise MaintenanceError(_("The {what} does not match its source; do not rely on it.").format(what=what),
                               details="; ".join(diffs[:20]))


def _check_images(what: str, engine: Engine, store: ImageStorage) -> None:
    problems = verify(engine, store)
    if problems:
        raise MaintenanceError(_("The {what} has pictures that cannot be read back.").format(what=what),
                               details="; ".join(str(p) for p in problems[:20]))


# --- backup and restore ----------------------------------------------------------------------------
def backup(database: Database, store: ImageStorage, dest: Path) -> Outcome:
    """Write a verified backup of ``database`` and its pictures into the new or empty folder ``dest``."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise MaintenanceError(_("The backup folder {dest} is not empty; choose a new folder.").format(dest=dest))
    created = not dest.exists()
    try:
        private_dir(dest)  # a new folder is owner-only (0700): a backup holds every patient record
    except (OSError, OutputNotWritten) as exc:
        raise MaintenanceError(_("Cannot create the backup folder {dest}.").format(dest=dest), details=str(exc)) from exc
    try:
        return _write_backup(database, store, dest)
    except BaseException:
        # a half-written backup must never be mistaken for a good one
        if created:
            shutil.rmtree(dest, ignore_errors=True)
        else:
            for child in dest.iterdir():
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
        raise


def _write_backup(database: Database, store: ImageStorage, dest: Path) -> Outcome:
    _audit(database, AuditAction.EXPORT, f"backup to {dest.name}")  # recorded first: the backup holds it
    target_file = dest / BACKUP_DATABASE
    path = sqlite_file(database.engine.url)
    if path is not None:
        # our transactions start with BEGIN IMMEDIATE: writers wait while the counts are taken and the
        # file is copied, so the copy holds exactly what was counted
        with snapshot(database.engine) as snap:
            source = inventory(snap)
            _sqlite_online_backup(path, target_file)
    else:
        copy = Database.open(f"sqlite:///{target_file}")
        try:
            with snapshot(database.engine) as snap:
                source = inventory(snap)
                copy_rows(snap, copy.engine)
        finally:
            copy.close()
    images = ImageStore(dest / BACKUP_IMAGES)
    copy_images(source.images, store, images)
    manifest = {"format": FORMAT, "app_version": dermstation.__version__, "backend": database.backend,
                "created_at": datetime.now(UTC).isoformat(), "revision": list(source.revision),
                "counts": dict(source.counts), "images": list(source.images)}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    written = read_backup(dest)  # verify what is on disk, not what we meant to write
    _check_same("backup", source, written.inventory)
    log.info("backup written to %s: %s", dest, written.summary())
    return Outcome(str(dest), source)


def _sqlite_online_backup(path: Path, target: Path) -> None:
    create_private_file(target)
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise MaintenanceError(_("The database could not be backed up."), details=str(exc)) from exc
    finally:
        src.close()


def read_backup(src: Path) -> Outcome:
    """Check a backup folder on its own: manifest, database and every picture must agree."""
    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MaintenanceError(_("{src} is not a DermStation backup (no readable {manifest}).").format(src=src, manifest=MANIFEST),
                               details=str(exc)) from exc
    if manifest.get("format") != FORMAT:
        raise MaintenanceError(_("The backup {src} was written in a format this version does not know.").format(src=src),
                               details=f"format {manifest.get('format')!r}")
    if not (src / BACKUP_DATABASE).is_file():
        raise MaintenanceError(_("The backup {src} has no {file}; it cannot be restored.").format(src=src, file=BACKUP_DATABASE))
    expected = Inventory(tuple(manifest["revision"]), tuple(sorted(manifest["counts"].items())),
                         tuple(manifest["images"]))
    with tempfile.TemporaryDirectory(prefix="dermstation-check-") as tmp:
        # read a copy: opening must never change the backup itself
        copy = Path(tmp) / BACKUP_DATABASE
        _sqlite_online_backup(src / BACKUP_DATABASE, copy)
        engine_db = Database(create_engine(f"sqlite:///{copy}"))
        try:
            found = inventory(engine_db.engine)
            _check_same("backup", expected, found)
            _check_images("backup", engine_db.engine, ImageStore(src / BACKUP_IMAGES))
        finally:
            engine_db.close()
    return Outcome(str(src), expected)


def restore(src: Path, target_url: str, paths: Paths) -> Outcome:
    """Restore the backup ``src`` into the empty database ``target_url`` and its image store, verified."""
    checked = read_backup(src)
    with tempfile.TemporaryDirectory(prefix="dermstation-restore-") as tmp:
        copy = Path(tmp) / BACKUP_DATABASE
        _sqlite_online_backup(Path(src) / BACKUP_DATABASE, copy)
        source = Database.open(f"sqlite:///{copy}", Path(tmp) / "upgrade-backups")  # upgrades an older backup
        try:
            outcome = _move(source, ImageStore(Path(src) / BACKUP_IMAGES), target_url, paths)
        finally:
            source.close()
    log.info("restored %s (%d pictures) into %s", src, len(checked.inventory.images), outcome.where)
    return outcome


def migrate_database(database: Database, store: ImageStorage, target_url: str, paths: Paths) -> Outcome:
    """Copy every record and picture into the empty database ``target_url``; the source keeps its records."""
    where = make_url(target_url).render_as_string(hide_password=True)
    _audit(database, AuditAction.EXPORT, f"clinic moved to {where}"[:200])  # recorded first: the copy holds it
    return _move(database, store, target_url, paths)


def _audit(database: Database, action: AuditAction, detail: str) -> None:
    """Maintenance reads or writes every record: it leaves an event (no user: run from the command line)."""
    with database.session() as session:
        AuditLog(database).record(session, None, action, "maintenance", None, detail)


def _move(source: Database, source_store: ImageStorage, target_url: str, paths: Paths) -> Outcome:
    target = Database.open(target_url, paths.backups)
    try:
        with snapshot(source.engine) as snap:
            expected = inventory(snap)
            copy_rows(snap, target.engine)
        folder = _stored_image_folder(target)
        target_store = open_image_store(target.engine, paths.image_store, paths.image_cache, folder)
        copy_images(expected.images, source_store, target_store)
        after = inventory(target.engine)
        _check_same("copy", expected, after)
        _check_images("copy", target.engine, target_store)
        where = target.engine.url.render_as_string(hide_password=True)
    finally:
        target.close()
    log.info("copied %d pictures into %s", len(expected.images), where)
    return Outcome(where, after)


def _stored_image_folder(database: Database) -> str:
    """The shared picture folder the (copied) clinic settings name, if any."""
    from dermstation.records.clinic_models import ClinicSetting

    with database.engine.connect() as conn:
        value = conn.execute(select(ClinicSetting.value).where(ClinicSetting.key == "image_folder")).scalar()
    return value if isinstance(value, str) else ""
