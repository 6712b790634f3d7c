from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from dermstation.core.domain import Sex
from dermstation.core.errors import (
    ConfigError,
    DatabaseLocked,
    DatabaseUnavailable,
    DuplicateRecord,
    RecordError,
    StorageFull,
)
from dermstation.records import migrate
from dermstation.records.database import Database, normalise_url, translate_error
from dermstation.records.models import AuditEvent, Lesion, Patient, User


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.open(database_url)
    yield database
    database.close()


def count(db: Database, model: type) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def patient(number: str = "MRN-1") -> Patient:
    return Patient(record_number=number, given_name="Zoë", family_name="D'Arcy-Müller", sex=Sex.FEMALE)


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(sqlite_url: str) -> None:
    db = Database.open(sqlite_url, busy_timeout_s=1.5)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 1500
    finally:
        db.close()


def test_duplicate_unique_value_rolls_back_the_whole_transaction(db: Database) -> None:
    with pytest.raises(DuplicateRecord), db.session() as session:
        session.add(patient("MRN-1"))
        session.flush()
        session.add(patient("MRN-1"))
    assert count(db, Patient) == 0


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(RecordError) as info, db.session() as session:
        session.add(Lesion(patient_id=4242, body_site="arm"))
    assert not isinstance(info.value, DuplicateRecord)
    assert count(db, Lesion) == 0


def test_check_constraints_are_enforced(db: Database) -> None:
    with pytest.raises(RecordError), db.session() as session:
        p = patient()
        p.fitzpatrick = 9
        session.add(p)
    assert count(db, Patient) == 0


def test_an_exception_inside_the_block_rolls_back(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        session.add(patient())
        session.flush()
        raise RuntimeError("boom")
    assert count(db, Patient) == 0


def test_search_keys_are_filled_on_insert_and_update(db: Database) -> None:
    with db.session() as session:
        p = patient()
        session.add(p)
        session.flush()
        assert p.name_key == " zoe d arcy muller "
        p.family_name = "Øster"
    with db.session() as session:
        stored = session.scalars(select(Patient)).one()
        assert stored.name_key == " zoe oster "
        assert stored.sort_key.startswith("oster")


def test_datetimes_come_back_as_aware_utc(db: Database) -> None:
    moment = datetime(2024, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    with db.session() as session:
        session.add(User(username="u", full_name="U", password_hash="x", created_at=moment))
    with db.session() as session:
        user = session.scalars(select(User)).one()
        assert user.created_at == moment
        assert user.created_at.tzinfo is not None
        assert user.created_at.utcoffset() == timedelta(0)
        assert user.created_at.hour == 10


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive"), db.session() as session:
        session.add(
            User(
                username="u",
                full_name="U",
                password_hash="x",
                created_at=datetime(2024, 1, 1),
            )
        )
        session.flush()
    assert count(db, User) == 0


def test_locked_sqlite_database_raises_database_locked_and_writes_nothing(sqlite_url: str, paths) -> None:  # type: ignore[no-untyped-def]
    db = Database.open(sqlite_url, busy_timeout_s=0.2)
    other = sqlite3.connect(paths.database_file, isolation_level=None, timeout=0.1)
    try:
        other.execute("BEGIN EXCLUSIVE")
        started = datetime.now(UTC)
        with pytest.raises(DatabaseLocked) as info, db.session() as session:
            session.add(patient())
            session.add(AuditEvent(user_id=None, action="create", table_name="patients", record_id=None))
        assert "busy" in info.value.message
        assert datetime.now(UTC) - started < timedelta(seconds=4)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert count(db, Patient) == 0
    assert count(db, AuditEvent) == 0
    with db.session() as session:  # usable again once the lock is gone
        session.add(patient())
    assert count(db, Patient) == 1
    db.close()


def test_unreachable_server_is_database_unavailable() -> None:
    with pytest.raises(DatabaseUnavailable):
        Database.open("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2")


def test_bad_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        Database.open("not a url at all")


def test_plain_postgresql_url_uses_psycopg3() -> None:
    assert normalise_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"


class _FakeDriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("exc_type", "message", "sqlstate", "expected"),
    [
        (OperationalError, "database is locked", None, DatabaseLocked),
        (OperationalError, "could not obtain lock", "55P03", DatabaseLocked),
        (OperationalError, "deadlock detected", "40P01", DatabaseLocked),
        (OperationalError, "database or disk is full", None, StorageFull),
        (OperationalError, "could not extend file", "53100", StorageFull),
        (IntegrityError, "UNIQUE constraint failed: patients.record_number", None, DuplicateRecord),
        (IntegrityError, "duplicate key value", "23505", DuplicateRecord),
        (IntegrityError, "FOREIGN KEY constraint failed", None, RecordError),
        (OperationalError, "unable to open database file", None, DatabaseUnavailable),
    ],
)
def test_driver_errors_map_to_application_errors(
    exc_type: type[DBAPIError], message: str, sqlstate: str | None, expected: type[Exception]
) -> None:
    error = translate_error(exc_type("stmt", {}, _FakeDriverError(message, sqlstate)))
    assert type(error) is expected
    assert "stmt" not in (error.details if error else "")


def test_concurrent_first_opens_both_succeed(database_url: str) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        opened = list(pool.map(lambda _: Database.open(database_url), range(2)))
    try:
        assert all(migrate.current_revisions(db.engine) == migrate.head_revisions() for db in opened)
    finally:
        for db in opened:
            db.close()
