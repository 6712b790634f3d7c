"""Right-to-left text in the reports: the order in which a line's pieces are drawn.

reportlab lays a paragraph's words out left to right in the order they are written; its own bidi support
needs a package (rlbidi) that is not on PyPI and is switched off for paragraphs with several fonts, which
ours always are. HarfBuzz already draws each Arabic word's letters right to left, so what is left is the
order of the words, numbers and Latin names on each line: the Unicode bidirectional algorithm (UAX #9),
here without explicit embeddings, which report text never holds (the invisible marks Babel puts into
Arabic dates are read as the strong characters they are, then dropped).

A line is cut into pieces: an Arabic word as it will be shaped (HarfBuzz reverses it as a whole, so it
must stay in logical order) or any other single character. Pieces get levels, are reordered (rule L2),
and brackets on right-to-left levels are mirrored. Each piece becomes its own font run.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

_OPENING = {"(": ")", "[": "]", "{": "}"}
_MIRRORS = dict(zip("()[]{}<>«»‹›≤≥", ")(][}{><»«›‹≥≤", strict=True))
# bidi controls: read for their direction, never drawn (poppler cannot give them back either)
_CONTROLS = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NEUTRAL = frozenset({"B", "S", "WS", "ON", "BN", "LRE", "LRO", "RLE", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})
# a number with its sign (or ≥, ≤ before it: never mirrored then), separators, the invisible marks Babel puts into Arabic dates, and a percent sign
_NUMBER = re.compile(r"(?:(?<![^\s(])[+\u2212\u00b1\u2264\u2265<>~\u2248-])?\d+(?:[.,:/\u200e\u200f]+\d+)*(?:\u00a0?%)?")
_ARABIC_PUNCTUATION = frozenset("\u060c\u061b\u061f")
_SPACE = re.compile(r"[ \t\r\n\f\v]+")  # where reportlab breaks lines (not at no-break spaces)


@dataclass
class _Piece:
    text: str
    kind: str  # resolved bidi class: L, R, EN, AN or a neutral
    level: int = 0


def has_rtl(text: str) -> bool:
    """Whether ``text`` holds a right-to-left letter (then its order on the page needs this module)."""
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def _is_arabic_letter(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def _pieces(text: str, shaped_together: list[tuple[str, str]]) -> list[_Piece]:
    """``text``'s pieces: each right-to-left word of ``shaped_together`` (the (script, chunk) font runs of
    ``text``) whole, each number whole (isolated: "46.7%", "+23.3%", "≥5" and "14/05/2026" read left to
    right and copy as written), every other character alone."""
    scripts = [script for script, chunk in shaped_together for _c in chunk]
    out: list[_Piece] = []
    for token in re.finditer(r"\s+|\S+", text):
        start = token.start()
        for arabic, group in itertools.groupby(range(token.start(), token.end()), key=lambda i: scripts[i] == "arabic"):
            indices = list(group)
            part = text[indices[0]:indices[-1] + 1]
            if arabic and any(_is_arabic_letter(c) for c in part):
                out.extend(_others(text[start:indices[0]]))
                out.append(_Piece(part, "AL"))
                start = indices[-1] + 1
        out.extend(_others(text[start:token.end()]))
    return out


def _others(text: str) -> list[_Piece]:
    """Pieces of text outside Arabic words: numbers whole, other characters alone."""
    out: list[_Piece] = []
    end = 0
    for match in _NUMBER.finditer(text):
        if any(c.isalpha() for c in text[:match.start()]):
            continue  # digits inside a name or code ("b0", "MRN-004711") stay with its letters
        out.extend(_Piece(c, unicodedata.bidirectional(c) or "ON") for c in text[end:match.start()])
        # an isolate: neutral to its neighbours, left to right inside (UAX #9 FSI..PDI)
        out.append(_Piece("".join(c for c in match.group() if c not in _CONTROLS), "ON"))
        end = match.end()
    out.extend(_Piece(c, unicodedata.bidirectional(c) or "ON") for c in text[end:])
    return out


def _resolve(pieces: list[_Piece], rtl: bool) -> None:
    """Rules W1-W7, N1-N2, I1-I2 of UAX #9 for one paragraph level without embeddings."""
    base = 1 if rtl else 0
    sos = "R" if rtl else "L"
    prev = sos
    for p in pieces:  # W1: a mark takes its base's class
        if p.kind == "NSM":
            p.kind = prev if prev not in ("LRI", "RLI", "FSI", "PDI") else "ON"
        prev = p.kind
    strong = sos
    for p in pieces:  # W2, W3
        if p.kind == "EN" and strong == "AL":
            p.kind = "AN"
        if p.kind in ("L", "R", "AL"):
            strong = p.kind
    for p in pieces:
        if p.kind == "AL":
            p.kind = "R"
    for i in range(1, len(pieces) - 1):  # W4
        a, b, c = pieces[i - 1].kind, pieces[i].kind, pieces[i + 1].kind
        if b == "ES" and a == c == "EN" or b == "CS" and a == c and a in ("EN", "AN"):
            pieces[i].kind = a
    for i, p in enumerate(pieces):  # W5: currency and percent signs next to a number
        if p.kind == "ET":
            j = i
            while j < len(pieces) and pieces[j].kind == "ET":
                j += 1
            if (i > 0 and pieces[i - 1].kind == "EN") or (j < len(pieces) and pieces[j].kind == "EN"):
                for k in range(i, j):
                    pieces[k].kind = "EN"
    for p in pieces:  # W6
        if p.kind in ("ES", "ET", "CS"):
            p.kind = "ON"
    strong = sos
    for p in pieces:  # W7
        if p.kind == "EN" and strong == "L":
            p.kind = "L"
        if p.kind in ("L", "R"):
            strong = p.kind

    def direction(kind: str) -> str | None:
        return "L" if kind in ("L", "QL") else "R" if kind in ("R", "EN", "AN", "QR") else None

    _pair_brackets(pieces, "R" if rtl else "L", sos, direction)
    i = 0
    while i < len(pieces):  # N1, N2
        if direction(pieces[i].kind) is not None:
            i += 1
            continue
        j = i
        while j < len(pieces) and direction(pieces[j].kind) is None:
            j += 1
        before = direction(pieces[i - 1].kind) if i > 0 else sos
        after = direction(pieces[j].kind) if j < len(pieces) else sos
        for k in range(i, j):
            pieces[k].kind = "N" + (before if before == after else sos)
        i = j
    for p in pieces:  # I1, I2
        kind = p.kind[-1] if p.kind[0] in "NQ" else p.kind
        if base == 0:
            p.level = 1 if kind == "R" else 2 if kind in ("EN", "AN") else 0
        else:
            p.level = 2 if kind in ("L", "EN", "AN") else 1


def _pair_brackets(pieces: list[_Piece], embedding: str, sos: str, direction: object) -> None:
    """Rule N0: a pair of brackets takes the paragraph's direction when the text inside has a letter of that
    direction, else the other one when the text inside and before it are of the other; so "(أقصى قطر Feret)"
    in an Arabic line keeps its closing bracket with its opening one."""
    stack: list[tuple[int, str]] = []
    pairs: list[tuple[int, int]] = []
    for i, p in enumerate(pieces):
        if p.kind != "ON":
            continue
        if p.text in _OPENING:
            stack.append((i, _OPENING[p.text]))
        elif p.text in _OPENING.values():
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][1] == p.text:
                    pairs.append((stack[k][0], i))
                    del stack[k:]
                    break
    for start, end in sorted(pairs):
        inside = {direction(pieces[k].kind) for k in range(start + 1, end)} - {None}  # type: ignore[operator]
        if not inside:
            continue
        if embedding in inside:
            resolved = embedding
        else:
            before = next((d for k in range(start - 1, -1, -1) if (d := direction(pieces[k].kind))), sos)  # type: ignore[operator]
            resolved = before if before != embedding else embedding
        pieces[start].kind = pieces[end].kind = "Q" + resolved


def visual_order(text: str, rtl: bool, runs: list[tuple[str, str]]) -> list[str]:
    """One line's pieces in the order they are drawn from left to right (rule L2), brackets mirrored on
    right-to-left levels, bidi controls dropped. ``runs`` is ``fonts.runs(text)``."""
    pieces = _pieces(text, runs)
    _resolve(pieces, rtl)
    top = max((p.level for p in pieces), default=0)
    lowest_odd = 1
    for level in range(top, lowest_odd - 1, -1):
        i = 0
        while i < len(pieces):
            if pieces[i].level < level:
                i += 1
                continue
            j = i
            while j < len(pieces) and pieces[j].level >= level:
                j += 1
            pieces[i:j] = reversed(pieces[i:j])
            i = j
    out = []
    for p in pieces:
        if p.text in _CONTROLS:
            continue
        out.append(_MIRRORS.get(p.text, p.text) if p.level % 2 and p.kind[0] in "NQ" else p.text)
    return out


def number_meets_arabic_punctuation(left: str, right: str) -> bool:
    """Whether two pieces drawn side by side are a number and an Arabic comma, semicolon or question mark."""
    pair = {left, right}
    return bool(pair & _ARABIC_PUNCTUATION) and any(_NUMBER.fullmatch(p) for p in pair)


def line_words(text: str) -> list[str]:
    """The words reportlab breaks ``text`` into."""
    return [w for w in _SPACE.split(text) if w]
