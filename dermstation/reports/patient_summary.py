"""A one-page summary for the patient in the patient's language: what the doctor found (the signed,
coded diagnosis), what happens next (the signed plan: the follow-up date, the biopsy, the referral
hospital), warning signs, how to protect the skin and, when the clinician approved one, the
explanation with its numbered sources and who wrote it.

The wording comes from :mod:`dermstation.core.patient_text` (one reviewed text per ``patient_key`` and
plan, per language), chosen by the signed code and plan only. Values filled in from the record (a
date, a hospital, a name) are set on their own line rather than inside a sentence, so no sentence
mixes a right-to-left script with a left-to-right name.
"""

from __future__ import annotations

import io
import re
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from dermstation.core.diagnoses import PatientKey
from dermstation.core.errors import ValidationError
from dermstation.core.i18n import SUPPORTED_LANGUAGES, _
from dermstation.core.patient_text import CANCER_KEYS, PLAN_TEXT_KEYS, patient_text
from dermstation.reports.data import PatientSummaryData, SummaryExplanation
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

FOLLOW_UP_PLANS = ("monitor", "dermoscopic_follow_up")
REFERRAL_PLANS = ("referral_urgent", "referral_routine")
_MARKDOWN = re.compile(r"^#{1,6}\s+|\*\*|__")


def available_languages() -> tuple[str, ...]:
    return tuple(SUPPORTED_LANGUAGES)


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


def _explanation(explanation: SummaryExplanation, words: Any, s: Styles, width: float, rtl: bool) -> list[Any]:
    origin = {"online": words["online"], "offline": words["offline"], "clinician": words["clinician"]}
    story: list[Any] = [para(words["heading"], s.h2),
                        para(origin.get(explanation.written_by, words["clinician"]), s.muted)]
    for block in explanation.text.split("\n\n"):
        lines = [_MARKDOWN.sub("", line).strip() for line in block.strip().split("\n")]
        lines = [line for line in lines if line]
        bullets: list[str] = []
        for i, line in enumerate(lines):
            if line[:2] in ("• ", "- ", "* "):  # list items as a bullet table, mirrored for right-to-left
                bullets.append(line[2:].strip())
                continue
            if bullets:
                story.append(_bullets(bullets, s, width, rtl))
                bullets = []
            # a short first line of a block is its heading
            story.append(para(line, s.body, bold=i == 0 and len(lines) > 1 and len(line) < 80))
        if bullets:
            story.append(_bullets(bullets, s, width, rtl))
    if explanation.sources:
        story.append(para(words["sources"], s.small, bold=True))
        story.extend(para(f"[{i}] {title} — {url}", s.small)
                     for i, (title, url) in enumerate(explanation.sources, start=1))
    return story


def _check(data: PatientSummaryData) -> None:
    try:
        PatientKey(data.patient_key)
    except ValueError:
        raise ValidationError(_("Unknown diagnosis for the patient summary"), field="patient_key",
                              details=repr(data.patient_key)) from None
    if data.plan not in PLAN_TEXT_KEYS:
        raise ValidationError(_("Unknown plan for the patient summary"), field="plan", details=repr(data.plan))


def _render(data: PatientSummaryData, scale: float) -> tuple[bytes, int]:
    """The PDF at a type ``scale``, and its page count."""
    _check(data)
    lang = data.language if data.language in SUPPORTED_LANGUAGES else "en"
    t = patient_text(lang)
    labels = t.labels
    rtl = lang in RTL_LANGUAGES
    s = make_styles(rtl=rtl, scale=scale)
    width = PAGE[0] - 2 * MARGIN
    story: list[Any] = [para(t.title, s.h1)]
    if data.age_band == "0-17":
        story.append(para(t.for_parents, s.muted))
    story.append(_rows(
        [(para(labels["patient"], s.muted), para(data.patient_name, s.body, bold=True)),
         (para(labels["record_number"], s.muted), para(data.record_number, s.body)),
         (para(labels["date"], s.muted), para(day(data.visit_date, lang), s.body)),
         (para(labels["site"], s.muted), para(data.lesion_site or "—", s.body)),
         (para(labels["clinician"], s.muted), para(data.clinician or "—", s.body))],
        (width * 0.3, width * 0.7), rtl,
        [("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE)]))

    diagnosis = t.diagnosis(data.patient_key)
    story.append(para(labels["result"], s.h2))
    story.append(para(diagnosis.name, s.body, bold=True))
    story.append(para(diagnosis.plain, s.body))
    if PatientKey(data.patient_key) in CANCER_KEYS:
        story.append(para(t.reassurance_malignant, s.body))

    story.append(para(labels["next"], s.h2))
    story.append(para(t.plan[data.plan], s.body))
    if data.plan in FOLLOW_UP_PLANS and data.follow_up_due is not None:
        story.append(para(day(data.follow_up_due, lang), s.body, bold=True))
    if data.plan in REFERRAL_PLANS and data.referral_hospital:
        story.append(para(data.referral_hospital, s.body, bold=True))

    story.append(KeepTogether([para(labels["warning_signs"], s.h2),
                               _box([_bullets(list(t.warning_signs), s, width - 14, rtl)], width, WARN_BG, WARN_EDGE)]))
    story.append(KeepTogether([para(labels["prevention"], s.h2), _bullets(list(t.prevention), s, width, rtl)]))
    if data.explanation is not None:
        story.extend(_explanation(data.explanation, t.explanation, s, width, rtl))
    story.append(Spacer(1, 6))
    contact = " · ".join(x for x in (data.clinic.phone, data.clinic.email) if x)
    story.append(_box([para(t.ai_note, s.small), Spacer(1, 3), para(labels["questions"], s.small, bold=True),
                       para(data.clinic.name, s.small), para(contact, s.small)],
                      width, colors.HexColor("#eef3f9"), ACCENT))

    buf = io.BytesIO()
    clinic_line = " · ".join(x for x in (data.clinic.address, data.clinic.phone) if x)
    furniture = page_furniture(t.header, data.clinic.name, clinic_line, data.record_number, "",
                               lambda n: f"{n}", rtl=rtl)
    doc = SimpleDocTemplate(buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN + CONTENT_TOP_GAP, bottomMargin=MARGIN + 6 * mm,
                            title=t.title, author=data.clinic.name, lang=lang, creator="DermStation")
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
