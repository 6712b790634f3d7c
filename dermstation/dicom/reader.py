"""Is this a DICOM file, and is it a photograph of the skin? (Its pixels are decoded by ``dicom.importer``,
the one DICOM decoder that import, analysis and the CLI share.)

A file whose SOP class,
modality or colour says it is not a photograph of the skin (CT, X-ray, ultrasound, MR, slide
microscopy, endoscopy, a grey secondary capture, ...) is refused before its pixels are decoded, with
``DicomNotPhotograph`` (both a ``DicomReadError`` and a ``NotApplicable``): it is neither imported as a
lesion capture nor analysed.

Accepted: VL Photographic (modality XC), Dermoscopic Photography (DMS), Secondary Capture of a
photograph (OT, XC or none) and VL Microscopic with modality GM or XC. VL Microscopic is kept because
dermatoscopes sold as "epiluminescence microscopes" have long exported their pictures that way; the
pixel checks of ``inference.applicability`` then judge what it shows (a stained tissue section is
refused there). Slide microscopy (SM, whole-slide and slide-coordinates images) is pathology and
refused here.
"""

from __future__ import annotations

from pathlib import Path

import pydicom

from dermstation.core.errors import DicomReadError, NotApplicable
from dermstation.core.i18n import _
from dermstation.core.refusals import Refusal, refusal_advice

DICOM_EXTENSIONS = (".dcm", ".dicom")

VL_PHOTOGRAPHIC = "1.2.840.10008.5.1.4.1.1.77.1.4"
DERMOSCOPIC_PHOTOGRAPHY = "1.2.840.10008.5.1.4.1.1.77.1.7"
VL_MICROSCOPIC = "1.2.840.10008.5.1.4.1.1.77.1.2"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
MULTIFRAME_TRUE_COLOR_SC = "1.2.840.10008.5.1.4.1.1.7.4"
# SOP class -> the modalities a skin photograph of that class may carry ("" = not stated)
PHOTOGRAPH_CLASSES: dict[str, frozenset[str]] = {
    VL_PHOTOGRAPHIC: frozenset({"XC", "DMS", "OT", ""}),
    DERMOSCOPIC_PHOTOGRAPHY: frozenset({"DMS", "XC", ""}),
    VL_MICROSCOPIC: frozenset({"GM", "XC", "DMS", ""}),
    SECONDARY_CAPTURE: frozenset({"OT", "XC", "DMS", ""}),
    MULTIFRAME_TRUE_COLOR_SC: frozenset({"OT", "XC", "DMS", ""}),
}
PHOTOGRAPH_MODALITIES = frozenset({"XC", "DMS", "GM"})
"""Accepted without a SOP class (a file lacking one is malformed, but its modality still tells)."""
MODALITY_NAMES = {
    "CT": "computed tomography", "CR": "X-ray", "DX": "X-ray", "RG": "X-ray", "MG": "mammography",
    "XA": "X-ray angiography", "RF": "fluoroscopy", "IO": "dental X-ray", "PX": "dental X-ray",
    "MR": "magnetic resonance", "US": "ultrasound", "NM": "nuclear medicine", "PT": "PET", "SM": "slide microscopy",
    "ES": "endoscopy", "OP": "eye photograph", "OPT": "eye scan", "IVOCT": "intravascular OCT", "RTIMAGE": "radiotherapy",
    "SEG": "segmentation", "DOC": "document", "OT": "other",
}


class DicomNotPhotograph(NotApplicable, DicomReadError):
    """A readable DICOM file that is not a colour photograph of the skin: never imported, never scored."""

    def __init__(self, message: str, reason: Refusal, details: str) -> None:
        NotApplicable.__init__(self, message, (str(reason),), details)


def check_photograph(ds: pydicom.Dataset, name: str) -> None:
    """Refuse, before decoding, what its header says is not a colour photograph of the skin."""
    sop_class = str(ds.get("SOPClassUID", "") or getattr(ds, "file_meta", {}).get("MediaStorageSOPClassUID", "")
                    ).strip()
    modality = str(ds.get("Modality", "") or "").strip().upper()
    what = MODALITY_NAMES.get(modality, modality or _("not stated"))
    kind = pydicom.uid.UID(sop_class).name if sop_class else _("no SOP class")
    details = f"SOP class {sop_class or '(none)'} ({kind}), modality {modality or '(none)'}"
    allowed = PHOTOGRAPH_CLASSES.get(sop_class) if sop_class else PHOTOGRAPH_MODALITIES | {""}
    if allowed is None or modality not in allowed:
        raise DicomNotPhotograph(
            _("{name} is not a photograph of the skin (it is: {kind}, modality {what}), so it gets no AI score "
              "and is not imported as a lesion picture. {advice}").format(
                name=name, kind=kind, what=what, advice=refusal_advice(Refusal.NOT_A_PHOTOGRAPH)),
            Refusal.NOT_A_PHOTOGRAPH, details)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    photometric = str(ds.get("PhotometricInterpretation", "") or "").upper()
    # a grey secondary capture is a screenshot of radiology far more often than a photograph; a grey
    # VL photograph is decoded and refused by the pixel checks (no colour) when analysed
    if samples == 1 and photometric != "PALETTE COLOR" and (sop_class in (SECONDARY_CAPTURE, "") or modality == "OT"):
        raise DicomNotPhotograph(
            _("{name} holds a greyscale image ({photometric}), not a colour photograph of the skin, so it "
              "gets no AI score and is not imported as a lesion picture. {advice}").format(
                name=name, photometric=photometric or _("no colour"),
                advice=refusal_advice(Refusal.NO_COLOUR)),
            Refusal.NO_COLOUR, details + f", {photometric}, {samples} sample(s) per pixel")


def is_dicom_file(path: str | Path) -> bool:
    """By extension or by the 'DICM' preamble."""
    path = Path(path)
    if path.suffix.lower() in DICOM_EXTENSIONS:
        return True
    try:
        with open(path, "rb") as fh:
            fh.seek(128)
            return fh.read(4) == b"DICM"
    except OSError:
        return False
