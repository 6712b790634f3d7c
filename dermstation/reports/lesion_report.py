"""The lesion report: patient, site, images, model output, measurements and the clinician's assessment."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from dermstation.core.domain import LESION_CLASS_NAMES, MALIGNANT_CLASSES
from dermstation.core.i18n import _
from dermstation.reports.body_diagram import body_diagram
from dermstation.reports.charts import malignancy_gauge, probability_chart
from dermstation.reports.data import MetricLine, ReportData
from dermstation.reports.layout import (
    ACCENT,
    ALERT,
    CONTENT_TOP_GAP,
    MARGIN,
    PAGE,
    RTL_LANGUAGES,
    RULE,
    WARN_BG,
    WARN_EDGE,
    Styles,
    day,
    image_flowable,
    make_styles,
    moment,
    number,
    page_furniture,
    para,
    percent,
    signed_percent,
)

SEX_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not stated"}


def decision_support_statement() -> str:
    return _(
        "The AI output in this report is decision support only. It is not a diagnosis: the diagnosis is the "
        "clinician's, made with the history, the examination and, where needed, histology."
    )


def format_metric(line: MetricLine, language: str) -> str:
    """A measurement as the report prints it (value and unit)."""
    if line.name.startswith("colour_") and line.unit == "":
        return percent(line.value, language, 0)
    digits = {"count": 0, "px": 0, "px²": 0, "": 2}.get(line.unit, 1)
    text = number(line.value, digits, language)
    unit = "" if line.unit in ("", "count") else line.unit
    return f"{text} {unit}".strip()


def _table(rows: list[list[object]], widths: list[float], s: Styles, header: bool = True, zebra: bool = True) -> Table:
    table = s.table(rows, colWidths=widths, repeatRows=1 if header else 0)
    cmds: list[tuple[object, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
    ]
    if header:
        cmds += [("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT)]
    if zebra:
        cmds += [("ROWBACKGROUNDS", (0, 1 if header else 0), (-1, -1), [colors.white, colors.HexColor("#f5f7fa")])]
    table.setStyle(TableStyle(cmds))
    return table


def _patient_block(data: ReportData, s: Styles, width: float) -> Table:
    p = data.patient
    lang = data.language
    cells = [
        [para(_("Patient"), s.muted), para(_("Record number"), s.muted), para(_("Date of birth"), s.muted),
         para(_("Sex"), s.muted)],
        [para(p.full_name, s.cell_bold, bold=True), para(p.record_number, s.cell_bold, bold=True),
         para(day(p.date_of_birth, lang), s.cell), para(_(SEX_LABELS.get(p.sex, p.sex or "Not stated")), s.cell)],
        [para(_("Lesion site"), s.muted), para(_("Lesion"), s.muted), para(_("Image taken"), s.muted),
         para(_("Previous visit"), s.muted)],
        [para(data.lesion_site or "—", s.cell_bold, bold=True), para(data.lesion_label or "—", s.cell),
         para(moment(data.captured_at, lang), s.cell), para(day(data.previous_visit, lang), s.cell)],
    ]
    table = s.table(cells, colWidths=[width * 0.34, width * 0.22, width * 0.22, width * 0.22])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("LINEBELOW", (0, 1), (-1, 1), 0.3, RULE),
        ("BOX", (0, 0), (-1, -1), 0.6, RULE),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fafbfc")),
    ]))
    return table


def _images_row(data: ReportData, s: Styles, width: float) -> Table:
    diagram_h = 48 * mm
    diagram = body_diagram(data.lesion_site, diagram_h, _("Front"), _("Back"), _("Site not on the diagram"))
    rest = width - diagram.width - 6
    images = [(data.overlay_rgb if data.overlay_rgb is not None else data.image_rgb, _("Image with lesion outline"))]
    if data.cam_rgb is not None:
        images.append((data.cam_rgb, _("Model attention (activation map)")))
    cell_w = rest / len(images) - 4
    cells = [diagram] + [image_flowable(img, cell_w, diagram_h - 10) for img, _cap in images]
    captions = [para(_("Lesion site"), s.muted)] + [para(cap, s.muted) for _img, cap in images]
    table = s.table([cells, captions], colWidths=[diagram.width + 6] + [rest / len(images)] * len(images))
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _model_block(data: ReportData, s: Styles, width: float) -> list[object]:
    lang = data.language
    labels = {c: _(LESION_CLASS_NAMES.get(c, c)) for c, _p in data.probabilities}
    chart = probability_chart(data.probabilities, labels, frozenset(MALIGNANT_CLASSES), width * 0.6, lang,
                              top_class=data.top_class)
    gauge = malignancy_gauge(data.malignancy, data.threshold, width * 0.36, _("Malignancy score"),
                             _("threshold"), lang)
    top = data.top_class
    if data.threshold is None:  # an analysis stored without its threshold: nothing is guessed
        verdict = _("No operating threshold was recorded with this analysis.")
        score = _("Malignancy score") + f": {percent(data.malignancy, lang)}"
    else:
        verdict = (_("Above the threshold: the model rates this lesion as suspicious.") if data.suspicious
                   else _("Below the threshold: the model does not rate this lesion as suspicious."))
        score = (_("Malignancy score") + f": {percent(data.malignancy, lang)}; " + _("threshold")
                 + f": {percent(data.threshold, lang)}")
    right = [
        gauge,
        Spacer(1, 4),
        para(_("Most likely class") + ": " + labels.get(top, top) + " (" + percent(dict(data.probabilities).get(top, 0.0), lang) + ")", s.cell),
        Spacer(1, 2),
        para(score, s.cell),
        Spacer(1, 2),
        para(verdict, s.cell_bold if data.suspicious else s.cell, bold=data.suspicious),
    ]
    table = s.table([[chart, right]], colWidths=[width * 0.62, width * 0.38])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    if data.suspicious:
        table.setStyle(TableStyle([("LINEAFTER", (0, 0), (0, 0), 0.4, RULE)]))
    return [para(_("Model output"), s.h2), table]


def _metrics_block(data: ReportData, s: Styles, width: float) -> list[object]:
    if not data.metrics:
        return []
    lang = data.language
    has_previous = any(m.previous is not None for m in data.metrics)
    head = [_("Measurement"), _("Value")] + ([_("Last visit"), _("Change")] if has_previous else [])
    rows: list[list[object]] = [[para(h, s.cell_bold, bold=True) for h in head]]
    for m in data.metrics:
        row: list[object] = [para(_(m.label), s.cell), para(format_metric(m, lang), s.cell)]
        if has_previous:
            prev = MetricLine(m.name, m.label, m.previous, m.unit) if m.previous is not None else None
            change = m.change_pct
            row += [para(format_metric(prev, lang) if prev else "—", s.cell),
                    para(signed_percent(change, lang) if change is not None else "—", s.cell)]
        rows.append(row)
    widths = [width * 0.46, width * 0.18] + ([width * 0.18, width * 0.18] if has_previous else [])
    if not has_previous:
        widths = [width * 0.6, width * 0.4]
    title = _("Lesion measurements")
    if data.previous_visit is not None:
        title += " — " + _("change since the visit of") + " " + day(data.previous_visit, lang)
    return [para(title, s.h2), _table(rows, widths, s)]


def _quality_block(data: ReportData, s: Styles, width: float) -> list[object]:
    if not data.quality_flags:
        return [para(_("Image quality: no problems found."), s.small)]
    rows = [[para(_("Image quality warnings — interpret the model output with caution:"), s.cell_bold, bold=True)]]
    rows += [[para("• " + flag, s.cell)] for flag in data.quality_flags]
    table = s.table(rows, colWidths=[width])
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), WARN_BG),
        ("BOX", (0, 0), (-1, -1), 0.8, WARN_EDGE),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return [Spacer(1, 4), table]


def _assessment_block(data: ReportData, s: Styles, width: float) -> list[object]:
    lang = data.language
    out: list[object] = [para(_("Clinician's assessment"), s.h2)]
    a = data.assessment
    if a is None:
        out.append(para(_("Not yet assessed by a clinician."), s.body))
        rows = [[para(_("Diagnosis") + ":", s.cell), ""], [para(_("Signature") + ":", s.cell), ""]]
        t = s.table(rows, colWidths=[width * 0.2, width * 0.8], rowHeights=[14 * mm, 14 * mm])
        t.setStyle(TableStyle([("LINEBELOW", (1, 0), (1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
        out.append(t)
        return out
    rows = [[para(_("Diagnosis"), s.muted), para(a.diagnosis, s.cell_bold, bold=True)]]
    if a.codes:
        rows.append([para(_("Codes"), s.muted), para(a.codes, s.cell)])
    if a.plan:
        rows.append([para(_("Plan"), s.muted), para(a.plan, s.cell)])
    signed = a.signed_by + " · " + moment(a.signed_at, lang)
    if a.version > 1:
        signed += " · " + _("amended (version {n})").format(n=a.version)
    rows += [
        [para(_("Notes"), s.muted), para(a.notes or "—", s.cell)],
        [para(_("Signed by"), s.muted), para(signed, s.cell)],
        [para(_("Signature"), s.muted), ""],
    ]
    last = len(rows) - 1
    t = s.table(rows, colWidths=[width * 0.2, width * 0.8], rowHeights=[None] * last + [9 * mm])
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (1, last), (1, last), 0.5, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    out.append(t)
    return out


def _footer_block(data: ReportData, s: Styles, width: float) -> list[object]:
    lang = data.language
    models = "; ".join(f"{m.name} {m.version}" for m in data.models) or "—"
    line = _("Models") + f": {models}"
    if data.provider:
        line += " · " + _("run on") + f" {data.provider}"
    line += " · " + _("Report generated") + f" {moment(data.generated_at or datetime.now(UTC), lang)}"
    notice = s.table([[para(decision_support_statement(), s.notice, bold=True)]], colWidths=[width])
    notice.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1, ALERT),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fdf0ef")),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return [Spacer(1, 3), para(line, s.muted), Spacer(1, 2), notice]


def render_lesion_report(data: ReportData) -> bytes:
    """The lesion report as PDF bytes (A4). Pure: safe to call from any worker thread."""
    s = make_styles(rtl=data.language in RTL_LANGUAGES)
    buf = io.BytesIO()
    width = PAGE[0] - 2 * MARGIN
    clinic_line = data.clinic.header or " · ".join(
        x for x in (data.clinic.address, data.clinic.phone, data.clinic.email) if x)
    furniture = page_furniture(
        _("Lesion report"), data.clinic.name, clinic_line,
        f"{data.patient.record_number} · {data.patient.full_name}",
        _("AI output is decision support, not a diagnosis."),
        lambda n: _("Page") + f" {n}", rtl=data.language in RTL_LANGUAGES,
    )
    doc = SimpleDocTemplate(
        buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + CONTENT_TOP_GAP,
        bottomMargin=MARGIN + 8 * mm, title=_("Lesion report"), author=data.clinic.name,
        subject=data.patient.record_number, creator="DermStation", lang=data.language,
    )
    story: list[object] = [
        _patient_block(data, s, width),
        Spacer(1, 3),
        _images_row(data, s, width),
        *_model_block(data, s, width),
        *_footer_block(data, s, width),
        *_quality_block(data, s, width),
        CondPageBreak(40 * mm),
        *_metrics_block(data, s, width),
        KeepTogether(_assessment_block(data, s, width)),
    ]
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buf.getvalue()
