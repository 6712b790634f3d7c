"""A signed assessment as a FHIR R4 transaction Bundle, validated with ``fhir.resources``, and optionally
POSTed to the FHIR server an administrator configured.

What the bundle says, and who said it:
- the DiagnosticReport's conclusion is the clinician's signed, coded diagnosis (SNOMED CT and ICD-10
  where the catalogue has them, and the catalogue's own code), issued by the signer;
- the measurements and the model's malignancy score are Observations made by a Device (the software,
  with its version), never by the clinician; the score is tagged as AI decision support;
- the photograph and its outline overlay are Media; the signed lesion report is a DocumentReference (PDF).
The Patient entry is a conditional create on the record number, so the server never makes a second one.

``fhir.resources`` ships FHIR 4.3 (R4B) models; the resources used here are the same in R4 (4.0.1).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import requests
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError as PydanticValidationError

from dermstation.core.assessments import SignedAssessment
from dermstation.core.domain import AuditAction, Sex
from dermstation.core.errors import DermStationError, ImageReadError, RecordNotFound, ValidationError
from dermstation.core.i18n import _
from dermstation.dicom.network import PacsError
from dermstation.inference.image_io import decode_image
from dermstation.inference.metrics import metric_msgid
from dermstation.inference.overlay import encode_png, render_overlay
from dermstation.inference.segmentation import outer_contour
from dermstation.records.database import Database
from dermstation.records.image_store import ImageStorage
from dermstation.records.models import AnalysisRecord
from dermstation.services.assessments import live_capture, signed_assessment_of
from dermstation.services.audit import AuditLog
from dermstation.services.pacs import FHIR, PacsService
from dermstation.services.permissions import CLINICAL_ROLES, authorize
from dermstation.services.reports import (
    REPORT_METRICS,
    LesionReportInput,
    ReportService,
    render_lesion_report_file,
)
from dermstation.services.stored_analyses import StoredAnalysis, stored_analysis
from dermstation.services.types import CurrentUser

if TYPE_CHECKING:
    from dermstation.services.container import Services  # the container imports this module

log = logging.getLogger(__name__)

RECORD_NUMBER_SYSTEM = "urn:dermstation:record-number"
DIAGNOSIS_SYSTEM = "urn:dermstation:diagnosis"
METRIC_SYSTEM = "urn:dermstation:lesion-metric"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
AI_TAG = {"system": "urn:dermstation:tag", "code": "ai-decision-support",
          "display": "AI decision support, not a diagnosis"}
_UCUM = {"mm": "mm", "mm²": "mm2", "": "1", "count": "{count}"}
_GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "other", Sex.UNKNOWN: "unknown"}


@dataclass(frozen=True)
class FhirBundle:
    """A validated transaction bundle: its JSON and what it holds (resource type -> count)."""

    json: str
    counts: tuple[tuple[str, int], ...]
    analysis_id: int
    assessment_id: int


@dataclass(frozen=True)
class FhirPostResult:
    status: int
    locations: tuple[str, ...]  # "Patient/12/_history/1", ... as the server answered


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _attachment(data: bytes, content_type: str, title: str, created: datetime | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"contentType": content_type, "data": base64.b64encode(data).decode(), "size": len(data),
                           "hash": base64.b64encode(hashlib.sha1(data).digest()).decode(), "title": title}
    if created is not None:
        out["creation"] = created.isoformat()
    return out


def _quantity(value: float, unit: str) -> dict[str, Any]:
    if unit in _UCUM:
        return {"value": round(float(value), 6), "unit": unit or "1", "system": UCUM, "code": _UCUM[unit]}
    return {"value": round(float(value), 6), "unit": unit}


def _diagnosis_concept(signed: SignedAssessment) -> dict[str, Any]:
    diagnosis = signed.diagnosis
    assert diagnosis is not None
    codings = [{"system": DIAGNOSIS_SYSTEM, "code": diagnosis.code, "display": diagnosis.name("en"),
                "version": signed.catalogue_version or None}]
    if diagnosis.snomed:
        codings.append({"system": SNOMED, "code": diagnosis.snomed})
    if diagnosis.icd10:
        codings.append({"system": ICD10, "code": diagnosis.icd10})
    return {"coding": [{k: v for k, v in c.items() if v} for c in codings], "text": diagnosis.name("en")}


@dataclass(frozen=True, eq=False)
class FhirInputs:
    """One signed analysis to export, as read from the records: values and stored bytes, nothing decoded."""

    analysis: StoredAnalysis
    signed: SignedAssessment
    record_number: str
    family_name: str
    given_name: str
    sex: Sex
    date_of_birth: date | None
    body_site: str
    photo: bytes
    mask: bytes | None
    report: LesionReportInput


@dataclass(frozen=True)
class FhirTarget:
    destination_id: int
    url: str
    username: str
    password: str | None
    ca_file: str


@dataclass(frozen=True)
class FhirAnswer:
    """What the FHIR server answered (any HTTP status)."""

    destination_id: int
    url: str
    status: int
    text: str
    locations: tuple[str, ...]


def _check_signed(signed: SignedAssessment | None) -> SignedAssessment:
    if signed is None:
        raise ValidationError(_("Sign the assessment before sending it to the health record."), field="assessment")
    if not signed.coded:
        raise ValidationError(_("This assessment was signed before diagnoses were coded. Sign it again with "
                                "a coded diagnosis to send it to the health record."), field="diagnosis")
    return signed


def build_fhir_bundle(inputs: FhirInputs) -> FhirBundle:
    """Draw the lesion report, outline the picture and build the validated Bundle [worker]: no database."""
    pdf = render_lesion_report_file(inputs.report).pdf
    bundle = _validated(_resources(inputs, pdf))
    counts: dict[str, int] = {}
    for entry in bundle.entry or []:
        name = entry.resource.get_resource_type()
        counts[name] = counts.get(name, 0) + 1
    return FhirBundle(bundle.model_dump_json(), tuple(sorted(counts.items())), inputs.analysis.id, inputs.signed.id)


def deliver_fhir_bundle(target: FhirTarget, bundle: FhirBundle) -> FhirAnswer:
    """POST the bundle as a transaction [worker]; an unreachable server raises, any answer is returned."""
    try:
        response = requests.post(target.url, data=bundle.json.encode(), timeout=60,
                                 auth=(target.username, target.password or "") if target.username else None,
                                 verify=target.ca_file or True,
                                 headers={"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"})
    except requests.RequestException as exc:
        raise PacsError(_("The FHIR server cannot be reached. Try again later."),
                        f"{target.url}: {type(exc).__name__}", retryable=True) from exc
    try:
        answer = response.json() if response.ok else {}
    except ValueError:
        answer = {}
    locations = tuple(str((e.get("response") or {}).get("location", "")) for e in answer.get("entry") or [])
    return FhirAnswer(target.destination_id, target.url, response.status_code, response.text, locations)


class FhirExportService:
    def __init__(self, database: Database, audit: AuditLog, image_store: ImageStorage, reports: ReportService,
                 pacs: PacsService) -> None:
        self._db = database
        self._audit = audit
        self._images = image_store
        self._reports = reports
        self._pacs = pacs

    def bundle_inputs(self, actor: CurrentUser, analysis_id: int) -> FhirInputs:
        """What the bundle of ``analysis_id``'s signed assessment holds, read on the database thread: the stored
        analysis, the signature, the patient's identifiers, the picture's and mask's bytes and the lesion
        report's data (audited as EXPORT). Refused for an unsigned or uncoded assessment."""
        with self._db.session() as session:  # checked before the report is read and audited
            authorize(session, actor, CLINICAL_ROLES)
            if session.get(AnalysisRecord, analysis_id) is None:
                raise RecordNotFound(_("This analysis does not exist."), details=f"analysis {analysis_id}")
            _check_signed(signed_assessment_of(session, analysis_id))
        report = self._reports.lesion_report_data(actor, analysis_id, output=AuditAction.EXPORT)
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            analysis = session.get(AnalysisRecord, analysis_id)
            if analysis is None:
                raise RecordNotFound(_("This analysis does not exist."), details=f"analysis {analysis_id}")
            capture = live_capture(session, analysis.capture_id)
            signed = _check_signed(signed_assessment_of(session, analysis.id))
            patient = capture.lesion.patient
            inputs = FhirInputs(
                analysis=stored_analysis(analysis, capture), signed=signed, record_number=patient.record_number,
                family_name=patient.family_name, given_name=patient.given_name, sex=patient.sex,
                date_of_birth=patient.date_of_birth, body_site=capture.lesion.body_site,
                photo=self._images.read(capture.sha256),
                mask=self._images.read(analysis.mask_sha256) if analysis.mask_sha256 else None, report=report,
            )
            self._audit.record(session, actor.id, AuditAction.EXPORT, "analyses", analysis.id,
                               f"fhir bundle assessment={signed.id}")
            return inputs

    def bundle(self, actor: CurrentUser, analysis_id: int) -> FhirBundle:
        """The signed assessment of ``analysis_id`` as a validated FHIR transaction Bundle: both steps in one
        call (tests, the CLI); the UI runs them on their own threads."""
        return build_fhir_bundle(self.bundle_inputs(actor, analysis_id))

    def target(self, actor: CurrentUser, destination_id: int) -> FhirTarget:
        """A configured FHIR server's address and credentials [database thread]."""
        dest = next((d for d in self._pacs.destinations(actor) if d.id == destination_id and d.kind == FHIR), None)
        if dest is None:
            raise ValidationError(_("This FHIR server is not configured. An administrator adds it in Settings."),
                                  field="destination")
        url, username, password = self._pacs.web_credentials(destination_id)
        return FhirTarget(destination_id, url, username, password, dest.ca_file)

    def record_post(self, actor: CurrentUser, analysis_id: int, answer: FhirAnswer) -> FhirPostResult:
        """Audit the server's answer [database thread]; a refusal becomes the PacsError the user sees."""
        with self._db.session() as session:
            self._audit.record(session, actor.id, AuditAction.EXPORT, "analyses", analysis_id,
                               f"fhir post destination={answer.destination_id} status={answer.status}")
        if not 200 <= answer.status < 300:
            raise PacsError(_("The FHIR server refused the report (HTTP {status}).").format(status=answer.status),
                            f"{answer.url}: {answer.text[:300]}", retryable=answer.status >= 500)
        log.info("user %d posted the FHIR bundle of analysis %d (HTTP %d)", actor.id, analysis_id, answer.status)
        return FhirPostResult(answer.status, answer.locations)

    def post(self, actor: CurrentUser, analysis_id: int, destination_id: int) -> FhirPostResult:
        """Build the bundle and POST it as a transaction to a configured FHIR server: every step in one call
        (tests); the UI reads and audits on the database thread and builds and sends on a worker."""
        target = self.target(actor, destination_id)
        bundle = self.bundle(actor, analysis_id)
        return self.record_post(actor, analysis_id, deliver_fhir_bundle(target, bundle))


# --- building [worker] -------------------------------------------------------------------------------
def _validated(entries: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> Bundle:
    raw = {"resourceType": "Bundle", "type": "transaction",
           "entry": [{"fullUrl": url, "resource": resource, "request": request}
                     for url, resource, request in entries]}
    try:
        return Bundle.model_validate(json.loads(json.dumps(raw)))
    except PydanticValidationError as exc:  # a bug here, never the user's input
        raise DermStationError(_("The FHIR document could not be built."), str(exc)[:500]) from exc

def _resources(inputs: FhirInputs, pdf: bytes) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    stored, signed, photo, mask_png = inputs.analysis, inputs.signed, inputs.photo, inputs.mask
    entries: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def add(resource: dict[str, Any], request: dict[str, Any] | None = None, url: str = "") -> str:
        url = url or _urn()
        entries.append((url, resource, request or {"method": "POST", "url": resource["resourceType"]}))
        return url

    patient_ref = add({
        "resourceType": "Patient",
        "identifier": [{"system": RECORD_NUMBER_SYSTEM, "value": inputs.record_number}],
        "name": [{"family": inputs.family_name, "given": [inputs.given_name] if inputs.given_name else []}],
        "gender": _GENDER.get(inputs.sex, "unknown"),
        **({"birthDate": inputs.date_of_birth.isoformat()} if inputs.date_of_birth else {}),
    }, {"method": "POST", "url": "Patient",
        "ifNoneExist": f"identifier={RECORD_NUMBER_SYSTEM}|{inputs.record_number}"})
    subject = {"reference": patient_ref}
    body_site = {"text": inputs.body_site}
    classifier = add({"resourceType": "Device",
                      "deviceName": [{"name": stored.model_name or "classifier", "type": "model-name"}],
                      "version": [{"value": stored.model_version or "unknown"}],
                      "type": {"text": "Dermoscopy image analysis software (AI decision support)"},
                      "manufacturer": "DermStation"})
    photo_ref = add({"resourceType": "Media", "status": "completed",
                     "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/media-type",
                                          "code": "image"}]},
                     "modality": {"coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM",
                                              "code": "XC", "display": "External-camera Photography"}]},
                     "subject": subject, "createdDateTime": stored.taken_at.isoformat(), "bodySite": body_site,
                     "content": _attachment(photo, _image_type(photo), "Dermoscopy photograph", stored.taken_at)})
    media = [{"link": {"reference": photo_ref}, "comment": "Dermoscopy photograph"}]
    if mask_png is not None:
        overlay = _overlay_png(photo, mask_png)
        if overlay is not None:
            overlay_ref = add({"resourceType": "Media", "status": "completed",
                               "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/media-type",
                                                    "code": "image"}]},
                               "subject": subject, "bodySite": body_site, "device": {"reference": classifier},
                               "meta": {"tag": [AI_TAG]},
                               "content": _attachment(overlay, "image/png", "Lesion outline (AI decision support)")})
            media.append({"link": {"reference": overlay_ref}, "comment": "Lesion outline (AI decision support)"})
    observations = []
    for name in REPORT_METRICS:
        measured = stored.metric(name)
        if measured is None:
            continue
        observations.append(add({
            "resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "imaging"}]}],
            "code": {"coding": [{"system": METRIC_SYSTEM, "code": name}], "text": metric_msgid(name)},
            "subject": subject, "effectiveDateTime": stored.taken_at.isoformat(), "bodySite": body_site,
            "valueQuantity": _quantity(measured.value, measured.unit),
            "device": {"reference": classifier}, "method": {"text": "Automated measurement on the segmented lesion"},
            "derivedFrom": [{"reference": photo_ref}],
        }))
    threshold = stored.threshold
    observations.append(add({
        "resourceType": "Observation", "status": "final", "meta": {"tag": [AI_TAG]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "imaging"}]}],
        "code": {"coding": [{"system": METRIC_SYSTEM, "code": "malignancy_score"}],
                 "text": "Malignancy score (AI decision support)"},
        "subject": subject, "effectiveDateTime": stored.created_at.isoformat(),
        "valueQuantity": _quantity(stored.malignancy, ""),
        **({"referenceRange": [{"high": _quantity(float(threshold), ""), "text": "operating threshold"}]}
           if threshold is not None else {}),
        "device": {"reference": classifier}, "derivedFrom": [{"reference": photo_ref}],
        "note": [{"text": "Computed by software as decision support; the diagnosis is the clinician's."}],
    }))
    report_ref = _urn()
    add({"resourceType": "DocumentReference", "status": "current",
                    "type": {"coding": [{"system": LOINC, "code": "18748-4",
                                         "display": "Diagnostic imaging study"}]},
                    "subject": subject, "date": signed.signed_at.isoformat(),
                    "author": [{"display": signed.signed_by}], "description": "Signed dermoscopy lesion report",
                    "content": [{"attachment": _attachment(pdf, "application/pdf", "Lesion report",
                                                           signed.signed_at)}],
                    "context": {"related": [{"reference": report_ref}]}})
    add({"resourceType": "DiagnosticReport", "status": "amended" if signed.version > 1 else "final",
         "identifier": [{"system": "urn:dermstation:assessment", "value": str(signed.id)}],
         "category": [{"text": "Dermatology"}],
         "code": {"coding": [{"system": LOINC, "code": "18748-4", "display": "Diagnostic imaging study"}],
                  "text": "Dermoscopy lesion assessment"},
         "subject": subject, "effectiveDateTime": stored.taken_at.isoformat(),
         "issued": signed.signed_at.isoformat(), "performer": [{"display": signed.signed_by}],
         "resultsInterpreter": [{"display": signed.signed_by}],
         "result": [{"reference": ref} for ref in observations], "media": media,
         "conclusion": signed.diagnosis.name("en") if signed.diagnosis else "",
         "conclusionCode": [_diagnosis_concept(signed)]}, url=report_ref)
    return entries


def _image_type(data: bytes) -> str:
    return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg" if data.startswith(b"\xff\xd8") else \
        "application/octet-stream"


def _overlay_png(photo: bytes, mask_png: bytes) -> bytes | None:
    try:  # the picture through the one decoder (same pixels as everywhere); the mask is the app's own PNG
        rgb = decode_image(photo, "photo", max_side=1_000_000).pixels
    except ImageReadError:
        return None
    grey = cv2.imdecode(np.frombuffer(mask_png, np.uint8), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        return None
    if grey.shape[:2] != rgb.shape[:2]:
        grey = cv2.resize(grey, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_NEAREST)
    return encode_png(render_overlay(rgb, contour=outer_contour(grey > 127)))


def build_fhir_export_service(services: Services, pacs: PacsService) -> FhirExportService:
    return FhirExportService(services.database, services.audit, services.image_store, services.reports, pacs)
