"""Import a DICOM photograph into a patient's record, and export a capture (with its analysis overlay)
as DICOM.

Import matches the file to a patient by Patient ID == record number. A patient whose name or date of
birth in the file differs from the record is never merged silently: the import stops with a
ValidationError (``field="patient"``) and the user decides (``accept_differences=True``). A patient is
created only when asked (``create_patient=True``). The file is read and decoded completely before
anything is written, and the patient, lesion and capture rows go in one transaction with their audit
events, so a failed import leaves nothing behind (an image file in the content-addressed store with
no row is harmless, as for every capture).
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermstation.core.domain import AuditAction
from dermstation.core.errors import ImageReadError, RecordNotFound, ValidationError
from dermstation.core.i18n import _
from dermstation.dicom.exporter import (
    ExportedInstance,
    ExportPatient,
    ExportStudy,
    build_overlay_capture,
    build_photograph,
    instance_bytes,
)
from dermstation.dicom.importer import DicomImage, read_dicom_image
from dermstation.inference.image_io import decode_image
from dermstation.records.database import Database
from dermstation.records.image_store import ImageStore
from dermstation.records.models import ImageCapture, Lesion, Patient
from dermstation.services.audit import AuditLog
from dermstation.services.captures import CaptureService, prepare_dicom
from dermstation.services.patient_rules import clean_patient_input
from dermstation.services.patients import capture_summary
from dermstation.services.permissions import CLINICAL_ROLES, authorize
from dermstation.services.types import CaptureSummary, CurrentUser, PatientInput, PatientSummary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PatientMatch:
    """How a DICOM file's patient relates to the records (for the import dialog)."""

    record_number: str  # the file's Patient ID
    patient: PatientSummary | None  # the patient with that record number, if any
    differences: tuple[str, ...]  # "name", "birth_date", "sex": where the file and the record disagree


@dataclass(frozen=True)
class DicomImportResult:
    patient: PatientSummary
    patient_created: bool
    lesion_id: int
    lesion_created: bool
    capture: CaptureSummary
    pixel_spacing_mm: float | None


def _fold(text: str) -> str:
    """Names compared without case, accents, spaces or punctuation ("Müller-Lüdenscheidt" == "MULLER LUDENSCHEIDT")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def _summary(p: Patient) -> PatientSummary:
    return PatientSummary(p.id, p.record_number, p.given_name, p.family_name, p.date_of_birth, p.sex)


def _differences(image: DicomImage, patient: Patient) -> tuple[str, ...]:
    found = []
    file_name = _fold(image.patient.family_name + image.patient.given_name)
    record_name = _fold(patient.family_name + patient.given_name)
    # the file may hold only the family name, or name order may differ: the same letters count as a match
    if file_name and file_name != record_name and sorted(file_name) != sorted(record_name):
        found.append("name")
    if image.patient.birth_date and patient.date_of_birth and image.patient.birth_date != patient.date_of_birth:
        found.append("birth_date")
    if image.patient.sex.value != "unknown" and patient.sex.value != "unknown" and image.patient.sex != patient.sex:
        found.append("sex")
    return tuple(found)


class DicomImportService:
    def __init__(self, database: Database, audit: AuditLog, image_store: ImageStore) -> None:
        self._db = database
        self._audit = audit
        self._images = image_store
        self._captures = CaptureService(database, audit, image_store)

    # --- import -----------------------------------------------------------------------------------
    @staticmethod
    def read(source: str | Path | bytes | BinaryIO, name: str | None = None) -> DicomImage:
        """Read and validate a file without touching the records (DicomReadError if unusable)."""
        return read_dicom_image(source, name)

    def match(self, actor: CurrentUser, image: DicomImage) -> PatientMatch:
        """The patient the file belongs to by record number, and what differs."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            patient = self._by_record_number(session, image.patient.patient_id)
            if patient is not None:
                self._audit.record(session, actor.id, AuditAction.VIEW, "patients", patient.id, "dicom match")
            return PatientMatch(image.patient.patient_id, _summary(patient) if patient else None,
                                _differences(image, patient) if patient else ())

    @staticmethod
    def _by_record_number(session: Session, record_number: str) -> Patient | None:
        if not record_number.strip():
            return None
        return session.scalar(select(Patient).where(Patient.record_number == record_number.strip()))

    def import_image(
        self,
        actor: CurrentUser,
        image: DicomImage,
        *,
        original_name: str = "",
        patient_id: int | None = None,
        lesion_id: int | None = None,
        body_site: str | None = None,
        lesion_label: str = "",
        create_patient: bool = False,
        accept_differences: bool = False,
    ) -> DicomImportResult:
        """Store a read ``image`` as a new capture; see the module docstring for the matching rules.

        ``patient_id`` names the patient the user chose (needed when the file has no Patient ID; it must
        agree with the file's record number otherwise). ``lesion_id`` adds the capture to an existing
        lesion of that patient; without it a new lesion is made at ``body_site`` (default: the file's).
        """
        prepared = prepare_dicom(image, original_name)
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            patient, created = self._resolve_patient(session, actor, image, image.patient.patient_id.strip(),
                                                     patient_id, create_patient, accept_differences)
            lesion, lesion_created = self._resolve_lesion(session, actor, patient, image, lesion_id, body_site,
                                                          lesion_label)
            # checked once, with the duplicate rule of every import path; an error rolls back every row
            capture = self._captures.store_prepared(session, actor, lesion, prepared, "source=dicom")
            log.info("user %d imported DICOM capture %d (patient %d, lesion %d)", actor.id, capture.id,
                     patient.id, lesion.id)
            return DicomImportResult(_summary(patient), created, lesion.id, lesion_created,
                                     capture_summary(capture, 0), image.pixel_spacing_mm)

    def import_file(self, actor: CurrentUser, source: str | Path | bytes | BinaryIO, *, name: str | None = None,
                    **options: object) -> DicomImportResult:
        """``read`` then ``import_image`` (keyword options as there)."""
        if isinstance(source, str | Path):
            name = name or Path(source).name
        image = self.read(source, name)
        return self.import_image(actor, image, original_name=name or "", **options)  # type: ignore[arg-type]

    def _resolve_patient(self, session: Session, actor: CurrentUser, image: DicomImage, file_mrn: str,
                         patient_id: int | None, create: bool, accept: bool) -> tuple[Patient, bool]:
        by_mrn = self._by_record_number(session, file_mrn)
        if patient_id is not None:
            chosen = session.get(Patient, patient_id)
            if chosen is None:
                raise RecordNotFound(_("This patient does not exist."), details=f"patient {patient_id}")
            if file_mrn and chosen.record_number != file_mrn:
                raise ValidationError(
                    _("The DICOM file belongs to another record number than the chosen patient. "
                      "Check the file before importing it."), field="patient", details="record number differs")
            patient = chosen
        elif by_mrn is not None:
            patient = by_mrn
        elif not file_mrn:
            raise ValidationError(_("The DICOM file has no patient ID. Choose the patient to import it for."),
                                  field="patient")
        elif create:
            data = clean_patient_input(PatientInput(
                record_number=file_mrn, given_name=image.patient.given_name, family_name=image.patient.family_name,
                date_of_birth=image.patient.birth_date, sex=image.patient.sex))
            patient = Patient(record_number=data.record_number, given_name=data.given_name,
                              family_name=data.family_name, date_of_birth=data.date_of_birth, sex=data.sex,
                              created_by_id=actor.id)
            session.add(patient)
            session.flush()
            self._audit.record(session, actor.id, AuditAction.CREATE, "patients", patient.id, "source=dicom")
            return patient, True
        else:
            raise ValidationError(
                _("No patient has the record number in this DICOM file. Create the patient from the file, "
                  "or choose the patient it belongs to."), field="record_number")
        differences = _differences(image, patient)
        if differences and not accept:
            raise ValidationError(
                _("The patient details in the DICOM file do not match the patient record with this record "
                  "number. Check the file, then confirm the import for this patient or cancel."),
                field="patient", details="differs: " + ",".join(differences))
        return patient, False

    def _resolve_lesion(self, session: Session, actor: CurrentUser, patient: Patient, image: DicomImage,
                        lesion_id: int | None, body_site: str | None, label: str) -> tuple[Lesion, bool]:
        if lesion_id is not None:
            lesion = session.get(Lesion, lesion_id)
            if lesion is None or lesion.patient_id != patient.id:
                raise ValidationError(_("This lesion belongs to another patient."), field="lesion_id")
            return lesion, False
        site = (body_site if body_site is not None else image.body_part).strip()
        if not site:
            raise ValidationError(_("Please enter the body site."), field="body_site")
        if len(site) > 100 or len(label) > 100:
            raise ValidationError(_("The body site is too long."), field="body_site")
        lesion = Lesion(patient_id=patient.id, body_site=site, label=label.strip(), created_by_id=actor.id)
        session.add(lesion)
        session.flush()
        self._audit.record(session, actor.id, AuditAction.CREATE, "lesions", lesion.id, f"patient={patient.id}")
        return lesion, True

    # --- export -----------------------------------------------------------------------------------
    def export_capture(self, actor: CurrentUser, capture_id: int, *, overlay: bytes | None = None,
                       study: ExportStudy | None = None) -> tuple[bytes, bytes | None]:
        """The capture as a VL Photographic Image file and, given the overlay (PNG or RGB-encoded image
        bytes), a Secondary Capture of it that references the photograph. Audited as EXPORT."""
        with self._db.session() as session:
            authorize(session, actor, CLINICAL_ROLES)
            capture = session.get(ImageCapture, capture_id)
            if capture is None:
                raise RecordNotFound(_("This image does not exist."), details=f"capture {capture_id}")
            patient = capture.lesion.patient
            # the one decoder, at the stored resolution (the pixel spacing is a stored pixel's)
            try:
                rgb = decode_image(self._images.read(capture.sha256), capture.original_filename or f"capture {capture_id}",
                                   max_side=max(capture.width, capture.height)).pixels
            except ImageReadError as exc:
                raise ValidationError(_("A stored image cannot be read."), details=exc.details) from exc
            who = ExportPatient(patient.record_number, patient.family_name, patient.given_name,
                                patient.date_of_birth, patient.sex)
            photo: ExportedInstance = build_photograph(
                rgb, who, study or ExportStudy(started_at=capture.taken_at),
                body_site=capture.lesion.body_site, pixel_spacing_mm=capture.pixel_spacing_mm,
                acquired_at=capture.taken_at)
            sc = None
            if overlay is not None:
                try:
                    over = decode_image(overlay, "overlay", max_side=max(rgb.shape[:2])).pixels
                except ImageReadError as exc:
                    raise ValidationError(_("The overlay image cannot be read."), field="overlay") from exc
                sc = instance_bytes(build_overlay_capture(over, photo))
            self._audit.record(session, actor.id, AuditAction.EXPORT, "image_captures", capture.id, "dicom")
            return instance_bytes(photo), sc
