"""Database fixtures shared by tests/records and tests/services (imported by their conftest files).

Every database test runs on a SQLite file in ``tmp_path`` and, when ``DERMSTATION_TEST_POSTGRES_URL``
is set (e.g. ``postgresql+psycopg://dermstation:dermstation@localhost/dermstation_test``), also on
that PostgreSQL server, each test in its own throw-away schema.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from dermstation.core.config import Paths
from dermstation.core.domain import Role
from dermstation.records.database import Database, normalise_url
from dermstation.services import passwords
from dermstation.services.appointments import AppointmentService
from dermstation.services.container import Services, build_services
from dermstation.services.types import CurrentUser

POSTGRES_URL = os.environ.get("DERMSTATION_TEST_POSTGRES_URL", "")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="DERMSTATION_TEST_POSTGRES_URL is not set"),
        ],
    ),
]


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Real argon2id with tiny parameters: the tests check behaviour, not hashing cost."""
    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    yield
    passwords.use_hasher(previous)


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    monkeypatch.delenv("DERMSTATION_DATABASE_URL", raising=False)
    result = Paths(tmp_path / "data")
    result.ensure()
    return result


@pytest.fixture
def sqlite_url(paths: Paths) -> str:
    return f"sqlite:///{paths.database_file}"


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema (dropped afterwards) on the test server."""
    base = normalise_url(POSTGRES_URL)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty database on each backend under test."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database migrated to head once per session (the migrations themselves are tested in
    tests/records/test_migrations.py); each test's ``services`` starts from a copy of it."""
    path = tmp_path_factory.mktemp("migrated") / "template.sqlite3"
    Database.open(f"sqlite:///{path}").close()
    return path


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy (SQLite's backup API, WAL included), owner-only like the app's own file."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture
def services(paths: Paths, database_url: str, migrated_sqlite: Path) -> Iterator[Services]:
    if database_url == f"sqlite:///{paths.database_file}" and not paths.database_file.exists():
        _copy_sqlite(migrated_sqlite, paths.database_file)  # the same schema, without re-running migrations
    built = build_services(paths, database_url)
    yield built
    built.close()


def with_clock(services: Services, clock: Callable[[], datetime]) -> Services:
    """The same container whose appointment book runs on ``clock`` (aware UTC): booking on fixed dates."""
    return replace(services, appointments=AppointmentService(services.database, services.audit,
                                                             services.settings_store, clock))


@pytest.fixture
def admin(services: Services) -> CurrentUser:
    return services.auth.set_up_clinic("admin", "Ada Admin", "admin-password")


@pytest.fixture
def dermatologist(services: Services, admin: CurrentUser) -> CurrentUser:
    services.users.create_user(admin, "derm", "Dr Derma", Role.DERMATOLOGIST, "derm-password")
    return services.auth.sign_in("derm", "derm-password")


@pytest.fixture
def receptionist(services: Services, admin: CurrentUser) -> CurrentUser:
    services.users.create_user(admin, "rec", "Rita Reception", Role.RECEPTIONIST, "rec-password")
    return services.auth.sign_in("rec", "rec-password")


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"
