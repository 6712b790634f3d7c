"""Send to and receive from the hospital's PACS: destinations, the send queue, query and retrieve.

- Only destinations an administrator configured are ever contacted: every call names a destination id,
  and the network functions are reached through here only. Passwords live in the OS keyring.
- A send is queued (one row per instance and destination, with the exact DICOM file in the image store)
  and sent by ``process_queue``; a peer that cannot be reached is retried with exponential backoff, a
  peer that refuses (unsupported SOP class, bad data, no permission) fails at once with its reason.
  Items are claimed for a lease before sending, so a crash mid-send only delays them, and two
  workstations never send the same item at the same time.
- A lesion's pictures, overlays and reports go into one study with one series per kind, the same for
  every follow-up visit; each instance's UID derives from that study and the record it shows, so a
  re-send is the same instance to the PACS.
- Retrieved studies go through ``DicomImportService`` (the same checks and refusals as a file import).
- Every send, query and retrieve leaves an audit event; details name ids, never patients.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import cv2
import keyring
import numpy as np
from keyring.errors import KeyringError, PasswordDeleteError
from pydicom.uid import generate_uid
from sqlalchemy import select
from sqlalchemy.orm import Session

from dermstation.core.assessments import SignedAssessment
from dermstation.core.domain import AuditAction
from dermstation.core.errors import (
    DermStationError,
    ImageReadError,
    PermissionDenied,
    RecordNotFound,
    ValidationError,
)
from dermstation.core.i18n import _
from dermstation.dicom import network
from dermstation.dicom.encapsulated import build_encapsulated_pdf
from dermstation.dicom.exporter import (
    ExportedInstance,
    ExportPatient,
    ExportStudy,
    build_overlay_capture,
    build_photograph,
    instance_bytes,
)
from dermstation.dicom.network import PacsError, RetrievedInstance, StudyMatch
from dermstation.inference.image_io import decode_image
from dermstation.inference.overlay import render_overlay
from dermstation.inference.segmentation import outer_contour
from dermstation.records.columns import utcnow
from dermstation.records.database import Database
from dermstation.records.image_store import ImageStorage
from dermstation.records.models import AnalysisRecord, ImageCapture, Lesion, Patient
from dermstation.records.pacs_models import LesionStudy, PacsDestination, PacsSendItem
from dermstation.services.assessments import live_capture, signed_assessment_of
from dermstation.services.audit import AuditLog
from dermstation.services.dicom_import import DicomImportResult, DicomImportService
from dermstation.services.permissions import ADMIN_ONLY, ALL_ROLES, CLINICAL_ROLES, authorize
from dermstation.services.reports import LesionReportInput, ReportService, render_lesion_report_file
from dermstation.services.types import CurrentUser

if TYPE_CHECKING:
    from dermstation.services.container import Services  # the container imports this module

log = logging.getLogger(__name__)

KEYRING_SERVICE = "DermStation"
DIMSE, DICOMWEB, FHIR = "dimse", "dicomweb", "fhir"
KINDS = (DIMSE, DICOMWEB, FHIR)
PENDING = ("queued", "retrying")
DERMOSCOPY_MODALITIES = frozenset({"XC", "GM"})
_AE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _-.")


# --- values --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DestinationInput:
    """What the administrator's form submits. ``password`` is stored in the keyring, never the database
    (None: keep the stored one; "": remove it)."""

    name: str
    kind: str = DIMSE
    ae_title: str = ""
    host: str = ""
    port: int | None = None
    calling_ae: str = network.DEFAULT_CALLING_AE
    tls: bool = False
    ca_file: str = ""
    url: str = ""
    username: str = ""
    password: str | None = None
    send: bool = True
    query: bool = False
    worklist: bool = False
    auto_send: bool = False


@dataclass(frozen=True)
class Destination:
    id: int
    name: str
    kind: str
    ae_title: str
    host: str
    port: int | None
    calling_ae: str
    tls: bool
    ca_file: str
    url: str
    username: str
    send: bool
    query: bool
    worklist: bool
    auto_send: bool
    retired: bool

    @property
    def address(self) -> str:
        return f"{self.ae_title}@{self.host}:{self.port}" if self.kind == DIMSE else self.url


@dataclass(frozen=True)
class SendItem:
    """One queued instance, as the send-queue view shows it."""

    id: int
    destination_id: int
    destination_name: str
    patient_id: int
    lesion_id: int
    capture_id: int
    analysis_id: int | None
    kind: str  # photo | overlay | report
    sop_instance_uid: str
    study_uid: str
    state: str  # queued | retrying | sent | failed | cancelled
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class QueueRun:
    """What one pass over the queue did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True)
class RetrieveResult:
    """A retrieved study: what was imported, and what the import refused (SOP instance UID, reason)."""

    imported: tuple[DicomImportResult, ...]
    refused: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Backoff:
    """Delay before attempt n+1 after n failures: ``base * 2**(n-1)``, at most ``cap``; give up after ``max_attempts``."""

    base_s: float = 30.0
    cap_s: float = 3600.0
    max_attempts: int = 12
    lease_s: float = 300.0  # how long a claimed item waits before another sender may take it

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.cap_s, self.base_s * 2 ** max(0, attempts - 1)))


# --- credentials ---------------------------------------------------------------------------------------
class CredentialStore:
    """Destination passwords in the OS keyring (service "DermStation", user "destination-<id>")."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self._service = service

    def get(self, destination_id: int) -> str:
        try:
            return keyring.get_password(self._service, f"destination-{destination_id}") or ""
        except KeyringError as exc:
            log.warning("the OS keyring cannot be read (%s)", type(exc).__name__)
            return ""

    def set(self, destination_id: int, password: str) -> None:
        try:
            if password:
                keyring.set_password(self._service, f"destination-{destination_id}", password)
            else:
                keyring.delete_password(self._service, f"destination-{destination_id}")
        except PasswordDeleteError:
            pass
        except KeyringError as exc:
            raise ValidationError(_("The password cannot be saved: this computer has no usable password store "
                                    "(keyring)."), field="password", details=type(exc).__name__) from exc


# --- helpers -------------------------------------------------------------------------------------------
def _destination(row: PacsDestination) -> Destination:
    return Destination(row.id, row.name, row.kind, row.ae_title, row.host, row.port, row.calling_ae, row.tls,
                       row.ca_file, row.url, row.username, row.send, row.query, row.worklist, row.auto_send,
                       row.retired)


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _ae_title(value: str, field: str) -> str:
    value = value.strip()
    if not value or len(value) > 16 or not set(value) <= _AE_CHARS:
        raise ValidationError(_("An AE title has 1 to 16 letters, digits, spaces, '-', '_' or '.'."), field=field)
    return value


def check_destination(data: DestinationInput) -> DestinationInput:
    """The cleaned input, or ValidationError naming the field."""
    name = data.name.strip()
    if not name or len(name) > 100:
        raise ValidationError(_("Please enter a name for the destination (at most 100 characters)."), field="name")
    if data.kind not in KINDS:
        raise ValidationError(_("Unknown kind of destination."), field="kind")
    if data.kind == DIMSE:
        host = data.host.strip()
        if not host or len(host) > 255 or any(c.isspace() for c in host):
            raise ValidationError(_("Please enter the PACS host name or address."), field="host")
        if data.port is None or not 1 <= data.port <= 65535:
            raise ValidationError(_("The port must be between 1 and 65535."), field="port")
        if data.auto_send and not data.send:
            raise ValidationError(_("Sending on signing needs sending turned on."), field="auto_send")
        return replace(data, name=name, host=host, ae_title=_ae_title(data.ae_title, "ae_title"),
                       calling_ae=_ae_title(data.calling_ae, "calling_ae"), ca_file=data.ca_file.strip(),
                       url="", username="")
    url = data.url.strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname or len(url) > 500:
        raise ValidationError(_("Please enter the service's address, starting with https://."), field="url")
    if parsed.scheme == "http" and not _is_loopback(parsed.hostname):
        # patient data never crosses a network unencrypted
        raise ValidationError(_("Use an https:// address: patient data is only sent encrypted."), field="url")
    if data.kind == FHIR and (data.query or data.worklist):
        raise ValidationError(_("A FHIR server receives reports only."), field="kind")
    if data.kind == DICOMWEB and data.worklist:
        raise ValidationError(_("The worklist is read over DICOM (C-FIND), not DICOMweb."), field="worklist")
    return replace(data, name=name, url=url, username=data.username.strip()[:100], ae_title="", host="",
                   port=None, tls=parsed.scheme == "https", ca_file=data.ca_file.strip())


def _stable_uid(study_uid: str, kind: str, record_id: int) -> str:
    """The same UID for the same record, every time it is exported (a PACS then keeps one copy)."""
    return generate_uid(entropy_srcs=[study_uid, kind, str(record_id)])


def _with_uid(instance: ExportedInstance, uid: str, number: int) -> ExportedInstance:
    ds = instance.dataset
    ds.SOPInstanceUID = uid
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.InstanceNumber = number
    return replace(instance, sop_instance_uid=uid)


def _decode_rgb(data: bytes) -> np.ndarray:
    """A stored picture through the one decoder, at its stored resolution (the spacing is a stored pixel's)."""
    try:
        return decode_image(data, _("The stored image"), max_side=1_000_000).pixels
    except ImageReadError as exc:
        raise ValidationError(_("A stored image cannot be read."), details=exc.details) from exc


def _retrieved_name(instance: RetrievedInstance) -> str:
    return f"pacs-{instance.sop_instance_uid}.dcm"


def _item(row: PacsSendItem, destination_name: str) -> SendItem:
    return SendItem(row.id, row.destination_id, destination_name, row.patient_id, row.lesion_id, row.capture_id,
                    row.analysis_id, row.kind, row.sop_instance_uid, row.study_uid, row.state, row.attempts,
                    row.next_attempt_at, row.last_error, row.created_at, row.sent_at)


@dataclass(frozen=True, eq=False)
class SendInputs:
    """One analysis to send, as read from the records: ids, UIDs and stored bytes, nothing decoded."""

    analysis_id: int
    capture_id: int
    lesion_id: int
    patient_id: int
    destination_ids: tuple[int, ...]  # checked when read and again when queued
    patient: ExportPatient
    study: ExportStudy
    photo_series_uid: str
    overlay_series_uid: str
    report_series_uid: str
    body_site: str
    pixel_spacing_mm: float | None
    acquired_at: datetime
    picture: bytes
    mask: bytes | None
    report: LesionReportInput | None  # the signed lesion report's data; None: no report goes
    signed_id: int | None
    signed_at: datetime | None


def build_send_files(inputs: SendInputs) -> tuple[tuple[str, ExportedInstance], ...]:
    """Decode the stored picture, outline the lesion, draw the signed report and build the DICOM instances
    [worker]: the photograph, the overlay (with a mask) and the report (one per signed version)."""
    rgb = _decode_rgb(inputs.picture)
    photo = build_photograph(rgb, inputs.patient, inputs.study, body_site=inputs.body_site,
                             pixel_spacing_mm=inputs.pixel_spacing_mm, acquired_at=inputs.acquired_at,
                             series_uid=inputs.photo_series_uid)
    photo = _with_uid(photo, _stable_uid(inputs.study.study_uid, "photo", inputs.capture_id), inputs.capture_id)
    files: list[tuple[str, ExportedInstance]] = [("photo", photo)]
    if inputs.mask is not None:
        grey = cv2.imdecode(np.frombuffer(inputs.mask, np.uint8), cv2.IMREAD_GRAYSCALE)
        if grey is not None:
            if grey.shape[:2] != rgb.shape[:2]:
                grey = cv2.resize(grey, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_NEAREST)
            overlay = render_overlay(rgb, contour=outer_contour(grey > 127))
            sc = build_overlay_capture(overlay, photo, description="Lesion outline (AI decision support)",
                                       series_uid=inputs.overlay_series_uid)
            files.append(("overlay", _with_uid(sc, _stable_uid(inputs.study.study_uid, "overlay", inputs.analysis_id),
                                               inputs.analysis_id)))
    if inputs.report is not None and inputs.signed_id is not None:  # one report instance per signed version
        pdf = render_lesion_report_file(inputs.report).pdf
        doc = build_encapsulated_pdf(pdf, photo, series_uid=inputs.report_series_uid,
                                     sop_instance_uid=_stable_uid(inputs.study.study_uid, "report", inputs.signed_id),
                                     signed_at=inputs.signed_at)
        doc.dataset.InstanceNumber = inputs.signed_id
        files.append(("report", doc))
    return tuple(files)


# --- the service ---------------------------------------------------------------------------------------
class PacsService:
    def __init__(self, database: Database, audit: AuditLog, image_store: ImageStorage, reports: ReportService,
                 dicom_import: DicomImportService, *, credentials: CredentialStore | None = None,
                 clock: Callable[[], datetime] = utcnow, backoff: Backoff = Backoff()) -> None:
        self._db = database
        self._audit = audit
        self._images = image_store
        self._reports = reports
        self._import = dicom_import
        self._credentials = credentials or CredentialStore()
        self._clock = clock
        self._backoff = backoff
        self.queue_changed: Callable[[], None] = lambda: None  # the sender thread sets this to wake up

    # --- destinations (administrator) ------------------------------------------------------------------
    def destinations(self, actor: CurrentUser, *, include_retired: bool = False) -> list[Destination]:
        with self._db.session() as session:
            authorize(session, actor, ALL_ROLES)
            query = select(PacsDestination).order_by(PacsDestination.name, PacsDestination.id)
            if not include_retired:
                query = query.where(PacsDestination.retired.is_(False))
            return [_destination(r) for r in session.scalars(query)]

    def save_destination(self, actor: CurrentUser, data: DestinationInput,
                         destination_id: int | None = None) -> Destination:
        """Add (``destination_id`` None) or change a destination; administrators only."""
        clean = check_destination(data)
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            if destination_id is None:
                row = PacsDestination(name=clean.name, kind=clean.kind)
                session.add(row)
            else:
                row = self._destination_row(session, destination_id, include_retired=True)
            for key in ("name", "kind", "ae_title", "host", "port", "calling_ae", "tls", "ca_file", "url",
                        "username", "send", "query", "worklist", "auto_send"):
                setattr(row, key, getattr(clean, key))
            row.retired = False
            row.updated_by_id = actor.id
            session.flush()
            self._audit.record(session, actor.id, AuditAction.CREATE if destination_id is None else AuditAction.UPDATE,
                               "pacs_destinations", row.id, f"kind={row.kind}")
            if clean.password is not None:
                self._credentials.set(row.id, clean.password)
            log.info("user %d saved destination %d (%s)", actor.id, row.id, row.kind)
            return _destination(row)

    def retire_destination(self, actor: CurrentUser, destination_id: int) -> None:
        """Stop using a destination: nothing more is sent to it; queued items fail with that reason."""
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            row = self._destination_row(session, destination_id, include_retired=True)
            row.retired = True
            row.updated_by_id = actor.id
            self._audit.record(session, actor.id, AuditAction.DELETE, "pacs_destinations", row.id, "retired")
        self._credentials.set(destination_id, "")

    def test_destination(self, actor: CurrentUser, destination_id: int) -> None:
        """C-ECHO (DICOM), a search (DICOMweb) or the capability statement (FHIR); ``PacsError`` says what is wrong."""
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            dest = _destination(self._destination_row(session, destination_id))
        if dest.kind == DIMSE:
            network.echo(self.dimse_peer(dest))
        elif dest.kind == DICOMWEB:
            network.web_find_studies(self.web_peer(dest), "DERMSTATION-CONNECTION-TEST")
        else:
            network.web_get(self.web_peer(dest), "metadata")

    @staticmethod
    def _destination_row(session: Session, destination_id: int, *, include_retired: bool = False) -> PacsDestination:
        row = session.get(PacsDestination, destination_id)
        if row is None or (row.retired and not include_retired):
            raise RecordNotFound(_("This destination is not configured."), details=f"destination {destination_id}")
        return row

    def dimse_peer(self, dest: Destination) -> network.DimsePeer:
        tls = network.TlsOptions(ca_file=dest.ca_file or None) if dest.tls else None
        return network.DimsePeer(dest.ae_title, dest.host, int(dest.port or 104), dest.calling_ae, tls)

    def web_peer(self, dest: Destination) -> network.WebPeer:
        password = self._credentials.get(dest.id) if dest.username else ""
        return network.WebPeer(dest.url, dest.username, password, dest.ca_file or None)

    def web_credentials(self, destination_id: int) -> tuple[str, str, str | None]:
        """(URL, user, password) of a configured https/loopback destination (for the FHIR sender)."""
        with self._db.session() as session:
            dest = _destination(self._destination_row(session, destination_id))
        peer = self.web_peer(dest)
        return peer.url, peer.username, peer.password or None

    # --- queueing ----------------------------------------------------------------------------------------
    def _lesion_study(self, session: Session, lesion: Lesion) -> LesionStudy:
        row = session.get(LesionStudy, lesion.id)
        if row is None:
            row = LesionStudy(lesion_id=lesion.id, study_uid=generate_uid(), photo_series_uid=generate_uid(),
                              overlay_series_uid=generate_uid(), report_series_uid=generate_uid())
            session.add(row)
            session.flush()
        return row

    def queue_inputs(self, actor: CurrentUser, analysis_id: int, destination_ids: Sequence[int] | None = None,
                     *, include_report: bool = True) -> SendInputs:
        """What sending ``analysis_id`` needs, read on the database thread: the checked destinations, the
        lesion's study UIDs, the stored picture and mask bytes and (when signed) the lesion report's data.
        ``destination_ids`` None means every destination that sends. Nothing is decoded here."""
        report = None
        if include_report and self._signed_assessment(actor, analysis_id) is not None:
            report = self._reports.lesion_report_data(actor, analysis_id, output=AuditAction.EXPORT)
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            analysis = session.get(AnalysisRecord, analysis_id)
            if analysis is None:
                raise RecordNotFound(_("This analysis does not exist."), details=f"analysis {analysis_id}")
            targets = self._targets(session, destination_ids)
            capture = live_capture(session, analysis.capture_id)  # a retracted picture is never sent
            lesion = capture.lesion
            patient = lesion.patient
            study_row = self._lesion_study(session, lesion)
            signed = signed_assessment_of(session, analysis.id) if report is not None else None
            return SendInputs(
                analysis_id=analysis.id, capture_id=capture.id, lesion_id=lesion.id, patient_id=patient.id,
                destination_ids=tuple(d.id for d in targets),
                patient=ExportPatient(patient.record_number, patient.family_name, patient.given_name,
                                      patient.date_of_birth, patient.sex),
                study=ExportStudy(study_uid=study_row.study_uid, started_at=lesion.created_at,  # the first visit
                                  description="Dermoscopy follow-up"),
                photo_series_uid=study_row.photo_series_uid, overlay_series_uid=study_row.overlay_series_uid,
                report_series_uid=study_row.report_series_uid, body_site=lesion.body_site,
                pixel_spacing_mm=capture.pixel_spacing_mm, acquired_at=capture.taken_at,
                picture=self._images.read(capture.sha256),
                mask=self._images.read(analysis.mask_sha256) if analysis.mask_sha256 else None,
                report=report if signed is not None else None,
                signed_id=signed.id if signed is not None else None,
                signed_at=signed.signed_at if signed is not None else None,
            )

    def enqueue(self, actor: CurrentUser, inputs: SendInputs, files: Sequence[tuple[str, ExportedInstance]]
                ) -> tuple[SendItem, ...]:
        """Put the built files in the queue of each destination [database thread], so what is sent later is
        exactly what the clinician asked to send."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            targets = self._targets(session, inputs.destination_ids)
            live_capture(session, inputs.capture_id)  # not retracted meanwhile
            items = []
            for dest in targets:
                for kind, instance in files:
                    data = instance_bytes(instance)
                    row = PacsSendItem(
                        destination_id=dest.id, patient_id=inputs.patient_id, lesion_id=inputs.lesion_id,
                        capture_id=inputs.capture_id, analysis_id=inputs.analysis_id, kind=kind,
                        sop_class_uid=instance.sop_class_uid, sop_instance_uid=instance.sop_instance_uid,
                        study_uid=instance.study_uid, content_sha256=self._images.put(data), state="queued",
                        attempts=0, next_attempt_at=self._clock(), created_by_id=actor.id)
                    session.add(row)
                    session.flush()
                    self._audit.record(session, actor.id, AuditAction.EXPORT, "pacs_send_items", row.id,
                                       f"queued {kind} analysis={inputs.analysis_id} destination={dest.id}")
                    items.append(_item(row, dest.name))
            log.info("user %d queued %d instance(s) of analysis %d", actor.id, len(items), inputs.analysis_id)
        self.queue_changed()
        return tuple(items)

    def queue_analysis(self, actor: CurrentUser, analysis_id: int, destination_ids: Sequence[int] | None = None,
                       *, include_report: bool = True) -> tuple[SendItem, ...]:
        """Queue the analysed photograph, its overlay and (when signed) the lesion report for sending: the three
        steps in one call, for the sender, the CLI and tests (the UI runs them on their own threads)."""
        inputs = self.queue_inputs(actor, analysis_id, destination_ids, include_report=include_report)
        return self.enqueue(actor, inputs, build_send_files(inputs))

    def auto_send_destinations(self, actor: CurrentUser) -> tuple[int, ...]:
        """The destinations set to receive a picture as soon as it is signed (none: nothing is sent then)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            return tuple(session.scalars(select(PacsDestination.id).where(
                PacsDestination.retired.is_(False), PacsDestination.send.is_(True),
                PacsDestination.auto_send.is_(True), PacsDestination.kind != FHIR).order_by(PacsDestination.id)))

    def queue_signed(self, actor: CurrentUser, signed: SignedAssessment) -> tuple[SendItem, ...]:
        """After signing: queue the signed analysis to every destination set to send on signing (none: nothing)."""
        if signed.analysis_id is None:
            return ()
        auto = self.auto_send_destinations(actor)
        return self.queue_analysis(actor, signed.analysis_id, auto) if auto else ()

    def _signed_assessment(self, actor: CurrentUser, analysis_id: int) -> SignedAssessment | None:
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            return signed_assessment_of(session, analysis_id)

    def _targets(self, session: Session, destination_ids: Sequence[int] | None) -> list[PacsDestination]:
        query = select(PacsDestination).where(PacsDestination.retired.is_(False), PacsDestination.send.is_(True),
                                              PacsDestination.kind != FHIR)
        if destination_ids is not None:
            query = query.where(PacsDestination.id.in_(list(destination_ids)))
        targets = list(session.scalars(query.order_by(PacsDestination.id)))
        if destination_ids is not None and len(targets) != len(set(destination_ids)):
            raise PermissionDenied(_("Pictures can only be sent to destinations the administrator configured."),
                                   details=f"destinations {sorted(destination_ids)}")
        if not targets:
            raise ValidationError(_("No PACS is configured for sending. An administrator adds one in Settings."),
                                  field="destination")
        return targets

    # --- the queue -----------------------------------------------------------------------------------------
    def queue(self, actor: CurrentUser, *, patient_id: int | None = None, limit: int = 200) -> list[SendItem]:
        """Queue items, newest first (optionally of one patient)."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            query = (select(PacsSendItem, PacsDestination.name).join(PacsDestination)
                     .order_by(PacsSendItem.id.desc()).limit(max(1, min(limit, 5000))))
            if patient_id is not None:
                query = query.where(PacsSendItem.patient_id == patient_id)
            rows = session.execute(query).all()
            self._audit.record(session, actor.id, AuditAction.VIEW, "pacs_send_items", None,
                               f"queue patient={patient_id}" if patient_id else "queue")
            return [_item(r, name) for r, name in rows]

    def retry_now(self, actor: CurrentUser, item_id: int) -> None:
        """Send a failed or waiting item again at the next pass."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            row = session.get(PacsSendItem, item_id)
            if row is None:
                raise RecordNotFound(_("This queue entry does not exist."), details=f"item {item_id}")
            if row.state in ("sent", "cancelled"):
                raise ValidationError(_("This entry is not waiting to be sent."), field="state")
            row.state, row.next_attempt_at = "queued", self._clock()
            self._audit.record(session, actor.id, AuditAction.UPDATE, "pacs_send_items", row.id, "retry")
        self.queue_changed()

    def cancel(self, actor: CurrentUser, item_id: int) -> None:
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            row = session.get(PacsSendItem, item_id)
            if row is None:
                raise RecordNotFound(_("This queue entry does not exist."), details=f"item {item_id}")
            if row.state not in (*PENDING, "failed"):
                raise ValidationError(_("This entry is not waiting to be sent."), field="state")
            row.state = "cancelled"
            self._audit.record(session, actor.id, AuditAction.UPDATE, "pacs_send_items", row.id, "cancel")

    def _claim(self, limit: int) -> list[tuple[int, int]]:
        """(item id, destination id) of due items, leased so no other sender takes them meanwhile."""
        now = self._clock()
        with self._db.session() as session:
            query = (select(PacsSendItem).where(PacsSendItem.state.in_(PENDING), PacsSendItem.next_attempt_at <= now)
                     .order_by(PacsSendItem.id).limit(limit))
            if self._db.backend == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            for row in rows:
                row.next_attempt_at = now + timedelta(seconds=self._backoff.lease_s)
            return [(r.id, r.destination_id) for r in rows]

    def process_queue(self, *, limit: int = 100) -> QueueRun:
        """Send what is due; returns how many were sent, will be retried, failed for good."""
        claimed = self._claim(limit)
        sent = retrying = failed = 0
        unreachable: dict[int, PacsError] = {}
        for item_id, destination_id in claimed:
            if destination_id in unreachable:  # not tried again in this pass: same delay as the first
                self._finish(item_id, unreachable[destination_id], count_attempt=False)
                retrying += 1
                continue
            try:
                self._send_one(item_id)
            except DermStationError as exc:  # the peer's answer, or a queued file that is gone or damaged
                if not isinstance(exc, PacsError):
                    exc = PacsError(exc.message, exc.details, retryable=False)
                state = self._finish(item_id, exc)
                if state == "failed":
                    failed += 1
                else:
                    retrying += 1
                    if exc.retryable:
                        unreachable[destination_id] = exc
            else:
                sent += 1
        if claimed:
            log.info("send queue: %d sent, %d to retry, %d failed", sent, retrying, failed)
        return QueueRun(sent, retrying, failed)

    def _send_one(self, item_id: int) -> None:
        with self._db.session() as session:
            row = session.get(PacsSendItem, item_id)
            assert row is not None
            dest_row = session.get(PacsDestination, row.destination_id)
            if dest_row is None or dest_row.retired or not dest_row.send:
                raise PacsError(_("The destination was removed by the administrator."),
                                f"destination {row.destination_id} retired", retryable=False)
            capture = session.get(ImageCapture, row.capture_id)
            if capture is None or capture.retracted_at is not None:  # wrong patient, not a lesion, ...
                raise PacsError(_("The picture was retracted after it was queued; it is not sent."),
                                f"capture {row.capture_id} retracted", retryable=False)
            dest = _destination(dest_row)
            digest = row.content_sha256
        data = self._images.read(digest)
        if dest.kind == DIMSE:
            outcome = network.store(self.dimse_peer(dest), [data])[0]
        else:
            outcome = network.web_store(self.web_peer(dest), [data])[0]
        with self._db.session() as session:
            row = session.get(PacsSendItem, item_id)
            assert row is not None
            row.state, row.sent_at, row.attempts = "sent", self._clock(), row.attempts + 1
            row.last_error = outcome.warning[:1000]
            self._audit.record(session, row.created_by_id, AuditAction.EXPORT, "pacs_send_items", row.id,
                               f"sent {row.kind} patient={row.patient_id} destination={row.destination_id}")

    def _finish(self, item_id: int, exc: PacsError, *, count_attempt: bool = True) -> str:
        with self._db.session() as session:
            row = session.get(PacsSendItem, item_id)
            assert row is not None
            attempts = row.attempts + (1 if count_attempt else 0)
            row.attempts = attempts
            row.last_error = (f"{exc.message} [{exc.details}]" if exc.details else exc.message)[:1000]
            if not exc.retryable or attempts >= self._backoff.max_attempts:
                row.state = "failed"
            else:
                row.state = "retrying"
                row.next_attempt_at = self._clock() + self._backoff.delay(max(1, attempts))
            self._audit.record(session, row.created_by_id, AuditAction.EXPORT, "pacs_send_items", row.id,
                               f"{row.state} destination={row.destination_id} attempt={attempts}")
            return row.state

    # --- receiving -------------------------------------------------------------------------------------
    def _query_destination(self, session: Session, actor: CurrentUser, destination_id: int) -> Destination:
        authorize(session, actor, CLINICAL_ROLES)
        dest = _destination(self._destination_row(session, destination_id))
        if not dest.query or dest.kind == FHIR:
            raise PermissionDenied(_("This destination is not configured for queries."),
                                   details=f"destination {destination_id}")
        return dest

    def find_prior(self, actor: CurrentUser, patient_id: int, destination_id: int) -> list[StudyMatch]:
        """Prior dermoscopy studies of a patient at the PACS (C-FIND or QIDO-RS by record number)."""
        with self._db.session() as session:
            dest = self._query_destination(session, actor, destination_id)
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise RecordNotFound(_("This patient does not exist."), details=f"patient {patient_id}")
            record_number = patient.record_number
            self._audit.record(session, actor.id, AuditAction.SEARCH, "patients", patient_id,
                               f"pacs query destination={destination_id}")
        if dest.kind == DIMSE:
            studies = network.find_studies(self.dimse_peer(dest), record_number)
        else:
            studies = network.web_find_studies(self.web_peer(dest), record_number)
        # the PACS matched on the ID; keep only that exact ID and the studies holding photographs
        return [s for s in studies if s.patient_id == record_number
                and (not s.modalities or DERMOSCOPY_MODALITIES & set(s.modalities))]

    def retrieve(self, actor: CurrentUser, patient_id: int, destination_id: int, study_uid: str, *,
                 lesion_id: int | None = None, body_site: str | None = None) -> RetrieveResult:
        """Fetch a study (C-GET or WADO-RS) and import its pictures into the patient's lesion history.

        A study DermStation sent itself goes back to its own lesion; otherwise ``lesion_id``, or a new
        lesion at ``body_site`` (default: the file's). Everything passes the DICOM import's checks;
        what it refuses is listed with its reason and nothing of it is stored.
        """
        with self._db.session() as session:
            dest = self._query_destination(session, actor, destination_id)
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise RecordNotFound(_("This patient does not exist."), details=f"patient {patient_id}")
            own = session.scalar(select(LesionStudy).where(LesionStudy.study_uid == study_uid))
            if own is not None and lesion_id is None:
                owner = session.get(Lesion, own.lesion_id)
                if owner is not None and owner.patient_id == patient_id:
                    lesion_id = owner.id
            record_number = patient.record_number
            self._audit.record(session, actor.id, AuditAction.VIEW, "patients", patient_id,
                               f"pacs retrieve destination={destination_id}")
        if dest.kind == DIMSE:
            instances = network.get_study(self.dimse_peer(dest), study_uid, record_number)
        else:
            instances = network.web_get_study(self.web_peer(dest), study_uid)
        return self._import_all(actor, patient_id, instances, lesion_id, body_site)

    def _import_all(self, actor: CurrentUser, patient_id: int, instances: Sequence[RetrievedInstance],
                    lesion_id: int | None, body_site: str | None) -> RetrieveResult:
        imported: list[DicomImportResult] = []
        refused: list[tuple[str, str]] = []
        with self._db.session() as session:
            ours = set(session.scalars(select(PacsSendItem.sop_instance_uid).where(
                PacsSendItem.patient_id == patient_id,
                PacsSendItem.sop_instance_uid.in_([i.sop_instance_uid for i in instances]))))
            # an instance retrieved before goes back to its lesion, where the import refuses the duplicate
            earlier = dict(session.execute(
                select(ImageCapture.original_filename, ImageCapture.lesion_id).join(Lesion)
                .where(Lesion.patient_id == patient_id,
                       ImageCapture.original_filename.in_([_retrieved_name(i) for i in instances]))).all())
        for inst in sorted(instances, key=lambda i: i.sop_instance_uid):
            name = _retrieved_name(inst)
            if inst.sop_instance_uid in ours:
                refused.append((inst.sop_instance_uid, _("Sent from this record: it is already here.")))
                continue
            try:
                image = self._import.read(inst.data, name)
                result = self._import.import_image(actor, image, original_name=name, patient_id=patient_id,
                                                   lesion_id=earlier.get(name, lesion_id), body_site=body_site)
            except DermStationError as exc:
                refused.append((inst.sop_instance_uid, exc.message))
                continue
            imported.append(result)
            if lesion_id is None:
                lesion_id = result.lesion_id  # the rest of the study joins the same lesion
        log.info("user %d retrieved %d instance(s): %d imported, %d refused", actor.id, len(instances),
                 len(imported), len(refused))
        return RetrieveResult(tuple(imported), tuple(refused))


class SendQueueWorker:
    """Runs ``process_queue`` on a thread of its own: at once when something is queued, then every
    ``interval_s`` (so backoff delays elapse). Started and stopped by the composition root."""

    def __init__(self, pacs: PacsService, interval_s: float = 15.0) -> None:
        self._pacs = pacs
        self._interval = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_run: QueueRun | None = None

    def start(self) -> None:
        if self._thread is None:
            self._pacs.queue_changed = self._wake.set
            self._thread = threading.Thread(target=self._run, name="pacs-send-queue", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.last_run = self._pacs.process_queue()
            except Exception:  # noqa: BLE001 - the sender must survive a database hiccup; it is logged
                log.exception("send queue pass failed")
            self._wake.wait(self._interval)
            self._wake.clear()



def build_pacs_service(services: Services, **options: object) -> PacsService:
    """The PACS service on the container's database, audit log, image store, reports and DICOM import."""
    return PacsService(services.database, services.audit, services.image_store, services.reports,
                       services.dicom_import, **options)  # type: ignore[arg-type]
