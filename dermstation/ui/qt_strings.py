"""Qt's own words (standard dialog buttons, the text-field context menu) from our catalogues.

Qt ships ``qtbase_*.qm`` for German, Spanish, French and Arabic but not for Hindi, Tamil or Telugu, so
without this every "Cancel" and "Yes" of a dialog stays English there. The strings below are the
source texts Qt asks for; marking them with ``N_`` puts them in our template, so each language's
translators translate them with the rest."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTranslator

from dermstation.core.i18n import N_, _

# QPlatformTheme::defaultStandardButtonText and QLineEdit/QWidgetTextControl's context menus
QT_STRINGS = frozenset({
    N_("OK"), N_("Save"), N_("Save All"), N_("Open"), N_("&Yes"), N_("Yes to &All"), N_("&No"),
    N_("N&o to All"), N_("Abort"), N_("Retry"), N_("Ignore"), N_("Close"), N_("Cancel"), N_("Discard"),
    N_("Help"), N_("Apply"), N_("Reset"), N_("Restore Defaults"),
    N_("&Undo"), N_("&Redo"), N_("Cu&t"), N_("&Copy"), N_("&Paste"), N_("Delete"), N_("Select All"),
    N_("Copy &Link Location"),
})


class CatalogueTranslator(QTranslator):
    """Answers Qt's requests for the strings above from the current catalogue; anything else, or an
    untranslated string, is left to Qt's own translator. "Not mine" must be None (a null QString):
    Qt takes an empty string as the translation, and "F1" would then print as "F"."""

    def translate(  # noqa: ARG002 - Qt's signature
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        if source not in QT_STRINGS:
            return None
        translated = _(source)
        return translated if translated != source else None

    def isEmpty(self) -> bool:  # noqa: N802 - Qt's name
        return False


_installed: CatalogueTranslator | None = None


def install_catalogue_translator(app: QCoreApplication) -> None:
    """Install the translator once; it follows ``set_language`` by itself."""
    global _installed
    if _installed is None:
        _installed = CatalogueTranslator(app)
        app.installTranslator(_installed)


def remove_catalogue_translator(app: QCoreApplication) -> None:
    """Undo ``install_catalogue_translator`` (tests that must leave Qt as they found it)."""
    global _installed
    if _installed is not None:
        app.removeTranslator(_installed)
        _installed = None
