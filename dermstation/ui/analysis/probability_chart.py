"""Class probabilities as horizontal bars, and the malignancy score against the operating threshold."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from dermstation.core.domain import LESION_CLASS_NAMES, MALIGNANT_CLASSES
from dermstation.core.i18n import _, format_number

BAR = QColor("#5D8FA6")
TOP_BAR = QColor("#2B5F75")
MALIGNANT_BAR = QColor("#C0564B")
TRACK = QColor("#EEF2F5")
INK = QColor("#1F2A33")
MUTED = QColor("#5B6B77")
THRESHOLD = QColor("#1F2A33")
WRAP = Qt.TextFlag.TextWordWrap


def class_label(cls: str) -> str:
    """The translated full name of a diagnostic class ("mel" -> "Melanoma")."""
    name = LESION_CLASS_NAMES.get(cls)
    return _(name) if name else cls


def percent(value: float) -> str:
    return f"{format_number(100.0 * value, 1)} %"


class ProbabilityChart(QWidget):
    """Paints one bar per class (highest first) and a malignancy bar with the threshold as a line.

    Class names wrap onto more lines instead of being cut ("Actinic keratosis / intraepithelial
    carcinoma", and longer in Tamil or Telugu): the chart's height follows its width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._probabilities: tuple[tuple[str, float], ...] = ()
        self._malignancy: float | None = None
        self._threshold: float | None = None
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setAccessibleName(_("Class probabilities"))

    def set_values(self, probabilities: tuple[tuple[str, float], ...], malignancy: float | None,
                   threshold: float | None) -> None:
        self._probabilities = tuple(sorted(probabilities, key=lambda cp: -cp[1]))
        self._malignancy = malignancy
        self._threshold = threshold
        self.setAccessibleDescription("; ".join(self.rows() + ([self._heading()] if malignancy is not None else [])))
        self._fit_height()
        self.update()

    def clear(self) -> None:
        self.set_values((), None, None)

    def rows(self) -> list[str]:
        """The bars as text, top first (for tests and screen readers)."""
        return [f"{class_label(c)} {percent(p)}" for c, p in self._probabilities]

    def _heading(self) -> str:
        heading = _("Malignancy score")
        if self._threshold is not None:
            heading += "  ·  " + _("threshold {value}").format(value=percent(self._threshold))
        return heading

    def _row_height(self) -> int:
        return self.fontMetrics().height() + 8

    def _value_width(self) -> int:
        return self.fontMetrics().horizontalAdvance("100.0 %") + 8

    def label_width(self, width: int) -> int:
        """Room for the class names: what the longest needs, at most half the chart, yet its longest word."""
        fm = self.fontMetrics()

        def ink(text: str) -> int:  # glyphs may reach a pixel or two past their advance
            return max(fm.horizontalAdvance(text), fm.boundingRect(text).width()) + 2

        names = [class_label(c) for c, _p in self._probabilities]
        widest = max((ink(n) for n in names), default=0) + 8
        longest_word = max((ink(w) for n in names for w in n.split()), default=0) + 8
        room = max(int(width * 0.5), min(longest_word, width - self._value_width() - 20))
        return max(1, min(widest, room))

    def _text_height(self, text: str, width: int, font: QFont | None = None) -> int:
        metrics = QFontMetrics(font) if font is not None else self.fontMetrics()
        return metrics.boundingRect(QRect(0, 0, max(1, width), 100000), WRAP, text).height()

    def _bold(self) -> QFont:
        bold = QFont(self.font())
        bold.setBold(True)
        return bold

    def label_heights(self, width: int) -> list[int]:
        """Each class row's height at ``width``: one line, or as many as its wrapped name needs."""
        label_w = self.label_width(width) - 8
        return [max(self._row_height(), self._text_height(class_label(c), label_w) + 6)
                for c, _p in self._probabilities]

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        row = self._row_height()
        height = 8 + sum(self.label_heights(width))
        if self._malignancy is not None:
            height += row // 2 + max(row, self._text_height(self._heading(), width, self._bold()) + 6) + row
        return max(row + 8, height)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        width = max(320, self.width())
        return QSize(320, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(200, self.heightForWidth(max(200, self.width())))

    def _fit_height(self) -> None:
        # a fixed vertical policy inside a scroll area: the height is set from the width we were given
        needed = self.heightForWidth(max(200, self.width()))
        if self.minimumHeight() != needed:
            self.setMinimumHeight(needed)
        self.updateGeometry()

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().resizeEvent(event)
        self._fit_height()

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        row = self._row_height()
        width = self.width()
        label_w = self.label_width(width)
        value_w = self._value_width()
        bar_x = label_w
        bar_w = max(20, width - label_w - value_w)
        rtl = self.layoutDirection() == Qt.LayoutDirection.RightToLeft
        y = 4
        top = self._probabilities[0][0] if self._probabilities else None

        def place(x: float, w: float, h: float = row) -> QRectF:
            return QRectF(width - x - w, y, w, h) if rtl else QRectF(x, y, w, h)

        for (cls, p), height in zip(self._probabilities, self.label_heights(width), strict=True):
            painter.setPen(INK if cls == top else MUTED)
            painter.drawText(place(0, label_w - 8, height),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeading | WRAP, class_label(cls))
            middle = y + (height - row) / 2  # the bar beside the middle of a wrapped name
            track = place(bar_x, bar_w).translated(0, middle - y).adjusted(0, 4, 0, -4)
            painter.fillRect(track, TRACK)
            fill_w = bar_w * max(0.0, min(1.0, p))
            colour = MALIGNANT_BAR if cls in MALIGNANT_CLASSES else (TOP_BAR if cls == top else BAR)
            painter.fillRect(place(bar_x, fill_w).translated(0, middle - y).adjusted(0, 4, 0, -4), colour)
            painter.setPen(INK)
            painter.drawText(place(bar_x + bar_w, value_w, height),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, percent(p))
            y += height
        if self._malignancy is None:
            painter.end()
            return
        y += row // 2
        painter.setFont(self._bold())
        painter.setPen(INK)
        heading = self._heading()
        heading_h = max(row, self._text_height(heading, width, self._bold()) + 6)
        painter.drawText(place(0, width, heading_h),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeading | WRAP, heading)
        painter.setFont(self.font())
        y += heading_h
        track = place(0, width - value_w).adjusted(0, 3, 0, -3)
        painter.fillRect(track, TRACK)
        above = self._threshold is not None and self._malignancy >= self._threshold
        fill = place(0, (width - value_w) * max(0.0, min(1.0, self._malignancy))).adjusted(0, 3, 0, -3)
        painter.fillRect(fill, MALIGNANT_BAR if above else TOP_BAR)
        painter.setPen(INK)
        painter.drawText(place(width - value_w, value_w), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                         percent(self._malignancy))
        if self._threshold is not None:
            tx = (width - value_w) * max(0.0, min(1.0, self._threshold))
            x = width - tx if rtl else tx
            pen = QPen(THRESHOLD, 2.0, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.drawLine(int(x), int(y), int(x), int(y + row))
        painter.end()
