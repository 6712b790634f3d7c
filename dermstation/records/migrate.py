"""Alembic, driven from code: version checks, backup before upgrade, upgrade to head.

No ``alembic.ini`` is needed at runtime; ``alembic_config()`` builds the configuration. For
development, ``python -m dermstation.records.migrate revision -m "..." --autogenerate`` works against
``DERMSTATION_DATABASE_URL`` (or a scratch SQLite file) through the same configuration.
"""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from dermstation.core.errors import DatabaseUnavailable, SchemaTooNew
from dermstation.core.i18n import _
from dermstation.records.database import create_private_file, normalise_url, sqlite_file, translate_error

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 0x44455253  # "DERS": any constant shared by every DermStation version


def import_all_models() -> None:
    """Import every module of ``dermstation.records`` so ``Base.metadata`` holds every table.

    Models may live beside ``models.py`` (e.g. ``assistant_models.py``); autogenerate and the
    schema-versus-models test must see them all.
    """
    import dermstation.records as package

    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)


def alembic_config(migrations_dir: Path | None = None, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir or MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _scripts(migrations_dir: Path | None) -> ScriptDirectory:
    """The migration scripts, read once per set of files (opening a database asked for them four times,
    each time importing every revision file)."""
    location = migrations_dir or MIGRATIONS_DIR
    files = tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in (location / "versions").glob("*.py")))
    return _read_scripts(str(location), files)


@functools.lru_cache(maxsize=8)
def _read_scripts(location: str, _files: tuple[tuple[str, int, int], ...]) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(Path(location)))


def head_revisions(migrations_dir: Path | None = None) -> tuple[str, ...]:
    return tuple(_scripts(migrations_dir).get_heads())


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions recorded in the database (empty for a new database)."""
    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def _check_known(current: tuple[str, ...], migrations_dir: Path | None) -> None:
    script = _scripts(migrations_dir)
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = [rev for rev in current if rev not in known]
    if unknown:
        raise SchemaTooNew(
            _("This database was written by a newer version of DermStation. Update DermStation to open it; "
              "nothing was changed."),
            details=f"database revision {', '.join(unknown)}; this version knows up to "
            f"{', '.join(script.get_heads())}",
        )


def prepare(url: str | URL, backup_dir: Path | None, *, migrations_dir: Path | None = None) -> None:
    """Check the schema version before anything writes; back up a SQLite file that needs upgrading."""
    parsed = normalise_url(url)
    path = sqlite_file(parsed)
    if path is not None and not path.exists():
        return  # a new file: nothing to check, nothing to back up
    # A plain engine (no WAL pragma, no BEGIN IMMEDIATE) so that probing changes nothing.
    probe = create_engine(parsed)
    try:
        with probe.connect() as conn:
            current = tuple(MigrationContext.configure(conn).get_current_heads())
            tables = set(inspect(conn).get_table_names())
    except SQLAlchemyError as exc:
        raise (translate_error(exc) or DatabaseUnavailable(_("The database cannot be opened."))) from exc
    finally:
        probe.dispose()
    _check_known(current, migrations_dir)
    if not current:
        if tables:
            raise DatabaseUnavailable(
                _("This database was not created by DermStation; it was left untouched."),
                details=f"{len(tables)} tables, no alembic_version",
            )
        return
    if path is not None and set(current) != set(head_revisions(migrations_dir)):
        backup_sqlite(path, backup_dir or path.parent / "backups", label=f"rev{'+'.join(current)}")


def backup_sqlite(path: Path, backup_dir: Path, label: str = "") -> Path:
    """Copy a SQLite database with the online backup API (consistent even with WAL); return the copy."""
    try:
        backup_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnavailable(_("The database could not be backed up before upgrading."), str(exc)) from exc
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = backup_dir / f"{path.stem}-{stamp}{'-' + label if label else ''}.sqlite3"
    create_private_file(target)
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise DatabaseUnavailable(_("The database could not be backed up before upgrading."), str(exc)) from exc
    finally:
        source.close()
    log.info("backed up database before upgrade to %s", target.name)
    return target


def upgrade(engine: Engine, *, migrations_dir: Path | None = None) -> None:
    """Upgrade to head in one transaction (PostgreSQL and SQLite both have transactional DDL)."""
    heads = set(head_revisions(migrations_dir))
    try:
        current = current_revisions(engine)
        _check_known(current, migrations_dir)
        if set(current) == heads:
            return
        cfg = alembic_config(migrations_dir)
        with engine.begin() as conn:
            # Two workstations starting at once: the second waits here, then finds nothing to do.
            # (SQLite's BEGIN IMMEDIATE already serialises this transaction.)
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            current = tuple(MigrationContext.configure(conn).get_current_heads())
            _check_known(current, migrations_dir)
            if set(current) == heads:
                return
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise (translate_error(exc) or DatabaseUnavailable(_("The database cannot be upgraded."))) from exc
    except CommandError as exc:
        raise SchemaTooNew(_("The database schema is not one this version understands."), str(exc)) from exc
    log.info("database upgraded from %s to %s", ",".join(current) or "empty", ",".join(sorted(heads)))


def main(argv: list[str] | None = None) -> None:
    """Developer entry point: ``python -m dermstation.records.migrate <alembic command> [args]``."""
    import os

    from alembic.config import CommandLine

    url = os.environ.get("DERMSTATION_DATABASE_URL", "sqlite:///scratch-migrations.sqlite3")
    cli = CommandLine(prog="python -m dermstation.records.migrate")
    options = cli.parser.parse_args(argv if argv is not None else sys.argv[1:])
    cli.run_cmd(alembic_config(url=str(normalise_url(url).render_as_string(hide_password=False))), options)


if __name__ == "__main__":
    main()
