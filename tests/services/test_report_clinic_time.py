"""Reports print every time in the clinic's zone, whatever this computer's zone is (issue 18)."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from pypdf import PdfReader

from dermstation.core.assessments import Plan, PlanKind
from dermstation.core.config import Paths
from dermstation.core.domain import AuditAction, Role
from dermstation.services.captures import prepare
from dermstation.services.container import build_services
from dermstation.services.types import PatientInput

PICTURE = Path(__file__).resolve().parents[1] / "data/ph2/images/IMD002.jpg"
AUCKLAND = ZoneInfo("Pacific/Auckland")  # 11-13 hours from UTC: the date differs for half the day


@pytest.fixture
def computer_in_new_york():  # type: ignore[no-untyped-def]
    """This computer's own zone is neither UTC nor the clinic's."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_lesion_report_times_are_in_the_clinic_zone(paths: Paths, sqlite_url: str, computer_in_new_york) -> None:  # type: ignore[no-untyped-def]
    services = build_services(paths, sqlite_url)
    try:
        admin = services.auth.set_up_clinic("admin", "Ada Admin", "admin-password")
        services.users.create_user(admin, "derm", "Dr Derma", Role.DERMATOLOGIST, "derm-password")
        services.settings_store.save(admin, services.settings_store.load().with_changes(
            clinic_name="Kiwi Skin", timezone="Pacific/Auckland"))
        derm = services.auth.sign_in("derm", "derm-password")
        ws = replace(services, analysis=services.analysis).workstation
        patient = services.patients.create(derm, PatientInput("MRN-NZ", "Aroha", "Ngata", None))
        lesion = services.patients.add_lesion(derm, patient.id, "back", "L1")
        prepared = prepare(PICTURE)
        capture = services.captures.add(derm, lesion.id, prepared)
        stored = ws.records.save(derm, capture.id, services.analysis.analyze_loaded(prepared.image))
        signed = ws.assessments.sign(derm, stored.id, "nv.compound", Plan(PlanKind.REASSURE_SELF_EXAM))
        report = services.reports.lesion_report(derm, stored.id, output=AuditAction.EXPORT)
    finally:
        services.close()
    text = "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(report.pdf)).pages)

    def clock(moment, zone: ZoneInfo) -> str:  # type: ignore[no-untyped-def]
        """"Nov 30, 2026, 3:45:28" (AM/PM may wrap to the next line in a table cell)."""
        return format_datetime(moment.astimezone(zone), format="medium", locale="en").replace("\u202f", " ")[:-3]

    for moment in (capture.taken_at, signed.signed_at):
        assert clock(moment, AUCKLAND) in text
        assert clock(moment, ZoneInfo("America/New_York")) not in text and clock(moment, ZoneInfo("UTC")) not in text
