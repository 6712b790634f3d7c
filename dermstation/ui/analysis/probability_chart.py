"""Class probabilities as horizontal bars, and the malignancy score against the operating threshold."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
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


def class_label(cls: str) -> str:
    """The translated full name of a diagnostic class ("mel" -> "Melanoma")."""
    name = LESION_CLASS_NAMES.get(cls)
    return _(name) if name else cls


def percent(value: float) -> str:
    return f"{format_number(100.0 * value, 1)} %"


class ProbabilityChart(QWidget):
    """Paints one bar per class (highest first) and a malignancy bar with the threshold as a line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._probabilities: tuple[tuple[str, float], ...] = ()
        self._malignancy: float | None = None
        self._threshold: float | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(_("Class probabilities"))

    def set_values(self, probabilities: tuple[tuple[str, float], ...], malignancy: float | None,
                   threshold: float | None) -> None:
        self._probabilities = tuple(sorted(probabilities, key=lambda cp: -cp[1]))
        self._malignancy = malignancy
        self._threshold = threshold
        self.setAccessibleDescription("; ".join(f"{class_label(c)} {percent(p)}" for c, p in self._probabilities))
        self.updateGeometry()
        self.update()

    def clear(self) -> None:
        self.set_values((), None, None)

    def rows(self) -> list[str]:
        """The bars as text, top first (for tests and screen readers)."""
        return [f"{class_label(c)} {percent(p)}" for c, p in self._probabilities]

    def _row_height(self) -> int:
        return self.fontMetrics().height() + 8

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        rows = len(self._probabilities) + (3 if self._malignancy is not None else 0)
        return QSize(320, max(1, rows) * self._row_height() + 8)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(200, self.sizeHint().height())

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = self.fontMetrics()
        row = self._row_height()
        width = self.width()
        label_w = min(int(width * 0.5), max((fm.horizontalAdvance(class_label(c)) for c, _p in self._probabilities),
                                             default=0) + 8)
        value_w = fm.horizontalAdvance("100.0 %") + 8
        bar_x = label_w
        bar_w = max(20, width - label_w - value_w)
        rtl = self.layoutDirection() == Qt.LayoutDirection.RightToLeft
        y = 4
        top = self._probabilities[0][0] if self._probabilities else None

        def place(x: float, w: float) -> QRectF:
            return QRectF(width - x - w, y, w, row) if rtl else QRectF(x, y, w, row)

        for cls, p in self._probabilities:
            painter.setPen(INK if cls == top else MUTED)
            text = fm.elidedText(class_label(cls), Qt.TextElideMode.ElideRight, label_w - 8)
            painter.drawText(place(0, label_w - 8), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeading,
                             text)
            track = place(bar_x, bar_w).adjusted(0, 4, 0, -4)
            painter.fillRect(track, TRACK)
            fill_w = bar_w * max(0.0, min(1.0, p))
            colour = MALIGNANT_BAR if cls in MALIGNANT_CLASSES else (TOP_BAR if cls == top else BAR)
            painter.fillRect(place(bar_x, fill_w).adjusted(0, 4, 0, -4), colour)
            painter.setPen(INK)
            painter.drawText(place(bar_x + bar_w, value_w), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             percent(p))
            y += row
        if self._malignancy is None:
            painter.end()
            return
        y += row // 2
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(INK)
        heading = _("Malignancy score")
        if self._threshold is not None:
            heading += "  ·  " + _("threshold {value}").format(value=percent(self._threshold))
        painter.drawText(place(0, width), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeading,
                         fm.elidedText(heading, Qt.TextElideMode.ElideRight, width))
        painter.setFont(self.font())
        y += row
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
