from __future__ import annotations

from datetime import date

from dermstation.core import i18n


def test_unknown_language_falls_back_to_english() -> None:
    i18n.set_language("xx")
    assert i18n.current_language() == "en"
    assert i18n._("Patients") == "Patients"


def test_dates_follow_the_locale() -> None:
    try:
        i18n.set_language("de")
        assert i18n.format_day(date(2026, 3, 1)) == "01.03.2026"
        assert i18n.format_number(1234.5) == "1.234,5"
        i18n.set_language("en")
        assert i18n.format_day(date(2026, 3, 1)) == "Mar 1, 2026"
    finally:
        i18n.set_language("en")
