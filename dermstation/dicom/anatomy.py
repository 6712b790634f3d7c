"""Body sites as DICOM codes: SNOMED CT concepts of the anatomic regions (DICOM CID 4031 "Common
Anatomic Regions" and CID 4029 / 4040 for the limbs), keyed by ``core.body_sites`` regions."""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset

from dermstation.core.body_sites import BodySite, Laterality, parse_body_site

SCT = "SCT"


@dataclass(frozen=True)
class Code:
    value: str
    meaning: str
    scheme: str = SCT

    def item(self) -> Dataset:
        ds = Dataset()
        ds.CodeValue = self.value
        ds.CodingSchemeDesignator = self.scheme
        ds.CodeMeaning = self.meaning
        return ds


REGION_CODES: dict[str, Code] = {
    "scalp": Code("41695006", "Scalp"),
    "face": Code("89545001", "Face"),
    "nose": Code("45206002", "Nose"),
    "lip": Code("48477009", "Lip"),
    "ear": Code("117590005", "Ear"),
    "eyelid": Code("80243003", "Eyelid"),
    "neck": Code("45048000", "Neck"),
    "chest": Code("51185008", "Thorax"),
    "breast": Code("76752008", "Breast"),
    "abdomen": Code("818983003", "Abdomen"),
    "upper_back": Code("77568009", "Back"),
    "lower_back": Code("37822005", "Lower back"),
    "buttock": Code("46862004", "Buttock"),
    "shoulder": Code("16982005", "Shoulder"),
    "upper_arm": Code("40983000", "Upper arm"),
    "elbow": Code("127949000", "Elbow"),
    "forearm": Code("14975008", "Forearm"),
    "wrist": Code("8205005", "Wrist"),
    "hand": Code("85562004", "Hand"),
    "finger": Code("7569003", "Finger"),
    "thigh": Code("68367000", "Thigh"),
    "knee": Code("72696002", "Knee"),
    "lower_leg": Code("30021000", "Lower leg"),
    "ankle": Code("344001", "Ankle"),
    "foot": Code("56459004", "Foot"),
    "toe": Code("29707007", "Toe"),
    "genital": Code("26640005", "Groin"),
    "trunk": Code("22943007", "Trunk"),
}
PAIRED_REGIONS = frozenset({
    "ear", "eyelid", "breast", "buttock", "shoulder", "upper_arm", "elbow", "forearm", "wrist", "hand", "finger",
    "thigh", "knee", "lower_leg", "ankle", "foot", "toe",
})
# DICOM CID 244 Laterality, for the region's modifier
LATERALITY_CODES = {
    Laterality.LEFT: Code("7771000", "Left"),
    Laterality.RIGHT: Code("24028007", "Right"),
}


def anatomic_region(body_site: str) -> tuple[BodySite, Code] | None:
    """The parsed site and its SNOMED CT code, or None when the text names no known region."""
    site = parse_body_site(body_site)
    if site is None:
        return None
    return site, REGION_CODES[site.region]


def region_key(code_value: str) -> str | None:
    """The ``core.body_sites`` region of a SNOMED CT code (for import)."""
    return next((key for key, code in REGION_CODES.items() if code.value == code_value), None)
