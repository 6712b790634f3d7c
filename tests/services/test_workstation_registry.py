"""The administrator's list of workstations: versions, and who is connected now (pg_stat_activity)."""

from __future__ import annotations

from pathlib import Path

import pytest

import dermstation
from dermstation.core.config import Paths
from dermstation.core.errors import PermissionDenied
from dermstation.services.container import Services, build_services
from dermstation.services.types import CurrentUser
from dermstation.services.workstation_registry import application_name, workstation_id


def test_this_workstation_is_listed_with_its_version(services: Services, admin: CurrentUser,
                                                     dermatologist: CurrentUser) -> None:
    (me,) = services.workstations.list(admin)
    assert me.this_workstation and me.connected and me.app_version == dermstation.__version__
    assert me.id == workstation_id(services.paths) and me.schema_revision
    with pytest.raises(PermissionDenied):
        services.workstations.list(dermatologist)
    assert len(application_name(me.id).encode()) <= 63 and application_name(me.id).endswith(me.id)


def test_a_second_workstation_is_seen_connected_then_not(services: Services, admin: CurrentUser,
                                                         database_url: str, tmp_path: Path) -> None:
    other_paths = Paths(tmp_path / "other")
    other = build_services(other_paths, database_url)
    try:
        rows = {w.id: w for w in services.workstations.list(admin)}
        assert set(rows) == {workstation_id(services.paths), workstation_id(other_paths)}
        other.auth.sign_in("admin", "admin-password")  # the other workstation holds a connection now
        if services.database.backend == "postgresql":
            with other.database.engine.connect():
                assert rows_connected(services, admin) == set(rows)
    finally:
        other.close()
    if services.database.backend == "postgresql":
        assert rows_connected(services, admin) == {workstation_id(services.paths)}


def rows_connected(services: Services, admin: CurrentUser) -> set[str]:
    return {w.id for w in services.workstations.list(admin) if w.connected}
