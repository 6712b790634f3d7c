"""The composition root of the services: the one place that opens the database and builds every
service (used by the app, the CLI and the tests). The UI gets the one ``Services`` object; the pages
take the narrow views ``Services.workstation`` and ``Services.reception`` of it."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dermstation.core.config import Paths, load_settings
from dermstation.core.config import database_url as configured_database_url
from dermstation.records.columns import utcnow
from dermstation.records.database import DEFAULT_BUSY_TIMEOUT_S, Database
from dermstation.records.database_images import open_image_store
from dermstation.records.image_store import ImageStorage
from dermstation.services.analysis import AnalysisService
from dermstation.services.analysis_records import AnalysisRecordService
from dermstation.services.annotations import AnnotationService
from dermstation.services.appointments import AppointmentService
from dermstation.services.assessments import AssessmentService
from dermstation.services.assistant import AssistantService
from dermstation.services.audit import AuditLog
from dermstation.services.auth import AuthService
from dermstation.services.captures import CaptureService
from dermstation.services.device_profiles import DeviceProfileService
from dermstation.services.dicom_import import DicomImportService
from dermstation.services.fhir_export import FhirExportService
from dermstation.services.hospital_link import HospitalLink
from dermstation.services.hospitals import HospitalService
from dermstation.services.imports import ImportService
from dermstation.services.pacs import PacsService, SendQueueWorker
from dermstation.services.patients import PatientService
from dermstation.services.reception import ReceptionServices
from dermstation.services.referrals import ReferralService
from dermstation.services.reports import ReportService
from dermstation.services.settings import SettingsStore
from dermstation.services.users import UserService
from dermstation.services.worklist import WorklistService
from dermstation.services.workstation import WorkstationServices
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
    analysis_records: AnalysisRecordService
    imports: ImportService
    assessments: AssessmentService
    hospital_link: HospitalLink  # its send-queue thread is started and stopped by app.py
    device_profiles: DeviceProfileService  # mm per pixel of each dermatoscope + camera (issue 20)
    annotations: AnnotationService  # rulers, arrows and marks over a picture
    camera: str = ""  # this workstation's camera (settings.json "camera"): index, video file or stream URL

    @property
    def workstation(self) -> WorkstationServices:
        """What the Analysis page uses (tests swap the analyser with ``replace(services, analysis=...)``)."""
        return WorkstationServices(self.analysis, self.analysis_records, self.imports, self.assessments,
                                   self.hospitals, self.hospital_link, self.workstations, self.camera,
                                   self.device_profiles, self.annotations)

    @property
    def reception(self) -> ReceptionServices:
        """What the Schedule and Hospitals pages use."""
        return ReceptionServices(self.appointments, self.hospitals, self.referrals, self.hospital_link,
                                 self.assessments)

    def close(self) -> None:
        """Release database connections (call on shutdown)."""
        self.database.close()


def build_services(
    paths: Paths,
    database_url: str | None = None,
    *,
    busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    workstation: str = "",
    clock: Callable[[], datetime] = utcnow,
    send_interval_s: float = 15.0,
) -> Services:
    """Create the data directories, open (upgrade, after a backup) the database, wire every service.

    ``database_url`` overrides the environment and the settings file (tests, the CLI's ``--database``).
    ``workstation`` names this machine for sign-in throttling (default: the host name).
    ``clock`` (aware UTC "now") is the appointment book's, for tests that book on fixed dates.
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
    patients = PatientService(database, audit)
    captures = CaptureService(database, audit, image_store)
    appointments = AppointmentService(database, audit, settings_store, clock)
    reports = ReportService(database, audit, image_store, settings_store)
    dicom_import = DicomImportService(database, audit, image_store)
    pacs = PacsService(database, audit, image_store, reports, dicom_import)
    hospital_link = HospitalLink(
        pacs, WorklistService(database, audit, pacs, patients, appointments),
        FhirExportService(database, audit, image_store, reports, pacs), SendQueueWorker(pacs, send_interval_s))
    return Services(
        paths=paths,
        settings_store=settings_store,
        database=database,
        auth=AuthService(database, audit, workstation or socket.gethostname()),
        users=UserService(database, audit),
        patients=patients,
        captures=captures,
        audit=audit,
        image_store=image_store,
        # the models load lazily, on the first analysis, so start-up stays fast
        analysis=AnalysisService(provider="cpu" if machine.execution_provider == "cpu" else "auto"),
        appointments=appointments,
        hospitals=HospitalService(database, audit, settings_store),
        referrals=ReferralService(database, audit),
        assistant=AssistantService(database, audit, settings_store),
        reports=reports,
        dicom_import=dicom_import,
        workstations=workstations,
        analysis_records=AnalysisRecordService(database, audit, image_store),
        imports=ImportService(captures),
        assessments=AssessmentService(database, audit),
        hospital_link=hospital_link,
        device_profiles=DeviceProfileService(database, audit),
        annotations=AnnotationService(database, audit),
        camera=machine.camera,
    )
