"""Translations: ``_()`` for every user-visible string, Babel for dates and numbers.

Catalogues live in ``translations/<lang>/LC_MESSAGES/dermstation.po``; the ``.mo`` files are compiled
from them (``pybabel compile -d translations -D dermstation``) at install time or on first use.
"""

from __future__ import annotations

import gettext
import logging
from datetime import date, datetime, tzinfo
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from dermstation.core.config import PROJECT_ROOT

DOMAIN = "dermstation"
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
SUPPORTED_LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "hi": "हिन्दी",
    "ta": "தமிழ்",
    "te": "తెలుగు",
    "ar": "العربية",
}
RIGHT_TO_LEFT = frozenset({"ar"})

log = logging.getLogger(__name__)
_translation: gettext.NullTranslations = gettext.NullTranslations()
_locale = Locale.parse("en")
_display_zone: tzinfo | None = None


def _compile_missing(lang: str) -> None:
    """Compile a .po into .mo if only the source catalogue is present (fresh checkout)."""
    po = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        try:
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=lang)
            with mo.open("wb") as fh:
                write_mo(fh, catalog)
        except OSError as exc:  # read-only install: fall back to English, say why in the log
            log.warning("cannot compile translations for %s: %s", lang, exc)


def set_language(lang: str) -> None:
    """Switch every later ``_()`` call and Babel format to ``lang``."""
    global _translation, _locale
    if lang not in SUPPORTED_LANGUAGES:
        lang = "en"
    _compile_missing(lang)
    _translation = gettext.translation(DOMAIN, TRANSLATIONS_DIR, languages=[lang], fallback=True)
    _locale = Locale.parse(lang)


def current_language() -> str:
    return str(_locale)


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _translation.gettext(message)


def N_(message: str) -> str:  # noqa: N802 - the gettext name for "extract now, translate at display time"
    """Mark a string kept untranslated in a table (class names, body regions) for the catalogues;
    the code that shows it passes it through ``_()``."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def format_day(value: date) -> str:
    return format_date(value, format="medium", locale=_locale)


def set_display_zone(zone: tzinfo | None) -> None:
    """Show every later moment in ``zone`` (the clinic's time zone), whatever this computer's zone is."""
    global _display_zone
    _display_zone = zone


def format_moment(value: datetime) -> str:
    if value.tzinfo is not None and _display_zone is not None:
        value = value.astimezone(_display_zone)
    return format_datetime(value, format="medium", locale=_locale)


def format_number(value: float, digits: int = 1) -> str:
    return format_decimal(round(value, digits), format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=_locale)


# Unicode bidi isolates (TR9): a Latin name or a number inside Arabic text, or an Arabic name inside
# English text, keeps its own direction and does not reorder the words around it.
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def isolate(text: str) -> str:
    """``text`` in a first-strong isolate when the current language runs right to left (else unchanged),
    for names and numbers put into translated sentences."""
    if str(_locale.language) not in RIGHT_TO_LEFT or not text:
        return text
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


def translations_dir() -> Path:
    return TRANSLATIONS_DIR
