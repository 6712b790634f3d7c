"""Export a capture as a DICOM VL Photographic Image, and its analysis overlay as a Secondary Capture
that references the photograph, both in the same study.

The attributes written are those the two IODs require (PS3.3 A.33.4 VL Photographic Image, A.8.1
Secondary Capture Image) — ``REQUIRED_ATTRIBUTES`` lists them module by module so tests can check a
written file against the list — plus the anatomic region coded from the lesion's body site.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian, generate_uid
from pydicom.valuerep import PersonName

from dermstation.core.body_sites import Laterality
from dermstation.core.domain import Sex
from dermstation.dicom.anatomy import LATERALITY_CODES, PAIRED_REGIONS, anatomic_region
from dermstation.dicom.importer import SECONDARY_CAPTURE, VL_PHOTOGRAPHIC

MANUFACTURER = "DermStation"
SOFTWARE_VERSION = "0.1.0"
_SEX_CODES = {Sex.FEMALE: "F", Sex.MALE: "M", Sex.OTHER: "O", Sex.UNKNOWN: ""}

# (module, keyword, type) from PS3.3; type 1 must be present and non-empty, type 2 present (may be empty),
# 1C/2C are listed only where this exporter's output meets their condition.
_COMMON: tuple[tuple[str, str, str], ...] = (
    ("Patient", "PatientName", "2"), ("Patient", "PatientID", "2"),
    ("Patient", "PatientBirthDate", "2"), ("Patient", "PatientSex", "2"),
    ("General Study", "StudyInstanceUID", "1"), ("General Study", "StudyDate", "2"),
    ("General Study", "StudyTime", "2"), ("General Study", "ReferringPhysicianName", "2"),
    ("General Study", "StudyID", "2"), ("General Study", "AccessionNumber", "2"),
    ("General Series", "Modality", "1"), ("General Series", "SeriesInstanceUID", "1"),
    ("General Series", "SeriesNumber", "2"),
    ("General Image", "InstanceNumber", "2"), ("General Image", "PatientOrientation", "2C"),
    ("Image Pixel", "SamplesPerPixel", "1"), ("Image Pixel", "PhotometricInterpretation", "1"),
    ("Image Pixel", "Rows", "1"), ("Image Pixel", "Columns", "1"), ("Image Pixel", "BitsAllocated", "1"),
    ("Image Pixel", "BitsStored", "1"), ("Image Pixel", "HighBit", "1"),
    ("Image Pixel", "PixelRepresentation", "1"), ("Image Pixel", "PlanarConfiguration", "1C"),
    ("Image Pixel", "PixelData", "1C"),
    ("SOP Common", "SOPClassUID", "1"), ("SOP Common", "SOPInstanceUID", "1"),
    ("SOP Common", "SpecificCharacterSet", "1C"),
)
REQUIRED_ATTRIBUTES: dict[str, tuple[tuple[str, str, str], ...]] = {
    VL_PHOTOGRAPHIC: _COMMON + (
        ("General Equipment", "Manufacturer", "2"),
        ("General Image", "ContentDate", "2C"), ("General Image", "ContentTime", "2C"),
        ("Acquisition Context", "AcquisitionContextSequence", "2"),
        ("VL Image", "ImageType", "1"), ("VL Image", "LossyImageCompression", "2C"),
    ),
    SECONDARY_CAPTURE: _COMMON + (
        ("SC Equipment", "ConversionType", "1"),
    ),
}
FILE_META_REQUIRED = ("FileMetaInformationVersion", "MediaStorageSOPClassUID", "MediaStorageSOPInstanceUID",
                      "TransferSyntaxUID", "ImplementationClassUID")


@dataclass(frozen=True)
class ExportPatient:
    patient_id: str  # the record number
    family_name: str
    given_name: str
    birth_date: date | None = None
    sex: Sex = Sex.UNKNOWN


@dataclass(frozen=True)
class ExportStudy:
    """One study groups the photograph and its overlay; make one per visit and reuse its UID."""

    study_uid: str = field(default_factory=generate_uid)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    description: str = "Dermoscopy"
    study_id: str = ""
    accession_number: str = ""
    referring_physician: str = ""
    institution: str = ""


@dataclass(frozen=True)
class ExportedInstance:
    """What was written: the UIDs to reference it by, and the dataset itself."""

    sop_class_uid: str
    sop_instance_uid: str
    series_uid: str
    study_uid: str
    dataset: Dataset


def _local(value: datetime) -> datetime:
    """DICOM dates and times are local: an aware time is shown in this computer's zone."""
    return value.astimezone() if value.tzinfo is not None else value


def _da(value: date | datetime | None) -> str:
    if isinstance(value, datetime):
        value = _local(value)
    return value.strftime("%Y%m%d") if value else ""


def _tm(value: datetime | None) -> str:
    return _local(value).strftime("%H%M%S") if value else ""


def _offset(value: datetime) -> str:
    """Timezone Offset From UTC (0008,0201), e.g. "+0100"."""
    return _local(value).strftime("%z") if value.tzinfo is not None else ""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def dicom_text(value: str, *, person_name: bool = False) -> str:
    """``value`` safe for a DICOM string: no line breaks or control characters, no ``\\`` (the value
    delimiter), and in a person name no ``^`` or ``=`` (component and representation delimiters).

    DICOM has no escape for these, so each becomes a space; patient names are refused with them on
    entry (``services/patient_rules.py``), this is the second line for data from elsewhere.
    """
    delimiters = "\\^=" if person_name else "\\"
    text = _CONTROL.sub(" ", value)
    text = "".join(" " if ch in delimiters else ch for ch in text)
    return " ".join(text.split())


def person_name(family: str, given: str = "") -> PersonName:
    """A PN value built from its parts (pydicom joins them and checks no part holds a delimiter)."""
    return PersonName.from_named_components(
        family_name=dicom_text(family, person_name=True), given_name=dicom_text(given, person_name=True),
        encodings=["utf-8"],  # the dataset says ISO_IR 192 (UTF-8)
    )


def study_id(study: ExportStudy) -> str:
    """Study ID (SH, 16 characters): the one given, else the study's local start, e.g. 20261129T0930."""
    given = dicom_text(study.study_id)[:16]
    return given or _local(study.started_at).strftime("%Y%m%dT%H%M")


def _rgb(pixels: np.ndarray) -> np.ndarray:
    arr = np.asarray(pixels)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] < 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"expected an (H, W, 3) RGB image, got {arr.shape}")
    return np.ascontiguousarray(arr[:, :, :3], dtype=np.uint8)


def new_dataset(sop_class: str, sop_uid: str) -> Dataset:
    """An empty dataset with DermStation's file meta for one instance, in UTF-8 (names in any script)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"DERMSTATION_{SOFTWARE_VERSION}"[:16]
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    return ds


def _base(sop_class: str, patient: ExportPatient, study: ExportStudy, modality: str, series_uid: str,
          series_number: int, series_description: str, pixels: np.ndarray, content_time: datetime) -> Dataset:
    rgb = _rgb(pixels)
    sop_uid = generate_uid()
    ds = new_dataset(sop_class, sop_uid)
    # SOP Common
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    now = datetime.now(UTC)
    ds.InstanceCreationDate = _da(now)
    ds.InstanceCreationTime = _tm(now)
    if _offset(study.started_at):
        ds.TimezoneOffsetFromUTC = _offset(study.started_at)
    # Patient
    ds.PatientName = person_name(patient.family_name, patient.given_name)
    ds.PatientID = dicom_text(patient.patient_id)[:64]
    ds.PatientBirthDate = _da(patient.birth_date)
    ds.PatientSex = _SEX_CODES.get(patient.sex, "")
    # General Study
    ds.StudyInstanceUID = study.study_uid
    ds.StudyDate = _da(study.started_at)
    ds.StudyTime = _tm(study.started_at)
    ds.ReferringPhysicianName = person_name(study.referring_physician) if study.referring_physician.strip() else ""
    ds.StudyID = study_id(study)
    ds.AccessionNumber = dicom_text(study.accession_number)[:16]
    if study.description:
        ds.StudyDescription = dicom_text(study.description)[:64]
    # General Series
    ds.Modality = modality
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_number
    ds.SeriesDescription = dicom_text(series_description)[:64]
    # General Equipment
    ds.Manufacturer = MANUFACTURER
    ds.SoftwareVersions = SOFTWARE_VERSION
    if study.institution:
        ds.InstitutionName = dicom_text(study.institution)[:64]
    # General Image
    ds.InstanceNumber = 1
    ds.PatientOrientation = ""
    ds.ContentDate = _da(content_time)
    ds.ContentTime = _tm(content_time)
    # Image Pixel
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = int(rgb.shape[0]), int(rgb.shape[1])
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    data = rgb.tobytes()
    ds.PixelData = data + b"\0" if len(data) % 2 else data  # even length, as it is written
    ds.LossyImageCompression = "00"
    return ds


def _code_site(ds: Dataset, body_site: str) -> None:
    found = anatomic_region(body_site)
    if found is None:
        if body_site.strip():
            ds.BodyPartExamined = body_site.strip().upper()[:16]
        return
    site, code = found
    item = code.item()
    if site.laterality in LATERALITY_CODES:
        item.AnatomicRegionModifierSequence = Sequence([LATERALITY_CODES[site.laterality].item()])
    ds.AnatomicRegionSequence = Sequence([item])
    if site.region in PAIRED_REGIONS or site.laterality != Laterality.UNKNOWN:
        ds.Laterality = site.laterality.value  # General Series, 2C for paired structures ("" when unknown)


def build_photograph(
    pixels: np.ndarray,
    patient: ExportPatient,
    study: ExportStudy,
    *,
    body_site: str = "",
    pixel_spacing_mm: float | None = None,
    acquired_at: datetime | None = None,
    series_uid: str | None = None,
    dermoscopy: bool = True,
) -> ExportedInstance:
    """A VL Photographic Image dataset of ``pixels`` (RGB uint8)."""
    acquired_at = acquired_at or datetime.now(UTC)
    series_uid = series_uid or generate_uid()
    ds = _base(VL_PHOTOGRAPHIC, patient, study, "XC", series_uid, 1,
               "Dermoscopy" if dermoscopy else "Clinical photograph", pixels, acquired_at)
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.AcquisitionDateTime = _da(acquired_at) + _tm(acquired_at)
    ds.AcquisitionContextSequence = Sequence([])
    if pixel_spacing_mm is not None and pixel_spacing_mm > 0:
        ds.PixelSpacing = [f"{pixel_spacing_mm:.6g}", f"{pixel_spacing_mm:.6g}"]
    _code_site(ds, body_site)
    return ExportedInstance(VL_PHOTOGRAPHIC, ds.SOPInstanceUID, series_uid, study.study_uid, ds)


def build_overlay_capture(
    overlay: np.ndarray,
    source: ExportedInstance,
    *,
    description: str = "Lesion outline and model activation map (decision support)",
    series_uid: str | None = None,
) -> ExportedInstance:
    """A Secondary Capture of the analysis overlay, in the photograph's study, referencing it."""
    src = source.dataset
    patient = ExportPatient(str(src.PatientID), src.PatientName.family_name if src.PatientName else "",
                            src.PatientName.given_name if src.PatientName else "")
    study = ExportStudy(study_uid=str(src.StudyInstanceUID), description=str(src.get("StudyDescription", "")),
                        study_id=str(src.StudyID), accession_number=str(src.AccessionNumber),
                        referring_physician=str(src.ReferringPhysicianName),
                        institution=str(src.get("InstitutionName", "")))
    now = datetime.now(UTC)
    series_uid = series_uid or generate_uid()
    ds = _base(SECONDARY_CAPTURE, patient, study, "OT", series_uid, 2, "DermStation analysis", overlay, now)
    # the study and patient attributes are copied as they are, so the two files agree exactly
    for keyword in ("PatientName", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime"):
        setattr(ds, keyword, src.get(keyword, ""))
    ds.ConversionType = "WSD"  # workstation
    ds.DateOfSecondaryCapture = _da(now)
    ds.TimeOfSecondaryCapture = _tm(now)
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.DerivationDescription = description
    ds.BurnedInAnnotation = "NO"
    for keyword in ("PixelSpacing", "AnatomicRegionSequence", "Laterality"):
        if keyword in src:
            setattr(ds, keyword, src[keyword].value)
    ref = Dataset()
    ref.ReferencedSOPClassUID = source.sop_class_uid
    ref.ReferencedSOPInstanceUID = source.sop_instance_uid
    ds.ReferencedImageSequence = Sequence([ref])
    src_ref = Dataset()
    src_ref.ReferencedSOPClassUID = source.sop_class_uid
    src_ref.ReferencedSOPInstanceUID = source.sop_instance_uid
    ds.SourceImageSequence = Sequence([src_ref])
    return ExportedInstance(SECONDARY_CAPTURE, ds.SOPInstanceUID, series_uid, source.study_uid, ds)


def write_instance(instance: ExportedInstance, target: str | Path | BinaryIO) -> None:
    """Write as a DICOM Part 10 file (preamble, file meta, explicit VR little endian)."""
    instance.dataset.save_as(target, enforce_file_format=True)


def instance_bytes(instance: ExportedInstance) -> bytes:
    buf = io.BytesIO()
    write_instance(instance, buf)
    return buf.getvalue()


def missing_required(ds: Dataset, sop_class: str | None = None) -> list[str]:
    """Required attributes (``REQUIRED_ATTRIBUTES``) that ``ds`` lacks, or has empty though type 1."""
    sop_class = sop_class or str(ds.SOPClassUID)
    missing = []
    for module, keyword, kind in REQUIRED_ATTRIBUTES[sop_class]:
        if keyword not in ds:
            missing.append(f"{module}: {keyword}")
        elif kind == "1" and (ds[keyword].value is None or ds[keyword].value == ""):
            missing.append(f"{module}: {keyword} (empty)")
    meta = getattr(ds, "file_meta", None)
    for keyword in FILE_META_REQUIRED:
        if meta is None or keyword not in meta:
            missing.append(f"File Meta: {keyword}")
    return missing
