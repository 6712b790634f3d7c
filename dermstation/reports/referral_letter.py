"""A referral letter to a chosen hospital: who, why, how urgent, and for each lesion the clinician's
signed diagnosis (with its codes), plan, the picture they chose and the notes they chose to include;
the AI score only as decision support."""

from __future__ import annotations

import io
from datetime import date

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from dermstation.core.i18n import _
from dermstation.reports.data import ReferralData, ReferralLesion
from dermstation.reports.layout import (
    ALERT,
    CONTENT_TOP_GAP,
    MARGIN,
    PAGE,
    RTL_LANGUAGES,
    RULE,
    Styles,
    day,
    image_flowable,
    make_styles,
    page_furniture,
    para,
    percent,
    signed_percent,
)
from dermstation.reports.lesion_report import SEX_LABELS, decision_support_statement, format_metric

URGENCY_LABELS = {"routine": "Routine", "soon": "Soon (within 2 weeks)", "urgent": "Urgent"}


def _address_block(lines: list[str], s: Styles) -> list[object]:
    return [para(line, s.body) for line in lines if line]


def _lesion_rows(lesion: ReferralLesion, s: Styles, width: float, language: str) -> Table:
    facts: list[object] = [para(_("Site") + ": " + lesion.site, s.cell_bold, bold=True),
                           para(_("Clinical diagnosis") + ": " + lesion.diagnosis, s.cell_bold, bold=True)]
    if lesion.codes:
        facts.append(para(lesion.codes, s.cell))
    if lesion.plan:
        facts.append(para(_("Plan") + ": " + lesion.plan, s.cell))
    if lesion.signed:
        facts.append(para(lesion.signed, s.cell))
    if lesion.notes:
        facts.append(para(_("Clinician's notes") + ": " + lesion.notes, s.cell))
    if lesion.malignancy is not None and lesion.threshold is not None:
        above = lesion.malignancy >= lesion.threshold
        facts.append(para(
            _("AI score (decision support)") + f": {percent(lesion.malignancy, language)} "
            + "(" + _("threshold") + f" {percent(lesion.threshold, language)}; "
            + (_("above") if above else _("below")) + ")", s.cell))
    for m in lesion.key_metrics:
        line = f"{_(m.label)}: {format_metric(m, language)}"  # stored English, shown translated
        if m.change_pct is not None:
            line += " (" + _("change since last visit") + f" {signed_percent(m.change_pct, language)})"
        facts.append(para(line, s.cell))
    image_w = 52 * mm
    cells: list[object] = [facts]
    widths = [width]
    if lesion.image_rgb is not None:
        cells = [image_flowable(lesion.image_rgb, image_w, 42 * mm), facts]
        widths = [image_w + 6, width - image_w - 6]
    table = s.table([cells], colWidths=widths)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    return table


def render_referral_letter(data: ReferralData) -> bytes:
    """The referral letter as PDF bytes (A4)."""
    s = make_styles(rtl=data.language in RTL_LANGUAGES)
    lang = data.language
    width = PAGE[0] - 2 * MARGIN
    p = data.patient
    urgency = _(URGENCY_LABELS.get(data.urgency, data.urgency))
    h = data.hospital
    recipient = _address_block([h.name, h.address, h.city, h.country, h.phone, h.email], s)
    sender = _address_block([data.clinic.name, data.clinic.address, data.clinic.phone, data.clinic.email], s)
    top = s.table([[recipient, sender + [Spacer(1, 4), para(day(data.letter_date or date.today(), lang), s.body)]]],
                colWidths=[width * 0.55, width * 0.45])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    subject = _("Referral") + f": {p.full_name}, " + _("born") + f" {day(p.date_of_birth, lang)}, " \
        + _("record number") + f" {p.record_number}"
    urgent = data.urgency in ("urgent", "soon")
    urgency_box = s.table([[para(_("Urgency") + ": " + urgency, s.cell_bold, bold=True)]], colWidths=[width])
    urgency_box.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1, ALERT if urgent else RULE),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fdf0ef") if urgent else colors.HexColor("#f5f7fa")),
    ]))
    patient_rows = [
        [para(_("Patient"), s.muted), para(p.full_name, s.cell_bold, bold=True)],
        [para(_("Record number"), s.muted), para(p.record_number, s.cell)],
        [para(_("Date of birth"), s.muted), para(day(p.date_of_birth, lang), s.cell)],
        [para(_("Sex"), s.muted), para(_(SEX_LABELS.get(p.sex, p.sex or "Not stated")), s.cell)],
    ]
    if data.patient_phone:
        patient_rows.append([para(_("Phone"), s.muted), para(data.patient_phone, s.cell)])
    if data.patient_address:
        patient_rows.append([para(_("Address"), s.muted), para(data.patient_address, s.cell)])
    patient_table = s.table(patient_rows, colWidths=[width * 0.22, width * 0.78])
    patient_table.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))

    story: list[object] = [
        top, Spacer(1, 8),
        para(subject, s.h2),
        urgency_box, Spacer(1, 6),
        para(_("Dear colleagues,"), s.body),
        para(_("I would be grateful if you would see the patient below for the following reason:"), s.body),
        para(data.reason, s.body, bold=True),
        Spacer(1, 4),
        patient_table,
    ]
    if data.lesions:
        story += [para(_("Lesions"), s.h2)] + [_lesion_rows(lesion, s, width, lang) for lesion in data.lesions]
    models = "; ".join(f"{m.name} {m.version}" for m in data.models)
    note = decision_support_statement() + (" " + _("Models") + f": {models}." if models else "")
    story += [Spacer(1, 6), para(note, s.muted)]
    story.append(KeepTogether([
        Spacer(1, 10), para(_("Yours sincerely,"), s.body), Spacer(1, 14 * mm),
        para(data.referring_clinician, s.body, bold=True), para(data.clinic.name, s.body),
    ]))

    buf = io.BytesIO()
    clinic_line = " · ".join(x for x in (data.clinic.address, data.clinic.phone, data.clinic.email) if x)
    furniture = page_furniture(_("Referral letter"), data.clinic.name, clinic_line,
                               f"{p.record_number} · {p.full_name}", "", lambda n: _("Page") + f" {n}",
                               rtl=data.language in RTL_LANGUAGES)
    doc = SimpleDocTemplate(buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN + CONTENT_TOP_GAP, bottomMargin=MARGIN + 6 * mm,
                            title=_("Referral letter"), author=data.clinic.name, creator="DermStation",
                            lang=data.language)
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buf.getvalue()
