from __future__ import annotations

import pytest

from dermstation.core.config import Paths
from dermstation.core.domain import Role
from dermstation.core.errors import PermissionDenied, ValidationError
from dermstation.services.settings import SettingsStore
from dermstation.services.types import CurrentUser

ADMIN = CurrentUser(1, "admin", "Ada", Role.ADMIN)
DERM = CurrentUser(2, "derm", "Dr", Role.DERMATOLOGIST)


def test_clinic_name_during_setup_then_admin_saves(paths: Paths) -> None:
    store = SettingsStore(paths)
    assert store.load().clinic_name == ""
    store.set_clinic_name("  Hautklinik Mitte ")
    assert store.load().clinic_name == "Hautklinik Mitte"
    store.save(ADMIN, store.load().with_changes(language="de", clinic_latitude=52.5))
    reloaded = store.load()
    assert (reloaded.clinic_name, reloaded.language, reloaded.clinic_latitude) == (
        "Hautklinik Mitte",
        "de",
        52.5,
    )


def test_only_admin_saves_and_values_are_checked(paths: Paths) -> None:
    store = SettingsStore(paths)
    with pytest.raises(PermissionDenied):
        store.save(DERM, store.load().with_changes(language="fr"))
    with pytest.raises(ValidationError) as info:
        store.save(ADMIN, store.load().with_changes(clinic_longitude=200.0))
    assert info.value.field == "clinic_longitude"
    with pytest.raises(ValidationError):
        store.set_clinic_name("   ")
    assert store.load().language == "en"
