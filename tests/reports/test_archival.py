"""PDF/A-2u: what the reports declare and the parts of the standard a reader can check without a validator
(veraPDF is not installable here: see reports/archival.py)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from report_samples import referral_data, report_data, summary_data

from dermstation.core import i18n
from dermstation.reports import render_lesion_report, render_patient_summary, render_referral_letter

REPORTS = {
    "lesion report": lambda: render_lesion_report(report_data()),
    "patient summary": lambda: render_patient_summary(summary_data("ar", name="فاطمة الزهراء")),
    "referral letter": lambda: render_referral_letter(referral_data(language="hi")),
}


def _xmp_value(xmp: str, tag: str) -> str:
    match = re.search(rf"<{tag}>(?:<rdf:\w+><rdf:li[^>]*>)?(.*?)(?:</rdf:li></rdf:\w+>)?</{tag}>", xmp, re.S)
    assert match, f"no {tag} in the XMP packet"
    return match.group(1)


def _info_date(value: str) -> datetime:
    # D:YYYYMMDDHHmmSS+HH'mm'
    m = re.fullmatch(r"D:(\d{14})([+-])(\d\d)'(\d\d)'", value)
    assert m, value
    stamp = datetime.strptime(m.group(1) + m.group(2) + m.group(3) + m.group(4), "%Y%m%d%H%M%S%z")
    return stamp.astimezone(UTC)


@pytest.mark.parametrize("report", REPORTS)
def test_reports_declare_pdf_a_2u_and_keep_its_rules(report: str) -> None:
    try:
        i18n.set_language("hi" if report == "referral letter" else "en")
        pdf = REPORTS[report]()
    finally:
        i18n.set_language("en")
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]

    metadata = root["/Metadata"].get_object()
    assert "/Filter" not in metadata  # the XMP stream stays readable without decoding
    xmp = metadata.get_data().decode("utf-8")
    assert _xmp_value(xmp, "pdfaid:part") == "2" and _xmp_value(xmp, "pdfaid:conformance") == "U"
    info = reader.metadata
    assert _xmp_value(xmp, "dc:title") == info["/Title"]  # the information dictionary and XMP agree
    assert _xmp_value(xmp, "pdf:Producer") == info["/Producer"]
    assert _xmp_value(xmp, "xmp:CreatorTool") == info["/Creator"] == "DermStation"
    created = datetime.fromisoformat(_xmp_value(xmp, "xmp:CreateDate"))
    assert created == _info_date(info["/CreationDate"]) == datetime.fromisoformat(_xmp_value(xmp, "xmp:ModifyDate"))

    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3 and profile.get_data()[36:40] == b"acsp"  # an ICC profile with 3 components

    assert reader.trailer.get("/ID") and "/Encrypt" not in reader.trailer
    for page in reader.pages:
        for name, font in page["/Resources"]["/Font"].items():
            font = font.get_object()
            descriptor = font["/FontDescriptor"].get_object()  # no standard-14 font without a program
            assert "/FontFile2" in descriptor, f"{name} {font['/BaseFont']} is not embedded"
            assert "/ToUnicode" in font, f"{name} {font['/BaseFont']} maps no glyph to Unicode"
            if descriptor["/Flags"] & 4:  # symbolic TrueType: no /Encoding
                assert "/Encoding" not in font
