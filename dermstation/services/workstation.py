"""The services the dermatologist's workstation screens use (analysis, live view, import, history)."""

from __future__ import annotations

from dataclasses import dataclass

from dermstation.services.analysis import AnalysisService
from dermstation.services.analysis_records import AnalysisRecordService
from dermstation.services.container import Services
from dermstation.services.imports import ImportService


@dataclass(frozen=True)
class WorkstationServices:
    """Narrow bundle handed to the Analysis page: nothing here opens a window or a thread."""

    analysis: AnalysisService
    records: AnalysisRecordService
    imports: ImportService


def build_workstation_services(services: Services, analysis: AnalysisService) -> WorkstationServices:
    return WorkstationServices(
        analysis=analysis,
        records=AnalysisRecordService(services.database, services.audit, services.image_store),
        imports=ImportService(services.captures),
    )
