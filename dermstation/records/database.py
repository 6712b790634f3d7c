"""Opening the database (upgrade after backup), sessions with one transaction each, error mapping.

SQLite gets WAL, foreign keys and a busy timeout on every connection, and every transaction starts
with ``BEGIN IMMEDIATE``: nearly every use of patient data writes an audit event, and taking the
write lock up front avoids SQLite's "cannot upgrade a read lock" deadlock between two writers.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dermstation.core.errors import (
    ConfigError,
    DatabaseLocked,
    DatabaseUnavailable,
    DuplicateRecord,
    RecordError,
    StorageFull,
)
from dermstation.core.i18n import _

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_S = 5.0

# PostgreSQL SQLSTATEs meaning "someone else holds it; try again".
_PG_LOCKED = {"55P03", "40001", "40P01"}
_PG_UNIQUE = "23505"
_PG_DISK_FULL = "53100"


def normalise_url(url: str | URL) -> URL:
    """Parse ``url``; plain ``postgresql://`` uses psycopg 3 (the driver we ship)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(_("The database address is not valid."), details=type(exc).__name__) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_file(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for other backends and in-memory databases."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):
        return None
    return Path(url.database)


def make_engine(url: str | URL, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S, application_name: str = "") -> Engine:
    """An engine with our connection settings applied (see module docstring).

    ``application_name`` labels PostgreSQL connections (``pg_stat_activity``), so an administrator
    sees which workstations are connected.
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": busy_timeout_s})
        in_memory = sqlite_file(parsed) is None

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # let SQLAlchemy, not pysqlite, decide when transactions begin
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
                if not in_memory:
                    _use_wal(cursor, busy_timeout_s)
                    cursor.execute("PRAGMA synchronous=NORMAL")
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if application_name and parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True, connect_args={"application_name": application_name[:63]})
    return create_engine(parsed, pool_pre_ping=True)


def _use_wal(cursor: Any, timeout_s: float) -> None:
    """Switch the file to WAL once. The switch takes a lock for which SQLite does not call the busy
    handler, so two workstations opening a new file at once got "database is locked": retry within
    the busy timeout (the file is usually in WAL already, which needs no lock)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def translate_error(exc: SQLAlchemyError) -> RecordError | None:
    """The application error for a database exception, or None if it is not one we recognise."""
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    text = str(orig if orig is not None else exc).lower()
    kind = type(orig).__name__ if orig is not None else type(exc).__name__
    if isinstance(exc, IntegrityError):
        if sqlstate == _PG_UNIQUE or "unique constraint" in text:
            return DuplicateRecord(_("This value is already in use."), details=kind)
        return RecordError(_("The change was refused because it breaks a data rule."), details=kind)
    if "database or disk is full" in text or sqlstate == _PG_DISK_FULL:
        return StorageFull(_("The disk is full: the change was not saved."), details=kind)
    if "database is locked" in text or "database table is locked" in text or sqlstate in _PG_LOCKED:
        return DatabaseLocked(
            _("The database is busy (another program or workstation is using it). Try again in a moment."),
            details=kind,
        )
    if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return DatabaseUnavailable(
            _("The database cannot be reached (the network or the database server is down). This step was not "
              "saved; try again when the connection is back."), details=f"{kind}: {text[:200]}")
    return None


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and readable by its owner only, unless it exists (patient data inside).

    SQLite accepts an empty file as a new database and gives its -wal/-shm files the same mode.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseUnavailable(_("The database file cannot be created."), details=str(exc)) from exc
    os.close(fd)


class Database:
    """The session factory. Create it with ``Database.open`` (which migrates) or from an engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(
        cls,
        url: str | URL,
        backup_dir: Path | None = None,
        *,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        migrations_dir: Path | None = None,
        application_name: str = "",
    ) -> Database:
        """Open ``url``, back up an existing SQLite file that needs upgrading, upgrade it to head.

        Raises ``SchemaTooNew`` (touching nothing) when a newer DermStation wrote the database.
        """
        from dermstation.records import migrate  # alembic is only needed when opening

        migrate.prepare(url, backup_dir, migrations_dir=migrations_dir)
        path = sqlite_file(normalise_url(url))
        if path is not None:
            create_private_file(path)
        engine = make_engine(url, busy_timeout_s, application_name)
        try:
            migrate.upgrade(engine, migrations_dir=migrations_dir)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            translated = translate_error(exc)
            if translated is None:
                raise
            log.warning("database error: %s", translated.details)
            raise translated from exc

    def close(self) -> None:
        self.engine.dispose()
