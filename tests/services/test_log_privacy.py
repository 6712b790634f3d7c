"""Logs name record ids, never patients' names, birth dates, notes or typed search text."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

import pytest

from dermstation.core.domain import CaptureSource, Sex
from dermstation.core.errors import AuthenticationFailed, DuplicateRecord
from dermstation.services.container import Services
from dermstation.services.types import CurrentUser, PatientInput

SECRETS = ("Henrietta", "Bølling", "bolling", "1987-06-05", "05.06.1987", "melanoma in family", "Elm Street")


def test_no_identifying_data_in_logs(
    services: Services, dermatologist: CurrentUser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    data = PatientInput(
        "MRN-77",
        "Henrietta",
        "Bølling",
        date(1987, 6, 5),
        Sex.FEMALE,
        address="12 Elm Street",
        notes="melanoma in family",
    )
    created = services.patients.create(dermatologist, data)
    services.patients.get(dermatologist, created.id)
    services.patients.update(dermatologist, created.id, replace(data, phone="1"))
    services.patients.search(dermatologist, "Henrietta Bølling 05.06.1987")
    with pytest.raises(DuplicateRecord):
        services.patients.create(dermatologist, data)
    lesion = services.patients.add_lesion(dermatologist, created.id, "back", "L1")
    services.captures.add_capture(dermatologist, lesion.id, b"img", CaptureSource.FILE, 1, 1, "Henrietta.jpg")
    services.patients.chart(dermatologist, created.id)
    with pytest.raises(AuthenticationFailed):
        services.auth.sign_in("Henrietta", "wrong-password")

    assert caplog.records, "the services should log what they do (by id)"
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert str(created.id) in text
    for secret in SECRETS:
        assert secret.lower() not in text.lower()
