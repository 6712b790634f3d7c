"""A clinic on two workstations: separate processes and data directories, one PostgreSQL server.

Each workstation is a real subprocess (``workstation.py`` or the ``dermstation`` CLI) with its own
``DERMSTATION_DATA_DIR`` whose ``settings.json`` names the shared database, as installed clinics do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from records_fixtures import POSTGRES_URL
from sqlalchemy import create_engine, text

from dermstation.core.config import Paths, Settings, load_settings, save_settings
from dermstation.records.database import normalise_url
from dermstation.services import maintenance

pytestmark = [
    pytest.mark.two_workstations,
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="DERMSTATION_TEST_POSTGRES_URL is not set"),
]

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "workstation.py"


def fresh_schema_url() -> tuple[str, str]:
    base = normalise_url(POSTGRES_URL)
    schema = f"ws_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False), schema


@pytest.fixture
def new_database() -> Iterator[Callable[[], str]]:
    """Makes fresh PostgreSQL schemas (empty clinic databases); drops them afterwards."""
    made: list[str] = []

    def make() -> str:
        url, schema = fresh_schema_url()
        made.append(schema)
        return url

    yield make
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for schema in made:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def clinic_url(new_database: Callable[[], str]) -> str:
    return new_database()


def workstation(tmp_path: Path, name: str, database_url: str) -> Path:
    """A data directory whose settings.json points at ``database_url`` (an installed workstation)."""
    paths = Paths(tmp_path / name)
    paths.ensure()
    save_settings(paths, Settings(database_url=database_url, language="en"))
    return paths.data_dir


def env_for(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DERMSTATION_DATABASE_URL"}
    env["DERMSTATION_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parents[1]), str(HERE.parent), env.get("PYTHONPATH", "")])
    return env


def run(data_dir: Path, *args: str) -> dict:
    done = subprocess.run([sys.executable, str(DRIVER), *args], env=env_for(data_dir), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dermstation", *args], env=env_for(data_dir), capture_output=True,
                          text=True, timeout=300)


def without_generation_time(report: str) -> list[str]:
    return [line for line in report.splitlines() if "generated" not in line.lower()]


def test_records_made_on_one_workstation_are_read_on_the_other(tmp_path: Path, clinic_url: str) -> None:
    a = workstation(tmp_path, "A", clinic_url)
    b = workstation(tmp_path, "B", clinic_url)
    run(a, "set-up")
    made = run(a, "examine")
    seen = run(b, "read", str(made["capture"]), str(made["analysis"]))
    assert seen["sha256"] == made["sha256"]  # B reads A's picture, hash checked
    assert seen["prediction"] == made["prediction"] and seen["has_mask"]
    assert seen["signed_code"] == "nv.compound" and seen["signed_by"] == "Dr Derma"
    assert made["sha256"] in seen["cached"]  # streamed into B's own cache by hash
    assert not (a / "images").exists() or not any((a / "images").rglob("*.*"))  # nothing in A's local folder
    # the same report from the shared record on both (the clinic's details from the database)
    assert without_generation_time(seen["report_text"]) == without_generation_time(made["report_text"])
    assert "Praxis am See" in seen["report_text"] and "MRN-4711" in seen["report_text"]
    assert "+41 44 555 01 01" in seen["report_text"]
    listed = run(a, "workstations")["workstations"]
    assert len(listed) == 2 and all(w["version"] for w in listed)


def test_settings_changed_on_one_apply_on_the_other(tmp_path: Path, clinic_url: str) -> None:
    a = workstation(tmp_path, "A", clinic_url)
    b = workstation(tmp_path, "B", clinic_url)
    run(a, "set-up")
    watcher = subprocess.Popen([sys.executable, str(DRIVER), "watch-settings"], env=env_for(b), text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert watcher.stdout is not None and watcher.stdin is not None
        before = json.loads(watcher.stdout.readline())
        assert before == {"clinic_name": "Praxis am See", "timezone": "Europe/Zurich"}
        run(a, "settings", "clinic_name=Hautzentrum See", "timezone=Europe/Berlin")
        out, err = watcher.communicate("\n", timeout=120)
        assert watcher.returncode == 0, err[-2000:]
        assert json.loads(out.strip().splitlines()[-1]) == {"clinic_name": "Hautzentrum See",
                                                             "timezone": "Europe/Berlin"}
    finally:
        if watcher.poll() is None:
            watcher.kill()
    # B's own file keeps only what is B's
    assert set(json.loads((b / "settings.json").read_text())) <= {"database_url", "language", "execution_provider",
                                                                   "camera"}


def test_a_nine_oclock_booking_in_zurich_is_nine_oclock_zurich_in_the_calendar(
    tmp_path: Path, clinic_url: str
) -> None:
    a = workstation(tmp_path, "A", clinic_url)
    b = workstation(tmp_path, "B", clinic_url)
    run(a, "set-up")
    made = run(a, "examine")
    # either side of both changes of 2027 (clocks forward 28 March, back 31 October)
    for day, utc_hour in (("2027-03-26", "08"), ("2027-03-29", "07"), ("2027-10-29", "07"), ("2027-11-01", "08")):
        booked = run(b, "book", str(made["patient"]), f"{day}T09:00")
        assert f"DTSTART;TZID=Europe/Zurich:{day.replace('-', '')}T090000" in booked["ics"]
        assert "BEGIN:VTIMEZONE" in booked["ics"]
        start = datetime.fromisoformat(booked["start"])
        assert start.astimezone(UTC).isoformat() == f"{day}T{utc_hour}:00:00+00:00"  # stored as that instant


def test_backup_restore_into_an_empty_data_directory_then_verify(tmp_path: Path, clinic_url: str,
                                                                 new_database: Callable[[], str]) -> None:
    a = workstation(tmp_path, "A", clinic_url)
    run(a, "set-up")
    run(a, "examine")
    done = cli(a, "backup", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stderr
    assert "verified" in done.stdout
    target = new_database()
    c = workstation(tmp_path, "C", target)  # a new, empty workstation on a new, empty database
    done = cli(c, "restore", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stderr
    done = cli(c, "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 problem(s)" in done.stdout
    source = maintenance.inventory(create_engine(normalise_url(clinic_url)))
    restored = maintenance.inventory(create_engine(normalise_url(target)))
    assert restored.images == source.images and len(source.images) == 2  # picture and mask
    counts, restored_counts = dict(source.counts), dict(restored.counts)
    assert counts.pop("workstations") == 1 and restored_counts.pop("workstations") == 2  # C announced itself
    assert restored_counts == counts
    # and C reads A's record from the restored copy
    seen = run(c, "read", "1", "1")
    assert seen["signed_code"] == "nv.compound"

    # a picture damaged in the database is found, named, and fails verify
    engine = create_engine(normalise_url(target))
    with engine.begin() as conn:
        conn.execute(text("UPDATE stored_images SET data = 'not a picture'::bytea WHERE sha256 = :h"),
                     {"h": source.images[0]})
    engine.dispose()
    done = cli(c, "verify")
    assert done.returncode == 1 and source.images[0][:16] in done.stdout and "1 problem(s)" in done.stdout


def test_a_sqlite_workstation_moves_into_postgresql(tmp_path: Path, clinic_url: str) -> None:
    solo = Paths(tmp_path / "solo")
    solo.ensure()
    run(solo.data_dir, "set-up")
    made = run(solo.data_dir, "examine")
    assert any((solo.image_store).rglob(made["sha256"]))  # one workstation: the local folder
    before = maintenance.inventory(create_engine(f"sqlite:///{solo.database_file}"))
    done = cli(solo.data_dir, "migrate-database", "--to", clinic_url)
    assert done.returncode == 0, done.stderr
    assert load_settings(solo).database_url == clinic_url  # this workstation now uses the clinic server
    done = cli(solo.data_dir, "verify")
    assert done.returncode == 0 and "database (postgresql)" in done.stdout, done.stdout + done.stderr
    after = maintenance.inventory(create_engine(normalise_url(clinic_url)))
    counts = dict(before.counts) | {"audit_events": before.count("audit_events") + 1}  # "moved" is recorded
    assert after.images == before.images and dict(after.counts) == counts
    # a second workstation joins and reads what was moved
    b = workstation(tmp_path, "B", clinic_url)
    assert run(b, "read", str(made["capture"]), str(made["analysis"]))["sha256"] == made["sha256"]


def test_a_workstation_older_than_the_schema_refuses_and_changes_nothing(tmp_path: Path, clinic_url: str) -> None:
    a = workstation(tmp_path, "A", clinic_url)
    run(a, "set-up")
    engine = create_engine(normalise_url(clinic_url))
    with engine.begin() as conn:  # what a newer DermStation on another workstation would have left
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_a_newer_version'"))
    b = workstation(tmp_path, "B", clinic_url)
    done = cli(b, "verify")
    assert done.returncode == 1
    assert "newer version of DermStation" in done.stderr and "nothing was changed" in done.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "9999_from_a_newer_version"
        assert conn.execute(text("SELECT count(*) FROM workstations")).scalar_one() == 1  # B never got in
    engine.dispose()
