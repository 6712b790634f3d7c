"""The key to the heatmap: its colour bar from low to high AI attention, and what the colours do not mean."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from dermstation.core.i18n import _


class ColourBar(QWidget):
    """The heatmap's colours from low (left; right in right-to-left languages) to high."""

    def __init__(self, colours: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colours = colours
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(160, 12)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(60, 12)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        rect = self.rect().adjusted(0, 1, -1, -1)
        rtl = self.layoutDirection() == Qt.LayoutDirection.RightToLeft
        gradient = QLinearGradient(rect.right() if rtl else rect.left(), 0, rect.left() if rtl else rect.right(), 0)
        for i, (r, g, b) in enumerate(self._colours):
            gradient.setColorAt(i / (len(self._colours) - 1), QColor(int(r), int(g), int(b)))
        painter.fillRect(rect, gradient)
        painter.setPen(QColor("#5B6B77"))
        painter.drawRect(rect)
        painter.end()


class HeatmapLegend(QWidget):
    """"AI attention: low ▭▭▭ high", and that it shows where the classifier looked, not a diagnosis."""

    def __init__(self, colours: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("heatmapLegend")
        self.title = QLabel(_("AI attention"))
        self.title.setProperty("role", "fieldName")
        self.low = QLabel(_("low"))
        self.high = QLabel(_("high"))
        self.bar = ColourBar(colours)
        self.note = QLabel(_("Where the classifier looked. Not a diagnosis: a warm colour does not mean "
                             "disease, and a cold one does not mean healthy skin."))
        self.note.setProperty("role", "subtitle")
        self.note.setWordWrap(True)
        scale = QHBoxLayout()
        scale.setSpacing(6)
        scale.addWidget(self.title)
        scale.addSpacing(6)
        scale.addWidget(self.low)
        scale.addWidget(self.bar, 1)
        scale.addWidget(self.high)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(scale)
        layout.addWidget(self.note)
        self.setAccessibleName(_("Heatmap legend"))
        self.setAccessibleDescription(
            _("AI attention from low to high: {colours}.").format(colours=_("blue, cyan, yellow, red"))
            + " " + self.note.text())

