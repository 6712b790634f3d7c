"""The class-probability chart: one horizontal bar per class, and the malignancy score against its
operating threshold."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors

from dermstation.reports.fonts import BASE_FONT, BOLD_FONT, dominant_script, font_for, register_fonts
from dermstation.reports.layout import ACCENT, ALERT, MUTED, RULE, percent

BAR = colors.HexColor("#7a9cc6")
BAR_TOP = ACCENT
BAR_MALIGNANT = colors.HexColor("#d9822b")


def probability_chart(
    probabilities: Sequence[tuple[str, float]],
    labels: dict[str, str],
    malignant: frozenset[str] | set[str],
    width: float,
    language: str = "en",
    row: float = 13.0,
    top_class: str = "",
) -> Drawing:
    """Bars for each (class, p); the top class dark, malignant classes orange; percentages at the end."""
    register_fonts()
    label_w = width * 0.42
    value_w = 42.0
    bar_w = width - label_w - value_w
    height = row * len(probabilities) + 14
    d = Drawing(width, height)
    top_class = top_class or max(probabilities, key=lambda cp: cp[1], default=("", 0.0))[0]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + bar_w * tick
        d.add(Line(x, 10, x, height, strokeColor=RULE, strokeWidth=0.4))
        d.add(String(x, 2, percent(tick, language, 0), fontName=BASE_FONT, fontSize=6, fillColor=MUTED,
                     textAnchor="middle"))
    for i, (cls, p) in enumerate(probabilities):
        y = height - (i + 1) * row
        is_top = cls == top_class
        colour = BAR_TOP if is_top else BAR_MALIGNANT if cls in malignant else BAR
        d.add(String(label_w - 4, y + 3, labels.get(cls, cls),
                     fontName=font_for(dominant_script(labels.get(cls, cls)), bold=is_top),
                     fontSize=7.5, textAnchor="end"))
        d.add(Rect(label_w, y + 1.5, max(0.5, bar_w * p), row - 4, fillColor=colour, strokeColor=None))
        d.add(String(label_w + bar_w + 4, y + 3, percent(p, language), fontName=BASE_FONT, fontSize=7.5))
    return d


def malignancy_gauge(malignancy: float, threshold: float, width: float, caption: str, threshold_caption: str,
                     language: str = "en") -> Drawing:
    """One bar for the malignancy score with the threshold as a red line across it."""
    register_fonts()
    height = 38.0
    bar_h = 10.0
    d = Drawing(width, height)
    left, right = 0.0, width - 44
    span = right - left
    y = 12.0
    suspicious = malignancy >= threshold
    d.add(Rect(left, y, span, bar_h, fillColor=colors.HexColor("#eef1f5"), strokeColor=RULE, strokeWidth=0.5))
    d.add(Rect(left, y, max(0.5, span * min(1.0, malignancy)), bar_h,
               fillColor=ALERT if suspicious else BAR, strokeColor=None))
    tx = left + span * min(1.0, max(0.0, threshold))
    d.add(Line(tx, y - 4, tx, y + bar_h + 4, strokeColor=ALERT, strokeWidth=1.4, strokeDashArray=[2, 1.5]))
    d.add(String(tx, 1, f"{threshold_caption} {percent(threshold, language)}", fontName=BASE_FONT, fontSize=6.5,
                 fillColor=ALERT, textAnchor="middle"))
    d.add(String(right + 4, y + 2, percent(malignancy, language), fontName=BOLD_FONT, fontSize=8.5))
    d.add(String(left, y + bar_h + 8, caption, fontName=font_for(dominant_script(caption), bold=True), fontSize=7.5, fillColor=MUTED))
    return d
