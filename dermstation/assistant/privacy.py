"""What may leave the machine: an allow-listed context and a scrubbed question, nothing else.

Privacy by construction: the only way to build an outgoing prompt is :func:`build_messages`, which
takes a :class:`PatientContext` (lesion class, probabilities, malignancy score, lesion metrics,
quality flags, an age *band*, the answer language) and a question that has been through
:func:`scrub`. There is no field for a name, a record number, a date of birth, an image or a note,
and every value is checked on construction (classes from the fixed list, finite numbers, metric
names and units from a narrow pattern), so free text cannot be smuggled in through the context.

The scrubber removes what a clinician might type into a question by habit: e-mail addresses,
links, phone numbers, dates (numeric, ISO, and written with English/German/French/Spanish month
names), standalone years, record-number-like tokens (letters and digits mixed, long digit runs,
anything after "MRN", "ID", "No." ...), names after a title ("Mr", "Frau", "Dr" ...), and the
patient's own names, record number, phone, e-mail and date of birth passed in as
:class:`ScrubTerms` (matched whole-word, ignoring case and accents). Each is replaced by a
placeholder such as ``[name]``. It cannot recognise every name of a third person in free text;
the panel tells the clinician not to type identifiers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from dermstation.core.domain import LESION_CLASS_NAMES, LESION_CLASSES
from dermstation.core.errors import ValidationError
from dermstation.core.i18n import SUPPORTED_LANGUAGES, _

MAX_QUESTION_CHARS = 1000

NAME = "[name]"
EMAIL = "[email]"
PHONE = "[phone]"
DATE = "[date]"
NUMBER = "[number]"
LINK = "[link]"
PLACEHOLDERS = (NAME, EMAIL, PHONE, DATE, NUMBER, LINK)

AGE_BANDS: tuple[str, ...] = (
    "unknown", "0-17", "18-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+",
)

_METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_METRIC_UNIT = re.compile(r"^(|mm|mm²|mm2|px|px²|px2|count|ΔE|%|ratio)$")
_FLAG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


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
class Metric:
    name: str
    value: float
    unit: str = ""


@dataclass(frozen=True)
class PatientContext:
    """Everything about the patient and the result that may be sent out. Validated on construction."""

    lesion_class: str
    probabilities: tuple[tuple[str, float], ...]
    language: str
    age_band: str = "unknown"
    malignancy: float | None = None
    suspicious: bool | None = None
    metrics: tuple[Metric, ...] = ()
    quality_flags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.lesion_class not in LESION_CLASSES:
            raise ValidationError(_("Unknown lesion class."), field="lesion_class")
        if self.language not in SUPPORTED_LANGUAGES:
            raise ValidationError(_("Unsupported language."), field="language")
        if self.age_band not in AGE_BANDS:
            raise ValidationError(_("Unknown age band."), field="age_band")
        probs = tuple((str(c), float(p)) for c, p in self.probabilities)
        for cls, p in probs:
            if cls not in LESION_CLASSES or not (math.isfinite(p) and 0.0 <= p <= 1.0):
                raise ValidationError(_("The probabilities are not valid."), field="probabilities")
        object.__setattr__(self, "probabilities", probs)
        if self.malignancy is not None:
            m = float(self.malignancy)
            if not (math.isfinite(m) and 0.0 <= m <= 1.0):
                raise ValidationError(_("The malignancy score is not valid."), field="malignancy")
            object.__setattr__(self, "malignancy", m)
        metrics = tuple(self.metrics)
        for metric in metrics:
            if (not _METRIC_NAME.match(metric.name) or not _METRIC_UNIT.match(metric.unit)
                    or not math.isfinite(float(metric.value))):
                raise ValidationError(_("A lesion measurement is not valid."), field="metrics")
        object.__setattr__(self, "metrics", metrics)
        flags = tuple(str(f) for f in self.quality_flags)
        if any(not _FLAG.match(f) for f in flags):
            raise ValidationError(_("A quality flag is not valid."), field="quality_flags")
        object.__setattr__(self, "quality_flags", flags)

    @classmethod
    def from_values(
        cls,
        prediction: str,
        probabilities: dict[str, float] | Iterable[tuple[str, float]],
        language: str,
        *,
        born: date | None = None,
        malignancy: float | None = None,
        suspicious: bool | None = None,
        metrics: dict[str, object] | None = None,
        quality_flags: Iterable[str] = (),
    ) -> PatientContext:
        """Build from stored analysis values (``metrics`` as ``{"name": value}`` or ``{"name": {"value", "unit"}}``);
        unknown or malformed metrics are dropped, not sent."""
        items = probabilities.items() if isinstance(probabilities, dict) else probabilities
        probs = tuple(sorted(((c, float(p)) for c, p in items if c in LESION_CLASSES),
                             key=lambda cp: LESION_CLASSES.index(cp[0])))
        kept: list[Metric] = []
        for name, raw in (metrics or {}).items():
            value, unit = (raw.get("value"), raw.get("unit", "")) if isinstance(raw, dict) else (raw, "")
            try:
                metric = Metric(str(name), float(value), str(unit))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            if _METRIC_NAME.match(metric.name) and _METRIC_UNIT.match(metric.unit) and math.isfinite(metric.value):
                kept.append(metric)
        return cls(
            lesion_class=prediction,
            probabilities=probs,
            language=language,
            age_band=age_band(born),
            malignancy=malignancy,
            suspicious=suspicious,
            metrics=tuple(kept),
            quality_flags=tuple(f for f in quality_flags if _FLAG.match(str(f))),
        )


@dataclass(frozen=True, repr=False)
class ScrubTerms:
    """The patient's own identifiers, to be removed wherever they are typed (never sent themselves)."""

    names: tuple[str, ...] = ()
    record_number: str = ""
    date_of_birth: date | None = None
    phone: str = ""
    email: str = ""
    extra: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:  # identifiers must not reach a log line through a repr
        return "ScrubTerms(<hidden>)"


@dataclass(frozen=True)
class Scrubbed:
    text: str
    replacements: int

    @property
    def changed(self) -> bool:
        return self.replacements > 0


def fold(text: str) -> str:
    """Case- and accent-insensitive form used to compare words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|"
    "januar|februar|märz|maerz|mai|juni|juli|oktober|dezember|"
    "janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
)
_D = r"\d"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE), EMAIL),
    (re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE), LINK),
    # ISO and numeric dates: 1980-02-01, 01/02/1980, 1.2.80, 01-02-1980
    (re.compile(rf"(?<!\w){_D}{{4}}[-/.]{_D}{{1,2}}[-/.]{_D}{{1,2}}(?!\w)"), DATE),
    (re.compile(rf"(?<!\w){_D}{{1,2}}[-/.]{_D}{{1,2}}[-/.](?:{_D}{{4}}|{_D}{{2}})(?!\w)"), DATE),
    # written dates: 12 March 1980, 12. März 1980, March 12, 1980, 12 de marzo de 1980, March 1980
    (re.compile(rf"(?<!\w)(?:{_D}{{1,2}}\.?\s*(?:de\s+)?)?(?:{_MONTHS})\.?(?:\s+{_D}{{1,2}}(?:st|nd|rd|th)?,?)?"
                rf"(?:\s*(?:de\s+)?{_D}{{4}})(?!\w)", re.IGNORECASE), DATE),
    (re.compile(rf"(?<!\w){_D}{{1,2}}\.?\s*(?:de\s+)?(?:{_MONTHS})(?!\w)", re.IGNORECASE), DATE),
    # a label followed by an identifier: "MRN 12-345", "ID: AB12", "No. 4711", "#123"
    (re.compile(r"(?:\b(?:mrn|id|nr|no|num|number|record|patient|dossier|expediente|akte)\b\.?\s*[:#]?\s*|#\s*)"
                r"(?=[\w-]*\d)[\w-]+", re.IGNORECASE), NUMBER),
    # phone numbers: +44 20 7946 0958, (030) 1234-567, 0301234567 — seven or more digits
    (re.compile(rf"(?<!\w)\+?\(?{_D}[{_D}\s().-]{{5,}}{_D}(?!\w)"), PHONE),
    # standalone years (1900-2099) are part of a date of birth
    (re.compile(rf"(?<!\w)(?:19|20){_D}{{2}}(?!\w)"), DATE),
    # record-number-like tokens: letters and 3+ digits mixed, or 5+ digits
    (re.compile(r"(?<!\w)(?=(?:[A-Za-z-]*\d){3})(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]*(?!\w)"), NUMBER),
    (re.compile(rf"(?<!\w){_D}{{5,}}(?!\w)"), NUMBER),
    # a name after a title: "Mr Smith", "Frau Dr. Müller", "Sra. García"
    (re.compile(r"\b(?:mr|mrs|ms|miss|mx|dr|prof|herr|frau|sr|sra|srta|mme|mlle|monsieur|madame|señor|señora)"
                r"\.?\s+(?:(?:dr|prof)\.?\s+)?[^\W\d_][\w'-]*(?:\s+[A-ZÀ-Þ][\w'-]*)?", re.IGNORECASE), NAME),
)
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)


def _date_forms(born: date) -> set[str]:
    forms = set()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y",
                "%B %d, %Y", "%d %B %Y", "%b %d, %Y", "%d %b %Y"):
        forms.add(born.strftime(fmt))
    forms.add(f"{born.day}.{born.month}.{born.year}")
    forms.add(f"{born.day}/{born.month}/{born.year}")
    forms.add(f"{born.month}/{born.day}/{born.year}")
    return forms


def _name_parts(name: str) -> list[str]:
    """"Müller-Lüdenscheidt" → the whole and each part, so either typed alone is found."""
    parts: list[str] = []
    for word in _WORD.findall(name):
        parts.append(word)
        parts.extend(p for p in re.split(r"['’-]", word) if p != word)
    return parts


def scrub(question: str, terms: ScrubTerms | None = None) -> Scrubbed:
    """``question`` with identifiers replaced by placeholders, and how many were replaced."""
    text = unicodedata.normalize("NFC", question)
    count = 0
    terms = terms or ScrubTerms()

    # 1. The patient's own literal identifiers (record number, phone, e-mail, date of birth).
    literals = [t for t in (terms.record_number, terms.phone, terms.email, *terms.extra) if t and t.strip()]
    # "MRN-00555" typed as "00555": the record number's numeric parts are identifiers on their own
    record_parts = [p for p in re.split(r"[\W_]+", terms.record_number or "") if len(p) >= 3 and any(c.isdigit() for c in p)]
    literals.extend(record_parts)
    if terms.date_of_birth is not None:
        literals.extend(_date_forms(terms.date_of_birth))
    for literal in sorted(set(literals), key=len, reverse=True):
        pattern = re.compile(rf"(?<!\w){re.escape(literal.strip())}(?!\w)", re.IGNORECASE)
        text, n = pattern.subn(NUMBER if literal in (terms.record_number, *terms.extra, *record_parts) else
                               EMAIL if literal == terms.email else
                               PHONE if literal == terms.phone else DATE, text)
        count += n

    # 2. Patterns: e-mails, links, dates, labelled numbers, phones, record-like tokens, titled names.
    for pattern, placeholder in _PATTERNS:
        text, n = pattern.subn(placeholder, text)
        count += n

    # 3. The patient's names, word by word, ignoring case and accents.
    name_words = {fold(w) for name in terms.names for w in _name_parts(name or "") if len(w) >= 2}
    name_words |= {fold(w) for extra in terms.extra for w in _name_parts(extra) if len(w) >= 3}
    if name_words:
        def replace(match: re.Match[str]) -> str:
            nonlocal count
            if fold(match.group(0)) in name_words:
                count += 1
                return NAME
            # "Müller's", "O'Brien-Smith": any part that is a name word hides the whole token
            parts = re.split(r"['’-]", match.group(0))
            if any(fold(p) in name_words for p in parts if len(p) >= 2):
                count += 1
                return NAME
            return match.group(0)

        text = _WORD.sub(replace, text)
    return Scrubbed(text, count)


def clean_question(question: str, terms: ScrubTerms | None = None) -> Scrubbed:
    """Validate a question typed by the clinician and scrub it."""
    question = " ".join((question or "").split())
    if len(question) > MAX_QUESTION_CHARS:
        raise ValidationError(
            _("The question is too long (at most {n} characters).").format(n=MAX_QUESTION_CHARS), field="question"
        )
    return scrub(question, terms)


SYSTEM_PROMPT = (
    "You help a dermatologist explain the result of an automated dermoscopy analysis to their patient. "
    "Write for the patient in {language_name} (language code {language}), in plain words a 12-year-old "
    "can follow, in at most 200 words. The result comes from a computer model and is NOT a diagnosis: only "
    "the dermatologist who examined the patient can diagnose, and the patient should follow their "
    "dermatologist's advice. Do not give doses, do not promise outcomes, do not alarm; say which changes "
    "should make the patient contact their dermatologist promptly. Use reputable medical sources (WHO, "
    "national health services, dermatology associations, DermNet) and cite them. If the question is not "
    "about skin health, politely decline."
)


def _context_block(context: PatientContext) -> str:
    lines = [
        f"Most likely class according to the model: {context.lesion_class} "
        f"({LESION_CLASS_NAMES[context.lesion_class]})",
        "Model probabilities: " + ", ".join(f"{c} {p:.2f}" for c, p in context.probabilities),
    ]
    if context.malignancy is not None:
        lines.append(f"Combined probability of the malignant classes: {context.malignancy:.2f}"
                     + ("" if context.suspicious is None else
                        f" ({'above' if context.suspicious else 'below'} the clinic's referral threshold)"))
    if context.metrics:
        lines.append("Lesion measurements: " + ", ".join(
            f"{m.name} {m.value:.3g}{(' ' + m.unit) if m.unit else ''}" for m in context.metrics))
    if context.quality_flags:
        lines.append("Image quality concerns: " + ", ".join(context.quality_flags))
    lines.append(f"Patient age band: {context.age_band}")
    return "\n".join(lines)


def build_messages(context: PatientContext, question: Scrubbed) -> list[dict[str, str]]:
    """The chat messages to send: a system prompt and the allow-listed context plus the scrubbed question.

    Takes a :class:`Scrubbed` (not a ``str``) so an unscrubbed question cannot be passed by mistake.
    """
    if not isinstance(question, Scrubbed):
        raise TypeError("build_messages needs a scrubbed question (see scrub())")
    system = SYSTEM_PROMPT.format(language_name=_ENGLISH_LANGUAGE_NAMES[context.language],
                                  language=context.language)
    asked = question.text.strip() or "Please explain this result to me."
    user = f"{_context_block(context)}\n\nThe patient's question: {asked}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


_ENGLISH_LANGUAGE_NAMES = {
    "en": "English", "de": "German", "es": "Spanish", "fr": "French",
    "hi": "Hindi", "ta": "Tamil", "te": "Telugu", "ar": "Arabic",
}
