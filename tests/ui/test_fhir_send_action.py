"""Send to the health record (FHIR) from the analysis menu: read and audited on the database thread, the
bundle drawn, built and posted on a worker, against a local FHIR server that follows the protocol."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu, QWidget

PACS_TESTS = Path(__file__).absolute().parents[1] / "pacs"
if str(PACS_TESTS) not in sys.path:
    sys.path.insert(0, str(PACS_TESTS))

from fake_fhir import FakeFhirServer  # noqa: E402
from helpers import analysed_capture  # noqa: E402

from dermstation.core.diagnoses import catalogue  # noqa: E402
from dermstation.core.domain import AuditAction  # noqa: E402
from dermstation.records.models import AuditEvent  # noqa: E402
from dermstation.services.pacs import DestinationInput  # noqa: E402
from dermstation.ui.hospital_link import HospitalActions  # noqa: E402


@pytest.fixture
def fhir_server():
    server = FakeFhirServer().start()
    yield server
    server.stop()


def test_send_to_the_health_record(qtbot, services, admin, dermatologist, ops, ring, fhir_server) -> None:
    from fake_analysis import fake_analysis_service

    link = services.hospital_link
    try:
        images = Path(__file__).absolute().parents[1] / "data" / "ph2" / "images"
        results = {"IMD006": (images / "IMD006.jpg",
                              fake_analysis_service().analyze_file(images / "IMD006.jpg", pixel_spacing_mm=0.01))}
        link.pacs.save_destination(admin, DestinationInput("Hospital EHR", "fhir", url=fhir_server.base_url,
                                                           username="ehr", password="ehr-password"))
        done = analysed_capture(services, dermatologist, results, record_number="UI-FHIR", sign="nv.common")
        page = QWidget()
        qtbot.addWidget(page)
        actions = HospitalActions(link, dermatologist, ops, lambda: done.analysis_id, lambda: done.patient_id, page)
        actions.add_to(QMenu(page))
        with qtbot.waitSignal(actions.posted, timeout=60000) as posted:
            actions.fhir_action.trigger()
        assert posted.args[0].status == 200 and posted.args[0].locations[0].startswith("Patient/")
        (report,) = fhir_server.resources["DiagnosticReport"].values()
        assert report["conclusion"] == catalogue().get("nv.common").name("en")  # the signed diagnosis
        with services.database.session() as session:
            details = [e.detail for e in session.query(AuditEvent).filter(AuditEvent.action == AuditAction.EXPORT)]
        assert any(d.startswith("fhir bundle") for d in details) and any(d.startswith("fhir post") for d in details)
    finally:
        link.sender.stop()
