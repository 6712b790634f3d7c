"""Shared page furniture for every report: styles, number and date formats, images, header and footer."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from PIL import Image as PILImage
from reportlab import rl_config
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, Paragraph, Table, TableStyle

from dermstation.reports.fonts import BASE_FONT, BOLD_FONT, register_fonts, shaping_available

# Binary streams instead of ASCII85: without reportlab's optional C accelerator (rl_accel) the ASCII85
# encoder is pure Python and took ~40% of a lesion report's time; binary PDFs are also 20% smaller.
rl_config.useA85 = 0

PAGE = A4
MARGIN = 16 * mm
ACCENT = colors.HexColor("#1f4e79")
MUTED = colors.HexColor("#5a6270")
WARN_BG = colors.HexColor("#fff4d6")
WARN_EDGE = colors.HexColor("#c98a00")
ALERT = colors.HexColor("#b3261e")
RULE = colors.HexColor("#c8ced8")
MAX_IMAGE_SIDE = 640  # pixels embedded per image: ~200 dpi at the size printed, and fast to compress

RTL_LANGUAGES = frozenset({"ar"})


def locale_for(language: str) -> Locale:
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


# --- numbers and dates: Latin digits in every language, so tests and clinicians read the same ---------
def number(value: float, digits: int, language: str) -> str:
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(round(float(value), digits), format=pattern, locale=locale_for(language),
                          numbering_system="latn")


def percent(value: float, language: str, digits: int = 1) -> str:
    """``value`` in [0, 1] as a percentage: "12.3 %" style per locale (always Latin digits)."""
    return number(value * 100.0, digits, language) + ("\u00a0%" if language in ("de", "fr", "es") else "%")


def signed_percent(value: float, language: str) -> str:
    text = number(abs(value), 1, language)
    return ("+" if value > 0 else "\u2212" if value < 0 else "\u00b1") + text + "%"


def day(value: date | None, language: str) -> str:
    if value is None:
        return "—"
    return format_date(value, format="long", locale=locale_for(language))


def moment(value: datetime | None, language: str) -> str:
    if value is None:
        return "—"
    if language in RTL_LANGUAGES:
        # date and time side by side: CLDR's "{date}، {time}" puts an Arabic comma against the date's
        # digits, which copy-paste readers (poppler) then read as one right-to-left word ("41،/05/2026")
        locale = locale_for(language)
        return f"{format_date(value, format='medium', locale=locale)} {format_time(value, format='medium', locale=locale)}"
    return format_datetime(value, format="medium", locale=locale_for(language))


# --- styles -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    muted: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    notice: ParagraphStyle
    rtl: bool = False

    def table(self, data: list[list[object]], colWidths: Sequence[float] | None = None,  # noqa: N803
              **kwargs: object) -> Table:
        """A Table, its columns right to left for a right-to-left language (see MirroredTable)."""
        return (MirroredTable if self.rtl else Table)(data, colWidths=colWidths, **kwargs)


_SWAPPED = {"LINEBEFORE": "LINEAFTER", "LINEAFTER": "LINEBEFORE", "LEFTPADDING": "RIGHTPADDING",
            "RIGHTPADDING": "LEFTPADDING", "LEFT": "RIGHT", "RIGHT": "LEFT"}


class MirroredTable(Table):
    """A table whose columns run right to left: rows and column widths are given, and style commands
    written, as for left to right; the first column is drawn on the right."""

    def __init__(self, data: list[list[object]], colWidths: Sequence[float] | None = None,  # noqa: N803
                 *args: object, **kwargs: object) -> None:
        super().__init__([list(reversed(row)) for row in data],
                         list(reversed(colWidths)) if colWidths is not None else None, *args, **kwargs)

    def setStyle(self, tblstyle: object) -> None:  # noqa: N802 - reportlab's name
        commands = tblstyle.getCommands() if hasattr(tblstyle, "getCommands") else tblstyle
        super().setStyle(TableStyle([self._mirrored(tuple(c)) for c in commands]))

    def _mirrored(self, command: tuple[object, ...]) -> tuple[object, ...]:
        name, start, stop, *rest = command
        n = self._ncols

        def column(c: int) -> int:
            return n - 1 - (c if c >= 0 else n + c)

        rest = [_SWAPPED.get(v, v) if isinstance(v, str) else v for v in rest]
        return (_SWAPPED.get(name, name), (column(stop[0]), start[1]), (column(start[0]), stop[1]), *rest)


def make_styles(rtl: bool = False, scale: float = 1.0) -> Styles:
    register_fonts()
    shaping = 1 if shaping_available() else 0
    align = TA_RIGHT if rtl else TA_LEFT

    def style(name: str, size: float, font: str = BASE_FONT, color: colors.Color = colors.black,
              space_before: float = 0, space_after: float = 2) -> ParagraphStyle:
        size *= scale
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.35, textColor=color,
                              alignment=align, spaceBefore=space_before, spaceAfter=space_after,
                              shaping=shaping)

    return Styles(
        body=style("body", 9.5, space_after=3),
        small=style("small", 8),
        muted=style("muted", 8, color=MUTED),
        h1=style("h1", 15, BOLD_FONT, ACCENT, space_after=4),
        h2=style("h2", 10.5, BOLD_FONT, ACCENT, space_before=4, space_after=2),
        cell=style("cell", 8.5, space_after=0),
        cell_bold=style("cell_bold", 8.5, BOLD_FONT, space_after=0),
        notice=style("notice", 8.5, space_after=0),
        rtl=rtl,
    )


def _first_strong_rtl(text: str) -> bool:
    """Rules P2-P3 of the bidi algorithm: the first letter with a direction decides a text's."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("L", "R", "AL"):
            return kind != "L"
    return False


class BidiParagraph(Paragraph):
    """A paragraph holding right-to-left text: broken into lines in logical order, then each line's words
    put in the order they are drawn (``reports.bidi``) and the lines joined with forced breaks. Laid out
    again whenever the width changes; the pieces a page break splits off are plain paragraphs."""

    def __init__(self, text: str, style: ParagraphStyle, *args: object, logical: str | None = None,
                 bold: bool = False, rtl: bool = False, **kwargs: object) -> None:
        super().__init__(text, style, *args, **kwargs)
        self._logical, self._bold, self._rtl, self._laid_for = logical, bold, rtl, -1.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        if self._logical is not None and availWidth != self._laid_for:
            self._laid_for = availWidth
            width = availWidth - self.style.leftIndent - self.style.rightIndent
            lines = [line for segment in self._logical.split("\n")
                     for line in _visual_lines(segment, self.style, width, self._bold, self._rtl)]
            Paragraph.__init__(self, "<br/>".join(lines), self.style)
        return super().wrap(availWidth, availHeight)


def _visual_lines(text: str, style: ParagraphStyle, width: float, bold: bool, rtl: bool) -> list[str]:
    """Markup of each line ``text`` breaks into at ``width``, in drawing order."""
    from dermstation.reports.bidi import line_words
    from dermstation.reports.fonts import markup, visual_markup

    words = line_words(text)
    if not words:
        return [""]
    logical = Paragraph(markup(text, bold=bold), style)
    logical.wrap(width, 1e6)
    lines = logical.blPara.lines
    counts = [line.wordCount if logical.blPara.kind == 1 else len(line[1]) for line in lines]
    if sum(counts) != len(words):  # a word too long for the line was cut: keep the text on one line
        counts = [len(words)]
    out, start = [], 0
    for n in counts:
        out.append(visual_markup(" ".join(words[start:start + n]), bold=bold, rtl=rtl))
        start += n
    return out


def para(text: str, style: ParagraphStyle, bold: bool = False) -> Paragraph:
    """A paragraph of plain ``text`` (escaped; each script in its font; right-to-left words in the
    order they are read, the paragraph right-to-left when its style is right-aligned or its first
    letter is right-to-left)."""
    from dermstation.reports.bidi import has_rtl
    from dermstation.reports.fonts import markup

    rtl = style.alignment == TA_RIGHT or _first_strong_rtl(text)
    if not has_rtl(text):
        return Paragraph(markup(text, bold=bold), style)
    return BidiParagraph(markup(text, bold=bold), style, logical=text, bold=bold, rtl=rtl)


# --- images -----------------------------------------------------------------------------------------
def image_flowable(rgb: np.ndarray, width: float, max_height: float | None = None) -> Image:
    """An RGB array as a flowable ``width`` points wide (aspect kept), shrunk to MAX_IMAGE_SIDE pixels."""
    arr = np.ascontiguousarray(np.asarray(rgb)[:, :, :3], dtype=np.uint8)
    pil = PILImage.fromarray(arr, "RGB")
    if max(pil.size) > MAX_IMAGE_SIDE:
        pil.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), PILImage.Resampling.BILINEAR)
    # JPEG keeps photographs small and fast to embed (reportlab passes JPEG data through untouched)
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", quality=88)
    buf.seek(0)
    h, w = arr.shape[:2]
    height = width * h / w
    if max_height is not None and height > max_height:
        width, height = max_height * w / h, max_height
    return Image(buf, width=width, height=height)


def image_reader(rgb: np.ndarray) -> ImageReader:
    return ImageReader(PILImage.fromarray(np.ascontiguousarray(rgb[:, :, :3], dtype=np.uint8), "RGB"))


# --- canvas text ------------------------------------------------------------------------------------
def draw_text(canvas: Canvas, x: float, y: float, text: str, size: float, bold: bool = False,
              anchor: str = "left") -> float:
    """Draw one line of ``text`` (any script) with its baseline at ``y``; returns its width.

    Drawn as a paragraph because reportlab shapes complex scripts in paragraphs (with uharfbuzz) but
    on the bare canvas only when its optional bidi package is installed too.
    """
    from dermstation.reports.fonts import visual_markup

    register_fonts()
    alignment = {"left": TA_LEFT, "right": TA_RIGHT, "centre": TA_CENTER}[anchor]
    style = ParagraphStyle("line", fontName=BASE_FONT, fontSize=size, leading=size * 1.2, alignment=alignment,
                           shaping=1 if shaping_available() else 0, textColor=canvas._fillColorObj)
    p = Paragraph(visual_markup(text, bold=bold, rtl=_first_strong_rtl(text)), style)
    avail = PAGE[0]
    _w, h = p.wrap(avail, size * 4)
    width = max(p.getActualLineWidths0() or [0.0])
    left = {"left": x, "right": x - avail, "centre": x - avail / 2}[anchor]
    # a one-line paragraph's baseline sits one font size (less the descent) above its bottom
    p.drawOn(canvas, left, y - (h - size) - 0.2 * size)
    return width


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width ``draw_text`` gives ``text`` (shaped, each script in its font)."""
    from dermstation.reports.fonts import visual_markup

    register_fonts()
    style = ParagraphStyle("measure", fontName=BASE_FONT, fontSize=size, leading=size * 1.2,
                           shaping=1 if shaping_available() else 0)
    p = Paragraph(visual_markup(text, bold=bold, rtl=_first_strong_rtl(text)), style)
    p.wrap(PAGE[0], size * 4)
    return max(p.getActualLineWidths0() or [0.0])


@dataclass(frozen=True)
class Label:
    x: float
    y: float  # baseline
    text: str
    size: float
    bold: bool = False
    anchor: str = "left"
    colour: colors.Color = colors.black


class LabelledDrawing(Flowable):
    """A Drawing (bars, outlines) with its words drawn on top by ``draw_text``: a Drawing's String neither
    shapes Arabic or Indic letters nor puts right-to-left words in reading order."""

    def __init__(self, drawing: Drawing, labels: Sequence[Label]) -> None:
        super().__init__()
        self.drawing, self.labels = drawing, tuple(labels)
        self.width, self.height = drawing.width, drawing.height

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        return self.width, self.height

    @property
    def contents(self) -> list[object]:
        return self.drawing.contents

    def draw(self) -> None:
        renderPDF.draw(self.drawing, self.canv, 0, 0)
        for label in self.labels:
            self.canv.setFillColor(label.colour)
            draw_text(self.canv, label.x, label.y, label.text, label.size, bold=label.bold, anchor=label.anchor)


PageHook = Callable[[Canvas, object], None]


def _shorten(text: str, limit: int) -> str:
    """One footer line: a very long name is cut (the full name is in the body of the page)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def page_furniture(title: str, clinic_name: str, clinic_line: str, footer_left: str, footer_note: str,
                   page_label: Callable[[int], str], rtl: bool = False) -> PageHook:
    """The header (clinic, title) and footer (identifier, statement, page number) drawn on every page; for a
    right-to-left language the clinic and the identifier stand on the right, where reading starts."""

    def draw(canvas: Canvas, doc: object) -> None:
        from dermstation.reports.archival import mark_archival

        mark_archival(canvas)  # PDF/A-2u metadata and output intent, once per document
        width, height = PAGE
        canvas.saveState()
        top = height - MARGIN + 4 * mm
        start, end = (width - MARGIN, MARGIN) if rtl else (MARGIN, width - MARGIN)
        at_start, at_end = ("right", "left") if rtl else ("left", "right")
        canvas.setFillColor(ACCENT)
        draw_text(canvas, start, top, clinic_name, 13, bold=True, anchor=at_start)
        canvas.setFillColor(MUTED)
        draw_text(canvas, start, top - 5 * mm, clinic_line, 8, anchor=at_start)
        canvas.setFillColor(ACCENT)
        draw_text(canvas, end, top, title, 13, bold=True, anchor=at_end)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(1.2)
        canvas.line(MARGIN, top - 8 * mm, width - MARGIN, top - 8 * mm)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, MARGIN - 2 * mm, width - MARGIN, MARGIN - 2 * mm)
        canvas.setFillColor(MUTED)
        draw_text(canvas, start, MARGIN - 6 * mm, _shorten(footer_left, 90), 7.5, anchor=at_start)
        draw_text(canvas, end, MARGIN - 6 * mm, page_label(canvas.getPageNumber()), 7.5, anchor=at_end)
        if footer_note:
            draw_text(canvas, width / 2, MARGIN - 10 * mm, footer_note, 7, anchor="centre")
        canvas.restoreState()

    return draw


CONTENT_TOP_GAP = 14 * mm  # room under the top margin for the header
