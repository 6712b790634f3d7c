"""The Noto fonts shipped for the reports, loaded into Qt too, so that Devanagari, Tamil, Telugu and
Arabic text (the language list, patient names, whole catalogues) renders on a machine without those
system fonts instead of showing empty boxes."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

from dermstation.core.i18n import RIGHT_TO_LEFT
from dermstation.reports.fonts import FONTS_DIR

log = logging.getLogger(__name__)

_loaded: list[str] = []


def load_bundled_fonts() -> list[str]:
    """Add every bundled font file to Qt (once) and return the font families they hold."""
    if _loaded:
        return list(_loaded)
    families: list[str] = []
    for path in sorted(FONTS_DIR.glob("*.ttf")):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            log.warning("cannot load the bundled font %s", path)
            continue
        families.extend(f for f in QFontDatabase.applicationFontFamilies(font_id) if f not in families)
    _loaded.extend(families)
    return families


def with_script_fallbacks(font: QFont) -> QFont:
    """``font`` first (the desktop's own face for Latin text), then the bundled Noto families, so any
    character the desktop font lacks is drawn from a font we ship rather than as a box."""
    result = QFont(font)
    families = [*font.families()]
    families += [family for family in load_bundled_fonts() if family not in families]
    result.setFamilies(families)
    return result


def apply_layout_direction(language: str) -> None:
    """Mirror the whole UI for right-to-left languages (Arabic), left-to-right otherwise."""
    direction = Qt.LayoutDirection.RightToLeft if language in RIGHT_TO_LEFT else Qt.LayoutDirection.LeftToRight
    QGuiApplication.setLayoutDirection(direction)

