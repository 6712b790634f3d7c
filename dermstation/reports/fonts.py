"""The report fonts: Noto Sans for Latin, Greek and Cyrillic plus Noto Sans Devanagari, Telugu, Tamil
and Arabic, shipped in ``resources/fonts`` (SIL OFL 1.1, see ``OFL.txt`` there), and a subset of DejaVu Sans
for the signs Noto Sans lacks (≥ ≤ ≈ − →; Bitstream Vera licence, see ``DejaVu-LICENSE.txt``).

reportlab draws a string in one font, so mixed text (a Hindi name in an English report) is cut into
script runs and each run gets the font that has its glyphs (``markup`` for paragraphs, ``runs`` for
canvas drawing). Complex scripts need shaping (conjuncts, vowel signs, Arabic joining): reportlab does
it through uharfbuzz when that is installed; without it the report still renders, less correctly.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import tables

from dermstation.reports import bidi, text_layer

FONTS_DIR = Path(__file__).resolve().parent / "resources" / "fonts"

LATIN = "latin"
DEVANAGARI = "devanagari"
TELUGU = "telugu"
TAMIL = "tamil"
ARABIC = "arabic"
SYMBOLS = "symbols"


@dataclass(frozen=True)
class FontFamily:
    script: str
    regular: str  # registered reportlab font names
    bold: str
    regular_file: str
    bold_file: str


FAMILIES: dict[str, FontFamily] = {
    LATIN: FontFamily(LATIN, "DSSans", "DSSans-Bold", "NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    DEVANAGARI: FontFamily(DEVANAGARI, "DSDeva", "DSDeva-Bold",
                           "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"),
    TELUGU: FontFamily(TELUGU, "DSTelu", "DSTelu-Bold", "NotoSansTelugu-Regular.ttf", "NotoSansTelugu-Bold.ttf"),
    TAMIL: FontFamily(TAMIL, "DSTaml", "DSTaml-Bold", "NotoSansTamil-Regular.ttf", "NotoSansTamil-Bold.ttf"),
    ARABIC: FontFamily(ARABIC, "DSArab", "DSArab-Bold", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
    SYMBOLS: FontFamily(SYMBOLS, "DSSymb", "DSSymb-Bold", "DejaVuSans-Symbols.ttf", "DejaVuSans-Bold-Symbols.ttf"),
}

BASE_FONT = FAMILIES[LATIN].regular
BOLD_FONT = FAMILIES[LATIN].bold

# (first, last) code points of each complex script; everything else is drawn with Noto Sans
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0600, 0x06FF, ARABIC), (0x0750, 0x077F, ARABIC), (0x08A0, 0x08FF, ARABIC),
    (0xFB50, 0xFDFF, ARABIC), (0xFE70, 0xFEFF, ARABIC),
    (0x0900, 0x097F, DEVANAGARI), (0xA8E0, 0xA8FF, DEVANAGARI), (0x1CD0, 0x1CFF, DEVANAGARI),
    (0x0C00, 0x0C7F, TELUGU),
    (0x0B80, 0x0BFF, TAMIL),
)
# joiners and marks shared by several scripts stay with the run they are in
_NEUTRAL = frozenset(" \t\n\u200c\u200d\u00a0.,;:!?()[]-–—/'\"%+×·0123456789")

_lock = threading.Lock()
_registered = False


def shaping_available() -> bool:
    """True when uharfbuzz is installed, so reportlab can shape complex scripts."""
    return importlib.util.find_spec("uharfbuzz") is not None


def register_fonts() -> None:
    """Register every family with reportlab (idempotent, thread-safe)."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        faces: dict[str, Path] = {}
        for family in FAMILIES.values():
            for name, file in ((family.regular, family.regular_file), (family.bold, family.bold_file)):
                font = TTFont(name, str(FONTS_DIR / file))
                pdfmetrics.registerFont(font)
                face = font.face.name
                faces[face.decode() if isinstance(face, bytes) else str(face)] = FONTS_DIR / file
            # <b> inside a paragraph switches to the bold face of the same family
            addMapping(family.regular, 0, 0, family.regular)
            addMapping(family.regular, 1, 0, family.bold)
            addMapping(family.regular, 0, 1, family.regular)
            addMapping(family.regular, 1, 1, family.bold)
        text_layer.install(faces)
        text_layer.install_actual_text()  # Indic runs copy and search in logical order
        # a page's initial font: ours, embedded (reportlab's default, Helvetica, is not: PDF/A forbids that)
        rl_config.canvas_basefontname = rl_config.defaultGraphicsFontName = FAMILIES[LATIN].regular
        tables.CellStyle.fontname = FAMILIES[LATIN].regular  # a table's (empty) text cells
        _registered = True


def script_of(char: str) -> str | None:
    """The complex script of ``char``; LATIN for other letters; None for neutral characters."""
    if char in _NEUTRAL:
        return None
    code = ord(char)
    for first, last, script in _RANGES:
        if first <= code <= last:
            return script
    return LATIN


def _covers(script: str, char: str) -> bool:
    """Whether ``script``'s regular font has a glyph for ``char`` (Noto Sans Arabic has no '(' or '%')."""
    register_fonts()
    face = pdfmetrics.getFont(FAMILIES[script].regular).face
    return ord(char) in face.charToGlyph


def _join(out: list[tuple[str, str]], script: str | None, chunk: str) -> None:
    """Append ``chunk`` to the last run when it fits there, else start a run."""
    if out and (script == out[-1][0] or (script is None and all(_covers(out[-1][0], c) for c in chunk))):
        out[-1] = (out[-1][0], out[-1][1] + chunk)
    else:
        out.append((script or LATIN, chunk))


def _with_symbols(out: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Signs Noto Sans lacks (≥, ≤, −, →) moved from Latin runs into runs of the symbols font."""
    result: list[tuple[str, str]] = []
    for script, chunk in out:
        if script != LATIN or all(_covers(LATIN, c) for c in chunk):
            result.append((script, chunk))
            continue
        for char in chunk:
            kind = SYMBOLS if not _covers(LATIN, char) and _covers(SYMBOLS, char) else LATIN
            if result and result[-1][0] == kind:
                result[-1] = (kind, result[-1][1] + char)
            else:
                result.append((kind, char))
    return result


def runs(text: str) -> list[tuple[str, str]]:
    """``text`` cut into (script, substring) runs, each drawn in one font. Neutral characters (spaces,
    digits, punctuation) stay in the run they follow when its font has them, so the spaces between
    Arabic words stay in one run and the whole phrase is shaped right-to-left; a word never mixes
    fonts unless its letters do (reportlab shapes a word in its first font)."""
    out: list[tuple[str, str]] = []
    for token in re.findall(r"\s+|\S+", text):
        letters = [script_of(c) for c in token]
        if all(s is None for s in letters):
            _join(out, None, token)
            continue
        # a word's leading punctuation goes with its first letter's script
        first = next(s for s in letters if s is not None)
        current, chunk = first, ""
        for char, script in zip(token, letters, strict=True):
            if script is None or script == current:
                if script is None and not _covers(current, char):
                    if chunk:
                        _join(out, current, chunk)
                    _join(out, LATIN, char)
                    chunk = ""
                    continue
                chunk += char
                continue
            if chunk:
                _join(out, current, chunk)
            current, chunk = script, char
        if chunk:
            _join(out, current, chunk)
    return _with_symbols(out)


def font_for(script: str, bold: bool = False) -> str:
    family = FAMILIES.get(script, FAMILIES[LATIN])
    return family.bold if bold else family.regular


def markup(text: str, bold: bool = False) -> str:
    """Paragraph markup for plain ``text``: XML-escaped, each complex-script run in its own font."""
    parts = []
    for script, chunk in runs(text):
        safe = escape(chunk).replace("\n", "<br/>")
        if script == LATIN and not bold:
            parts.append(safe)
        else:
            parts.append(f'<font name="{font_for(script, bold)}">{safe}</font>')
    return "".join(parts)


def visual_markup(text: str, bold: bool = False, rtl: bool = False) -> str:
    """Paragraph markup for ONE line of ``text`` with its words, numbers and Latin names in the order they
    are drawn (``reports.bidi``); ``rtl``: the line's base direction. Each right-to-left word gets a frag
    of its own so that nothing else is shaped with it."""
    pieces = bidi.visual_order(text, rtl, runs(text))
    parts: list[str] = []
    plain = ""
    for before, piece in zip(["", *pieces], pieces, strict=False):
        if bidi.number_meets_arabic_punctuation(before, piece):
            # a 1-point space: invisible, but copy-paste readers then take "،" and "2025" as two words
            # (as one, poppler reversed it: "2025،" came back as "5202،")
            parts += [markup(plain, bold), '<font size="1"> </font>']
            plain = ""
        if bidi.has_rtl(piece):
            parts += [markup(plain, bold), markup(piece, bold)]
            plain = ""
        else:
            plain += piece
    return "".join(parts) + markup(plain, bold)


def dominant_script(text: str) -> str:
    """The script most letters of ``text`` are in (LATIN when there are none)."""
    counts: dict[str, int] = {}
    for char in text:
        script = script_of(char)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else LATIN


def is_rtl(text: str) -> bool:
    return dominant_script(text) == ARABIC
