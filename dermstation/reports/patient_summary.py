"""A one-page summary for the patient in the patient's language: what was found, in plain words, what
happens next, how to protect the skin and when to come back sooner.

The wording lives in ``resources/patient_text/<lang>.json`` (one file per language, reviewed as a
whole); a language without a file falls back to English. Values filled in from the record (a date, a
hospital, a name) are set on their own line rather than inside a sentence, so no sentence mixes a
right-to-left script with a left-to-right name.
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from dermstation.core.domain import LESION_CLASSES, MALIGNANT_CLASSES
from dermstation.core.errors import ValidationError
from dermstation.reports.data import PatientSummaryData
from dermstation.reports.layout import (
    ACCENT,
    CONTENT_TOP_GAP,
    MARGIN,
    PAGE,
    RTL_LANGUAGES,
    RULE,
    WARN_BG,
    WARN_EDGE,
    Styles,
    day,
    make_styles,
    page_furniture,
    para,
)

TEXT_DIR = Path(__file__).resolve().parent / "resources" / "patient_text"
NEXT_STEPS = ("self_check", "no_action", "follow_up", "biopsy", "removal", "treatment", "referral")


def available_languages() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in TEXT_DIR.glob("*.json")))


@lru_cache(maxsize=16)
def patient_text(language: str) -> dict[str, Any]:
    """The wording for ``language`` (English when there is no file for it)."""
    path = TEXT_DIR / f"{language}.json"
    if not path.exists():
        path = TEXT_DIR / "en.json"
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _rows(items: list[tuple[Any, Any]], widths: tuple[float, float], rtl: bool, style: list[tuple[Any, ...]]) -> Table:
    """Two-column rows; mirrored for right-to-left languages (label on the right)."""
    data = [[b, a] if rtl else [a, b] for a, b in items]
    table = Table(data, colWidths=list(reversed(widths)) if rtl else list(widths))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5), *style]))
    return table


def _bullets(lines: list[str], s: Styles, width: float, rtl: bool) -> Table:
    return _rows([(para("•", s.body), para(line, s.body)) for line in lines], (5 * mm, width - 5 * mm), rtl,
                 [("LEFTPADDING", (0, 0), (-1, -1), 1), ("RIGHTPADDING", (0, 0), (-1, -1), 1)])


def _box(content: list[Any], width: float, background: colors.Color, edge: colors.Color) -> Table:
    table = Table([[content]], colWidths=[width])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), background), ("BOX", (0, 0), (-1, -1), 0.8, edge),
                               ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                               ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6)]))
    return table


def _render(data: PatientSummaryData, scale: float) -> tuple[bytes, int]:
    """The PDF at a type ``scale``, and its page count."""
    if data.diagnosis_class is not None and data.diagnosis_class not in LESION_CLASSES:
        raise ValidationError("Unknown diagnosis for the patient summary", field="diagnosis_class")
    unknown = [step for step in data.next_steps if step not in NEXT_STEPS]
    if unknown:
        raise ValidationError("Unknown next step for the patient summary", field="next_steps", details=str(unknown))
    lang = data.language if (TEXT_DIR / f"{data.language}.json").exists() else "en"
    t = patient_text(lang)
    labels = t["labels"]
    rtl = lang in RTL_LANGUAGES
    s = make_styles(rtl=rtl, scale=scale)
    width = PAGE[0] - 2 * MARGIN
    story: list[Any] = [para(t["title"], s.h1)]
    story.append(_rows(
        [(para(labels["patient"], s.muted), para(data.patient_name, s.body, bold=True)),
         (para(labels["record_number"], s.muted), para(data.record_number, s.body)),
         (para(labels["date"], s.muted), para(day(data.visit_date, lang), s.body)),
         (para(labels["site"], s.muted), para(data.lesion_site or "—", s.body)),
         (para(labels["clinician"], s.muted), para(data.clinician or "—", s.body))],
        (width * 0.3, width * 0.7), rtl,
        [("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE)]))

    story.append(para(labels["result"], s.h2))
    if data.diagnosis_class is None:
        story.append(para(t["undecided"], s.body))
    else:
        cls = t["classes"][data.diagnosis_class]
        story.append(para(cls["name"], s.body, bold=True))
        story.append(para(cls["plain"], s.body))
        if data.diagnosis_class in MALIGNANT_CLASSES:
            story.append(para(t["reassurance_malignant"], s.body))

    story.append(para(labels["next"], s.h2))
    for step in data.next_steps:
        story.append(para(t["next_steps"][step], s.body))
        if step == "follow_up" and data.follow_up is not None:
            story.append(para(day(data.follow_up, lang), s.body, bold=True))
        if step == "referral" and data.referral_hospital:
            story.append(para(data.referral_hospital, s.body, bold=True))

    story.append(KeepTogether([para(labels["warning_signs"], s.h2),
                               _box([_bullets(t["warning_signs"], s, width - 14, rtl)], width, WARN_BG, WARN_EDGE)]))
    story.append(KeepTogether([para(labels["prevention"], s.h2), _bullets(t["prevention"], s, width, rtl)]))
    story.append(Spacer(1, 6))
    contact = " · ".join(x for x in (data.clinic.phone, data.clinic.email) if x)
    story.append(_box([para(t["ai_note"], s.small), Spacer(1, 3), para(labels["questions"], s.small, bold=True),
                       para(data.clinic.name, s.small), para(contact, s.small)],
                      width, colors.HexColor("#eef3f9"), ACCENT))

    buf = io.BytesIO()
    clinic_line = " · ".join(x for x in (data.clinic.address, data.clinic.phone) if x)
    furniture = page_furniture(t["header"], data.clinic.name, clinic_line, data.record_number, "",
                               lambda n: f"{n}")
    doc = SimpleDocTemplate(buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN + CONTENT_TOP_GAP, bottomMargin=MARGIN + 6 * mm,
                            title=t["title"], author=data.clinic.name, lang=lang, creator="DermStation")
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buf.getvalue(), doc.page


def render_patient_summary(data: PatientSummaryData) -> bytes:
    """The patient summary as PDF bytes (A4): one page when slightly smaller type achieves it (some
    languages need more room for the same words), else as many as the text needs at full size."""
    first, pages = _render(data, 1.05)
    if pages == 1:
        return first
    for scale in (0.97, 0.9):
        pdf, pages = _render(data, scale)
        if pages == 1:
            return pdf
    return first
