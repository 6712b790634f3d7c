"""What may leave the machine: structured, non-identifying fields of the signed assessment and a
de-identified question, nothing else.

The only way to build an outgoing prompt is :func:`build_messages`, which takes a
:class:`PatientContext` and a question that went through :func:`~dermstation.assistant.deidentify.deidentify`.
The context holds exactly what issue 14 allows: the signed diagnosis (catalogue code, SNOMED CT id,
its catalogue name and the patient-wording group), the signed plan's category (and follow-up
interval), an age *band*, a body-site *region* and the answer language. Every value is checked on
construction against the catalogue and the fixed vocabularies, so free text cannot be smuggled in.
The model's class, its scores, measurements, notes, names, dates and images have no field here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dermstation.assistant.deidentify import (
    PLACEHOLDERS,
    Scrubbed,
    ScrubTerms,
    deidentify,
    fold,
)
from dermstation.core.assessments import FOLLOW_UP_KINDS, SignedAssessment
from dermstation.core.body_sites import REGIONS, parse_body_site
from dermstation.core.diagnoses import PatientKey, catalogue
from dermstation.core.errors import ValidationError
from dermstation.core.i18n import SUPPORTED_LANGUAGES, _
from dermstation.core.patient_text import PLAN_TEXT_KEYS, patient_text, plan_text_key, require_coded

MAX_QUESTION_CHARS = 1000

AGE_BANDS: tuple[str, ...] = (
    "unknown", "0-17", "18-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+",
)
UNKNOWN_REGION = "unknown"


def age_band(born: date | None, today: date | None = None) -> str:
    """The decade band of a patient's age ("40-49"), or "unknown". The birth date itself never leaves."""
    if born is None:
        return "unknown"
    today = today or date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < 0:
        return "unknown"
    if age < 18:
        return "0-17"
    if age < 30:
        return "18-29"
    if age >= 80:
        return "80+"
    low = age // 10 * 10
    return f"{low}-{low + 9}"


@dataclass(frozen=True)
class PatientContext:
    """Everything about the patient and the signed result that may be sent out. Validated on construction."""

    diagnosis_code: str
    language: str
    plan: str  # a key of core.patient_text.PLAN_TEXT_KEYS ("biopsy", "referral_urgent", ...)
    follow_up_months: int | None = None
    age_band: str = "unknown"
    body_region: str = UNKNOWN_REGION

    def __post_init__(self) -> None:
        entry = catalogue().find(self.diagnosis_code)
        if entry is None:
            raise ValidationError(_("Unknown diagnosis code."), field="diagnosis")
        if self.language not in SUPPORTED_LANGUAGES:
            raise ValidationError(_("Unsupported language."), field="language")
        if self.plan not in PLAN_TEXT_KEYS:
            raise ValidationError(_("Unknown plan."), field="plan")
        if self.follow_up_months is not None and (not isinstance(self.follow_up_months, int)
                                                  or not 1 <= self.follow_up_months <= 36):
            raise ValidationError(_("The follow-up interval is not valid."), field="follow_up")
        if self.age_band not in AGE_BANDS:
            raise ValidationError(_("Unknown age band."), field="age_band")
        if self.body_region != UNKNOWN_REGION and self.body_region not in REGIONS:
            raise ValidationError(_("Unknown body region."), field="body_region")

    # derived from the catalogue and the reviewed wording, never typed by anyone
    @property
    def snomed(self) -> str | None:
        return catalogue().get(self.diagnosis_code).snomed

    @property
    def diagnosis_name(self) -> str:
        return catalogue().get(self.diagnosis_code).name("en")

    @property
    def patient_key(self) -> PatientKey:
        return catalogue().get(self.diagnosis_code).patient_key

    @property
    def category(self) -> str:
        return catalogue().get(self.diagnosis_code).category.value

    @property
    def patient_wording(self) -> str:
        """The reviewed English patient wording of the diagnosis group (the prompt's language of instruction)."""
        return patient_text("en").diagnosis(self.patient_key).name

    @classmethod
    def from_assessment(cls, assessment: SignedAssessment | None, language: str, *, born: date | None = None,
                        body_site: str = "") -> PatientContext:
        """The context of a signed, coded assessment; a ValidationError saying why when there is none."""
        signed = require_coded(assessment)
        assert signed.diagnosis is not None and signed.plan is not None
        site = parse_body_site(body_site) if body_site else None
        return cls(
            diagnosis_code=signed.diagnosis.code,
            language=language,
            plan=plan_text_key(signed.plan),
            follow_up_months=signed.plan.follow_up_months if signed.plan.kind in FOLLOW_UP_KINDS else None,
            age_band=age_band(born),
            body_region=site.region if site else UNKNOWN_REGION,
        )


def clean_question(question: str, terms: ScrubTerms | None = None) -> Scrubbed:
    """Validate a question typed by the clinician and de-identify it."""
    question = " ".join((question or "").split())
    if len(question) > MAX_QUESTION_CHARS:
        raise ValidationError(
            _("The question is too long (at most {n} characters).").format(n=MAX_QUESTION_CHARS), field="question"
        )
    return deidentify(question, terms)


SYSTEM_PROMPT = (
    "You help a dermatologist explain a diagnosis they have made and signed to their patient. "
    "Write for the patient in {language_name} only (language code {language}), in plain words a 12-year-old "
    "can follow, in at most 200 words. The diagnosis and the plan below were decided by the dermatologist who "
    "examined the patient: explain them, never contradict them, never suggest a different diagnosis, and say "
    "that the patient should follow their dermatologist's advice. Do not give doses, do not promise outcomes, "
    "do not alarm; say which changes should make the patient contact their dermatologist promptly. Use reputable "
    "medical sources (WHO, national health services, dermatology associations, DermNet) and cite them as "
    "numbered references [1], [2]. If the question is not about skin health, politely decline."
)

PLAN_DESCRIPTIONS = {
    "reassure_self_exam": "reassurance and monthly self-examination of the skin",
    "monitor": "clinical review at a follow-up visit",
    "dermoscopic_follow_up": "repeat dermoscopy at a follow-up visit, compared with today's images",
    "biopsy": "a skin biopsy for histology",
    "excision": "excision of the lesion for histology",
    "referral_urgent": "an urgent referral to a hospital specialist team",
    "referral_routine": "a routine referral to a hospital specialist team",
}


def context_block(context: PatientContext) -> str:
    """The allow-listed facts, one per line, as they are sent."""
    lines = [
        f"Diagnosis signed by the dermatologist: {context.diagnosis_name} (catalogue code {context.diagnosis_code}"
        + (f", SNOMED CT {context.snomed}" if context.snomed else "") + f"; category {context.category})",
        f"Patient-level wording: {context.patient_wording}",
        f"Plan signed by the dermatologist: {PLAN_DESCRIPTIONS[context.plan]}"
        + (f", in {context.follow_up_months} months" if context.follow_up_months else ""),
        f"Body region: {context.body_region.replace('_', ' ')}",
        f"Patient age band: {context.age_band}",
    ]
    return "\n".join(lines)


def build_messages(context: PatientContext, question: Scrubbed) -> list[dict[str, str]]:
    """The chat messages to send: a system prompt and the allow-listed context plus the de-identified question.

    Takes a :class:`Scrubbed` (not a ``str``) so a question that skipped de-identification cannot be passed.
    """
    if not isinstance(question, Scrubbed):
        raise TypeError("build_messages needs a de-identified question (see deidentify())")
    system = SYSTEM_PROMPT.format(language_name=ENGLISH_LANGUAGE_NAMES[context.language], language=context.language)
    asked = question.text.strip() or "Please explain this diagnosis and what happens next to me."
    user = f"{context_block(context)}\n\nThe patient's question: {asked}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


ENGLISH_LANGUAGE_NAMES = {
    "en": "English", "de": "German", "es": "Spanish", "fr": "French",
    "hi": "Hindi", "ta": "Tamil", "te": "Telugu", "ar": "Arabic",
}

__all__ = [
    "AGE_BANDS", "PLACEHOLDERS", "PatientContext", "ScrubTerms", "Scrubbed", "age_band", "build_messages",
    "clean_question", "context_block", "deidentify", "fold",
]
