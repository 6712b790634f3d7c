"""Copy-paste and search in every script: every word of every string a report draws comes back from
poppler's reading of its text layer (pdftotext, installed by scripts/setup.sh), in all eight languages and
every report type.

The words expected are those of the strings the report itself hands to the text drawing (recorded at
``fonts.markup`` / ``fonts.visual_markup``), so a new heading or label is checked without listing it here;
the patient's name is in the language's script with a comma between family and given names. Compared
after NFKC (the Latin "ff" ligature); Arabic must come back in base letters (no presentation forms) and
in reading order.

Measured 2026-11-29 before the bidi/ActualText work (issue 19): Arabic lesion report 226/241 words,
patient summary 262/267, referral letter 214/219, visit report 156/170, and those only after NFKC
(presentation forms, words in reverse order on the page); Hindi lesion report 262/264. Now: all of them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from report_samples import CLINIC, METRICS, ph2_image, referral_data, report_data, summary_data

from dermstation.core import i18n
from dermstation.reports import fonts, render_lesion_report, render_patient_summary, render_referral_letter
from dermstation.reports.data import (
    Assessment,
    PatientIdentifiers,
    ReferralLesion,
    VisitLesion,
    VisitReportData,
)
from dermstation.reports.visit_report import render_visit_report

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                reason="pdftotext (poppler-utils) is not installed: scripts/setup.sh installs it")

LANGUAGES = ("en", "de", "es", "fr", "hi", "ta", "te", "ar")
NAMES = {"en": "Okonkwo-Whitfield, Adaeze", "de": "Groß, Jürgen", "es": "Núñez, José", "fr": "Lefèvre, Hélène",
         "hi": "शर्मा, राम कुमार", "ta": "முருகன், செல்வி", "te": "రెడ్డి, లక్ష్మి", "ar": "الزهراء، فاطمة"}
PUNCTUATION = ".,;:!?()[]«»\"'،؛·—–-•/"
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u2066\u2067\u2068\u2069"))


def _patient(lang: str) -> PatientIdentifiers:
    return PatientIdentifiers(NAMES[lang], "MRN-004711", date(1979, 4, 23), "female")


def _visit(lang: str) -> VisitReportData:
    rgb, _mask = ph2_image()
    lesion = VisitLesion(i18n._("left upper back"), "L2", None, rgb, METRICS, date(2025, 11, 3), "stored",
                         Assessment("Suspected melanoma", "Asymmetric, 4 colours.", "Dr Derma Smith", None),
                         0.467, 0.35)
    return VisitReportData(CLINIC, _patient(lang), date(2026, 5, 14), lesions=(lesion,), language=lang)


def _referral(lang: str) -> bytes:
    changes: dict[str, object] = {"patient": _patient(lang), "language": lang}
    if lang == "ar":
        # what a clinic working in Arabic writes itself (reason, signed diagnosis, plan, notes) in Arabic:
        # poppler reads a page mostly in Latin letters as left-to-right, lines of Arabic included
        rgb, _mask = ph2_image()
        changes["reason"] = "آفة مصطبغة متغيرة في أعلى الظهر الأيسر، يشتبه في ورم ميلانيني. يرجى التقييم للاستئصال."
        changes["lesions"] = (ReferralLesion(
            "أعلى الظهر الأيسر", "ورم ميلانيني سطحي منتشر", "SNOMED CT 254730000 · ICD-10 C43.5",
            "إحالة عاجلة إلى المستشفى", "وقّعه د. سامي حداد، 14 مايو 2026 (الإصدار 1)",
            "غير متناظرة، أربعة ألوان، نمت 1 مم في ستة أشهر.", 0.467, 0.35, METRICS[:2], rgb),)
    return render_referral_letter(referral_data(**changes))


REPORTS: dict[str, Callable[[str], bytes]] = {
    "lesion report": lambda lang: render_lesion_report(report_data(patient=_patient(lang), language=lang)),
    "patient summary": lambda lang: render_patient_summary(summary_data(lang, name=NAMES[lang])),
    "referral letter": _referral,
    "visit report": lambda lang: render_visit_report(_visit(lang)),
}


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The strings the report draws, as written (before any reordering for the page)."""
    texts: list[str] = []
    markup, visual_markup = fonts.markup, fonts.visual_markup
    inside = [False]

    def record_markup(text: str, bold: bool = False) -> str:
        if not inside[0]:
            texts.append(text)
        return markup(text, bold)

    def record_visual(text: str, bold: bool = False, rtl: bool = False) -> str:
        texts.append(text)
        inside[0] = True
        try:
            return visual_markup(text, bold, rtl)
        finally:
            inside[0] = False

    monkeypatch.setattr(fonts, "markup", record_markup)
    monkeypatch.setattr(fonts, "visual_markup", record_visual)
    yield texts


def _pdftotext(pdf: bytes) -> str:
    """poppler's text, as a reader copies it: only the Latin ligatures (ﬀ, ﬁ) spelled out, whitespace
    collapsed, and the invisible direction marks (poppler's around right-to-left lines, ours after an Arabic
    word's final punctuation) dropped."""
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60).stdout
    text = re.sub("[\ufb00-\ufb06]", lambda m: unicodedata.normalize("NFKC", m.group()), out.decode("utf-8"))
    return re.sub(r"\s+", " ", re.sub("[\u200e\u200f\u202a-\u202e]", "", text))


def _words(texts: list[str]) -> list[str]:
    out: dict[str, None] = {}
    for text in texts:
        for part in unicodedata.normalize("NFC", text.translate(BIDI_CONTROLS)).split():
            word = part.strip(PUNCTUATION)
            if word:
                out[word] = None
    return list(out)


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_word_comes_back(lang: str, report: str, drawn: list[str]) -> None:
    try:
        i18n.set_language(lang)
        pdf = REPORTS[report](lang)
    finally:
        i18n.set_language("en")
    raw = _pdftotext(pdf)
    words = _words(drawn)
    assert len(words) > 80, f"{lang} {report}: only {len(words)} words recorded"
    missing = [w for w in words if w not in raw]
    assert not missing, f"{lang} {report}: {len(words) - len(missing)}/{len(words)} words, missing {missing[:10]}"
    if lang == "ar":
        assert NAMES["ar"] in raw  # family name, comma, given name: in this order
        forms = [c for c in raw if 0xFB50 <= ord(c) <= 0xFDFF or 0xFE70 <= ord(c) <= 0xFEFF]
        assert not forms, f"Arabic presentation forms in the text layer: {''.join(forms[:20])}"


def test_a_number_beside_an_arabic_comma_stays_one_number() -> None:
    """poppler read "2025،" as one right-to-left word ("5202،") until a 1-point space parted them."""
    markup = fonts.visual_markup("التغيُّر مقارنةً بصورة 3 نوفمبر 2025، من القياسات", rtl=True)
    assert '<font size="1"> </font>' in markup
    assert re.search(r"2025", markup)
