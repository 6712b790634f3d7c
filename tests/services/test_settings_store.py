"""Clinic-wide settings in the database; this workstation's in settings.json; the move between them."""

from __future__ import annotations

import json
from datetime import time

import pytest
from sqlalchemy import select

from dermstation.core.config import ClinicSettings, Paths, Settings, load_settings
from dermstation.core.domain import CaptureSource
from dermstation.core.errors import PermissionDenied, ValidationError
from dermstation.records.models import AuditEvent
from dermstation.services.container import Services, build_services
from dermstation.services.reception_types import DayHours
from dermstation.services.types import CurrentUser, PatientInput


def test_clinic_name_during_setup_then_admin_saves(services: Services, admin: CurrentUser) -> None:
    store = services.settings_store
    assert store.load() == ClinicSettings()
    store.set_clinic_name("  Hautklinik Mitte ")
    assert store.load().clinic_name == "Hautklinik Mitte"
    with pytest.raises(PermissionDenied):  # set-up only: afterwards, an administrator saves
        store.set_clinic_name("Someone Else's Clinic")
    store.save(admin, store.load().with_changes(timezone="Europe/Zurich", clinic_latitude=52.5,
                                                clinic_phone="+41 44 555 01 01",
                                                opening_hours=("07:30-12:00",) * 5 + ("09:00-12:00", "")))
    reloaded = store.load()
    assert (reloaded.clinic_name, reloaded.timezone, reloaded.clinic_latitude) == (
        "Hautklinik Mitte", "Europe/Zurich", 52.5)
    assert reloaded.opening_hours[5] == "09:00-12:00" and reloaded.opening_hours[6] == ""
    with services.database.session() as session:
        details = session.scalars(select(AuditEvent.detail).where(AuditEvent.table_name == "clinic_settings")).all()
    assert any("timezone" in d and "clinic_phone" in d for d in details)
    # nothing of the clinic's lands in this workstation's file
    assert not services.paths.settings_file.exists() or "clinic" not in services.paths.settings_file.read_text()


def test_only_admin_saves_and_values_are_checked(services: Services, admin: CurrentUser,
                                                 dermatologist: CurrentUser) -> None:
    store = services.settings_store
    with pytest.raises(PermissionDenied):
        store.save(dermatologist, store.load().with_changes(clinic_name="X"))
    for change, field in (({"clinic_longitude": 200.0}, "clinic_longitude"),
                          ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
                          ({"clinic_email": "not-an-address"}, "clinic_email"),
                          ({"opening_hours": ("17:00-08:00",) + ("",) * 6}, "opening_hours"),
                          ({"image_folder": "relative/folder"}, "image_folder")):
        with pytest.raises(ValidationError) as info:
            store.save(admin, store.load().with_changes(**change))
        assert info.value.field == field
    with pytest.raises(ValidationError):
        store.set_clinic_name("   ")
    assert store.load() == ClinicSettings()


def test_machine_settings_stay_in_the_file(services: Services) -> None:
    store = services.settings_store
    store.save_machine(Settings(language="de", camera="2"))
    assert load_settings(services.paths) == Settings(language="de", camera="2")
    with pytest.raises(ValidationError):
        store.save_machine(Settings(execution_provider="tpu"))


def test_old_settings_file_moves_into_the_database_without_loss(paths, database_url: str) -> None:  # type: ignore[no-untyped-def]
    old = {"clinic_name": "Praxis Alt", "language": "de", "timezone": "Europe/Zurich", "database_url": "",
           "clinic_latitude": 47.37, "clinic_longitude": 8.54, "assistant_enabled": False,
           "execution_provider": "cpu", "hair_removal": True,
           "extra": {"clinic_address": "Bahnhofstrasse 1, 8001 Zürich", "clinic_phone": "+41 44 000 00 00",
                     "clinic_email": "praxis@example.ch", "assistant_online": "0"}}
    paths.settings_file.write_text(json.dumps(old), encoding="utf-8")
    built = build_services(paths, database_url)
    try:
        clinic = built.settings_store.load()
        assert clinic == ClinicSettings(
            clinic_name="Praxis Alt", timezone="Europe/Zurich", clinic_latitude=47.37, clinic_longitude=8.54,
            assistant_enabled=False, assistant_online=False, clinic_address="Bahnhofstrasse 1, 8001 Zürich",
            clinic_phone="+41 44 000 00 00", clinic_email="praxis@example.ch")
        assert json.loads(paths.settings_file.read_text()) == {"language": "de", "database_url": "",
                                                               "execution_provider": "cpu"}
        kept = paths.settings_file.with_name("settings.json.before-clinic-database")
        assert json.loads(kept.read_text(encoding="utf-8")) == old
    finally:
        built.close()
    # a second start changes nothing
    again = build_services(paths, database_url)
    try:
        assert again.settings_store.load() == clinic
    finally:
        again.close()


def test_opening_hours_are_the_week_of_a_dermatologist_without_one(services: Services, admin: CurrentUser,
                                                                    dermatologist: CurrentUser) -> None:
    store = services.settings_store
    assert services.appointments.working_hours(admin, dermatologist.id).days[0] == DayHours(time(8), time(17))
    store.save(admin, store.load().with_changes(opening_hours=("07:30-12:00",) * 5 + ("09:00-12:00", "")))
    week = services.appointments.working_hours(admin, dermatologist.id)
    assert week.is_default
    assert week.days[0] == DayHours(time(7, 30), time(12)) and week.days[5] == DayHours(time(9), time(12))
    assert week.days[6] is None


def test_the_picture_folder_cannot_move_once_pictures_are_stored(services: Services, admin: CurrentUser,
                                                                 dermatologist: CurrentUser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    patient = services.patients.create(dermatologist, PatientInput("MRN-1", "Ina", "Ito", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "scalp", "L1")
    services.captures.add_capture(dermatologist, lesion.id, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40,
                                  CaptureSource.FILE, 10, 10)
    store = services.settings_store
    with pytest.raises(ValidationError) as info:
        store.save(admin, store.load().with_changes(image_folder=str(tmp_path)))
    assert info.value.field == "image_folder" and store.load().image_folder == ""


def test_a_second_old_workstation_does_not_overwrite_the_clinic(paths, database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths.settings_file.write_text(json.dumps({"clinic_name": "Praxis A", "timezone": "Europe/Zurich"}))
    first = build_services(paths, database_url)
    first.close()
    other = Paths(tmp_path / "other")
    other.ensure()
    other.settings_file.write_text(json.dumps({"clinic_name": "Praxis B", "language": "fr",
                                               "extra": {"clinic_phone": "+41 1"}}))
    second = build_services(other, database_url)
    try:
        clinic = second.settings_store.load()
        # the database wins where it has a value; what it lacked is taken from the newcomer
        assert (clinic.clinic_name, clinic.timezone, clinic.clinic_phone) == ("Praxis A", "Europe/Zurich", "+41 1")
        assert json.loads(other.settings_file.read_text()) == {"language": "fr"}
        assert "Praxis B" in other.settings_file.with_name("settings.json.before-clinic-database").read_text()
    finally:
        second.close()
