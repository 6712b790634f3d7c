"""The signed lesion report as a DICOM Encapsulated PDF (PS3.3 A.45.1), in the lesion's study.

Modules: Patient, General Study, Encapsulated Document Series, General Equipment, SC Equipment,
Encapsulated Document, SOP Common. ``REQUIRED_ATTRIBUTES`` lists what a written file must hold, as the
image exporter does, so tests check files against it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from dermstation.dicom.exporter import MANUFACTURER, SOFTWARE_VERSION, ExportedInstance, new_dataset

ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
REQUIRED_ATTRIBUTES: tuple[tuple[str, str, str], ...] = (
    ("Patient", "PatientName", "2"), ("Patient", "PatientID", "2"),
    ("Patient", "PatientBirthDate", "2"), ("Patient", "PatientSex", "2"),
    ("General Study", "StudyInstanceUID", "1"), ("General Study", "StudyDate", "2"),
    ("General Study", "StudyTime", "2"), ("General Study", "ReferringPhysicianName", "2"),
    ("General Study", "StudyID", "2"), ("General Study", "AccessionNumber", "2"),
    ("Encapsulated Document Series", "Modality", "1"),
    ("Encapsulated Document Series", "SeriesInstanceUID", "1"),
    ("Encapsulated Document Series", "SeriesNumber", "1"),
    ("General Equipment", "Manufacturer", "2"),
    ("SC Equipment", "ConversionType", "1"),
    ("Encapsulated Document", "InstanceNumber", "1"), ("Encapsulated Document", "ContentDate", "2"),
    ("Encapsulated Document", "ContentTime", "2"), ("Encapsulated Document", "AcquisitionDateTime", "2"),
    ("Encapsulated Document", "BurnedInAnnotation", "1"), ("Encapsulated Document", "DocumentTitle", "2"),
    ("Encapsulated Document", "ConceptNameCodeSequence", "2"),
    ("Encapsulated Document", "MIMETypeOfEncapsulatedDocument", "1"),
    ("Encapsulated Document", "EncapsulatedDocument", "1"),
    ("SOP Common", "SOPClassUID", "1"), ("SOP Common", "SOPInstanceUID", "1"),
)


# copied from the photograph as they are, so the report and the picture name the same patient and study
_FROM_SOURCE = ("SpecificCharacterSet", "TimezoneOffsetFromUTC", "PatientName", "PatientID", "PatientBirthDate",
                "PatientSex", "StudyInstanceUID", "StudyDate", "StudyTime", "ReferringPhysicianName", "StudyID",
                "AccessionNumber", "StudyDescription", "InstitutionName")


def _da(value: datetime) -> str:
    return value.astimezone().strftime("%Y%m%d")


def _tm(value: datetime) -> str:
    return value.astimezone().strftime("%H%M%S")


def build_encapsulated_pdf(
    pdf: bytes,
    source: ExportedInstance,
    *,
    title: str = "Dermoscopy lesion report",
    series_uid: str | None = None,
    sop_instance_uid: str | None = None,
    signed_at: datetime | None = None,
) -> ExportedInstance:
    """An Encapsulated PDF of ``pdf`` in the study of ``source`` (the photograph it reports on), referencing it."""
    if not pdf.startswith(b"%PDF"):
        raise ValueError("not a PDF document")
    series_uid = series_uid or generate_uid()
    sop_uid = sop_instance_uid or generate_uid()
    now = datetime.now(UTC)
    content_time = signed_at or now
    ds = new_dataset(ENCAPSULATED_PDF, sop_uid)
    for keyword in _FROM_SOURCE:
        if keyword in source.dataset:
            setattr(ds, keyword, source.dataset[keyword].value)
    ds.SOPClassUID = ENCAPSULATED_PDF
    ds.SOPInstanceUID = sop_uid
    ds.InstanceCreationDate = _da(now)
    ds.InstanceCreationTime = _tm(now)
    ds.Modality = "DOC"
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = 3
    ds.SeriesDescription = "DermStation reports"
    ds.Manufacturer = MANUFACTURER
    ds.SoftwareVersions = SOFTWARE_VERSION
    ds.ConversionType = "WSD"
    ds.InstanceNumber = 1
    ds.ContentDate = _da(content_time)
    ds.ContentTime = _tm(content_time)
    ds.AcquisitionDateTime = _da(content_time) + _tm(content_time)
    ds.BurnedInAnnotation = "YES"  # the PDF names the patient
    ds.DocumentTitle = title[:64]
    concept = Dataset()  # LOINC 18748-4: the document is a diagnostic imaging report
    concept.CodeValue = "18748-4"
    concept.CodingSchemeDesignator = "LN"
    concept.CodeMeaning = "Diagnostic imaging study"
    ds.ConceptNameCodeSequence = Sequence([concept])
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocument = pdf + b"\0" if len(pdf) % 2 else pdf
    ds.EncapsulatedDocumentLength = len(pdf)
    ref = Dataset()
    ref.ReferencedSOPClassUID = source.sop_class_uid
    ref.ReferencedSOPInstanceUID = source.sop_instance_uid
    ds.SourceInstanceSequence = Sequence([ref])
    return ExportedInstance(ENCAPSULATED_PDF, sop_uid, series_uid, source.study_uid, ds)


def missing_required(ds: Dataset) -> list[str]:
    """Required attributes ``ds`` lacks, or has empty though type 1."""
    missing = []
    for module, keyword, kind in REQUIRED_ATTRIBUTES:
        if keyword not in ds:
            missing.append(f"{module}: {keyword}")
        elif kind == "1" and (ds[keyword].value is None or ds[keyword].value == ""):
            missing.append(f"{module}: {keyword} (empty)")
    return missing
