"""The shipped diagnosis catalogue: complete, unique, valid in every language, searchable."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dermstation.core.assessments import Plan, PlanKind, SignedAssessment, add_months
from dermstation.core.diagnoses import CATALOGUE_FILE, Category, PatientKey, catalogue, load_catalogue
from dermstation.core.domain import LESION_CLASSES, ReferralUrgency
from dermstation.core.errors import ConfigError, ValidationError
from dermstation.core.i18n import SUPPORTED_LANGUAGES

pytestmark = pytest.mark.clinical_safety

# every group the issue names must be codable
REQUIRED = ("mel.in_situ", "mel.lentigo_maligna", "mel.lmm", "mel.ssm", "mel.nodular", "mel.acral",
            "mel.amelanotic", "mel.metastasis", "nv.common", "nv.junctional", "nv.compound", "nv.dermal",
            "nv.dysplastic", "nv.spitz", "nv.reed", "nv.blue", "nv.congenital", "nv.halo", "nv.recurrent",
            "bkl.seborrhoeic", "bkl.solar_lentigo", "bkl.lplk", "bcc.nodular", "bcc.superficial",
            "scc.invasive", "scc.bowen", "scc.keratoacanthoma", "ak.actinic_keratosis", "df.dermatofibroma",
            "vasc.haemangioma", "vasc.angiokeratoma", "vasc.pyogenic_granuloma", "other.benign",
            "other.malignant", "uncertain.needs_histology")


def test_catalogue_is_complete_and_consistent() -> None:
    cat = catalogue()
    assert len(cat.entries) >= 40
    codes = [e.code for e in cat.entries]
    assert len(codes) == len(set(codes))
    assert set(REQUIRED) <= set(codes)
    for e in cat.entries:
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", e.code), e.code
        assert e.category in set(Category)
        assert e.patient_key in set(PatientKey)
        assert e.ham_class is None or e.ham_class in LESION_CLASSES
        assert e.snomed is None or re.fullmatch(r"[1-9][0-9]{5,17}", e.snomed), e.code
        assert e.icd10 is None or re.fullmatch(r"[A-Z][0-9]{2}(\.[0-9])?", e.icd10), e.code
        names = dict(e.names)
        assert set(names) == set(SUPPORTED_LANGUAGES)
        assert all(n.strip() for n in names.values()), e.code
    # the non-Latin languages are written in their own script, not left in English
    scripts = {"hi": "\u0900-\u097f", "ta": "\u0b80-\u0bff", "te": "\u0c00-\u0c7f", "ar": "\u0600-\u06ff"}
    for e in cat.entries:
        for lang, block in scripts.items():
            assert re.search(f"[{block}]", e.name(lang)), (e.code, lang)


def test_categories_follow_the_medicine() -> None:
    cat = catalogue()
    for code in ("mel.in_situ", "mel.lentigo_maligna", "mel.ssm", "bcc.nodular", "scc.invasive", "scc.bowen"):
        assert cat.get(code).category == Category.MALIGNANT, code
    assert cat.get("mel.lentigo_maligna").patient_key == PatientKey.MELANOMA_IN_SITU
    assert cat.get("ak.actinic_keratosis").category == Category.PREMALIGNANT
    for code in ("nv.compound", "bkl.seborrhoeic", "df.dermatofibroma", "vasc.haemangioma"):
        assert cat.get(code).category == Category.BENIGN, code
    assert cat.get("uncertain.needs_histology").category == Category.UNCERTAIN
    # every melanoma entry is audited against the model's melanoma class
    assert all(e.ham_class == "mel" for e in cat.entries if e.code.startswith("mel."))


def test_unknown_code_is_refused() -> None:
    with pytest.raises(ValidationError):
        catalogue().get("melanoma")
    assert catalogue().find("nope") is None


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("sup spr", "en", "mel.ssm"),
    ("SSM", "de", "mel.ssm"),
    ("spreitend", "de", "mel.ssm"),
    ("Lentigo maligna", "fr", "mel.lentigo_maligna"),
    ("mélanome nodulaire", "fr", "mel.nodular"),
    ("melanome nodulaire", "fr", "mel.nodular"),  # without the accent
    ("Bowen", "es", "scc.bowen"),
    ("queratosis seb", "es", "bkl.seborrhoeic"),
    ("seborrheic", "en", "bkl.seborrhoeic"),  # American spelling
    ("ak.actinic_k", "en", "ak.actinic_keratosis"),  # the code
    ("ब्लू नेवस", "hi", "nv.blue"),
    ("வீனஸ்", "ta", "vasc.venous_lake"),
    ("కెరటోఅకాంథోమా", "te", "scc.keratoacanthoma"),
    ("داء بوين", "ar", "scc.bowen"),
])
def test_search_finds_across_languages(text: str, language: str, expected: str) -> None:
    found = [e.code for e in catalogue().search(text, language)]
    assert found and found[0] == expected, found[:5]


def test_search_ranks_the_clinicians_language_first() -> None:
    hits = catalogue().search("Nävus", "de")
    assert hits and all("nv." in e.code for e in hits[:5])
    assert catalogue().search("zzzz", "en") == ()
    assert len(catalogue().search("", "en")) == len(catalogue().offered())


def test_retired_entries_read_back_but_are_not_offered(tmp_path: Path) -> None:
    raw = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    raw["entries"][0]["retired"] = True
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    cat = load_catalogue(path)
    first = raw["entries"][0]["code"]
    assert cat.get(first).retired
    assert first not in {e.code for e in cat.offered()}
    assert first not in {e.code for e in cat.search(raw["entries"][0]["names"]["en"])}


@pytest.mark.parametrize("breakage", ["missing_language", "duplicate", "bad_category", "bad_ham"])
def test_broken_catalogue_names_the_file(tmp_path: Path, breakage: str) -> None:
    raw = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    if breakage == "missing_language":
        del raw["entries"][3]["names"]["ta"]
    elif breakage == "duplicate":
        raw["entries"][4]["code"] = raw["entries"][5]["code"]
    elif breakage == "bad_category":
        raw["entries"][2]["category"] = "harmless"
    else:
        raw["entries"][2]["ham_class"] = "melanoma"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_catalogue(path)
    assert "broken.json" in str(info.value)


def test_plan_validation() -> None:
    assert Plan(PlanKind.MONITOR, follow_up_months=6).validated().follow_up_months == 6
    assert Plan(PlanKind.REFERRAL, urgency=ReferralUrgency.URGENT, hospital_id=3).validated().hospital_id == 3
    for bad in (Plan(PlanKind.MONITOR), Plan(PlanKind.DERMOSCOPIC_FOLLOW_UP, follow_up_months=0),
                Plan(PlanKind.BIOPSY, follow_up_months=3), Plan(PlanKind.REFERRAL, hospital_id=3),
                Plan(PlanKind.REFERRAL, urgency=ReferralUrgency.ROUTINE),
                Plan(PlanKind.EXCISION, urgency=ReferralUrgency.URGENT)):
        with pytest.raises(ValidationError):
            bad.validated()


def test_follow_up_due_date() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    signed = SignedAssessment(1, 1, 1, 1, 1, catalogue().get("nv.dysplastic"),
                              Plan(PlanKind.DERMOSCOPIC_FOLLOW_UP, follow_up_months=3), "", "Dr A", 1,
                              datetime(2026, 11, 29, 10, tzinfo=UTC))
    assert signed.follow_up_due() == date(2027, 2, 28)
    assert signed.coded and signed.category == Category.BENIGN
