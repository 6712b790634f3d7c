"""Every offered language on screen: the main window and the booking dialog render every character of
their visible text with a real glyph (no empty boxes, also on this machine without Indic system fonts),
Arabic mirrors the layout, and labels are not cut off.

Screenshots go to ``$DERMSTATION_SCREENSHOTS`` when it is set (else a temporary folder)."""

from __future__ import annotations

import os
import sys
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextDocument, QTextLayout
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTabBar,
    QWidget,
)
from records_fixtures import with_clock

from dermstation.core.domain import LESION_CLASS_NAMES, Role, Sex
from dermstation.core.i18n import SUPPORTED_LANGUAGES, isolate, set_language
from dermstation.services.types import PatientInput
from dermstation.ui.analysis.page import AnalysisPage
from dermstation.ui.fonts import apply_layout_direction, load_bundled_fonts
from dermstation.ui.navigation import Section
from dermstation.ui.preferences import UiPreferences
from dermstation.ui.qt_strings import install_catalogue_translator, remove_catalogue_translator
from dermstation.ui.schedule.page import SchedulePage
from dermstation.ui.theme import apply_theme

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import fake_analysis  # noqa: E402, F401 - the fast analyser fixture
from windows import open_main_window  # noqa: E402

LANGUAGES = list(SUPPORTED_LANGUAGES)
# one patient per script, so the patient list shows names in every script whatever the UI language
NAMES = [("MRN-HI", "अनीता", "शर्मा"), ("MRN-TA", "கவிதா", "சுப்பிரமணியன்"),
         ("MRN-TE", "లక్ష్మి", "రెడ్డి"), ("MRN-AR", "فاطمة", "الحسيني، العلي"), ("MRN-DE", "Jürgen", "Groß")]


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("DERMSTATION_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _plain(text: str) -> str:
    if "<" in text and ">" in text:  # rich text: what a person reads is the plain text
        document = QTextDocument()
        document.setHtml(text)
        text = document.toPlainText()
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _visible_texts(root: QWidget) -> list[tuple[QWidget, str]]:
    """(widget, text) for the text a person sees in ``root``: labels, buttons, tabs, lists, fields."""
    found: list[tuple[QWidget, str]] = [(root, root.windowTitle())]
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisibleTo(root) and widget is not root:
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            found.append((widget, _plain(widget.text())))
        elif isinstance(widget, QGroupBox):
            found.append((widget, widget.title()))
        elif isinstance(widget, QTabBar):
            found += [(widget, _plain(widget.tabText(i))) for i in range(widget.count())]
        elif isinstance(widget, QComboBox):
            found += [(widget, widget.itemText(i)) for i in range(widget.count())]
        elif isinstance(widget, QLineEdit):
            found += [(widget, widget.text()), (widget, widget.placeholderText())]
        elif isinstance(widget, QListWidget):
            found += [(widget, widget.item(i).text()) for i in range(widget.count())]
    if hasattr(root, "menuBar"):
        for action in root.menuBar().actions():
            found.append((root, _plain(action.text())))
            if action.menu():
                found += [(root, _plain(a.text())) for a in action.menu().actions()]
    return [(w, t) for w, t in found if t.strip()]


def missing_glyphs(text: str, font: QFont) -> str:
    """The characters of ``text`` that ``font`` (with Qt's fallbacks) would draw as an empty box."""
    layout = QTextLayout(text, font)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(1e6)
    layout.endLayout()
    boxed = any(
        not run.rawFont().isValid() or not run.rawFont().familyName() or 0 in run.glyphIndexes()
        for run in layout.glyphRuns()
    )
    if not boxed:
        return ""
    # name the culprits: characters no loaded font of the run list supports
    fonts = [run.rawFont() for run in layout.glyphRuns() if run.rawFont().isValid() and run.rawFont().familyName()]
    return "".join(sorted({
        ch for ch in text
        if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc")
        and not any(raw.supportsCharacter(ch) for raw in fonts)
    })) or text


def _clipped(root: QWidget) -> list[str]:
    """Visible one-line labels and buttons narrower than their text needs."""
    cut: list[str] = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or widget.width() <= 1:
            continue
        if isinstance(widget, QLabel) and not widget.wordWrap() and widget.pixmap().isNull() and widget.text():
            if widget.sizeHint().width() > widget.width() + 1:
                cut.append(_plain(widget.text()))
        elif isinstance(widget, QAbstractButton) and widget.text() and widget.sizeHint().width() > widget.width() + 1:
            cut.append(_plain(widget.text()))
    return cut


def _check(root: QWidget, language: str) -> list[str]:
    problems = []
    for widget, text in _visible_texts(root):
        missing = missing_glyphs(text, widget.font())
        if missing:
            problems.append(f"{type(widget).__name__} {text!r}: no glyph for {missing!r}")
    return problems


@pytest.fixture
def staff(services, admin, dermatologist, receptionist):  # type: ignore[no-untyped-def]
    store = services.settings_store
    store.save(admin, store.load().with_changes(timezone="Europe/Berlin", clinic_name="Hautpraxis Mitte"))
    for number, given, family in NAMES:
        services.patients.create(receptionist, PatientInput(number, given, family, date(1980, 1, 2), Sex.FEMALE))
    return dermatologist, receptionist


@pytest.fixture(scope="module", autouse=True)
def themed(qapp: QApplication):  # type: ignore[no-untyped-def]
    apply_theme(qapp)
    install_catalogue_translator(qapp)  # as Shell.use_language does: "Cancel" where Qt has no catalogue
    yield
    apply_layout_direction("en")
    remove_catalogue_translator(qapp)


def test_the_bundled_fonts_cover_every_offered_script(qapp: QApplication) -> None:
    families = load_bundled_fonts()
    for family in ("Noto Sans Devanagari", "Noto Sans Tamil", "Noto Sans Telugu", "Noto Sans Arabic"):
        assert family in families
        assert family in qapp.font().families(), "the application font falls back to the bundled fonts"
    for name in SUPPORTED_LANGUAGES.values():
        assert not missing_glyphs(name, qapp.font()), name


def test_missing_glyphs_detects_a_box() -> None:
    # no bundled or system font draws Ol Chiki: the detector must say so, or the tests below prove nothing
    assert missing_glyphs("ᱚᱞ ᱪᱤᱠᱤ", QApplication.font())
    assert not missing_glyphs("Patients", QApplication.font())


@pytest.mark.parametrize("language", LANGUAGES)
def test_main_window_and_booking_dialog_render_every_character(  # type: ignore[no-untyped-def]
    qtbot, services, ops, staff, language: str, tmp_path: Path
) -> None:
    dermatologist, receptionist = staff
    set_language(language)
    apply_layout_direction(language)
    services = with_clock(services, lambda: datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    reception = services.reception
    window = open_main_window(qtbot, services, dermatologist, ops, language=language, clinic_name="Hautpraxis Mitte")
    window.resize(1280, 800)
    page = window.stack.currentWidget()
    with qtbot.waitSignal(page.results_shown, timeout=10000):
        page.refresh()
    assert window.isRightToLeft() == (language == "ar")
    shots = _shots(tmp_path)
    window.grab().save(str(shots / f"main-{language}.png"))
    problems = _check(window, language)

    schedule = SchedulePage(reception.appointments, services.users, services.patients, receptionist, ops)
    qtbot.addWidget(schedule)
    schedule.resize(1200, 800)
    schedule.show()
    with qtbot.waitSignal(schedule.loaded, timeout=10000):
        schedule.refresh()
    dialog = schedule.new_appointment(datetime(2026, 3, 2, 9, 0), dermatologist.id)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.picker.results_shown, timeout=10000):
        dialog.picker.search.setText("MRN")
        dialog.picker.search_now()
    dialog.grab().save(str(shots / f"booking-{language}.png"))
    schedule.grab().save(str(shots / f"schedule-{language}.png"))
    problems += _check(dialog, language) + _check(schedule, language)

    assert not problems, f"{language}: {len(problems)} texts with missing glyphs, e.g. {problems[:3]}"
    if language != "en":
        english = [b.text() for b in dialog.findChildren(QAbstractButton) if b.isVisible() and b.text() == "Cancel"]
        assert not english, f"{language}: Qt's standard buttons stay English"
    # dates and times read left to right in Arabic too (Qt would mirror 09:00 into "00:09")
    assert dialog.time.text() == "09:00"
    assert dialog.day.text().startswith("2026") or dialog.day.text().endswith("2026")
    assert dialog.day.layoutDirection() == Qt.LayoutDirection.LeftToRight
    if language == "ar":
        assert dialog.day.text() == "2026-03-02", "the ISO date keeps its order in Arabic"
    clipped = _clipped(dialog) + _clipped(window)
    assert not clipped, f"{language}: labels or buttons cut off: {clipped[:5]}"


def test_isolates_keep_a_latin_name_whole_in_arabic_text() -> None:
    set_language("ar")
    text = f"المريض: {isolate('Jürgen Groß')} (MRN-7)"
    assert "\u2068Jürgen Groß\u2069" in text
    assert not missing_glyphs(text, QApplication.font())
    set_language("de")
    assert isolate("Jürgen Groß") == "Jürgen Groß"  # left-to-right text needs no marks


@pytest.fixture
def ws(services, fake_analysis):  # type: ignore[no-untyped-def]  # noqa: F811
    return replace(services, analysis=fake_analysis).workstation


@pytest.mark.parametrize("language", LANGUAGES)
def test_analysis_page_renders_every_character(  # type: ignore[no-untyped-def]
    qtbot, services, ops, dermatologist, ws, language: str, test_data: Path, tmp_path: Path
) -> None:
    patient = services.patients.create(dermatologist, PatientInput("MRN-7", "अनीता", "الحسيني", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")
    set_language(language)
    apply_layout_direction(language)
    page = AnalysisPage(ws, services.patients, dermatologist, ops)
    qtbot.addWidget(page)
    page.resize(1280, 860)
    page.show()
    with qtbot.waitSignal(page.lesions_loaded, timeout=10000):
        page.show_patient(patient.id, lesion.id)
    with qtbot.waitSignal(page.analysis_shown, timeout=120000) as shown:
        page.import_files([test_data / "ph2" / "images" / "IMD006.jpg"])
    page.grab().save(str(_shots(tmp_path) / f"analysis-{language}.png"))
    problems = _check(page, language)
    assert not problems, f"{language}: {len(problems)} texts with missing glyphs, e.g. {problems[:3]}"
    assert not _clipped(page), f"{language}: labels or buttons cut off: {_clipped(page)[:5]}"
    if language != "en":  # the class name is translated, not English
        english = LESION_CLASS_NAMES[shown.args[0].stored.prediction]
        assert english not in page.headline.text(), page.headline.text()


def test_a_receptionist_picks_their_own_language_from_the_file_menu(  # type: ignore[no-untyped-def]
    qtbot, services, ops, receptionist, dermatologist
) -> None:
    preferences = UiPreferences(services.paths.data_dir / "ui.ini")
    window = open_main_window(qtbot, services, receptionist, ops, preferences=preferences)
    choices = {a.data(): a for a in window.language_menu.actions()}
    assert list(choices) == list(SUPPORTED_LANGUAGES) and choices["en"].isChecked()
    with qtbot.waitSignal(window.closed, timeout=5000) as closed:
        choices["ta"].trigger()
    assert closed.args == ["relaunch"]  # the shell reopens the window in Tamil
    assert preferences.language_for(receptionist.username, "en") == "ta"
    assert preferences.language_for(dermatologist.username, "en") == "en"  # per user, not per machine


@pytest.mark.parametrize("language", LANGUAGES)
def test_settings_page_renders_every_character(  # type: ignore[no-untyped-def]
    qtbot, services, ops, admin, language: str, tmp_path: Path
) -> None:
    services.users.create_user(admin, "boss", "Dr Boss", frozenset({Role.DERMATOLOGIST, Role.ADMIN}), "boss-password")
    boss = services.auth.sign_in("boss", "boss-password")
    set_language(language)
    apply_layout_direction(language)
    window = open_main_window(qtbot, services, boss, ops, language=language, clinic_name="Hautpraxis Mitte")
    window.resize(1280, 800)
    window.show_section(Section.SETTINGS)
    window.grab().save(str(_shots(tmp_path) / f"settings-{language}.png"))
    problems = _check(window, language)
    assert not problems, f"{language}: {len(problems)} texts with missing glyphs, e.g. {problems[:3]}"
    assert not _clipped(window), f"{language}: labels or buttons cut off: {_clipped(window)[:5]}"
