"""The hospital connections as one bundle for the UI: PACS send/receive, worklist, FHIR export, and the
send-queue thread (started and stopped by the composition root)."""

from __future__ import annotations

from dataclasses import dataclass

from dermstation.services.appointments import AppointmentService
from dermstation.services.container import Services
from dermstation.services.fhir_export import FhirExportService, build_fhir_export_service
from dermstation.services.pacs import PacsService, SendQueueWorker, build_pacs_service
from dermstation.services.worklist import WorklistService, build_worklist_service


@dataclass(frozen=True)
class HospitalLink:
    pacs: PacsService
    worklist: WorklistService
    fhir: FhirExportService
    sender: SendQueueWorker


def build_hospital_link(services: Services, appointments: AppointmentService, *,
                        interval_s: float = 15.0) -> HospitalLink:
    """Wire the services; call ``sender.start()`` to send in the background and ``sender.stop()`` on quit."""
    pacs = build_pacs_service(services)
    return HospitalLink(pacs, build_worklist_service(services, pacs, appointments),
                        build_fhir_export_service(services, pacs), SendQueueWorker(pacs, interval_s))
