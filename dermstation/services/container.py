"""The one place that opens the database and wires the services (used by the app, the CLI, tests)."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass

from dermstation.core.config import Paths, load_settings
from dermstation.core.config import database_url as configured_database_url
from dermstation.records.database import DEFAULT_BUSY_TIMEOUT_S, Database
from dermstation.records.database_images import open_image_store
from dermstation.records.image_store import ImageStorage
from dermstation.services.analysis import AnalysisService
from dermstation.services.appointments import AppointmentService
from dermstation.services.assistant import AssistantService
from dermstation.services.audit import AuditLog
from dermstation.services.auth import AuthService
from dermstation.services.captures import CaptureService
from dermstation.services.dicom_import import DicomImportService
from dermstation.services.hospitals import HospitalService
from dermstation.services.patients import PatientService
from dermstation.services.referrals import ReferralService
from dermstation.services.reports import ReportService
from dermstation.services.settings import SettingsStore
from dermstation.services.users import UserService
from dermstation.services.workstation_registry import WorkstationRegistry, application_name, workstation_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    paths: Paths
    settings_store: SettingsStore
    database: Database
    auth: AuthService
    users: UserService
    patients: PatientService
    captures: CaptureService
    audit: AuditLog
    image_store: ImageStorage
    analysis: AnalysisService
    appointments: AppointmentService
    hospitals: HospitalService
    referrals: ReferralService
    assistant: AssistantService
    reports: ReportService
    dicom_import: DicomImportService
    workstations: WorkstationRegistry

    def close(self) -> None:
        """Release database connections (call on shutdown)."""
        self.database.close()


def build_services(
    paths: Paths,
    database_url: str | None = None,
    *,
    busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    workstation: str = "",
) -> Services:
    """Create the data directories, open (upgrade, after a backup) the database, wire every service.

    ``database_url`` overrides the environment and the settings file (tests, the CLI's ``--database``).
    ``workstation`` names this machine for sign-in throttling (default: the host name).
    """
    paths.ensure()
    machine = load_settings(paths)
    url = database_url or configured_database_url(paths, machine)
    ws_id = workstation_id(paths)
    database = Database.open(url, paths.backups, busy_timeout_s=busy_timeout_s,
                             application_name=application_name(ws_id))
    log.info("database opened (%s)", database.backend)
    audit = AuditLog(database)
    settings_store = SettingsStore(paths, database, audit)
    settings_store.adopt_settings_file()  # clinic values of an older settings.json move into the database
    clinic = settings_store.load()
    image_store = open_image_store(database.engine, paths.image_store, paths.image_cache, clinic.image_folder)
    workstations = WorkstationRegistry(database, ws_id)
    workstations.announce()
    return Services(
        paths=paths,
        settings_store=settings_store,
        database=database,
        auth=AuthService(database, audit, workstation or socket.gethostname()),
        users=UserService(database, audit),
        patients=PatientService(database, audit),
        captures=CaptureService(database, audit, image_store),
        audit=audit,
        image_store=image_store,
        # the models load lazily, on the first analysis, so start-up stays fast
        analysis=AnalysisService(provider="cpu" if machine.execution_provider == "cpu" else "auto"),
        appointments=AppointmentService(database, audit, settings_store),
        hospitals=HospitalService(database, audit, settings_store),
        referrals=ReferralService(database, audit),
        assistant=AssistantService(database, audit, settings_store),
        reports=ReportService(database, audit, image_store, settings_store),
        dicom_import=DicomImportService(database, audit, image_store),
        workstations=workstations,
    )
