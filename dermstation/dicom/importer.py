"""Import a dermoscopy or clinical photograph from a DICOM file: validate it, decode the pixels to
RGB, and read the patient and study attributes that the record needs.

Accepted: VL Photographic, Dermoscopic Photography, VL Microscopic and Secondary Capture images;
uncompressed, RLE or JPEG pixel data (baseline JPEG through Pillow; lossless JPEG and JPEG 2000 need
pylibjpeg's plugins); RGB, YBR_FULL, YBR_FULL_422, palette colour or greyscale. Everything else, and
every damaged file, raises ``DicomReadError`` with a message a clinician can act on. Nothing here
touches the database: ``services.dicom_import`` decides what to do with the result.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.valuerep import PersonName

from dermstation.core.body_sites import BodySite, Laterality, View, parse_body_site
from dermstation.core.domain import Sex
from dermstation.core.errors import DicomReadError
from dermstation.core.i18n import _
from dermstation.dicom.anatomy import region_key
from dermstation.dicom.reader import check_photograph

VL_PHOTOGRAPHIC = "1.2.840.10008.5.1.4.1.1.77.1.4"
DERMOSCOPIC_PHOTOGRAPHY = "1.2.840.10008.5.1.4.1.1.77.1.7"
VL_MICROSCOPIC = "1.2.840.10008.5.1.4.1.1.77.1.2"
VL_SLIDE_MICROSCOPIC = "1.2.840.10008.5.1.4.1.1.77.1.3"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
MULTIFRAME_TRUE_COLOR_SC = "1.2.840.10008.5.1.4.1.1.7.4"
PHOTO_SOP_CLASSES: dict[str, str] = {
    VL_PHOTOGRAPHIC: "VL Photographic Image",
    DERMOSCOPIC_PHOTOGRAPHY: "Dermoscopic Photography Image",
    VL_MICROSCOPIC: "VL Microscopic Image",
    VL_SLIDE_MICROSCOPIC: "VL Slide-Coordinates Microscopic Image",
    SECONDARY_CAPTURE: "Secondary Capture Image",
    MULTIFRAME_TRUE_COLOR_SC: "Multi-frame True Color Secondary Capture Image",
}
# modalities a photograph may carry (a Secondary Capture often says OT, or the source's modality)
PHOTO_MODALITIES = frozenset({"XC", "GM", "SM", "OT", "DOC", ""})
PHOTOMETRICS = frozenset({"RGB", "YBR_FULL", "YBR_FULL_422", "MONOCHROME1", "MONOCHROME2", "PALETTE COLOR",
                          "YBR_ICT", "YBR_RCT"})
MAX_PIXELS = 200_000_000  # refuse before decoding what would not fit in memory
_SEX = {"F": Sex.FEMALE, "M": Sex.MALE, "O": Sex.OTHER}


@dataclass(frozen=True)
class DicomPatient:
    """The patient as the file names them (identifiers only; empty strings when absent)."""

    patient_id: str
    family_name: str
    given_name: str
    birth_date: date | None
    sex: Sex


@dataclass(frozen=True)
class DicomStudy:
    study_uid: str
    study_date: date | None
    study_description: str
    accession_number: str
    series_uid: str
    sop_class_uid: str
    sop_instance_uid: str
    modality: str


@dataclass(frozen=True, eq=False)
class DicomImage:
    """One imported image: RGB pixels and the attributes the record keeps."""

    pixels: np.ndarray  # (H, W, 3) uint8 RGB, read-only
    pixel_spacing_mm: float | None  # mean of the row and column spacing
    pixel_spacing_rc_mm: tuple[float, float] | None  # (row, column) spacing as stated
    patient: DicomPatient
    study: DicomStudy
    body_part: str  # the file's words for the site: anatomic region meaning or Body Part Examined
    body_site: BodySite | None  # that read into the app's vocabulary, when possible
    acquired_at: datetime | None
    frames: int
    transfer_syntax: str
    photometric: str  # as stored, before conversion

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value).strip()


def _date(value: object) -> date | None:
    text = str(value or "").strip()
    if len(text) >= 8 and text[:8].isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        except ValueError:
            return None
    return None


def _datetime(day: object, time: object) -> datetime | None:
    d = _date(day)
    if d is None:
        return None
    t = str(time or "").strip().split(".")[0]
    try:
        hh, mm, ss = int(t[0:2] or 0), int(t[2:4] or 0), int(t[4:6] or 0)
        return datetime(d.year, d.month, d.day, hh, mm, ss)
    except ValueError:
        return datetime(d.year, d.month, d.day)


def _spacing(ds: Dataset) -> tuple[float, float] | None:
    """(row, column) spacing in mm from the first attribute that states a usable one."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing", "NominalScannedPixelSpacing"):
        value = ds.get(keyword)
        if value is None or value == "":
            continue
        items = [value] if isinstance(value, str | int | float) else list(value)
        try:
            values = [float(v) for v in items]
        except (TypeError, ValueError):
            continue
        if len(values) == 1:
            values = values * 2
        if len(values) >= 2 and all(np.isfinite(v) and 0 < v < 1000 for v in values[:2]):
            return float(values[0]), float(values[1])
    return None


def _acquired_at(ds: Dataset) -> datetime | None:
    """When the image was taken: Acquisition DateTime, else Content, else Acquisition Date/Time."""
    stamp = str(ds.get("AcquisitionDateTime", "") or "").strip()
    if stamp:
        found = _datetime(stamp[:8], stamp[8:14])
        if found is not None:
            return found
    return (_datetime(ds.get("ContentDate"), ds.get("ContentTime"))
            or _datetime(ds.get("AcquisitionDate"), ds.get("AcquisitionTime")))


def _patient(ds: Dataset) -> DicomPatient:
    name = ds.get("PatientName")
    family = given = ""
    if name is not None:
        pn = name if isinstance(name, PersonName) else PersonName(str(name))
        family, given = (pn.family_name or "").strip(), (pn.given_name or "").strip()
        middle = (pn.middle_name or "").strip()
        if middle:
            given = f"{given} {middle}".strip()
    return DicomPatient(
        patient_id=_text(ds, "PatientID"),
        family_name=family,
        given_name=given,
        birth_date=_date(ds.get("PatientBirthDate")),
        sex=_SEX.get(_text(ds, "PatientSex").upper(), Sex.UNKNOWN),
    )


def _body_part(ds: Dataset) -> tuple[str, BodySite | None]:
    words = ""
    site = None
    regions = ds.get("AnatomicRegionSequence")
    if regions:
        item = regions[0]
        words = str(item.get("CodeMeaning", "")).strip()
        key = region_key(str(item.get("CodeValue", "")))
        if key is not None:
            side = {"L": Laterality.LEFT, "R": Laterality.RIGHT}.get(
                _text(ds, "ImageLaterality") or _text(ds, "Laterality"), Laterality.UNKNOWN)
            view = View.BACK if key in ("upper_back", "lower_back", "buttock") else View.FRONT
            site = BodySite(key, side, view)
    if not words:
        words = _text(ds, "BodyPartExamined").replace("_", " ").lower()
    if site is None and words:
        site = parse_body_site(words)
    return words, site


def _native_length_check(ds: Dataset, name: str) -> None:
    """Uncompressed pixel data shorter than Rows x Columns x samples x frames is a truncated file."""
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        return
    rows, cols = int(ds.Rows), int(ds.Columns)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    bits = int(ds.BitsAllocated)
    expected = rows * cols * samples * frames * bits // 8
    if ds.get("PhotometricInterpretation") == "YBR_FULL_422":
        expected = expected // 3 * 2
    actual = len(ds.PixelData)
    if actual < expected:
        raise DicomReadError(_("The image in {name} is incomplete (the file is truncated)").format(name=name),
                             f"pixel data {actual} bytes, expected {expected}")


def _validate(ds: Dataset, name: str) -> None:
    sop_class = _text(ds, "SOPClassUID") or _text(ds.file_meta, "MediaStorageSOPClassUID")
    modality = _text(ds, "Modality").upper()
    if "PixelData" not in ds:
        kind = pydicom.uid.UID(sop_class).name if sop_class else "DICOM object"
        raise DicomReadError(_("{name} holds no image (its content is: {kind}), so it cannot be imported").format(name=name, kind=kind),
                             f"SOP class {sop_class or '(none)'}, no Pixel Data")
    check_photograph(ds, name)  # the one rule for what counts as a photograph of the skin (reader.py)
    if sop_class and sop_class not in PHOTO_SOP_CLASSES:
        raise DicomReadError(
            _("{name} is not a photograph (its content is: {content}, modality {modality}); only dermoscopy, "
              "clinical photographs and secondary captures can be imported").format(
                name=name, content=pydicom.uid.UID(sop_class).name, modality=modality or _("not stated")),
            f"SOP class {sop_class}")
    if not sop_class and modality not in PHOTO_MODALITIES:
        raise DicomReadError(_("{name} is not a photograph (modality {modality})").format(name=name, modality=modality), f"modality {modality}")
    for keyword in ("Rows", "Columns", "BitsAllocated", "PhotometricInterpretation"):
        if keyword not in ds or ds.get(keyword) in (None, ""):
            raise DicomReadError(_("{name} lacks the image attribute {keyword}").format(name=name, keyword=keyword), keyword)
    rows, cols = int(ds.Rows), int(ds.Columns)
    if rows < 2 or cols < 2 or rows * cols * int(ds.get("NumberOfFrames", 1) or 1) > MAX_PIXELS:
        raise DicomReadError(_("The image in {name} has an unusable size").format(name=name), f"{rows} x {cols}")
    bits = int(ds.BitsAllocated)
    if bits not in (8, 16):
        raise DicomReadError(_("The image in {name} has {bits} bits per sample; photographs have 8 (or 16)").format(name=name, bits=bits),
                             f"BitsAllocated {bits}")
    photometric = str(ds.PhotometricInterpretation).upper()
    if photometric not in PHOTOMETRICS:
        raise DicomReadError(_("The colour encoding of {name} ({photometric}) is not supported").format(name=name, photometric=photometric), photometric)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if samples not in (1, 3):
        raise DicomReadError(_("The image in {name} has {samples} samples per pixel").format(name=name, samples=samples), f"SamplesPerPixel {samples}")
    _native_length_check(ds, name)


def _to_rgb(ds: Dataset, name: str) -> np.ndarray:
    from pydicom.pixels import apply_color_lut, convert_color_space, pixel_array

    photometric = str(ds.PhotometricInterpretation).upper()
    ts = ds.file_meta.TransferSyntaxUID
    try:
        # first frame only, raw samples: the colour conversion below is explicit (and done once)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        arr = pixel_array(ds, index=0 if frames > 1 else None, as_rgb=False)
    except NotImplementedError as exc:  # no decoder here for this compression or colour space
        if ts.is_compressed:
            raise DicomReadError(
                _("{name} is compressed as {ts}, which this installation cannot decode").format(name=name, ts=ts.name),
                f"{exc}; install pylibjpeg with pylibjpeg-libjpeg / pylibjpeg-openjpeg") from exc
        raise DicomReadError(_("The image in {name} cannot be decoded").format(name=name), str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - a decoder that exists but fails: damaged data (many kinds)
        what = f"its {ts.name} data" if ts.is_compressed else "its pixel data"
        raise DicomReadError(_("The image in {name} is damaged: {what} cannot be decoded").format(name=name, what=what), repr(exc)) from exc
    arr = np.asarray(arr)
    if photometric == "PALETTE COLOR":
        arr = apply_color_lut(arr, ds)
        photometric = "RGB"
    if arr.ndim == 2:  # greyscale: scale the stored range to 8 bits
        grey = arr.astype(np.float64)
        bits = int(ds.get("BitsStored", ds.BitsAllocated) or 8)
        grey = grey * (255.0 / (2**bits - 1)) if bits != 8 else grey
        if photometric == "MONOCHROME1":
            grey = 255.0 - grey
        g8 = np.clip(np.round(grey), 0, 255).astype(np.uint8)
        return np.repeat(g8[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise DicomReadError(_("The image in {name} has an unexpected layout").format(name=name), f"shape {arr.shape}")
    if photometric in ("YBR_FULL", "YBR_FULL_422"):
        arr = convert_color_space(arr, photometric, "RGB")
    if arr.dtype != np.uint8:
        bits = int(ds.get("BitsStored", 16) or 16)
        arr = np.clip(np.round(arr.astype(np.float64) * (255.0 / (2**bits - 1))), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr)


def _read_dataset(source: str | Path | bytes | BinaryIO, name: str) -> Dataset:
    try:
        fp: str | Path | BinaryIO = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
        ds = pydicom.dcmread(fp)
        # parse every element now, so a truncated file fails here and not half way through an import
        for element in ds.iterall():
            _value = element.value  # not `_`: that name is the translation function here
    except InvalidDicomError as exc:
        raise DicomReadError(_("{name} is not a DICOM file").format(name=name), str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds on damaged files
        raise DicomReadError(_("{name} is damaged or truncated and cannot be read").format(name=name), repr(exc)) from exc
    if getattr(ds, "file_meta", None) is None or "TransferSyntaxUID" not in ds.file_meta:
        raise DicomReadError(_("{name} has no DICOM file header").format(name=name), "no File Meta Information / Transfer Syntax")
    syntax = ds.file_meta.TransferSyntaxUID  # a damaged header may hold anything here (found by the fuzz test)
    if not (isinstance(syntax, pydicom.uid.UID) and syntax.is_transfer_syntax):
        raise DicomReadError(_("{name} is damaged: its header names no known transfer syntax").format(name=name),
                             f"TransferSyntaxUID {str(syntax)[:64]!r}")
    return ds


def decode_dataset(ds: Dataset, name: str = "The DICOM file") -> DicomImage:
    """Validate an already-read dataset and return its image and attributes."""
    _validate(ds, name)
    rgb = _to_rgb(ds, name)
    rgb.flags.writeable = False
    spacing = _spacing(ds)
    body_words, site = _body_part(ds)
    acquired = _acquired_at(ds)
    return DicomImage(
        pixels=rgb,
        pixel_spacing_mm=float(np.mean(spacing)) if spacing else None,
        pixel_spacing_rc_mm=spacing,
        patient=_patient(ds),
        study=DicomStudy(
            study_uid=_text(ds, "StudyInstanceUID"),
            study_date=_date(ds.get("StudyDate")),
            study_description=_text(ds, "StudyDescription"),
            accession_number=_text(ds, "AccessionNumber"),
            series_uid=_text(ds, "SeriesInstanceUID"),
            sop_class_uid=_text(ds, "SOPClassUID"),
            sop_instance_uid=_text(ds, "SOPInstanceUID"),
            modality=_text(ds, "Modality"),
        ),
        body_part=body_words,
        body_site=site,
        acquired_at=acquired,
        frames=int(ds.get("NumberOfFrames", 1) or 1),
        transfer_syntax=str(ds.file_meta.TransferSyntaxUID.name),
        photometric=str(ds.PhotometricInterpretation),
    )


def read_dicom_image(source: str | Path | bytes | BinaryIO, name: str | None = None) -> DicomImage:
    """Read, validate and decode one DICOM photograph; any problem raises ``DicomReadError``."""
    if isinstance(source, str | Path):
        path = Path(source)
        name = name or path.name
        if not path.is_file():
            raise DicomReadError(_("The DICOM file {name} does not exist").format(name=name), str(path))
    name = name or "The DICOM file"
    return decode_dataset(_read_dataset(source, name), name)
