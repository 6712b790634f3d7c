"""Fonts: every script gets a font that has its glyphs, complex scripts are shaped when uharfbuzz is
installed, and the report still renders without it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pdf_text import pdf_text
from pypdf import PdfReader
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate

from dermstation.reports import fonts, text_layer
from dermstation.reports.fonts import (
    ARABIC,
    DEVANAGARI,
    FAMILIES,
    FONTS_DIR,
    LATIN,
    SYMBOLS,
    TAMIL,
    TELUGU,
    markup,
    register_fonts,
    runs,
    shaping_available,
)

SAMPLES = {
    DEVANAGARI: "त्वचा की जाँच क्षति",
    TELUGU: "చర్మ పరీక్ష",
    TAMIL: "தோல் பரிசோதனை",
    ARABIC: "فحص الجلد",
}


def test_fonts_and_licence_are_shipped_small() -> None:
    files = [FONTS_DIR / name for f in FAMILIES.values() for name in (f.regular_file, f.bold_file)]
    assert all(p.is_file() for p in files)
    assert sum(p.stat().st_size for p in files) < 4_000_000
    licence = (FONTS_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL Open Font License" in licence and "Version 1.1" in licence and "PERMISSION & CONDITIONS" in licence


def test_each_font_has_its_scripts_glyphs() -> None:
    register_fonts()
    from reportlab.pdfbase import pdfmetrics

    for script, text in SAMPLES.items():
        face = pdfmetrics.getFont(FAMILIES[script].regular).face
        letters = [c for c in text if not c.isspace()]
        assert all(ord(c) in face.charToGlyph for c in letters), script
    latin = pdfmetrics.getFont(FAMILIES[LATIN].regular).face
    assert all(ord(c) in latin.charToGlyph for c in "Ärztin Müller São Ñandú œuvre ΔE mm² €")


def test_runs_keep_words_whole_and_arabic_phrases_together() -> None:
    assert runs("Patient: राम कुमार (MRN-1) ठीक") == [
        (LATIN, "Patient: "), (DEVANAGARI, "राम कुमार "), (LATIN, "(MRN-1) "), (DEVANAGARI, "ठीक")]
    # spaces and digits the Arabic font has stay in the Arabic run; '(' it lacks does not
    assert runs("فحص الجلد 12 (x)") == [(ARABIC, "فحص الجلد 12 "), (LATIN, "(x)")]
    assert runs("తెలుగు தமிழ்") == [(TELUGU, "తెలుగు "), (TAMIL, "தமிழ்")]
    assert runs("") == [] and runs("  ") == [(LATIN, "  ")]


def test_markup_escapes_and_switches_fonts() -> None:
    assert markup("a < b & c") == "a &lt; b &amp; c"
    assert markup("x राम") == f'x <font name="{FAMILIES[DEVANAGARI].regular}">राम</font>'
    assert markup("ok", bold=True) == f'<font name="{FAMILIES[LATIN].bold}">ok</font>'
    # Noto Sans has no ≥: the DejaVu Sans subset draws it (it printed as ">=" before)
    assert markup("≥5 %") == f'<font name="{FAMILIES[SYMBOLS].regular}">≥</font>5 %'
    assert markup("−2.5%") == f'<font name="{FAMILIES[SYMBOLS].regular}">−</font>2.5%'


def _render(text: str, shaping: int) -> bytes:
    register_fonts()
    buf = io.BytesIO()
    style = ParagraphStyle("t", fontName=fonts.BASE_FONT, fontSize=12, leading=16, shaping=shaping)
    SimpleDocTemplate(buf).build([Paragraph(markup(text), style)])
    return buf.getvalue()


def _shaped_glyphs(pdf: bytes, font_name: str) -> int:
    """How many glyphs of ``font_name`` only a shaper would pick: conjuncts and half forms have no code
    point of their own (mapped to several characters by text_layer, or to private use without
    fontTools), joined Arabic letters are presentation forms."""
    count = 0
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if font_name in str(font["/BaseFont"]) and "/ToUnicode" in font:
                cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
                for target in re.findall(r"<[0-9A-F]{2}> <([0-9A-F]+)>", cmap):
                    code = int(target[:4], 16)
                    count += (len(target) > 4 or 0xE000 <= code <= 0xF8FF or 0xFB50 <= code <= 0xFDFF
                              or 0xFE70 <= code <= 0xFEFF)
    return count


@pytest.mark.skipif(not shaping_available(), reason="uharfbuzz is not installed")
@pytest.mark.parametrize("script", [DEVANAGARI, ARABIC, TAMIL, TELUGU])
def test_complex_scripts_are_shaped(script: str) -> None:
    name = FAMILIES[script].regular_file.removesuffix(".ttf")  # the PostScript name in the PDF
    assert _shaped_glyphs(_render(SAMPLES[script], shaping=1), name) > 0
    assert _shaped_glyphs(_render(SAMPLES[script], shaping=0), name) == 0


def test_reports_render_without_shaping(monkeypatch: pytest.MonkeyPatch) -> None:
    from report_samples import summary_data

    from dermstation.reports import layout
    from dermstation.reports.patient_summary import render_patient_summary

    monkeypatch.setattr(layout, "shaping_available", lambda: False)
    pdf = render_patient_summary(summary_data("hi", name="राम कुमार"))
    assert pdf.startswith(b"%PDF-")
    assert "राम" in pdf_text(pdf)


def test_font_dir_is_inside_the_package() -> None:
    assert Path(fonts.__file__).parent in FONTS_DIR.parents


@pytest.mark.skipif(not (shaping_available() and text_layer.available()), reason="needs uharfbuzz and fontTools")
def test_shaped_conjuncts_keep_their_characters_in_the_text_layer() -> None:
    pdf = _render("त्वचा की जाँच क्षति प्रकार · தமிழ் நாடு · చర్మం", shaping=1)
    flat = pdf_text(pdf).replace(" ", "")
    for word in ("त्वचा", "क्ष", "प्रकार", "தமிழ்", "நாடு"):
        assert word in flat, word
    # known limit: a vowel sign drawn before its consonant is extracted in drawing order ("क्षति" -> "क्षित")
    assert not re.search("[\ue000-\uf8ff]", pdf_text(pdf))  # no private-use characters left


def test_glyph_texts_read_gsub_backwards() -> None:
    if not text_layer.available():
        pytest.skip("fontTools is not installed")
    texts = text_layer.glyph_texts(FONTS_DIR / FAMILIES[DEVANAGARI].regular_file)
    assert "क्ष" in texts.values() and "त्" in texts.values()
