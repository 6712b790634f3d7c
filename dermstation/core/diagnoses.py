"""The coded diagnoses a dermatologist signs: a curated, versioned catalogue shipped with the app.

File: ``resources/diagnoses/catalogue.json`` (its ``notes`` say where the codes come from)::

    {"version": "2026.11-1", "notes": [...],
     "entries": [{"code": "mel.ssm", "snomed": "254730000", "icd10": "C43.9", "icd11": "2C30",
                  "category": "malignant", "ham_class": "mel", "patient_key": "melanoma_invasive",
                  "names": {"en": ..., "de": ..., ...every UI language...}, "synonyms": ["SSM", ...]}]}

Stored records keep the stable ``code``; names are looked up at display time. A code is never
reused for a different meaning: a retired entry keeps its code with ``"retired": true``, so old
signatures still read back, but the picker no longer offers it.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from dermstation.core.config import PROJECT_ROOT
from dermstation.core.domain import LESION_CLASSES
from dermstation.core.errors import ConfigError, ValidationError
from dermstation.core.i18n import SUPPORTED_LANGUAGES, _

CATALOGUE_FILE = PROJECT_ROOT / "resources" / "diagnoses" / "catalogue.json"


class Category(StrEnum):
    """How serious a diagnosis is; drives urgency, never a patient's wording on its own."""

    MALIGNANT = "malignant"
    PREMALIGNANT = "premalignant"
    BENIGN = "benign"
    UNCERTAIN = "uncertain"


class PatientKey(StrEnum):
    """The groups patient-facing wording is written for (one text per key and language)."""

    MELANOMA_INVASIVE = "melanoma_invasive"
    MELANOMA_IN_SITU = "melanoma_in_situ"
    SUSPECTED_MELANOMA = "suspected_melanoma"
    SUSPECTED_SKIN_CANCER = "suspected_skin_cancer"
    BCC = "bcc"
    SCC = "scc"
    SCC_IN_SITU = "scc_in_situ"
    OTHER_MALIGNANT = "other_malignant"
    PREMALIGNANT = "premalignant"
    ATYPICAL_NAEVUS = "atypical_naevus"
    BENIGN_NAEVUS = "benign_naevus"
    BENIGN_KERATOSIS = "benign_keratosis"
    VASCULAR = "vascular"
    BENIGN_OTHER = "benign_other"
    UNCERTAIN = "uncertain"


def fold(text: str) -> str:
    """Lower-case, accent-free text for matching ("Naevus" ~ "naevus", "Mélanome" ~ "melanome")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


@dataclass(frozen=True)
class Diagnosis:
    """One entry of the catalogue."""

    code: str  # stable key stored in the record ("mel.ssm")
    snomed: str | None  # SNOMED CT concept id, None where not confirmed
    icd10: str | None
    icd11: str | None
    category: Category
    ham_class: str | None  # the HAM10000 class the model uses for it (audit), None when none fits
    patient_key: PatientKey
    names: tuple[tuple[str, str], ...]  # (language, clinician-facing name) for every UI language
    synonyms: tuple[str, ...] = ()
    retired: bool = False

    def name(self, language: str) -> str:
        """The clinician-facing name in ``language`` (English when that language lacks one)."""
        names = dict(self.names)
        return names.get(language) or names["en"]

    def search_keys(self) -> tuple[str, ...]:
        return tuple(fold(t) for t in (self.code, *(n for _, n in self.names), *self.synonyms))


@dataclass(frozen=True)
class DiagnosisCatalogue:
    version: str
    entries: tuple[Diagnosis, ...]

    def get(self, code: str) -> Diagnosis:
        """The entry for ``code``; a ValidationError when the code is unknown."""
        for entry in self.entries:
            if entry.code == code:
                return entry
        raise ValidationError(_("Unknown diagnosis code."), field="diagnosis", details=f"code {code!r}")

    def find(self, code: str | None) -> Diagnosis | None:
        return next((e for e in self.entries if e.code == code), None) if code else None

    def offered(self) -> tuple[Diagnosis, ...]:
        """The entries a clinician may sign today (retired codes only read back)."""
        return tuple(e for e in self.entries if not e.retired)

    def search(self, text: str, language: str = "en", limit: int | None = None) -> tuple[Diagnosis, ...]:
        """Entries matching ``text`` in any language, code or synonym; best first.

        Every word typed must start a word of some key ("sup spr" finds "superficial spreading"), or
        appear inside it from three letters on; names in ``language`` that start with the text rank first.
        """
        words = fold(text).replace("-", " ").split()
        if not words:
            return tuple(sorted(self.offered(), key=lambda e: fold(e.name(language))))[:limit]
        scored = []
        for entry in self.offered():
            keys = entry.search_keys()
            best = None
            for key in keys:
                key_words = key.replace("-", " ").replace("(", " ").replace(")", " ").split()
                rank = _match_rank(words, key, key_words)
                if rank is not None and (best is None or rank < best):
                    best = rank
            if best is None:
                continue
            own = fold(entry.name(language))
            if own.startswith(" ".join(words)):
                best -= 10
            scored.append((best, own, entry))
        scored.sort(key=lambda t: (t[0], t[1]))
        return tuple(e for _, _, e in scored[:limit])


def _match_rank(words: list[str], key: str, key_words: list[str]) -> int | None:
    rank = 0
    for word in words:
        if any(k.startswith(word) for k in key_words):
            continue
        if len(word) >= 3 and word in key:
            rank += 1
            continue
        return None
    return rank


def _entry(raw: dict, path: Path) -> Diagnosis:
    code = str(raw["code"])
    names = raw["names"]
    missing = [lang for lang in SUPPORTED_LANGUAGES if not str(names.get(lang, "")).strip()]
    if missing:
        raise ConfigError(_("Diagnosis {code} in {path} has no name in {languages}").format(code=code, path=path, languages=', '.join(missing)))
    ham = raw.get("ham_class")
    if ham is not None and ham not in LESION_CLASSES:
        raise ConfigError(_("Diagnosis {code} in {path} has an unknown HAM class {ham}").format(
            code=code, path=path, ham=repr(ham)))
    return Diagnosis(
        code=code,
        snomed=str(raw["snomed"]) if raw.get("snomed") else None,
        icd10=raw.get("icd10") or None,
        icd11=raw.get("icd11") or None,
        category=Category(raw["category"]),
        ham_class=ham,
        patient_key=PatientKey(raw["patient_key"]),
        names=tuple((lang, str(names[lang]).strip()) for lang in SUPPORTED_LANGUAGES),
        synonyms=tuple(str(s) for s in raw.get("synonyms", ())),
        retired=bool(raw.get("retired", False)),
    )


def load_catalogue(path: Path = CATALOGUE_FILE) -> DiagnosisCatalogue:
    """Read and check a catalogue file; a ConfigError naming the file and entry when it is wrong."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        entries = tuple(_entry(e, path) for e in raw["entries"])
    except ConfigError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(_("The diagnosis catalogue {path} cannot be read").format(path=path), str(exc)) from exc
    codes = [e.code for e in entries]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ConfigError(_("The diagnosis catalogue {path} repeats codes: {codes}").format(path=path, codes=', '.join(duplicates)))
    return DiagnosisCatalogue(str(raw["version"]), entries)


@cache
def catalogue() -> DiagnosisCatalogue:
    """The shipped catalogue (read once)."""
    return load_catalogue()
