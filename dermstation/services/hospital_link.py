"""The hospital connections as one bundle for the UI: PACS send/receive, worklist, FHIR export, and the
send-queue thread (built by ``services.container``, started and stopped by the composition root)."""

from __future__ import annotations

from dataclasses import dataclass

from dermstation.services.fhir_export import FhirExportService
from dermstation.services.pacs import PacsService, SendQueueWorker
from dermstation.services.worklist import WorklistService


@dataclass(frozen=True)
class HospitalLink:
    pacs: PacsService
    worklist: WorklistService
    fhir: FhirExportService
    sender: SendQueueWorker
