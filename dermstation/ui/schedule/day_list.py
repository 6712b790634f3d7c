"""The printable day list: an HTML table rendered by QTextDocument onto a printer or a PDF file."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter

from dermstation.core.i18n import _
from dermstation.services.appointments import status_label
from dermstation.services.reception_types import AppointmentInfo
from dermstation.ui.schedule.timefmt import clock_label, day_heading


def day_list_html(clinic: str, day: date, appointments: Sequence[AppointmentInfo], scope: str) -> str:
    rows = []
    for a in appointments:
        rows.append(
            "<tr>"
            f"<td>{clock_label(a.start)}–{clock_label(a.end)}</td>"
            f"<td><b>{html.escape(a.patient_name)}</b><br/><small>{html.escape(a.record_number)}</small></td>"
            f"<td>{html.escape(a.dermatologist_name)}</td>"
            f"<td>{html.escape(a.reason)}</td>"
            f"<td>{html.escape(status_label(a.status))}</td>"
            "<td width='80'></td>"
            "</tr>"
        )
    body = "".join(rows) or f"<tr><td colspan='6'><i>{html.escape(_('No appointments.'))}</i></td></tr>"
    heads = (_("Time"), _("Patient"), _("Dermatologist"), _("Reason"), _("Status"), _("Arrived"))
    return (
        "<html><body style='font-family: sans-serif; font-size: 10pt;'>"
        f"<h2>{html.escape(clinic or _('Day list'))}</h2>"
        f"<p>{html.escape(day_heading(day))} · {html.escape(scope)}</p>"
        "<table width='100%' cellspacing='0' cellpadding='5' border='1' style='border-collapse: collapse;'>"
        "<tr>" + "".join(f"<th align='left'>{html.escape(h)}</th>" for h in heads) + "</tr>"
        f"{body}</table>"
        f"<p><small>{html.escape(_('Confidential: contains patient data.'))}</small></p>"
        "</body></html>"
    )


def print_html(document_html: str, printer: QPrinter) -> None:
    document = QTextDocument()
    document.setHtml(document_html)
    printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                      printer.pageLayout().margins()))
    document.print_(printer)


def print_html_to_pdf(document_html: str, path: Path) -> None:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    print_html(document_html, printer)
