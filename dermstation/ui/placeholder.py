"""A calm page for a section that is not built yet, saying so plainly."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dermstation.ui.theme import set_role


class PlaceholderPage(QWidget):
    def __init__(self, title: str, text: str, icon: QIcon | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 48, 48, 48)
        layout.setSpacing(12)
        layout.addStretch(1)
        if icon is not None and not icon.isNull():
            picture = QLabel()
            picture.setPixmap(icon.pixmap(QSize(56, 56)))
            picture.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            layout.addWidget(picture)
        heading = set_role(QLabel(title), "title")
        heading.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        heading.setWordWrap(True)
        body = set_role(QLabel(text), "empty")
        body.setObjectName("placeholderText")
        body.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        body.setWordWrap(True)
        body.setMaximumWidth(560)
        layout.addWidget(heading)
        # A wrapped label needs its row to give it a width; centring it in the column would not.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(body, 4)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
