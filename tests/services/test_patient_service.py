from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from dermstation.core.config import Paths
from dermstation.core.domain import AuditAction, Role, Sex
from dermstation.core.errors import (
    DatabaseLocked,
    DuplicateRecord,
    PermissionDenied,
    RecordNotFound,
    ValidationError,
)
from dermstation.records.models import AuditEvent, Patient
from dermstation.services.container import Services, build_services
from dermstation.services.types import CurrentUser, PatientInput

ANNA = PatientInput(
    record_number=" MRN-001 ",
    given_name=" Anna ",
    family_name="Müller",
    date_of_birth=date(2001, 4, 23),
    sex=Sex.FEMALE,
    phone="+49 30 1234",
    email="anna@example.org",
    address="Hauptstr. 1, Berlin",
    fitzpatrick=2,
    notes="Atypical naevus on the back; follow up in 3 months.",
)


def patient_count(services: Services) -> int:
    with services.database.session() as session:
        return session.scalar(select(func.count()).select_from(Patient)) or 0


def events(services: Services) -> list[AuditEvent]:
    with services.database.session() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_create_and_get_round_trip(services: Services, dermatologist: CurrentUser) -> None:
    created = services.patients.create(dermatologist, ANNA)
    assert (created.record_number, created.given_name) == ("MRN-001", "Anna")
    fetched = services.patients.get(dermatologist, created.id)
    assert fetched == created
    assert fetched.notes == ANNA.notes
    assert fetched.fitzpatrick == 2 and fetched.sex is Sex.FEMALE
    assert fetched.display_name == "Müller, Anna"


def test_duplicate_record_number_is_refused_and_nothing_written(
    services: Services, dermatologist: CurrentUser
) -> None:
    services.patients.create(dermatologist, ANNA)
    before = len(events(services))
    with pytest.raises(DuplicateRecord) as info:
        services.patients.create(dermatologist, replace(ANNA, record_number="MRN-001", given_name="Other"))
    assert "record number" in info.value.message
    assert patient_count(services) == 1
    assert len(events(services)) == before


def test_update_to_a_taken_record_number_is_refused(services: Services, dermatologist: CurrentUser) -> None:
    services.patients.create(dermatologist, ANNA)
    other = services.patients.create(dermatologist, replace(ANNA, record_number="MRN-002"))
    with pytest.raises(DuplicateRecord):
        services.patients.update(dermatologist, other.id, replace(ANNA, record_number="MRN-001"))
    assert services.patients.get(dermatologist, other.id).record_number == "MRN-002"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"record_number": "   "}, "record_number"),
        ({"record_number": "X" * 33}, "record_number"),
        ({"given_name": ""}, "given_name"),
        ({"family_name": "  "}, "family_name"),
        ({"date_of_birth": date.today() + timedelta(days=1)}, "date_of_birth"),
        ({"date_of_birth": date(1899, 12, 31)}, "date_of_birth"),
        ({"fitzpatrick": 0}, "fitzpatrick"),
        ({"fitzpatrick": 7}, "fitzpatrick"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_invalid_input_names_the_field_and_writes_nothing(
    services: Services, dermatologist: CurrentUser, change: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        services.patients.create(dermatologist, replace(ANNA, **change))  # type: ignore[arg-type]
    assert info.value.field == field
    assert patient_count(services) == 0


def test_missing_patient_is_record_not_found(services: Services, dermatologist: CurrentUser) -> None:
    with pytest.raises(RecordNotFound):
        services.patients.get(dermatologist, 12345)
    with pytest.raises(RecordNotFound):
        services.patients.update(dermatologist, 12345, ANNA)


def test_receptionist_sees_no_notes_and_cannot_change_them(
    services: Services, dermatologist: CurrentUser, receptionist: CurrentUser
) -> None:
    created = services.patients.create(dermatologist, ANNA)
    seen = services.patients.get(receptionist, created.id)
    assert seen.notes == ""
    updated = services.patients.update(
        receptionist, created.id, replace(ANNA, phone="+49 30 9999", notes="overwritten by the front desk")
    )
    assert updated.phone == "+49 30 9999" and updated.notes == ""
    after = services.patients.get(dermatologist, created.id)
    assert after.phone == "+49 30 9999"
    assert after.notes == ANNA.notes


def test_receptionist_created_patient_has_no_notes(
    services: Services, receptionist: CurrentUser, dermatologist: CurrentUser
) -> None:
    created = services.patients.create(receptionist, ANNA)
    assert services.patients.get(dermatologist, created.id).notes == ""


def test_receptionist_has_no_clinical_access(
    services: Services, dermatologist: CurrentUser, receptionist: CurrentUser
) -> None:
    created = services.patients.create(dermatologist, ANNA)
    with pytest.raises(PermissionDenied):
        services.patients.chart(receptionist, created.id)
    with pytest.raises(PermissionDenied):
        services.patients.add_lesion(receptionist, created.id, "back", "L1")
    assert services.patients.chart(dermatologist, created.id).lesions == ()


def test_chart_lists_lesions(services: Services, dermatologist: CurrentUser) -> None:
    created = services.patients.create(dermatologist, ANNA)
    first = services.patients.add_lesion(dermatologist, created.id, " left forearm ", "A")
    second = services.patients.add_lesion(dermatologist, created.id, "back", "")
    chart = services.patients.chart(dermatologist, created.id)
    assert chart.patient.notes == ANNA.notes
    assert [lesion.id for lesion in chart.lesions] == [first.id, second.id]
    assert chart.lesions[0].body_site == "left forearm"
    with pytest.raises(ValidationError) as info:
        services.patients.add_lesion(dermatologist, created.id, " ", "x")
    assert info.value.field == "body_site"
    with pytest.raises(RecordNotFound):
        services.patients.add_lesion(dermatologist, 999, "back", "x")


def test_every_access_is_audited_without_names(
    services: Services, dermatologist: CurrentUser, receptionist: CurrentUser
) -> None:
    created = services.patients.create(receptionist, ANNA)
    services.patients.get(dermatologist, created.id)
    services.patients.update(dermatologist, created.id, replace(ANNA, phone="123", notes=""))
    services.patients.search(receptionist, "Müller")
    services.patients.chart(dermatologist, created.id)
    lesion = services.patients.add_lesion(dermatologist, created.id, "back", "L1")
    trail = [
        (e.user_id, e.action, e.table_name, e.record_id) for e in events(services) if e.table_name != "users"
    ]
    assert trail == [
        (receptionist.id, AuditAction.CREATE, "patients", created.id),
        (dermatologist.id, AuditAction.VIEW, "patients", created.id),
        (dermatologist.id, AuditAction.UPDATE, "patients", created.id),
        (receptionist.id, AuditAction.SEARCH, "patients", None),
        (dermatologist.id, AuditAction.VIEW, "patients", created.id),
        (dermatologist.id, AuditAction.CREATE, "lesions", lesion.id),
    ]
    update = [e for e in events(services) if e.action is AuditAction.UPDATE and e.table_name == "patients"][0]
    assert update.detail == "fields=phone"
    for event in events(services):
        for secret in ("Anna", "Müller", "muller", "Atypical", "Hauptstr", "anna@"):
            assert secret.lower() not in event.detail.lower()


def test_locked_database_refuses_the_write_and_leaves_nothing(paths: Paths, sqlite_url: str) -> None:
    services = build_services(paths, sqlite_url, busy_timeout_s=0.2)
    try:
        admin = services.auth.set_up_clinic("admin", "Ada", "admin-password", also=frozenset({Role.DERMATOLOGIST}))
        before = len(events(services))
        blocker = sqlite3.connect(paths.database_file, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(DatabaseLocked):
                services.patients.create(admin, ANNA)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert patient_count(services) == 0
        assert len(events(services)) == before
        assert services.patients.create(admin, ANNA).record_number == "MRN-001"
    finally:
        services.close()
