"""Make shaped text searchable: give glyphs that only a shaper picks their real characters in the PDF.

When reportlab shapes Devanagari, Tamil or Telugu it draws conjuncts, half forms and vowel-sign
variants that have no code point of their own; it maps them to private-use code points, so copying,
searching or extracting the text loses them ("त्वचा" reads "वचा"). Here the font's GSUB table is read
backwards (which characters each substituted glyph stands for) and reportlab's ToUnicode CMap writer
is wrapped to map those glyphs to their characters. Only our registered report fonts are touched,
and only their private-use entries; without fontTools nothing changes.

A glyph drawn before the consonant it belongs to (the Devanagari short i, the Tamil e/ai signs) would
still be extracted in drawing order; the /ActualText spans at the end of this module give readers each
Indic run's characters in logical order instead.
"""

from __future__ import annotations

import contextlib
import importlib.util
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics, ttfonts

_PRIVATE = range(0xE000, 0xF900)
_lock = threading.Lock()
_installed = False
_faces: dict[str, Path] = {}  # PostScript face name -> font file


def available() -> bool:
    return importlib.util.find_spec("fontTools") is not None


@lru_cache(maxsize=16)
def glyph_texts(path: Path) -> dict[str, str]:
    """Glyph name -> the characters it stands for, from the cmap and the GSUB substitutions."""
    from fontTools.ttLib import TTFont as FontToolsFont

    font = FontToolsFont(str(path), lazy=True)
    text: dict[str, str] = {}
    for code, name in sorted(font.getBestCmap().items(), reverse=True):
        text[name] = chr(code)  # the lowest code point wins for glyphs mapped more than once
    if "GSUB" not in font:
        return text
    rules: list[tuple[str, tuple[str, ...]]] = []  # (output glyph, input glyphs)
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for sub in lookup.SubTable:
            kind = lookup.LookupType
            if kind == 7:  # extension: the real subtable inside
                kind, sub = sub.ExtensionLookupType, sub.ExtSubTable
            if kind == 1:
                rules += [(out, (inp,)) for inp, out in sub.mapping.items()]
            elif kind == 3:
                rules += [(alt, (inp,)) for inp, alts in sub.alternates.items() for alt in alts]
            elif kind == 4:
                rules += [(lig.LigGlyph, (first, *lig.Component))
                          for first, ligs in sub.ligatures.items() for lig in ligs]
    changed = True
    while changed:  # substitutions chain (a half form of a conjunct): repeat until nothing new
        changed = False
        for out, inputs in rules:
            if out not in text and all(g in text for g in inputs):
                text[out] = "".join(text[g] for g in inputs)
                changed = True
    return text


def _face_text(base_font_name: str, code: int) -> str | None:
    face_name = base_font_name.split("+", 1)[-1]
    path = _faces.get(face_name)
    if path is None:
        return None
    for font_name in list(pdfmetrics.getRegisteredFontNames()):
        font = pdfmetrics.getFont(font_name)
        face = getattr(font, "face", None)
        if face is None or getattr(face, "name", b"") not in (face_name, face_name.encode()):
            continue
        gid = face.charToGlyph.get(code)
        if gid is None:
            continue
        names = _glyph_order(path)
        if gid < len(names):
            return glyph_texts(path).get(names[gid])
    return None


@lru_cache(maxsize=16)
def _glyph_order(path: Path) -> tuple[str, ...]:
    from fontTools.ttLib import TTFont as FontToolsFont

    return tuple(FontToolsFont(str(path), lazy=True).getGlyphOrder())


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def install(fonts: dict[str, Path]) -> None:
    """Wrap reportlab's ToUnicode writer once; ``fonts`` maps PostScript face names to their files."""
    global _installed
    _faces.update(fonts)
    if _installed or not available():
        return
    with _lock:
        if _installed:
            return
        original = ttfonts.makeToUnicodeCMap

        def make_to_unicode_cmap(fontname: str, subset: list[int]) -> str:
            cmap = original(fontname, subset)
            if not any(code in _PRIVATE for code in subset):
                return cmap
            for index, code in enumerate(subset):
                if code in _PRIVATE:
                    text = _face_text(fontname, code)
                    if text:
                        cmap = cmap.replace(f"<{index:02X}> <{code:04X}>", f"<{index:02X}> <{_utf16_hex(text)}>", 1)
            return cmap

        make_to_unicode_cmap.__wrapped__ = original  # type: ignore[attr-defined]
        ttfonts.makeToUnicodeCMap = make_to_unicode_cmap
        _installed = True


# --- /ActualText: the source characters of each shaped word -------------------------------------------
# The ToUnicode fix-up above names each glyph's characters, but a vowel sign drawn before its consonant
# (Devanagari ि, Tamil ெ ே ை, Telugu split vowels) is still read in drawing order, a conjunct drawn as
# several glyphs is read piecewise, and Arabic comes back as presentation forms, each word reversed.
# PDF's /ActualText marked content gives a reader each word's characters in logical order instead
# (pdftotext, pdf.js and Acrobat honour it). reportlab's shaper keeps no link to the characters it
# shaped, so it is wrapped to remember them per word, and the text writer to emit one span per run
# (per word where a piece's characters are unknown).
# An Arabic word's span holds its letters (not presentation forms, with their vowel marks) in the order its
# glyphs are drawn, left to right: readers (poppler, pdf.js) take a line's characters as drawn and put a
# right-to-left line back into reading order themselves, so a span in reading order came out reversed
# (measured: 26 of 200 words); without spans, marks such as tanween were lost ("ورمًا" -> "ورما").

_actual_installed = False
_INDIC = ((0x0900, 0x0DFF), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF))
_ARABIC = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF))
Segment = tuple[int, int, "str | None"]  # start, end in the shaped string, the characters it stands for


def _is_indic(text: str) -> bool:
    return any(first <= ord(c) <= last for c in text for first, last in _INDIC)


def _is_arabic(text: str) -> bool:
    return any(first <= ord(c) <= last for c in text for first, last in _ARABIC)


def _spanned(text: str) -> bool:
    """Whether a shaped run of ``text`` gets an /ActualText span."""
    return _is_indic(text) or _is_arabic(text)


def _span_text(text: str) -> str:
    """An Arabic word's characters in drawing order (see above); any other text as it is. A word ending in
    punctuation ("الزهراء،") gets a right-to-left mark after it: readers take "،" and "." for left-to-right
    characters and would move them to the next word ("الزهراء ،فاطمة")."""
    if not _is_arabic(text) or _is_indic(text):
        return text
    if text and unicodedata.bidirectional(text[-1]) not in ("R", "AL", "NSM"):
        text += "\u200f"
    return text[::-1]


def _segments_of(shaped: object) -> list[Segment]:
    """The words a (joined) shaped string is made of, with their characters when known."""
    segments = getattr(shaped, "_segments", None)
    if segments is not None:
        return segments
    text = str(shaped)
    known = None if any(ord(c) in _PRIVATE for c in text) else text  # unshaped text is its own source
    return [(0, len(text), known)]


def _words(segments: list[Segment]) -> list[Segment]:
    """Adjacent pieces of one word merged (a reader puts a space between two spans)."""
    merged: list[Segment] = []
    for a, b, text in segments:
        if merged and text and merged[-1][2] and not text[:1].isspace() and not merged[-1][2][-1:].isspace():
            merged[-1] = (merged[-1][0], b, merged[-1][2] + text)
        else:
            merged.append((a, b, text))
    return merged


def _tag_pieces(word: list, shaped: list) -> None:
    """Give each (frag, ShapedStr) piece of a shaped frag word the characters its clusters cover."""
    text = "".join(s for f, s in word[1:] if not hasattr(f, "cbDefn"))
    pieces = [item[1] for item in shaped[1:] if isinstance(item, tuple) and getattr(item[1], "__shapeData__", None)]
    starts = sorted({min(d.cluster for d in s.__shapeData__) for s in pieces})
    for s in pieces:
        first = min(d.cluster for d in s.__shapeData__)
        later = [c for c in starts if c > first]
        s._segments = [(0, len(s), text[first:later[0] if later else len(text)])]


def install_actual_text() -> None:
    """Wrap reportlab's shaper and PDF text writer once (see the comment above)."""
    global _actual_installed
    if _actual_installed:
        return
    with _lock:
        if _actual_installed:
            return
        from reportlab.lib.rl_accel import fp_str
        from reportlab.pdfgen import textobject
        from reportlab.platypus import paragraph

        shaped_str = ttfonts.ShapedStr
        original_shape = ttfonts.shapeFragWord
        original_add, original_radd = shaped_str.__add__, shaped_str.__radd__
        original_format = textobject.PDFTextObject._formatText

        def shape_one(w, *args, **kwargs):  # type: ignore[no-untyped-def]
            new = original_shape(w, *args, **kwargs)
            if new is not w and isinstance(new, list) and len(new) > 1:
                # an unusual frag word keeps working, only without /ActualText
                with contextlib.suppress(TypeError, ValueError, AttributeError, IndexError):
                    _tag_pieces(w, new)
            return new

        def shape_frag_word(w, *args, **kwargs):  # type: ignore[no-untyped-def]
            # reportlab shapes a whole word with its first font: "(" in Noto Sans followed by an Arabic
            # word drew the Arabic letters as missing glyphs. Each font's piece is shaped on its own
            # (one piece per frag: reports.bidi puts a moved comma in a frag of its own, never shaped with the
            # Arabic word beside it, which HarfBuzz would draw on the word's other side)
            pieces = list(w[1:]) if isinstance(w, list) else []
            if (len(pieces) < 2 or isinstance(w, ttfonts.ShapedFragWord)
                    or any(hasattr(f, "cbDefn") for f, _s in pieces)):
                return shape_one(w, *args, **kwargs)
            width, items = 0.0, []
            for f, s in pieces:
                part = shape_one(w.__class__([pdfmetrics.stringWidth(s, f.fontName, f.fontSize), (f, s)]),
                                 *args, **{**kwargs, "force": True})
                width += part[0]
                items += part[1:]
            return ttfonts.makeShapedFragWord(w)([width, *items])

        def joined(result, left: object, right: object):  # type: ignore[no-untyped-def]
            shift = len(str(left))
            result._segments = _segments_of(left) + [(a + shift, b + shift, t) for a, b, t in _segments_of(right)]
            return result

        def add(self, other):  # type: ignore[no-untyped-def]
            return joined(original_add(self, other), self, other)

        def radd(self, other):  # type: ignore[no-untyped-def]
            return joined(original_radd(self, other), other, self)

        def format_text(self, text):  # type: ignore[no-untyped-def]
            segments = getattr(text, "_segments", None) if isinstance(text, shaped_str) else None
            if not segments or not any(t and _spanned(t) for _a, _b, t in segments):
                return original_format(self, text)
            if all(t is not None for _a, _b, t in segments):
                # one span for the run: a reader splits a word whose glyphs overlap (measured: "देती" -> "दे ती")
                segments = [(0, len(text), "".join(t for _a, _b, t in segments))]
            out = []
            for a, b, actual in _words(segments):
                part = original_format(self, text[a:b]) if b > a else ""
                if actual and part and _spanned(actual):  # even unchanged glyphs: a halant's overlap splits the word
                    part = f"/Span <</ActualText <FEFF{_utf16_hex(_span_text(actual))}>>> BDC {part} EMC"
                out.append(part)
            return " ".join(p for p in out if p)

        def set_rise(self, rise):  # type: ignore[no-untyped-def]
            # reportlab looks at the previous operator without checking there is one; a word drawn on its
            # own may start with a raised mark (an Arabic harakah, an Indic vowel sign)
            if not self._code:
                self._rise = rise
                self._y -= rise
                self._code.append(f"{fp_str(rise)} Ts")
            else:
                original_set_rise(self, rise)

        original_set_rise = textobject.PDFTextObject.setRise
        textobject.PDFTextObject.setRise = set_rise
        shaped_str.__add__, shaped_str.__radd__ = add, radd
        ttfonts.shapeFragWord = shape_frag_word
        paragraph.shapeFragWord = shape_frag_word
        textobject.PDFTextObject._formatText = format_text
        _actual_installed = True
