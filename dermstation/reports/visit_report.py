"""The visit report: every lesion photographed at one visit, with picture, site, sizes, change and the signed
diagnosis and plan. The diagnosis is always the clinician's; the AI score is printed as decision support."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, TableStyle

from dermstation.core.i18n import _, ngettext
from dermstation.reports.data import MetricLine, VisitLesion, VisitReportData
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
    moment,
    page_furniture,
    para,
    percent,
    signed_percent,
)
from dermstation.reports.lesion_report import SEX_LABELS, decision_support_statement, format_metric

VISIT_METRICS = ("diameter", "area", "asymmetry", "border_irregularity", "colour_count")
"""The measurements a visit report lists per lesion (the lesion report has the rest)."""


def _change_note(lesion: VisitLesion, language: str) -> str:
    if lesion.change_basis == "first":
        return _("First analysed picture of this lesion: no change to report.")
    since = day(lesion.previous_visit, language)
    if lesion.change_basis == "no_scale":
        return _("Sizes are in pixels without a known pixel size: no size change is reported against {day}. "
                 "Compare the pictures in History.").format(day=since)
    return _("Change against the picture of {day}, from the stored measurements of both pictures (not "
             "aligned); History shows the aligned comparison.").format(day=since)


def _metrics_table(lesion: VisitLesion, s: Styles, width: float, language: str) -> list[object]:
    lines = [m for m in lesion.metrics if m.name in VISIT_METRICS]
    if not lines:
        return [para(_("No measurements (the picture was not analysed).") if lesion.malignancy is None
                     else _("No measurements were stored with this analysis."), s.muted)]
    compared = lesion.change_basis != "first"
    head = [_("Measurement"), _("Value")] + ([_("Before"), _("Change")] if compared else [])
    rows: list[list[object]] = [[para(h, s.cell_bold, bold=True) for h in head]]
    for m in lines:
        row: list[object] = [para(_(m.label) if m.label else m.name, s.cell), para(format_metric(m, language), s.cell)]
        if compared:
            before = MetricLine(m.name, m.label, m.previous, m.unit) if m.previous is not None else None
            change = m.change_pct
            row += [para(format_metric(before, language) if before else "—", s.cell),
                    para(signed_percent(change, language) if change is not None else "—", s.cell)]
        rows.append(row)
    widths = [width * 0.4, width * 0.2, width * 0.2, width * 0.2] if compared else [width * 0.6, width * 0.4]
    table = s.table(rows, colWidths=widths)
    table.setStyle(TableStyle([
        ("TOPPADDING", (0, 0), (-1, -1), 0.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE), ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return [table, Spacer(1, 2), para(_change_note(lesion, language), s.muted)]


def _lesion_block(index: int, lesion: VisitLesion, s: Styles, width: float, language: str) -> KeepTogether:
    image_w = 42 * mm
    text_w = width - image_w - 8
    title = f"{index}. {lesion.site}" + (f" — {lesion.label}" if lesion.label else "")
    facts: list[object] = [para(title, s.h2), para(_("Picture taken") + ": " + moment(lesion.captured_at, language),
                                                   s.muted)]
    a = lesion.assessment
    if a is not None:
        facts.append(para(_("Diagnosis (signed)") + ": " + a.diagnosis, s.cell_bold, bold=True))
        if a.codes:
            facts.append(para(a.codes, s.muted))
        facts.append(para(_("Plan") + ": " + (a.plan or "—"), s.cell))
        signed = _("Signed by {name}, {when}").format(name=a.signed_by, when=moment(a.signed_at, language))
        if a.version > 1:
            signed += " · " + _("amended (version {n})").format(n=a.version)
        facts.append(para(signed, s.muted))
    else:
        facts.append(para(_("Diagnosis: not yet signed by a clinician."), s.cell_bold, bold=True))
    facts.append(Spacer(1, 3))
    facts += _metrics_table(lesion, s, text_w, language)
    if lesion.malignancy is not None:
        support = _("AI decision support (not a diagnosis): malignancy score {score}").format(
            score=percent(lesion.malignancy, language))
        if lesion.threshold is not None:
            support += "; " + _("threshold") + " " + percent(lesion.threshold, language)
        facts += [Spacer(1, 2), para(support, s.muted)]
    picture: object = (image_flowable(lesion.image_rgb, image_w, 40 * mm) if lesion.image_rgb is not None
                       else para(_("No picture"), s.muted))
    table = s.table([[picture, facts]], colWidths=[image_w + 8, text_w])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return KeepTogether([table, Spacer(1, 4)])


def render_visit_report(data: VisitReportData) -> bytes:
    """The visit report as PDF bytes (A4). Pure: safe to call from any worker thread."""
    s = make_styles(rtl=data.language in RTL_LANGUAGES)
    lang = data.language
    width = PAGE[0] - 2 * MARGIN
    p = data.patient
    clinic_line = data.clinic.header or " · ".join(
        x for x in (data.clinic.address, data.clinic.phone, data.clinic.email) if x)
    furniture = page_furniture(_("Visit report"), data.clinic.name, clinic_line, f"{p.record_number} · {p.full_name}",
                               _("AI output is decision support, not a diagnosis."), lambda n: _("Page") + f" {n}",
                               rtl=data.language in RTL_LANGUAGES)
    count = len(data.lesions)
    head = s.table([
        [para(_("Patient"), s.muted), para(_("Record number"), s.muted), para(_("Date of birth"), s.muted),
         para(_("Sex"), s.muted)],
        [para(p.full_name, s.cell_bold, bold=True), para(p.record_number, s.cell_bold, bold=True),
         para(day(p.date_of_birth, lang), s.cell), para(_(SEX_LABELS.get(p.sex, p.sex or "Not stated")), s.cell)],
    ], colWidths=[width * 0.4, width * 0.2, width * 0.2, width * 0.2])
    head.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.6, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fafbfc"))]))
    story: list[object] = [
        head, Spacer(1, 4),
        para(_("Visit of {day}").format(day=day(data.visit_date, lang)) + " · "
             + ngettext("{n} lesion seen", "{n} lesions seen", count).format(n=count), s.h2),
    ]
    if not data.lesions:
        story.append(para(_("No pictures were taken at this visit."), s.body))
    story += [_lesion_block(i, lesion, s, width, lang) for i, lesion in enumerate(data.lesions, 1)]
    models = "; ".join(f"{m.name} {m.version}" for m in data.models) or "—"
    notice = s.table([[para(decision_support_statement(), s.notice, bold=True)]], colWidths=[width])
    notice.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, ALERT),
                                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fdf0ef"))]))
    story += [Spacer(1, 4), notice, Spacer(1, 2),
              para(_("Models") + f": {models} · " + _("Report generated") + " "
                   + moment(data.generated_at or datetime.now(UTC), lang), s.muted)]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN + CONTENT_TOP_GAP, bottomMargin=MARGIN + 8 * mm,
                            title=_("Visit report"), author=data.clinic.name, subject=p.record_number,
                            creator="DermStation", lang=data.language)
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buf.getvalue()
