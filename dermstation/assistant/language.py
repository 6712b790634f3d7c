"""Is this answer written in the patient's language? Checked before an online answer may be shown.

Two tests, both offline: the writing system (Devanagari, Tamil, Telugu, Arabic or Latin letters must
make up most of the letters), then, for the languages that share the Latin alphabet (en, de, es, fr),
a language identifier (py3langid, a small bundled model) restricted to the eight languages the app
speaks. Medical terms, Latin names, URLs and citation marks are left out before counting, so an
English drug name in a Hindi answer does not tip the result.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

SCRIPTS: dict[str, str] = {"hi": "DEVANAGARI", "ta": "TAMIL", "te": "TELUGU", "ar": "ARABIC",
                           "en": "LATIN", "de": "LATIN", "es": "LATIN", "fr": "LATIN"}
MIN_SCRIPT_SHARE = 0.6  # of the letters; the rest may be drug names, abbreviations, units
MIN_LATIN_CONFIDENCE = 0.8

_NOISE = re.compile(r"https?://\S+|www\.\S+|\[\d+(?:[,-]\s*\d+)*\]|\bSPF\s*\d+|\b[A-Z]{2,}\b|\d+")


@dataclass(frozen=True)
class LanguageCheck:
    expected: str
    detected: str  # a language code, or "" when the text has too few letters to tell
    script_share: float  # share of the letters written in the expected language's script

    @property
    def matches(self) -> bool:
        return self.detected == self.expected


def _script_of(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else ""


@cache
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted(SCRIPTS))
    return identifier


def check_language(text: str, expected: str) -> LanguageCheck:
    """Which of the app's languages ``text`` is written in, compared with ``expected``."""
    cleaned = _NOISE.sub(" ", unicodedata.normalize("NFC", text or ""))
    letters = [ch for ch in cleaned if unicodedata.category(ch)[0] in "LM"]  # vowel signs are letters too
    if len(letters) < 20:
        return LanguageCheck(expected, "", 0.0)
    scripts: dict[str, int] = {}
    for ch in letters:
        script = _script_of(ch)
        scripts[script] = scripts.get(script, 0) + 1
    share = scripts.get(SCRIPTS.get(expected, "LATIN"), 0) / len(letters)
    dominant = max(scripts, key=scripts.__getitem__)
    by_script = {s: lang for lang, s in SCRIPTS.items() if s != "LATIN"}
    if dominant in by_script:
        detected = by_script[dominant] if scripts[dominant] / len(letters) >= MIN_SCRIPT_SHARE else ""
        return LanguageCheck(expected, detected, share)
    if dominant != "LATIN" or scripts[dominant] / len(letters) < MIN_SCRIPT_SHARE:
        return LanguageCheck(expected, "", share)
    latin_only = "".join(ch if _script_of(ch) in ("LATIN", "") or not ch.isalpha() else " " for ch in cleaned)
    language, confidence = _identifier().classify(latin_only)
    return LanguageCheck(expected, language if confidence >= MIN_LATIN_CONFIDENCE else "", share)
