"""Backups that restore, the picture check, and moving a SQLite clinic into PostgreSQL (in one process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from records_fixtures import POSTGRES_URL
from sqlalchemy import text

from dermstation.core.config import Paths
from dermstation.core.domain import CaptureSource, Role
from dermstation.records.database_images import DatabaseImageStore
from dermstation.records.image_store import ImageStore
from dermstation.services import maintenance
from dermstation.services.container import Services, build_services
from dermstation.services.types import CurrentUser, PatientInput

REPO = Path(__file__).resolve().parents[2]
PICTURES = [REPO / "tests/data/ph2/images/IMD002.jpg", REPO / "tests/data/isic/ISIC_0000009.jpg"]


def add_records(services: Services, user: CurrentUser) -> list[str]:
    patient = services.patients.create(user, PatientInput("MRN-77", "Zoe", "Zimmer", None))
    lesion = services.patients.add_lesion(user, patient.id, "back", "L1")
    hashes = []
    for path in PICTURES:
        summary = services.captures.add_capture(user, lesion.id, path.read_bytes(), CaptureSource.FILE, 765, 572,
                                                path.name)
        hashes.append(summary.sha256)
    return sorted(hashes)


def same_but_one_more_audit_event(before: maintenance.Inventory, after: maintenance.Inventory) -> bool:
    counts = dict(before.counts)
    counts["audit_events"] += 1
    return (after.revision, dict(after.counts), after.images) == (before.revision, counts, before.images)


def test_backup_restore_into_an_empty_data_directory(services: Services, dermatologist: CurrentUser,
                                                     tmp_path: Path) -> None:
    hashes = add_records(services, dermatologist)
    before = maintenance.inventory(services.database.engine)
    assert before.images == tuple(hashes) and before.count("image_captures") == 2

    outcome = maintenance.backup(services.database, services.image_store, tmp_path / "backup")
    assert same_but_one_more_audit_event(before, outcome.inventory)  # the backup holds its own audit event
    before = outcome.inventory
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["images"] == hashes and manifest["counts"]["patients"] == 1
    assert (tmp_path / "backup").stat().st_mode & 0o777 == 0o700  # a backup holds every record: owner only
    with pytest.raises(maintenance.MaintenanceError, match="not empty"):
        maintenance.backup(services.database, services.image_store, tmp_path / "backup")

    fresh = Paths(tmp_path / "restored")
    fresh.ensure()
    restored = maintenance.restore(tmp_path / "backup", f"sqlite:///{fresh.database_file}", fresh)
    assert restored.inventory.counts == before.counts and restored.inventory.images == before.images
    again = build_services(fresh)
    try:
        assert maintenance.verify(again.database.engine, again.image_store) == []
        assert again.auth.sign_in("derm", "derm-password").username == "derm"
        assert sorted(again.image_store.hashes()) == hashes
        # ids go on after the restored ones (sequences moved on PostgreSQL, max+1 on SQLite)
        extra = again.patients.create(again.auth.sign_in("derm", "derm-password"),
                                      PatientInput("MRN-78", "Ann", "Other", None))
        assert extra.id == 2
    finally:
        again.close()
    with pytest.raises(maintenance.MaintenanceError, match="not empty"):
        maintenance.restore(tmp_path / "backup", f"sqlite:///{fresh.database_file}", fresh)


def test_a_damaged_backup_is_refused(services: Services, dermatologist: CurrentUser, tmp_path: Path) -> None:
    hashes = add_records(services, dermatologist)
    maintenance.backup(services.database, services.image_store, tmp_path / "b")
    picture = tmp_path / "b" / "images" / hashes[0][:2] / hashes[0]
    raw = bytearray(picture.read_bytes())
    raw[500] ^= 0xFF
    picture.write_bytes(bytes(raw))
    with pytest.raises(maintenance.MaintenanceError, match="cannot be read back") as info:
        maintenance.read_backup(tmp_path / "b")
    assert hashes[0][:16] in info.value.details
    fresh = Paths(tmp_path / "r")
    fresh.ensure()
    with pytest.raises(maintenance.MaintenanceError):
        maintenance.restore(tmp_path / "b", f"sqlite:///{fresh.database_file}", fresh)
    assert not fresh.database_file.exists()  # refused before anything was created


def test_verify_lists_every_record_whose_picture_is_missing_or_damaged(
    services: Services, dermatologist: CurrentUser
) -> None:
    hashes = add_records(services, dermatologist)
    assert maintenance.verify(services.database.engine, services.image_store) == []
    store = services.image_store
    if isinstance(store, ImageStore):
        store.path(hashes[0]).write_bytes(b"not the picture")
        store.path(hashes[1]).unlink()
    else:
        assert isinstance(store, DatabaseImageStore)
        with services.database.engine.begin() as conn:
            conn.execute(text("UPDATE stored_images SET data = 'x'::bytea WHERE sha256 = :h"), {"h": hashes[0]})
            conn.execute(text("DELETE FROM stored_images WHERE sha256 = :h"), {"h": hashes[1]})
    problems = maintenance.verify(services.database.engine, services.image_store)
    assert sorted((p.table, p.sha256) for p in problems) == [("image_captures", h) for h in hashes]
    assert {"damaged" in p.message or "missing" in p.message for p in problems} == {True}


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="DERMSTATION_TEST_POSTGRES_URL is not set")
def test_sqlite_clinic_moves_into_postgresql(paths: Paths, sqlite_url: str, postgres_schema_url: str) -> None:
    one = build_services(paths, sqlite_url)
    try:
        admin = one.auth.set_up_clinic("admin", "Ada Admin", "admin-password")
        one.users.create_user(admin, "derm", "Dr Derma", Role.DERMATOLOGIST, "derm-password")
        hashes = add_records(one, one.auth.sign_in("derm", "derm-password"))
        before = maintenance.inventory(one.database.engine)
        moved = maintenance.migrate_database(one.database, one.image_store, postgres_schema_url, paths)
        assert same_but_one_more_audit_event(before, moved.inventory)
        assert maintenance.inventory(one.database.engine) == moved.inventory  # counts and hashes compared
        with pytest.raises(maintenance.MaintenanceError, match="not empty"):
            maintenance.migrate_database(one.database, one.image_store, postgres_schema_url, paths)
    finally:
        one.close()
    clinic = build_services(paths, postgres_schema_url)
    try:
        assert isinstance(clinic.image_store, DatabaseImageStore)
        assert sorted(clinic.image_store.hashes()) == hashes
        assert maintenance.verify(clinic.database.engine, clinic.image_store) == []
        user = clinic.auth.sign_in("derm", "derm-password")
        assert clinic.captures.read_capture(user, 1) == PICTURES[0].read_bytes()
    finally:
        clinic.close()
