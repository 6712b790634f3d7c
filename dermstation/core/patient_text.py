"""What a patient reads about a signed diagnosis and plan, in the patient's language.

One reviewed text per ``PatientKey`` and per plan, in every supported language, shared by the patient
summary (reports) and the offline explanation (assistant), so the two can never disagree. Files:
``resources/patient_text/<lang>.json`` and the language-neutral ``resources/patient_text/sources.json``
(reputable patient pages per key). The wording is chosen by the signed code's ``patient_key`` and the
signed plan only: never by the model's class, never by words of a free-text note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dermstation.core.assessments import Plan, PlanKind, SignedAssessment
from dermstation.core.config import PROJECT_ROOT
from dermstation.core.diagnoses import PatientKey
from dermstation.core.domain import ReferralUrgency
from dermstation.core.errors import ConfigError, ValidationError
from dermstation.core.i18n import RIGHT_TO_LEFT, SUPPORTED_LANGUAGES, _

TEXT_DIR = PROJECT_ROOT / "resources" / "patient_text"

# Keys whose patients also read that early treatment of skin cancer usually works well.
CANCER_KEYS = frozenset({
    PatientKey.MELANOMA_INVASIVE, PatientKey.MELANOMA_IN_SITU, PatientKey.SUSPECTED_MELANOMA,
    PatientKey.SUSPECTED_SKIN_CANCER, PatientKey.BCC, PatientKey.SCC, PatientKey.SCC_IN_SITU,
    PatientKey.OTHER_MALIGNANT,
})
# Words that would tell a patient a signed cancer is nothing to worry about: an online answer that uses
# them about a cancer group is not shown (the reviewed wording never does, tests/core/test_patient_text.py).
REASSURING_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("harmless", "benign", "not cancer", "not a cancer", "nothing to worry"),
    "de": ("harmlos", "gutartig", "kein krebs", "kein hautkrebs", "unbedenklich"),
    "es": ("inofensiv", "benign", "no es cáncer", "no es un cáncer"),
    "fr": ("sans danger", "bénin", "bénigne", "pas un cancer", "pas de cancer"),
    "hi": ("हानिरहित", "कैंसर नहीं", "सौम्य"),
    "ta": ("தீங்கற்ற", "புற்றுநோய் அல்ல"),
    "te": ("హానిలేని", "క్యాన్సర్ కాదు"),
    "ar": ("غير ضار", "حميد", "ليس سرطان"),
}


def reassures_about_cancer(text: str, key: PatientKey | str, language: str) -> bool:
    """Whether ``text`` calls a signed cancer (or suspected cancer) harmless, in ``language``."""
    if PatientKey(key) not in CANCER_KEYS:
        return False
    folded = text.casefold()
    return any(word in folded for word in REASSURING_WORDS.get(language, REASSURING_WORDS["en"]))


PLAN_TEXT_KEYS = ("reassure_self_exam", "monitor", "dermoscopic_follow_up", "biopsy", "excision",
                  "referral_urgent", "referral_routine")
LABELS = ("patient", "record_number", "date", "site", "clinician", "result", "next", "warning_signs",
          "prevention", "questions")
EXPLANATION_FIELDS = ("heading", "online", "offline", "clinician", "sources", "what_it_is", "treatment", "next",
                      "warning_signs", "prevention", "disclaimer")
DIAGNOSIS_FIELDS = ("name", "plain", "treatment")


@dataclass(frozen=True)
class Source:
    """A reference a patient can look up (title and https URL)."""

    title: str
    url: str


@dataclass(frozen=True)
class DiagnosisText:
    name: str
    plain: str  # what it is, for the patient
    treatment: str  # how it is usually treated


@dataclass(frozen=True)
class PatientText:
    """The reviewed patient wording of one language."""

    language: str
    header: str
    title: str
    labels: MappingProxyType[str, str]
    diagnoses: MappingProxyType[str, DiagnosisText]
    plan: MappingProxyType[str, str]
    warning_signs: tuple[str, ...]
    prevention: tuple[str, ...]
    ai_note: str
    reassurance_malignant: str
    for_parents: str
    explanation: MappingProxyType[str, str]

    @property
    def right_to_left(self) -> bool:
        return self.language in RIGHT_TO_LEFT

    def diagnosis(self, key: PatientKey | str) -> DiagnosisText:
        return self.diagnoses[PatientKey(key).value]

    def plan_text(self, plan: Plan) -> str:
        """The sentence that says what happens next under ``plan``."""
        return self.plan[plan_text_key(plan)]


def plan_text_key(plan: Plan) -> str:
    if plan.kind == PlanKind.REFERRAL:
        return "referral_urgent" if plan.urgency == ReferralUrgency.URGENT else "referral_routine"
    return PlanKind(plan.kind).value


def _strings(raw: Any, keys: tuple[str, ...], what: str, path: Path) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ConfigError(_("{path}: {what} missing").format(path=path.name, what=what))
    missing = [k for k in keys if not isinstance(raw.get(k), str) or not raw[k].strip()]
    if missing:
        raise ConfigError(_("{path}: {what} lacks {missing}").format(path=path.name, what=what,
                                                                    missing=", ".join(missing)))
    return {k: raw[k].strip() for k in keys}


def load_patient_text(language: str, directory: Path = TEXT_DIR) -> PatientText:
    """The wording of ``language`` from ``directory``; a ConfigError naming the file when it is incomplete."""
    path = directory / f"{language}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(_("The patient wording {path} cannot be read: {exc}").format(path=path, exc=exc)) from exc
    if not isinstance(raw, dict) or raw.get("language") != language:
        raise ConfigError(_("{path}: wrong or missing language").format(path=path.name))
    diagnoses = raw.get("diagnoses")
    if not isinstance(diagnoses, dict):
        raise ConfigError(_("{path}: diagnoses missing").format(path=path.name))
    texts = {key.value: DiagnosisText(**_strings(diagnoses.get(key.value), DIAGNOSIS_FIELDS, f"diagnosis {key.value}",
                                                 path)) for key in PatientKey}
    lists = {}
    for name in ("warning_signs", "prevention"):
        items = raw.get(name)
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
            raise ConfigError(_("{path}: {name} missing").format(path=path.name, name=name))
        lists[name] = tuple(i.strip() for i in items)
    top = _strings(raw, ("header", "title", "ai_note", "reassurance_malignant", "for_parents"), "summary text", path)
    return PatientText(
        language=language,
        labels=MappingProxyType(_strings(raw.get("labels"), LABELS, "labels", path)),
        diagnoses=MappingProxyType(texts),
        plan=MappingProxyType(_strings(raw.get("plan"), PLAN_TEXT_KEYS, "plan", path)),
        explanation=MappingProxyType(_strings(raw.get("explanation"), EXPLANATION_FIELDS, "explanation", path)),
        **lists,  # type: ignore[arg-type]
        **top,
    )


@cache
def patient_text(language: str) -> PatientText:
    """The bundled wording of ``language`` (English for a language the app does not offer)."""
    return load_patient_text(language if language in SUPPORTED_LANGUAGES else "en")


@cache
def sources_for(key: PatientKey | str) -> tuple[Source, ...]:
    """The reputable patient pages for ``key``, in the order they are numbered."""
    raw = json.loads((TEXT_DIR / "sources.json").read_text(encoding="utf-8"))
    items = raw["sources"][PatientKey(key).value]
    return tuple(Source(str(s["title"]), str(s["url"])) for s in items)


@dataclass(frozen=True)
class WhatHappensNext:
    """The plan as a patient reads it: the sentence and the one value it names (a date or a hospital)."""

    text: str
    due: date | None = None
    hospital: str = ""


def what_happens_next(assessment: SignedAssessment, language: str) -> WhatHappensNext:
    """The signed plan of ``assessment`` in ``language``; a ValidationError when nothing was signed."""
    text = patient_text(language)
    if assessment.plan is None:
        raise ValidationError(_("This assessment has no signed plan."), field="plan")
    plan = assessment.plan
    return WhatHappensNext(text.plan_text(plan), due=assessment.follow_up_due(),
                           hospital=plan.hospital_name if plan.kind == PlanKind.REFERRAL else "")


def require_coded(assessment: SignedAssessment | None) -> SignedAssessment:
    """``assessment`` when it holds a coded diagnosis and a plan; otherwise the reason there is no patient text."""
    if assessment is None:
        raise ValidationError(_("No diagnosis has been signed for this picture yet. Sign a coded diagnosis and "
                                "plan first: patient texts are written from them."), field="diagnosis")
    if assessment.diagnosis is None:
        raise ValidationError(_("The signed diagnosis is free text from before coded diagnoses. Amend it with a "
                                "coded diagnosis and plan first: patient texts are written from them."),
                              field="diagnosis")
    if assessment.plan is None:
        raise ValidationError(_("The signed assessment has no plan. Amend it with a plan first: \"what happens "
                                "next\" is written from it."), field="plan")
    return assessment
