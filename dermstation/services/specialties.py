"""Specialties of referral hospitals, and which ones a diagnosis needs."""

from __future__ import annotations

from dermstation.core.i18n import _

DERMATOLOGY = "dermatology"
MOHS_SURGERY = "mohs_surgery"
DERMATO_ONCOLOGY = "dermato_oncology"
PLASTIC_SURGERY = "plastic_surgery"
PAEDIATRIC_DERMATOLOGY = "paediatric_dermatology"
DERMATOPATHOLOGY = "dermatopathology"
PHOTOTHERAPY = "phototherapy"
RADIOTHERAPY = "radiotherapy"

SPECIALTIES: tuple[str, ...] = (
    DERMATOLOGY,
    DERMATO_ONCOLOGY,
    MOHS_SURGERY,
    PLASTIC_SURGERY,
    PAEDIATRIC_DERMATOLOGY,
    DERMATOPATHOLOGY,
    PHOTOTHERAPY,
    RADIOTHERAPY,
)

# HAM10000 class -> specialties that can take the patient, best first.
_FOR_DIAGNOSIS: dict[str, tuple[str, ...]] = {
    "mel": (DERMATO_ONCOLOGY,),
    "bcc": (MOHS_SURGERY, DERMATOLOGY),
    "akiec": (MOHS_SURGERY, DERMATOLOGY),
}


def specialty_label(code: str) -> str:
    return {
        DERMATOLOGY: _("Dermatology"),
        DERMATO_ONCOLOGY: _("Dermato-oncology"),
        MOHS_SURGERY: _("Mohs surgery"),
        PLASTIC_SURGERY: _("Plastic surgery"),
        PAEDIATRIC_DERMATOLOGY: _("Paediatric dermatology"),
        DERMATOPATHOLOGY: _("Dermatopathology"),
        PHOTOTHERAPY: _("Phototherapy"),
        RADIOTHERAPY: _("Radiotherapy"),
    }.get(code, code)


def specialties_for_diagnosis(diagnosis: str) -> tuple[str, ...]:
    """mel -> dermato-oncology; bcc/akiec -> Mohs surgery or dermatology; anything else -> dermatology."""
    return _FOR_DIAGNOSIS.get(diagnosis.strip().lower(), (DERMATOLOGY,))


def parse_specialty(text: str) -> str | None:
    """A specialty code from a code or an English label ("Mohs surgery", "dermato-oncology"); else None."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    if key in SPECIALTIES:
        return key
    aliases = {"dermatooncology": DERMATO_ONCOLOGY, "mohs": MOHS_SURGERY, "pediatric_dermatology": PAEDIATRIC_DERMATOLOGY}
    return aliases.get(key.replace("_", "")) or aliases.get(key)
