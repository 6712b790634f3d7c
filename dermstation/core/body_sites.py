"""Body sites: the free-text ``Lesion.body_site`` matched to a small fixed vocabulary.

Reports place the site on a body diagram and DICOM export codes it (SNOMED CT), so both need the
same reading of "left forearm" or "upper back"; it lives here, below both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Laterality(StrEnum):
    LEFT = "L"
    RIGHT = "R"
    UNKNOWN = ""


class View(StrEnum):
    FRONT = "front"
    BACK = "back"


@dataclass(frozen=True)
class BodySite:
    """A region of the vocabulary, the side, and the view it is seen from."""

    region: str  # a key of REGIONS
    laterality: Laterality
    view: View


# region key -> (words that name it, default view); the longest matching phrase wins
REGIONS: dict[str, tuple[tuple[str, ...], View]] = {
    "scalp": (("scalp", "kopfhaut", "cuero cabelludo", "cuir chevelu", "head", "kopf", "tête", "cabeza"), View.FRONT),
    "face": (("face", "cheek", "forehead", "chin", "temple", "gesicht", "stirn", "wange", "cara", "mejilla",
              "frente", "visage", "joue"), View.FRONT),
    "nose": (("nose", "nasal", "nase", "nariz", "nez"), View.FRONT),
    "lip": (("lip", "lippe", "labio", "lèvre"), View.FRONT),
    "ear": (("ear", "ohr", "oreja", "oreille"), View.FRONT),
    "eyelid": (("eyelid", "augenlid", "párpado", "paupière"), View.FRONT),
    "neck": (("neck", "hals", "nacken", "cuello", "cou"), View.FRONT),
    "chest": (("chest", "thorax", "sternum", "brust", "pecho", "tórax", "poitrine"), View.FRONT),
    "breast": (("breast", "mamma", "mama", "sein"), View.FRONT),
    "abdomen": (("abdomen", "belly", "stomach", "umbilic", "bauch", "abdominal", "ventre"), View.FRONT),
    "upper_back": (("upper back", "back", "shoulder blade", "scapula", "rücken", "espalda", "dos"), View.BACK),
    "lower_back": (("lower back", "lumbar", "flank", "unterer rücken", "lendenwirbel", "lumbaire",
                    "espalda baja"), View.BACK),
    "buttock": (("buttock", "gluteal", "gesäß", "glúteo", "nalga", "fesse"), View.BACK),
    "shoulder": (("shoulder", "schulter", "hombro", "épaule"), View.FRONT),
    "upper_arm": (("upper arm", "arm", "oberarm", "brazo", "bras"), View.FRONT),
    "elbow": (("elbow", "ellbogen", "codo", "coude"), View.BACK),
    "forearm": (("forearm", "unterarm", "antebrazo", "avant-bras"), View.FRONT),
    "wrist": (("wrist", "handgelenk", "muñeca", "poignet"), View.FRONT),
    "hand": (("hand", "palm", "handfläche", "mano", "palma", "main", "paume"), View.FRONT),
    "finger": (("finger", "thumb", "nail", "dedo", "doigt", "daumen", "pulgar", "pouce"), View.FRONT),
    "thigh": (("thigh", "oberschenkel", "muslo", "cuisse"), View.FRONT),
    "knee": (("knee", "knie", "rodilla", "genou"), View.FRONT),
    "lower_leg": (("lower leg", "leg", "shin", "calf", "unterschenkel", "wade", "bein", "pierna",
                   "pantorrilla", "jambe", "mollet"), View.FRONT),
    "ankle": (("ankle", "knöchel", "tobillo", "cheville"), View.FRONT),
    "foot": (("foot", "sole", "heel", "fuß", "ferse", "pie", "planta", "talón", "pied", "talon"), View.FRONT),
    "toe": (("toe", "zehe", "dedo del pie", "orteil"), View.FRONT),
    "genital": (("genital", "groin", "leiste", "ingle", "aine"), View.FRONT),
    "trunk": (("trunk", "torso", "rumpf", "tronco", "tronc"), View.FRONT),
}

_LEFT = ("left", "links", "linke", "izquierd", "gauche")
_RIGHT = ("right", "rechts", "rechte", "derech", "droit")
_BACK = ("back of", "posterior", "dorsal", "behind", "rückseite")
# "back of the hand" is the hand, not the back: such phrases only set the view
_BACK_ONLY_REGIONS = frozenset({"upper_back", "lower_back", "buttock"})


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return " " + re.sub(r"[^\w]+", " ", text).strip() + " "


def _has_word(text: str, words: tuple[str, ...], prefix: bool = False) -> bool:
    for word in words:
        pattern = r"(?<!\w)" + re.escape(word) + (r"" if prefix else r"(?!\w)")
        if re.search(pattern, text):
            return True
    return False


def parse_body_site(text: str) -> BodySite | None:
    """The region, side and view named by ``text`` ("L forearm", "upper back"); None if unknown."""
    norm = _normalise(text)
    seen_from_back = _has_word(norm, _BACK)
    # "back of the hand" names the hand
    regions_text = re.sub(r"(?<!\w)back of(?: the)?(?!\w)", " ", norm)
    best: tuple[int, str] | None = None
    for region, (words, _view) in REGIONS.items():
        for word in words:
            if re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", regions_text) and (best is None or len(word) > best[0]):
                best = (len(word), region)
    if best is None:
        return None
    region = best[1]
    left = _has_word(norm, _LEFT, prefix=True) or _has_word(norm, ("l", "li", "izq", "g"))
    right = _has_word(norm, _RIGHT, prefix=True) or _has_word(norm, ("r", "re", "der", "d"))
    if left and not right:
        side = Laterality.LEFT
    elif right and not left:
        side = Laterality.RIGHT
    else:
        side = Laterality.UNKNOWN
    view = REGIONS[region][1]
    if region not in _BACK_ONLY_REGIONS and seen_from_back:
        view = View.BACK
    if region in ("upper_back", "lower_back") and _has_word(norm, ("lower", "lumbar")):
        region = "lower_back"
    return BodySite(region, side, view)
