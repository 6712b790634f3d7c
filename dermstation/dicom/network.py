"""Talk to a PACS: DIMSE (pynetdicom) and DICOMweb (dicomweb-client).

Plain functions over frozen values, no database: ``services.pacs`` and ``services.worklist`` decide what
to send and where, and keep the queue. Every failure raises ``PacsError`` with a message a clinician can
act on, the peer's own reason in ``details`` (status code and Error Comment, or the HTTP status), and
``retryable`` saying whether trying again later can help (the peer was unreachable or busy) or not (the
peer refused what we sent: unsupported SOP class, bad data, no permission).
"""

from __future__ import annotations

import io
import logging
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import pydicom
import requests
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE, build_role, evt
from pynetdicom.association import Association
from pynetdicom.sop_class import (
    ModalityWorklistInformationFind,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    Verification,
)
from pynetdicom.status import code_to_category

from dermstation.core.errors import DermStationError
from dermstation.core.i18n import _
from dermstation.dicom.importer import PHOTO_SOP_CLASSES

log = logging.getLogger(__name__)

ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
# what a retrieve asks the peer to send back: photographs (the import refuses what it cannot use)
RETRIEVE_SOP_CLASSES: tuple[str, ...] = (*PHOTO_SOP_CLASSES, ENCAPSULATED_PDF)
_TRANSFER_SYNTAXES = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
_SOP_NAMES = {**PHOTO_SOP_CLASSES, ENCAPSULATED_PDF: "Encapsulated PDF"}
DEFAULT_CALLING_AE = "DERMSTATION"


class PacsError(DermStationError):
    """A network peer could not be reached or refused a request."""

    def __init__(self, message: str, details: str = "", *, retryable: bool) -> None:
        super().__init__(message, details)
        self.retryable = retryable


@dataclass(frozen=True)
class TlsOptions:
    """TLS for a DIMSE association: the peer's CA (None: the system store) and an optional client certificate."""

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    verify_hostname: bool = True


@dataclass(frozen=True)
class DimsePeer:
    """A DICOM application entity to talk to (the hospital PACS or worklist server)."""

    ae_title: str
    host: str
    port: int
    calling_ae: str = DEFAULT_CALLING_AE
    tls: TlsOptions | None = None
    timeout_s: float = 30.0


@dataclass(frozen=True)
class WebPeer:
    """A DICOMweb service root (``…/dicom-web``) and its credentials (the password comes from the keyring)."""

    url: str
    username: str = ""
    password: str = field(default="", repr=False)
    ca_file: str | None = None
    timeout_s: float = 30.0


@dataclass(frozen=True)
class StoreOutcome:
    """A stored instance; ``warning`` holds the peer's warning (e.g. coerced attributes), if any."""

    sop_instance_uid: str
    warning: str = ""


@dataclass(frozen=True)
class StudyMatch:
    """One study a query found."""

    study_uid: str
    patient_id: str
    study_date: date | None
    description: str
    modalities: tuple[str, ...]
    accession_number: str
    instance_count: int | None


@dataclass(frozen=True)
class RetrievedInstance:
    """One instance a retrieve brought back, as a DICOM Part 10 file."""

    sop_class_uid: str
    sop_instance_uid: str
    data: bytes


@dataclass(frozen=True)
class WorklistEntry:
    """One scheduled procedure step of a Modality Worklist."""

    patient_id: str
    family_name: str
    given_name: str
    birth_date: date | None
    sex: str  # "F", "M", "O" or ""
    accession_number: str
    requested_procedure_id: str
    step_id: str
    description: str
    start_date: date | None
    start_time: str  # "HHMM[SS]" as sent, "" when absent
    performing_physician: str  # as DICOM writes a person name: "Family^Given^Middle^Prefix^Suffix"
    station_ae: str
    modality: str
    study_uid: str


def sop_class_name(uid: str) -> str:
    return _SOP_NAMES.get(uid) or UID(uid).name or uid


# --- DIMSE -----------------------------------------------------------------------------------------------
def _ssl_context(tls: TlsOptions) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=tls.ca_file)
    context.check_hostname = tls.verify_hostname
    if tls.cert_file:
        context.load_cert_chain(tls.cert_file, tls.key_file)
    return context


def _ae(peer: DimsePeer) -> AE:
    ae = AE(ae_title=peer.calling_ae)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = peer.timeout_s
    ae.connection_timeout = min(peer.timeout_s, 10.0)
    return ae


def _associate(ae: AE, peer: DimsePeer, **kwargs: object) -> Association:
    tls_args = None
    if peer.tls is not None:
        try:
            tls_args = (_ssl_context(peer.tls), peer.host)
        except (OSError, ssl.SSLError) as exc:
            raise PacsError(_("The TLS certificates configured for this destination cannot be read."),
                            f"{type(exc).__name__}: {exc}", retryable=False) from exc
    assoc = ae.associate(peer.host, peer.port, ae_title=peer.ae_title, tls_args=tls_args, **kwargs)
    if assoc.is_established:
        return assoc
    where = f"{peer.ae_title}@{peer.host}:{peer.port}"
    if assoc.is_rejected:
        rsp = assoc.acceptor.primitive
        reason = f"{rsp.result_str}, {rsp.source_str}: {rsp.reason_str}" if rsp is not None else "rejected"
        # a permanent rejection (wrong AE title, unknown calling AE) will not go away by retrying
        permanent = rsp is not None and rsp.result == 0x01
        raise PacsError(_("The PACS refused the connection ({reason}). Check the AE titles configured "
                          "for it.").format(reason=reason), f"{where}: {reason}", retryable=not permanent)
    if peer.tls is not None:
        _diagnose_tls(peer, tls_args[0] if tls_args else None)
    if assoc.is_aborted:
        raise PacsError(_("The PACS cannot be reached, or it closed the connection at once (if it expects "
                          "TLS, turn TLS on for this destination). It will be tried again later."),
                        f"{where}: no connection or aborted", retryable=True)
    raise PacsError(_("The PACS cannot be reached. It will be tried again later."), f"{where}: no connection",
                    retryable=True)


def _diagnose_tls(peer: DimsePeer, context: ssl.SSLContext | None) -> None:
    """After a failed TLS association: say so plainly when the peer's certificate is the reason."""
    if context is None:
        return
    try:
        with socket.create_connection((peer.host, peer.port), timeout=min(peer.timeout_s, 10.0)) as raw, \
                context.wrap_socket(raw, server_hostname=peer.host):
            return
    except ssl.SSLCertVerificationError as exc:
        raise PacsError(_("The PACS's TLS certificate is not trusted. Give this destination the certificate of the "
                          "hospital's certificate authority (Trusted CA)."),
                        f"{peer.host}:{peer.port}: {exc.verify_message}", retryable=False) from exc
    except (OSError, ssl.SSLError):
        return  # unreachable or not speaking TLS: the caller's message covers it


def _status_text(status: Dataset | None) -> tuple[int | None, str]:
    if status is None or "Status" not in status:
        return None, "no response (connection lost or timed out)"
    code = int(status.Status)
    comment = str(status.get("ErrorComment", "")).strip()
    text = f"0x{code:04X} {code_to_category(code)}" + (f": {comment}" if comment else "")
    return code, text


def echo(peer: DimsePeer) -> None:
    """C-ECHO: raises ``PacsError`` unless the peer answers."""
    ae = _ae(peer)
    ae.add_requested_context(Verification)
    assoc = _associate(ae, peer)
    try:
        code, text = _status_text(assoc.send_c_echo())
    finally:
        assoc.release()
    if code != 0x0000:
        raise PacsError(_("The PACS did not answer the test (C-ECHO)."), text, retryable=True)


def store(peer: DimsePeer, files: Sequence[bytes]) -> list[StoreOutcome]:
    """C-STORE each Part 10 file over one association; stops at the first refusal (``PacsError``).

    Instances stored before a failure stay stored at the peer; callers re-send only what failed
    (a PACS treats a repeated SOP Instance UID as the same instance).
    """
    datasets = [pydicom.dcmread(io.BytesIO(data)) for data in files]
    ae = _ae(peer)
    # Verification too, so the association stands even when the peer refuses every storage class:
    # then the refusal is seen for what it is, not as a lost connection
    ae.add_requested_context(Verification)
    for sop_class in dict.fromkeys(str(ds.SOPClassUID) for ds in datasets):
        ae.add_requested_context(sop_class, _TRANSFER_SYNTAXES)
    assoc = _associate(ae, peer)
    outcomes: list[StoreOutcome] = []
    try:
        accepted = {str(cx.abstract_syntax) for cx in assoc.accepted_contexts}
        for ds in datasets:
            sop_class = str(ds.SOPClassUID)
            if sop_class not in accepted:
                raise PacsError(
                    _("The PACS does not accept {kind} objects. Ask the hospital's IT to enable this "
                      "SOP class for DermStation, or send to another destination.").format(
                        kind=sop_class_name(sop_class)),
                    f"{peer.ae_title}: presentation context for {sop_class} rejected", retryable=False)
            code, text = _status_text(assoc.send_c_store(ds))
            category = code_to_category(code) if code is not None else "Failure"
            if code is None or category == "Failure":
                # 0xA7xx: out of resources, worth another try later; the rest is a refusal of the data
                retryable = code is None or (code & 0xFF00) == 0xA700
                raise PacsError(_("The PACS refused the instance: {reason}").format(reason=text), text,
                                retryable=retryable)
            outcomes.append(StoreOutcome(str(ds.SOPInstanceUID), text if category == "Warning" else ""))
    finally:
        if assoc.is_established:
            assoc.release()
    return outcomes


def _find(peer: DimsePeer, model: str, query: Dataset) -> list[Dataset]:
    ae = _ae(peer)
    ae.add_requested_context(model, _TRANSFER_SYNTAXES)
    assoc = _associate(ae, peer)
    found: list[Dataset] = []
    try:
        if not assoc.accepted_contexts:
            raise PacsError(_("The server does not offer this kind of query."),
                            f"{peer.ae_title}: {UID(model).name} not accepted", retryable=False)
        for status, identifier in assoc.send_c_find(query, model):
            code, text = _status_text(status)
            if code is None or code_to_category(code) == "Failure":
                raise PacsError(_("The query failed: {reason}").format(reason=text), text,
                                retryable=code is None)
            if code_to_category(code) == "Pending" and identifier is not None:
                found.append(identifier)
    finally:
        if assoc.is_established:
            assoc.release()
    return found


def _date(value: object) -> date | None:
    text = str(value or "").strip()
    if len(text) >= 8 and text[:8].isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        except ValueError:
            return None
    return None


def _study(ds: Dataset) -> StudyMatch:
    modalities = ds.get("ModalitiesInStudy", "")
    if isinstance(modalities, str):
        modalities = [m for m in modalities.split("\\") if m]
    count = ds.get("NumberOfStudyRelatedInstances", None)
    return StudyMatch(str(ds.get("StudyInstanceUID", "")), str(ds.get("PatientID", "")),
                      _date(ds.get("StudyDate")), str(ds.get("StudyDescription", "")),
                      tuple(str(m) for m in modalities), str(ds.get("AccessionNumber", "")),
                      int(count) if count not in (None, "") else None)


def find_studies(peer: DimsePeer, patient_id: str) -> list[StudyMatch]:
    """C-FIND (Study Root, STUDY level): the studies of one patient, matched by Patient ID only."""
    if not patient_id.strip() or any(c in patient_id for c in "*?\\"):
        raise PacsError(_("A query needs the patient's exact record number."), "empty or wildcard patient id",
                        retryable=False)
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.PatientID = patient_id.strip()
    for keyword in ("StudyInstanceUID", "StudyDate", "StudyDescription", "ModalitiesInStudy", "AccessionNumber",
                    "NumberOfStudyRelatedInstances"):
        setattr(query, keyword, "")
    return [_study(ds) for ds in _find(peer, StudyRootQueryRetrieveInformationModelFind, query)]


def get_study(peer: DimsePeer, study_uid: str, patient_id: str = "") -> list[RetrievedInstance]:
    """C-GET a whole study over one association (no inbound port needed, unlike C-MOVE)."""
    received: list[RetrievedInstance] = []

    def on_store(event: evt.Event) -> int:
        ds = event.dataset
        received.append(RetrievedInstance(str(ds.SOPClassUID), str(ds.SOPInstanceUID),
                                          event.encoded_dataset(include_meta=True)))
        return 0x0000

    ae = _ae(peer)
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    roles = []
    for sop_class in RETRIEVE_SOP_CLASSES:
        ae.add_requested_context(sop_class, _TRANSFER_SYNTAXES)
        roles.append(build_role(sop_class, scp_role=True))
    assoc = _associate(ae, peer, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, on_store)])
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = study_uid
    if patient_id:
        query.PatientID = patient_id
    try:
        for status, _identifier in assoc.send_c_get(query, StudyRootQueryRetrieveInformationModelGet):
            code, text = _status_text(status)
            if code is None or code_to_category(code) == "Failure":
                raise PacsError(_("The PACS could not send the study: {reason}").format(reason=text), text,
                                retryable=code is None)
    finally:
        if assoc.is_established:
            assoc.release()
    return received


def _text(ds: Dataset, keyword: str) -> str:
    return str(ds.get(keyword, "") or "").strip()


def _worklist_entry(ds: Dataset) -> list[WorklistEntry]:
    name = ds.get("PatientName")
    family = name.family_name if name else ""
    given = name.given_name if name else ""
    steps = ds.get("ScheduledProcedureStepSequence") or [Dataset()]
    entries = []
    for step in steps:
        physician = step.get("ScheduledPerformingPhysicianName")
        entries.append(WorklistEntry(
            patient_id=_text(ds, "PatientID"), family_name=str(family), given_name=str(given),
            birth_date=_date(ds.get("PatientBirthDate")), sex=_text(ds, "PatientSex").upper()[:1],
            accession_number=_text(ds, "AccessionNumber"), requested_procedure_id=_text(ds, "RequestedProcedureID"),
            step_id=_text(step, "ScheduledProcedureStepID"),
            description=_text(step, "ScheduledProcedureStepDescription") or _text(ds, "RequestedProcedureDescription"),
            start_date=_date(step.get("ScheduledProcedureStepStartDate")),
            start_time=_text(step, "ScheduledProcedureStepStartTime"),
            performing_physician=str(physician or "").strip(),
            station_ae=_text(step, "ScheduledStationAETitle"), modality=_text(step, "Modality"),
            study_uid=_text(ds, "StudyInstanceUID"),
        ))
    return entries


def find_worklist(peer: DimsePeer, day: date, *, station_ae: str = "", modality: str = "") -> list[WorklistEntry]:
    """C-FIND on the Modality Worklist: the procedure steps scheduled on ``day`` (optionally for one
    station AE title and modality)."""
    step = Dataset()
    step.ScheduledStationAETitle = station_ae
    step.ScheduledProcedureStepStartDate = day.strftime("%Y%m%d")
    step.ScheduledProcedureStepStartTime = ""
    step.Modality = modality
    step.ScheduledPerformingPhysicianName = ""
    step.ScheduledProcedureStepDescription = ""
    step.ScheduledProcedureStepID = ""
    query = Dataset()
    query.ScheduledProcedureStepSequence = DicomSequence([step])
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber",
                    "RequestedProcedureID", "RequestedProcedureDescription", "StudyInstanceUID"):
        setattr(query, keyword, "")
    entries: list[WorklistEntry] = []
    for ds in _find(peer, ModalityWorklistInformationFind, query):
        entries.extend(_worklist_entry(ds))
    return entries


# --- DICOMweb --------------------------------------------------------------------------------------------
def _web_client(peer: WebPeer):  # -> DICOMwebClient (imported lazily: requests + retrying)
    from dicomweb_client.api import DICOMwebClient

    session = requests.Session()
    if peer.username:
        session.auth = (peer.username, peer.password)
    if peer.ca_file:
        session.verify = peer.ca_file
    client = DICOMwebClient(peer.url.rstrip("/"), session=session, timeout=peer.timeout_s)
    client.set_http_retry_params(retry=False)  # the send queue owns retries and their backoff
    return client


def _web_error(exc: Exception, what: str, url: str) -> PacsError:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        body = (exc.response.text or "").strip().replace("\n", " ")[:200]
        detail = f"{url}: HTTP {status} {exc.response.reason or ''} {body}".strip()
        if status in (401, 403):
            return PacsError(_("The DICOMweb server refused the credentials (HTTP {status}). Check the user "
                               "name and password of this destination.").format(status=status), detail,
                             retryable=False)
        retryable = status >= 500 or status in (408, 429)
        return PacsError(_("The DICOMweb server refused to {what} (HTTP {status}).").format(what=what, status=status),
                         detail, retryable=retryable)
    if isinstance(exc, requests.exceptions.SSLError):
        return PacsError(_("The DICOMweb server's certificate is not trusted."), f"{url}: {exc}", retryable=False)
    return PacsError(_("The DICOMweb server cannot be reached. It will be tried again later."),
                     f"{url}: {type(exc).__name__}", retryable=True)


def web_store(peer: WebPeer, files: Sequence[bytes]) -> list[StoreOutcome]:
    """STOW-RS the Part 10 files in one request; a refused instance raises ``PacsError`` with its reason."""
    datasets = [pydicom.dcmread(io.BytesIO(data)) for data in files]
    try:
        response = _web_client(peer).store_instances(datasets)
    except (requests.RequestException, OSError) as exc:
        raise _web_error(exc, _("store the images"), peer.url) from exc
    failed = (response or Dataset()).get("FailedSOPSequence") or []
    if failed:
        item = failed[0]
        code = int(item.get("FailureReason", 0) or 0)
        detail = f"{item.get('ReferencedSOPInstanceUID', '')}: FailureReason 0x{code:04X}"
        retryable = (code & 0xFF00) == 0xA700
        if code in (0x0122, 0x0124) or (code & 0xFF00) in (0xA900, 0xC000) or not retryable:
            raise PacsError(_("The DICOMweb server refused the instance (reason 0x{code:04X}).").format(code=code),
                            detail, retryable=False)
        raise PacsError(_("The DICOMweb server could not store the instance now."), detail, retryable=True)
    return [StoreOutcome(str(ds.SOPInstanceUID)) for ds in datasets]


def _json_value(item: dict, tag: str) -> object:
    values = (item.get(tag) or {}).get("Value") or []
    return values if len(values) != 1 else values[0]


def web_find_studies(peer: WebPeer, patient_id: str) -> list[StudyMatch]:
    """QIDO-RS: the studies of one patient, matched by Patient ID only."""
    if not patient_id.strip() or any(c in patient_id for c in "*?\\"):
        raise PacsError(_("A query needs the patient's exact record number."), "empty or wildcard patient id",
                        retryable=False)
    try:
        found = _web_client(peer).search_for_studies(
            search_filters={"PatientID": patient_id.strip()},
            fields=["StudyDescription", "ModalitiesInStudy", "NumberOfStudyRelatedInstances"])
    except (requests.RequestException, OSError) as exc:
        raise _web_error(exc, _("search"), peer.url) from exc
    matches = []
    for item in found:
        ds = Dataset.from_json(item)
        matches.append(_study(ds))
    return matches


def web_get_study(peer: WebPeer, study_uid: str) -> list[RetrievedInstance]:
    """WADO-RS a whole study."""
    try:
        datasets = _web_client(peer).retrieve_study(study_uid)
    except (requests.RequestException, OSError) as exc:
        raise _web_error(exc, _("send the study"), peer.url) from exc
    out = []
    for ds in datasets:
        buf = io.BytesIO()
        pydicom.dcmwrite(buf, ds, enforce_file_format=True)
        out.append(RetrievedInstance(str(ds.SOPClassUID), str(ds.SOPInstanceUID), buf.getvalue()))
    return out


def web_get(peer: WebPeer, path: str) -> None:
    """GET ``path`` under the service root with the peer's credentials (a connection test)."""
    url = f"{peer.url.rstrip('/')}/{path}"
    try:
        response = requests.get(url, auth=(peer.username, peer.password) if peer.username else None,
                                verify=peer.ca_file or True, timeout=peer.timeout_s)
        response.raise_for_status()
    except (requests.RequestException, OSError) as exc:
        raise _web_error(exc, _("answer"), peer.url) from exc


def part10(datasets: Iterable[Dataset]) -> list[bytes]:
    """Datasets as Part 10 bytes (what ``store`` and ``web_store`` take)."""
    out = []
    for ds in datasets:
        buf = io.BytesIO()
        pydicom.dcmwrite(buf, ds, enforce_file_format=True)
        out.append(buf.getvalue())
    return out
