"""Scripts on screen: the Noto fonts shipped for the reports, loaded into Qt too, so that Devanagari,
Tamil, Telugu and Arabic text (the language list, patient names, whole catalogues) renders on a machine
without those system fonts instead of showing empty boxes; and the layout direction (Arabic mirrored)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QDateTimeEdit

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


class _DatesLeftToRight(QObject):
    """Date and time fields stay left to right in a mirrored UI: Qt would show 09:00 as "00:09" and
    2026-03-02 as "02-03-2026", while Arabic text writes numbers, dates and times left to right."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (event.type() == QEvent.Type.Show and isinstance(watched, QDateTimeEdit)
                and watched.layoutDirection() == Qt.LayoutDirection.RightToLeft):
            shown = watched.displayFormat()
            watched.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
            watched.setDisplayFormat(shown)  # Qt fixes the order of the sections when it parses the format
        return False


_dates_filter: _DatesLeftToRight | None = None


def apply_layout_direction(language: str) -> None:
    """Mirror the whole UI for right-to-left languages (Arabic), left-to-right otherwise."""
    global _dates_filter
    rtl = language in RIGHT_TO_LEFT
    QGuiApplication.setLayoutDirection(Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight)
    app = QGuiApplication.instance()
    if rtl and _dates_filter is None and app is not None:
        _dates_filter = _DatesLeftToRight()
        app.installEventFilter(_dates_filter)
    elif not rtl and _dates_filter is not None and app is not None:
        app.removeEventFilter(_dates_filter)  # the filter sees every event: only while it is needed
        _dates_filter = None

