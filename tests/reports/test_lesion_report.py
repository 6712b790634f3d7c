"""The lesion report: every number it prints is in its text layer as the report formats it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from pdf_text import norm, pdf_pages, pdf_text, pdftotext
from report_samples import METRICS, PROBABILITIES, report_data

from dermstation.core.domain import LESION_CLASS_NAMES
from dermstation.reports import render_lesion_report
from dermstation.reports.data import MetricLine
from dermstation.reports.layout import number, percent, signed_percent
from dermstation.reports.lesion_report import format_metric


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    return render_lesion_report(report_data())


def test_pdf_is_one_page_a4(sample_pdf: bytes) -> None:
    assert sample_pdf.startswith(b"%PDF-")
    assert pdf_pages(sample_pdf) == 1


def test_identifiers_diagnosis_and_statement(sample_pdf: bytes) -> None:
    text = pdf_text(sample_pdf)
    for expected in ("Okonkwo-Whitfield, Adaeze Margarethe", "MRN-004711", "April 23, 1979", "Female",
                     "left upper back", "Riverside Dermatology Clinic",
                     "Suspected melanoma — excision biopsy", "Asymmetric, 4 colours, grew 1 mm in 6 months.",
                     "Dr Derma Smith", "ham10000-effnet-b0 1.3.0", "ph2-unet-seg 1.1.0", "run on CPU",
                     "decision support only", "November 3, 2025",
                     "The lesion touches the image border: part of it may be missing."):
        assert expected in text, expected


def test_probabilities_malignancy_and_threshold(sample_pdf: bytes) -> None:
    text = pdf_text(sample_pdf)
    for cls, p in PROBABILITIES:
        assert LESION_CLASS_NAMES[cls] in text
        assert percent(p, "en") in text
    assert "41.2%" in text and "42.8%" in text  # the formatting itself, spelled out once
    assert "Malignancy score: 46.7%; threshold: 35.0%" in text
    assert "Above the threshold" in text
    assert "Most likely class: Melanocytic nevus (42.8%)" in text


def test_metrics_and_change_since_last_visit(sample_pdf: bytes) -> None:
    text = pdf_text(sample_pdf)
    for m in METRICS:
        assert m.label in text
        assert norm(format_metric(m, "en")) in text
        assert norm(format_metric(MetricLine(m.name, m.label, m.previous, m.unit), "en")) in text
        assert signed_percent(m.change_pct, "en") in text
    assert norm("38.5 mm²") in text and "+23.3%" in text and "8.4 mm" in text


def test_poppler_reads_the_same(sample_pdf: bytes) -> None:
    text = pdftotext(sample_pdf)
    if text is None:
        pytest.skip("pdftotext is not installed")
    assert "Okonkwo-Whitfield, Adaeze Margarethe" in text and "MRN-004711" in text
    assert "Suspected melanoma" in text and "46.7%" in text and norm("38.5 mm²") in text


def test_long_name_unassessed_no_history_no_cam() -> None:
    name = "Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh, Maximiliana Alexandra Konstantina Bartholomea"
    data = report_data(
        patient=replace(report_data().patient, full_name=name),
        assessment=None, previous_visit=None, cam_rgb=None, quality_flags=(),
        metrics=tuple(replace(m, previous=None) for m in METRICS), malignancy=0.12,
    )
    text = pdf_text(render_lesion_report(data))
    assert "Maximiliana Alexandra Konstantina Bartholomea" in text
    assert "Wolfeschlegelsteinhausenbergerdorff" in text
    assert "Not yet assessed by a clinician." in text
    assert "Last visit" not in text and "Image quality: no problems found." in text
    assert "Below the threshold" in text and "12.0%" in text


def test_german_number_format() -> None:
    text = pdf_text(render_lesion_report(report_data(language="de")))
    assert percent(0.467, "de") == "46,7\u00a0%"
    assert "46,7 %" in text and norm(number(38.46, 1, "de") + " mm²") in text


def test_non_latin_patient_name_and_site_unknown() -> None:
    data = report_data(patient=replace(report_data().patient, full_name="कुमार, राम"), lesion_site="elsewhere")
    pdf = render_lesion_report(data)
    # pypdf splits Devanagari words at shaped glyphs' offsets; poppler keeps them whole
    assert "कुमार,राम" in pdf_text(pdf).replace(" ", "")
    poppler = pdftotext(pdf)
    assert poppler is None or "कुमार, राम" in poppler
    text = pdf_text(pdf)
    assert "Site not on the diagram" in text


def test_grey_and_small_images_render() -> None:
    grey = np.full((40, 30, 3), 128, np.uint8)
    pdf = render_lesion_report(report_data(image_rgb=grey, overlay_rgb=None, cam_rgb=None))
    assert pdf.startswith(b"%PDF-")


def test_markup_in_user_text_is_escaped() -> None:
    data = report_data(assessment=replace(report_data().assessment, notes="<b>bold</b> & <script> 5 < 7"))
    text = pdf_text(render_lesion_report(data))
    assert "<b>bold</b> & <script> 5 < 7" in text


def test_renders_from_several_threads_at_once() -> None:
    """The UI renders on its worker pool: concurrent renders must not disturb each other."""
    from concurrent.futures import ThreadPoolExecutor

    from report_samples import summary_data

    from dermstation.reports import render_patient_summary

    lesion = report_data()
    summaries = [summary_data(lang) for lang in ("hi", "ar", "de", "en")]
    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(lambda _i: render_lesion_report(lesion), range(4)))
        letters = list(pool.map(render_patient_summary, summaries * 2))
    texts = {pdf_text(pdf) for pdf in reports}
    assert len(texts) == 1 and "MRN-004711" in texts.pop()
    assert [pdf_text(a) == pdf_text(b) for a, b in zip(letters[:4], letters[4:], strict=True)] == [True] * 4
