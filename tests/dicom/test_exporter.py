"""DICOM export: a VL Photographic Image and a linked Secondary Capture that pydicom reads back
unchanged, with every attribute their IODs require, and that import back to the same pixels."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import ExplicitVRLittleEndian

from dermstation.core.domain import Sex
from dermstation.dicom.exporter import (
    REQUIRED_ATTRIBUTES,
    ExportPatient,
    ExportStudy,
    build_overlay_capture,
    build_photograph,
    instance_bytes,
    missing_required,
    write_instance,
)
from dermstation.dicom.importer import SECONDARY_CAPTURE, VL_PHOTOGRAPHIC, read_dicom_image

PATIENT = ExportPatient("MRN-004711", "Okonkwo-Whitfield", "Adaeze Jörg", date(1979, 4, 23), Sex.FEMALE)
STUDY = ExportStudy(started_at=datetime(2026, 5, 14, 10, 12, 5, tzinfo=UTC), accession_number="ACC1",
                    referring_physician="Smith^Derma", institution="Riverside Dermatology Clinic")


@pytest.fixture
def rgb() -> np.ndarray:
    return np.random.default_rng(7).integers(0, 256, (57, 83, 3), dtype=np.uint8)


def _read(data: bytes) -> pydicom.Dataset:
    return pydicom.dcmread(io.BytesIO(data))


def test_required_attribute_lists_cover_the_modules() -> None:
    vl = {module for module, _k, _t in REQUIRED_ATTRIBUTES[VL_PHOTOGRAPHIC]}
    sc = {module for module, _k, _t in REQUIRED_ATTRIBUTES[SECONDARY_CAPTURE]}
    assert {"Patient", "General Study", "General Series", "General Equipment", "General Image", "Image Pixel",
            "Acquisition Context", "VL Image", "SOP Common"} <= vl
    assert {"Patient", "General Study", "General Series", "SC Equipment", "General Image", "Image Pixel",
            "SOP Common"} <= sc


def test_photograph_round_trip(tmp_path: Path, rgb: np.ndarray) -> None:
    photo = build_photograph(rgb, PATIENT, STUDY, body_site="left forearm", pixel_spacing_mm=0.0125,
                             acquired_at=datetime(2026, 5, 14, 10, 15, tzinfo=UTC))
    path = tmp_path / "photo.dcm"
    write_instance(photo, path)
    raw = path.read_bytes()
    assert raw[128:132] == b"DICM"
    back = pydicom.dcmread(path)
    assert back == photo.dataset  # every element reads back unchanged
    assert missing_required(back) == []
    assert back.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert back.SOPClassUID == VL_PHOTOGRAPHIC == back.file_meta.MediaStorageSOPClassUID
    assert back.SOPInstanceUID == photo.sop_instance_uid == back.file_meta.MediaStorageSOPInstanceUID
    assert back.Modality == "XC" and list(back.ImageType) == ["ORIGINAL", "PRIMARY"]
    assert str(back.PatientName) == "Okonkwo-Whitfield^Adaeze Jörg" and back.PatientID == "MRN-004711"
    assert back.PatientBirthDate == "19790423" and back.PatientSex == "F"
    local = STUDY.started_at.astimezone()  # DICOM dates and times are local, with the offset stated
    assert (back.StudyDate, back.StudyTime) == (local.strftime("%Y%m%d"), local.strftime("%H%M%S"))
    assert back.TimezoneOffsetFromUTC == local.strftime("%z") and back.AccessionNumber == "ACC1"
    region = back.AnatomicRegionSequence[0]
    assert (region.CodeValue, region.CodingSchemeDesignator, region.CodeMeaning) == ("14975008", "SCT", "Forearm")
    assert region.AnatomicRegionModifierSequence[0].CodeMeaning == "Left" and back.Laterality == "L"
    assert [float(v) for v in back.PixelSpacing] == [0.0125, 0.0125]
    np.testing.assert_array_equal(back.pixel_array, rgb)

    imported = read_dicom_image(path)
    np.testing.assert_array_equal(imported.pixels, rgb)
    assert imported.patient == pydicom_patient()
    assert imported.pixel_spacing_mm == pytest.approx(0.0125)
    assert imported.study.study_uid == STUDY.study_uid
    assert imported.body_site is not None and imported.body_site.region == "forearm"


def pydicom_patient():  # noqa: ANN201 - the importer's view of PATIENT
    from dermstation.dicom.importer import DicomPatient

    return DicomPatient("MRN-004711", "Okonkwo-Whitfield", "Adaeze Jörg", date(1979, 4, 23), Sex.FEMALE)


def test_overlay_secondary_capture_links_to_the_photograph(rgb: np.ndarray) -> None:
    photo = build_photograph(rgb, PATIENT, STUDY, body_site="upper back")
    overlay = 255 - rgb
    sc = build_overlay_capture(overlay, photo)
    back = _read(instance_bytes(sc))
    assert back == sc.dataset
    assert missing_required(back) == []
    assert back.SOPClassUID == SECONDARY_CAPTURE and back.ConversionType == "WSD"
    assert back.StudyInstanceUID == photo.study_uid == STUDY.study_uid
    assert back.SeriesInstanceUID != photo.series_uid
    assert back.SOPInstanceUID != photo.sop_instance_uid
    for seq in (back.ReferencedImageSequence, back.SourceImageSequence):
        assert seq[0].ReferencedSOPClassUID == VL_PHOTOGRAPHIC
        assert seq[0].ReferencedSOPInstanceUID == photo.sop_instance_uid
    assert back.PatientName == photo.dataset.PatientName and back.PatientID == "MRN-004711"
    assert back.PatientBirthDate == "19790423" and back.StudyDate == photo.dataset.StudyDate
    assert back.AnatomicRegionSequence[0].CodeMeaning == "Back"
    np.testing.assert_array_equal(back.pixel_array, overlay)
    assert list(back.ImageType) == ["DERIVED", "SECONDARY"]


def test_missing_required_finds_gaps(rgb: np.ndarray) -> None:
    photo = build_photograph(rgb, PATIENT, STUDY)
    ds = _read(instance_bytes(photo))
    del ds.StudyInstanceUID
    del ds.AcquisitionContextSequence
    ds.Modality = ""
    assert set(missing_required(ds)) == {"General Study: StudyInstanceUID", "Acquisition Context: AcquisitionContextSequence",
                                         "General Series: Modality (empty)"}


def test_unknown_site_and_unknown_patient_fields(rgb: np.ndarray) -> None:
    photo = build_photograph(rgb, ExportPatient("R1", "Doe", ""), STUDY, body_site="somewhere odd")
    back = _read(instance_bytes(photo))
    assert missing_required(back) == []
    assert "AnatomicRegionSequence" not in back and back.BodyPartExamined == "SOMEWHERE ODD"
    assert back.PatientBirthDate == "" and back.PatientSex == "" and str(back.PatientName) == "Doe"
    assert "PixelSpacing" not in back
    assert read_dicom_image(instance_bytes(photo), "x.dcm").pixel_spacing_mm is None


def test_greyscale_input_is_written_as_rgb() -> None:
    grey = np.arange(20 * 30, dtype=np.uint8).reshape(20, 30)
    back = _read(instance_bytes(build_photograph(grey, PATIENT, STUDY)))
    assert back.SamplesPerPixel == 3 and back.pixel_array.shape == (20, 30, 3)


def test_bad_pixels_are_refused() -> None:
    with pytest.raises(ValueError):
        build_photograph(np.zeros((4, 4, 2), np.uint8), PATIENT, STUDY)


def test_person_names_are_built_from_parts_and_delimiters_never_leak(rgb: np.ndarray) -> None:
    """Data from elsewhere (an older record, an import) may hold ^ \\ = or line breaks: they never split
    the exported name into other components or values."""
    odd = ExportPatient("MRN\\7", "O'Brien^Smith\nJr", "Anne=Marie\\Lou", None, Sex.FEMALE)
    study = ExportStudy(started_at=datetime(2026, 3, 5, 14, 30, tzinfo=UTC), referring_physician="Dr^Who\r\n",
                        institution="Klinik\\Mitte")
    back = _read(instance_bytes(build_photograph(rgb, odd, study)))
    name = back.PatientName
    assert (name.family_name, name.given_name, name.middle_name) == ("O'Brien Smith Jr", "Anne Marie Lou", "")
    assert name.ideographic == "" and name.phonetic == ""
    assert back.PatientID == "MRN 7" and back.InstitutionName == "Klinik Mitte"
    assert str(back.ReferringPhysicianName) == "Dr Who"
    assert len(back.PatientName.components) == 1  # one representation: no "=" got through
    # Study ID is set (from the study's start when none is given), and a given one is kept
    assert back.StudyID and len(back.StudyID) <= 16 and back.StudyID.startswith("2026030")
    kept = _read(instance_bytes(build_photograph(rgb, odd, ExportStudy(study_id="V-12"))))
    assert kept.StudyID == "V-12"
    assert missing_required(back, VL_PHOTOGRAPHIC) == []
