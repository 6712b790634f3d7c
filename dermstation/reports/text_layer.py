"""Make shaped text searchable: give glyphs that only a shaper picks their real characters in the PDF.

When reportlab shapes Devanagari, Tamil or Telugu it draws conjuncts, half forms and vowel-sign
variants that have no code point of their own; it maps them to private-use code points, so copying,
searching or extracting the text loses them ("त्वचा" reads "वचा"). Here the font's GSUB table is read
backwards (which characters each substituted glyph stands for) and reportlab's ToUnicode CMap writer
is wrapped to map those glyphs to their characters. Only our registered report fonts are touched,
and only their private-use entries; without fontTools nothing changes.

What this cannot fix: a glyph drawn before the consonant it belongs to (the Devanagari short i, the
Tamil e/ai signs) is still extracted in drawing order.
"""

from __future__ import annotations

import importlib.util
import threading
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
