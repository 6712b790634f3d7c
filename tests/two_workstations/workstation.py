"""One workstation process of the two-workstation tests: ``python workstation.py ACTION [ARGS]``.

The data directory comes from ``DERMSTATION_DATA_DIR`` and the database URL from that directory's
``settings.json`` (what an installed workstation has); the process builds the same services the
application builds and prints one JSON object on its last line.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from argon2 import PasswordHasher

from dermstation.core.assessments import Plan, PlanKind
from dermstation.core.config import default_paths
from dermstation.core.domain import AuditAction, Role
from dermstation.services import passwords
from dermstation.services.captures import prepare
from dermstation.services.container import build_services
from dermstation.services.reception_types import BookingInput
from dermstation.services.types import PatientInput

REPO = Path(__file__).resolve().parents[2]
PICTURE = REPO / "tests/data/ph2/images/IMD002.jpg"
DIAGNOSIS = "nv.compound"  # a catalogue code; the signature is coded, never free text


def pdf_text(pdf: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(pdf)).pages)


def main(action: str, *args: str) -> dict[str, object]:
    passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))  # tests check behaviour
    services = build_services(default_paths())
    try:
        if action == "set-up":
            admin = services.auth.set_up_clinic("admin", "Ada Admin", "admin-password")
            services.users.create_user(admin, "derm", "Dr Derma", Role.DERMATOLOGIST, "derm-password")
            services.settings_store.save(admin, services.settings_store.load().with_changes(
                clinic_name="Praxis am See", clinic_address="Seestrasse 1, 8002 Zürich",
                clinic_phone="+41 44 555 01 01", clinic_email="praxis@example.ch", timezone="Europe/Zurich"))
            return {"ok": True}
        if action == "settings":
            if args:  # KEY=VALUE pairs, saved by the administrator
                admin = services.auth.sign_in("admin", "admin-password")
                changes = dict(arg.split("=", 1) for arg in args)
                services.settings_store.save(admin, services.settings_store.load().with_changes(**changes))
            return {"settings": vars(services.settings_store.load()) | {"opening_hours": None}}
        if action == "watch-settings":  # the same process sees a change made elsewhere
            first = services.settings_store.load()
            print(json.dumps({"clinic_name": first.clinic_name, "timezone": first.timezone}), flush=True)
            sys.stdin.readline()
            second = services.settings_store.load()
            return {"clinic_name": second.clinic_name, "timezone": second.timezone}
        derm = services.auth.sign_in("derm", "derm-password")
        ws = replace(services, analysis=services.analysis).workstation
        if action == "examine":
            patient = services.patients.create(derm, PatientInput("MRN-4711", "Zoe", "Zimmer", date(1980, 5, 17)))
            lesion = services.patients.add_lesion(derm, patient.id, "back", "L1")
            prepared = prepare(PICTURE)  # the picture path the application takes
            capture = services.captures.add(derm, lesion.id, prepared)
            result = services.analysis.analyze_loaded(prepared.image, prepared.pixel_spacing_mm)
            stored = ws.records.save(derm, capture.id, result)
            ws.assessments.sign(derm, stored.id, DIAGNOSIS, Plan(PlanKind.REASSURE_SELF_EXAM), "benign pattern")
            report = services.reports.lesion_report(derm, stored.id, output=AuditAction.EXPORT)
            return {"patient": patient.id, "capture": capture.id, "sha256": capture.sha256, "analysis": stored.id,
                    "prediction": stored.prediction, "report_text": pdf_text(report.pdf)}
        if action == "read":
            capture_id, analysis_id = int(args[0]), int(args[1])
            picture = services.captures.read_capture(derm, capture_id)
            stored = ws.records.load(derm, analysis_id)
            signed = ws.assessments.current(derm, analysis_id)
            report = services.reports.lesion_report(derm, analysis_id, output=AuditAction.PRINT)
            return {"sha256": hashlib.sha256(picture).hexdigest(), "prediction": stored.prediction,
                    "has_mask": stored.with_mask().mask is not None, "signed_code": signed.diagnosis.code if signed and signed.diagnosis else None,
                    "signed_by": signed.signed_by if signed else None, "report_text": pdf_text(report.pdf),
                    "cached": sorted(p.name for p in services.paths.image_cache.rglob("*") if p.is_file())}
        if action == "book":  # a booking at clinic wall-clock time, exported for the patient
            reception = services.reception
            patient_id, wall = int(args[0]), datetime.fromisoformat(args[1])
            booked = reception.appointments.book(derm, BookingInput(patient_id, derm.id, wall, 30, "Check"))
            ics = reception.appointments.export_appointment(derm, booked.id)
            return {"ics": ics.text, "start": booked.start.isoformat()}
        if action == "workstations":
            admin = services.auth.sign_in("admin", "admin-password")
            return {"workstations": [{"id": w.id, "version": w.app_version, "connected": w.connected,
                                      "this": w.this_workstation} for w in services.workstations.list(admin)]}
        raise SystemExit(f"unknown action {action}")
    finally:
        services.close()


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], *sys.argv[2:]), default=str))
