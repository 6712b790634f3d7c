"""The light theme, fonts and icons (files under ``resources/ui/``)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QFont, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QStyleFactory, QWidget

from dermstation.core.config import PROJECT_ROOT
from dermstation.ui.fonts import with_script_fallbacks

RESOURCES = PROJECT_ROOT / "resources" / "ui"
BASE_POINT_SIZE = 10


def icon(name: str) -> QIcon:
    """An icon from ``resources/ui/icons/NAME.svg`` (an empty icon if the file is missing)."""
    path = RESOURCES / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def apply_theme(app: QApplication) -> None:
    """Fusion with a light palette, a readable base font (with the bundled script fonts) and the style sheet."""
    app.setStyle(QStyleFactory.create("Fusion"))
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#F6F8FA",
        QPalette.ColorRole.WindowText: "#1F2A33",
        QPalette.ColorRole.Base: "#FFFFFF",
        QPalette.ColorRole.AlternateBase: "#F9FBFC",
        QPalette.ColorRole.Text: "#1F2A33",
        QPalette.ColorRole.Button: "#FFFFFF",
        QPalette.ColorRole.ButtonText: "#1F2A33",
        QPalette.ColorRole.Highlight: "#2B5F75",
        QPalette.ColorRole.HighlightedText: "#FFFFFF",
        QPalette.ColorRole.ToolTipBase: "#FFFFFF",
        QPalette.ColorRole.ToolTipText: "#1F2A33",
        QPalette.ColorRole.PlaceholderText: "#7D8B96",
        QPalette.ColorRole.Link: "#2B5F75",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#9AA7B1"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#9AA7B1"))
    app.setPalette(palette)
    # the bundled Noto fonts back the desktop font, so every offered script renders (no empty boxes)
    font = with_script_fallbacks(QFont(app.font()))
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(_style_sheet())
    app.setWindowIcon(icon("app"))


def _style_sheet() -> str:
    path: Path = RESOURCES / "style.qss"
    if not path.exists():
        return ""
    # Style-sheet URLs are resolved against the working directory; make icon paths absolute.
    return path.read_text(encoding="utf-8").replace("{icons}", (RESOURCES / "icons").as_posix())


def set_role(label: QLabel, role: str) -> QLabel:
    """Tag a label for the style sheet (``title``, ``subtitle``, ``section``, ``fieldError`` ...)."""
    label.setProperty("role", role)
    return label


def refresh_style(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()
