from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from dermstation.core.domain import Sex
from dermstation.core.errors import DatabaseUnavailable, SchemaTooNew
from dermstation.records import migrate
from dermstation.records.database import Database
from dermstation.records.models import Base, Patient

EXPECTED_TABLES = {
    "users",
    "patients",
    "lesions",
    "image_captures",
    "analyses",
    "clinician_assessments",
    "appointments",
    "referral_hospitals",
    "referrals",
    "referral_analyses",
    "audit_events",
}

FUTURE = "9999_test_future"
SECOND_REVISION = '''
"""test-only second revision"""
import sqlalchemy as sa
from alembic import op

revision = "9999_test_future"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("test_extra", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("test_extra")
'''


@pytest.fixture
def newer_migrations(tmp_path: Path) -> Path:
    """A copy of the real migrations plus one more revision (what a future release would ship)."""
    target = tmp_path / "migrations_v2"
    shutil.copytree(migrate.MIGRATIONS_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    (head,) = migrate.head_revisions()
    (target / "versions" / "9999_test_future.py").write_text(SECOND_REVISION.replace("{head}", head))
    return target


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fresh_database_gets_every_table_at_head(database_url: str) -> None:
    db = Database.open(database_url)
    try:
        tables = set(inspect(db.engine).get_table_names())
        assert EXPECTED_TABLES | {"alembic_version"} <= tables
        assert migrate.current_revisions(db.engine) == migrate.head_revisions()
    finally:
        db.close()


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    migrate.import_all_models()
    db = Database.open(database_url)
    try:
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
    finally:
        db.close()


def test_upgrade_head_is_idempotent(database_url: str) -> None:
    db = Database.open(database_url)
    try:
        with db.engine.connect() as conn:
            before = sorted(inspect(conn).get_table_names())
        cfg = migrate.alembic_config()
        for _ in range(2):
            with db.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        with db.engine.connect() as conn:
            assert sorted(inspect(conn).get_table_names()) == before
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        db.close()
    Database.open(database_url).close()  # and opening again changes nothing either
    db = Database.open(database_url)
    assert migrate.current_revisions(db.engine) == migrate.head_revisions()
    db.close()


def test_downgrade_to_base_removes_every_table(database_url: str) -> None:
    db = Database.open(database_url)
    try:
        cfg = migrate.alembic_config()
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(inspect(db.engine).get_table_names()) & EXPECTED_TABLES == set()
    finally:
        db.close()


def test_newer_schema_is_refused_and_file_untouched(sqlite_url: str, paths) -> None:  # type: ignore[no-untyped-def]
    db = Database.open(sqlite_url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    db.close()
    before = file_digest(paths.database_file)
    with pytest.raises(SchemaTooNew, match="newer version") as info:
        Database.open(sqlite_url, paths.backups)
    assert "9999_future" in info.value.details
    assert file_digest(paths.database_file) == before
    assert list(paths.backups.iterdir()) == []


def test_newer_schema_is_refused_on_every_backend(database_url: str, newer_migrations: Path) -> None:
    Database.open(database_url, migrations_dir=newer_migrations).close()
    with pytest.raises(SchemaTooNew):
        Database.open(database_url)
    db = Database.open(database_url, migrations_dir=newer_migrations)
    assert migrate.current_revisions(db.engine) == (FUTURE,)  # still the newer version, untouched
    db.close()


def test_existing_database_is_backed_up_before_upgrade(
    sqlite_url: str, paths, newer_migrations: Path
) -> None:  # type: ignore[no-untyped-def]
    db = Database.open(sqlite_url, paths.backups)
    with db.session() as session:
        session.add(Patient(record_number="MRN-1", given_name="A", family_name="B", sex=Sex.UNKNOWN))
    db.close()
    assert list(paths.backups.iterdir()) == []  # opening at head needs no backup

    upgraded = Database.open(sqlite_url, paths.backups, migrations_dir=newer_migrations)
    assert migrate.current_revisions(upgraded.engine) == (FUTURE,)
    upgraded.close()

    backups = list(paths.backups.iterdir())
    assert len(backups) == 1
    (head,) = migrate.head_revisions()
    assert f"rev{head}" in backups[0].name
    copy = sqlite3.connect(backups[0])
    try:
        assert copy.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
        assert copy.execute("SELECT record_number FROM patients").fetchall() == [("MRN-1",)]
        assert copy.execute("SELECT name FROM sqlite_master WHERE name = 'test_extra'").fetchall() == []
    finally:
        copy.close()


def test_new_database_needs_no_backup(sqlite_url: str, paths) -> None:  # type: ignore[no-untyped-def]
    Database.open(sqlite_url, paths.backups).close()
    assert paths.database_file.exists()
    assert list(paths.backups.iterdir()) == []


def test_foreign_sqlite_file_is_left_alone(sqlite_url: str, paths) -> None:  # type: ignore[no-untyped-def]
    conn = sqlite3.connect(paths.database_file)
    conn.execute("CREATE TABLE something_else (x INTEGER)")
    conn.commit()
    conn.close()
    before = file_digest(paths.database_file)
    with pytest.raises(DatabaseUnavailable, match="not created by DermStation"):
        Database.open(sqlite_url, paths.backups)
    assert file_digest(paths.database_file) == before


def test_database_and_backups_are_private_files(sqlite_url: str, paths, newer_migrations: Path) -> None:  # type: ignore[no-untyped-def]
    Database.open(sqlite_url, paths.backups).close()
    assert paths.database_file.stat().st_mode & 0o777 == 0o600
    Database.open(sqlite_url, paths.backups, migrations_dir=newer_migrations).close()
    (backup,) = paths.backups.iterdir()
    assert backup.stat().st_mode & 0o777 == 0o600


def test_file_that_is_not_a_database_is_refused_untouched(sqlite_url: str, paths) -> None:  # type: ignore[no-untyped-def]
    paths.database_file.write_bytes(b"this is a spreadsheet, not a database" * 100)
    before = file_digest(paths.database_file)
    with pytest.raises(DatabaseUnavailable):
        Database.open(sqlite_url, paths.backups)
    assert file_digest(paths.database_file) == before


def test_backup_failure_stops_the_upgrade(sqlite_url: str, paths, newer_migrations: Path) -> None:  # type: ignore[no-untyped-def]
    Database.open(sqlite_url, paths.backups).close()
    blocked = paths.data_dir / "not-a-dir"
    blocked.write_text("a file where the backup folder should be")
    with pytest.raises(DatabaseUnavailable, match="backed up"):
        Database.open(sqlite_url, blocked / "backups", migrations_dir=newer_migrations)
    db = Database.open(sqlite_url, paths.backups)  # still at the old head, still usable
    assert migrate.current_revisions(db.engine) == migrate.head_revisions()
    db.close()
