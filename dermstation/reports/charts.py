"""The class-probability chart: one horizontal bar per class, and the malignancy score against its
operating threshold.

Bars and lines are a reportlab Drawing; the words are drawn over it with ``layout.draw_text``, because a
Drawing's String neither shapes Arabic or Indic letters nor puts right-to-left words in reading order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from reportlab.graphics.shapes import Drawing, Group, Line, Rect
from reportlab.lib import colors

from dermstation.reports.fonts import LATIN, dominant_script, register_fonts
from dermstation.reports.layout import (
    ACCENT,
    ALERT,
    MUTED,
    RTL_LANGUAGES,
    RULE,
    Label,
    LabelledDrawing,
    percent,
    text_width,
)

BAR = colors.HexColor("#7a9cc6")
BAR_TOP = ACCENT
BAR_MALIGNANT = colors.HexColor("#d9822b")
LABEL_SIZE = 7.5
SMALLEST_LABEL = 5.0  # a long class name (Tamil, Telugu) is set smaller to fit its column, down to this
TWO_LINES_BELOW = 6.5  # ... or on two lines when one would be smaller than this


def _two_lines(text: str) -> list[str]:
    """``text`` cut at the space that best halves it (after a " / " when there is one); [] for one word."""
    words = text.split(" ")
    if len(words) < 2:
        return []
    cuts = [i for i in range(1, len(words)) if words[i - 1] == "/"] or list(range(1, len(words)))
    best = min(cuts, key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    return [" ".join(words[:best]), " ".join(words[best:])]


def fitted_size(text: str, room: float, bold: bool = False) -> float:
    """LABEL_SIZE, or smaller so that ``text`` fits in ``room`` points (never below SMALLEST_LABEL)."""
    width = text_width(text, LABEL_SIZE, bold)
    return LABEL_SIZE if width <= room else max(SMALLEST_LABEL, LABEL_SIZE * room / width)


def probability_chart(
    probabilities: Sequence[tuple[str, float]],
    labels: dict[str, str],
    malignant: frozenset[str] | set[str],
    width: float,
    language: str = "en",
    row: float = 13.0,
    top_class: str = "",
) -> LabelledDrawing:
    """Bars for each (class, p); the top class dark, malignant classes orange; percentages at the end."""
    register_fonts()
    label_w = width * 0.42
    value_w = 42.0
    bar_w = width - label_w - value_w
    top_class = top_class or max(probabilities, key=lambda cp: cp[1], default=("", 0.0))[0]
    rows: list[tuple[str, float, float, list[str]]] = []  # class, label size, row height, label lines
    for cls, _p in probabilities:
        name, is_top = labels.get(cls, cls), cls == top_class
        size = fitted_size(name, label_w - 6, is_top)
        lines = _two_lines(name) if size < TWO_LINES_BELOW else []
        height_of_row = row
        if lines:  # two lines at a readable size rather than one too small to read
            if dominant_script(name) != LATIN:
                height_of_row = max(row, 2 * TWO_LINES_BELOW + 3)  # Indic letters stack high: a taller row
            size = min(min(fitted_size(line, label_w - 6, is_top) for line in lines), (height_of_row - 1) / 2)
        rows.append((cls, size, height_of_row, lines or [name]))
    height = sum(r[2] for r in rows) + 14
    shapes: list[object] = []
    texts: list[Label] = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + bar_w * tick
        shapes.append(Line(x, 10, x, height, strokeColor=RULE, strokeWidth=0.4))
        texts.append(Label(x, 2, percent(tick, language, 0), 6, anchor="centre", colour=MUTED))
    y = height
    for (cls, p), (_cls, size, height_of_row, lines) in zip(probabilities, rows, strict=True):
        y -= height_of_row
        is_top = cls == top_class
        colour = BAR_TOP if is_top else BAR_MALIGNANT if cls in malignant else BAR
        middle = y + height_of_row / 2 - 3.5  # the baseline of a one-line label
        if len(lines) == 2:
            texts += [Label(label_w - 4, middle + size * 0.55, lines[0], size, is_top, "right"),
                      Label(label_w - 4, middle - size * 0.55, lines[1], size, is_top, "right")]
        else:
            texts.append(Label(label_w - 4, middle, lines[0], size, is_top, "right"))
        shapes.append(Rect(label_w, y + (height_of_row - row) / 2 + 1.5, max(0.5, bar_w * p), row - 4,
                           fillColor=colour, strokeColor=None))
        texts.append(Label(label_w + bar_w + 4, middle, percent(p, language), 7.5))
    return _chart(shapes, texts, width, height, language)


def malignancy_gauge(malignancy: float, threshold: float | None, width: float, caption: str, threshold_caption: str,
                     language: str = "en") -> LabelledDrawing:
    """One bar for the malignancy score with the threshold as a red line across it (none when not recorded)."""
    register_fonts()
    height = 38.0
    bar_h = 10.0
    left, right = 0.0, width - 44
    span = right - left
    y = 12.0
    suspicious = threshold is not None and malignancy >= threshold
    shapes: list[object] = [
        Rect(left, y, span, bar_h, fillColor=colors.HexColor("#eef1f5"), strokeColor=RULE, strokeWidth=0.5),
        Rect(left, y, max(0.5, span * min(1.0, malignancy)), bar_h, fillColor=ALERT if suspicious else BAR,
             strokeColor=None),
    ]
    texts = [Label(right + 4, y + 2, percent(malignancy, language), 8.5, bold=True),
             Label(left, y + bar_h + 8, caption, 7.5, True, "left", MUTED)]
    if threshold is not None:
        tx = left + span * min(1.0, max(0.0, threshold))
        shapes.append(Line(tx, y - 4, tx, y + bar_h + 4, strokeColor=ALERT, strokeWidth=1.4, strokeDashArray=[2, 1.5]))
        texts.append(Label(tx, 1, f"{threshold_caption} {percent(threshold, language)}", 6.5, anchor="centre",
                           colour=ALERT))
    return _chart(shapes, texts, width, height, language)


_OTHER_SIDE = {"left": "right", "right": "left", "centre": "centre"}


def _chart(shapes: list[object], texts: list[Label], width: float, height: float, language: str) -> LabelledDrawing:
    """The shapes and words as one flowable; for a right-to-left language mirrored (bars grow leftwards from
    the labels on the right), the words themselves not."""
    d = Drawing(width, height)
    group = Group(*shapes)
    if language in RTL_LANGUAGES:
        group.transform = (-1, 0, 0, 1, width, 0)
        texts = [replace(t, x=width - t.x, anchor=_OTHER_SIDE[t.anchor]) for t in texts]
    d.add(group)
    return LabelledDrawing(d, texts)
