"""Right-to-left lines on the page: pieces in the order they are drawn, left to right (UAX #9)."""

from __future__ import annotations

import pytest

from dermstation.reports.bidi import has_rtl, visual_order
from dermstation.reports.fonts import runs


def _drawn(text: str, rtl: bool) -> list[str]:
    return [p for p in visual_order(text, rtl, runs(text)) if p.strip()]


def test_an_arabic_family_name_with_its_comma_keeps_its_order_in_a_latin_line() -> None:
    # read right to left: family name, comma, given name; so drawn given name first (leftmost)
    assert _drawn("Patient: الزهراء، فاطمة (MRN-1)", rtl=False) == [
        "P", "a", "t", "i", "e", "n", "t", ":", "فاطمة", "الزهراء،", "(", "M", "R", "N", "-", "1", ")"]


def test_an_arabic_sentence_is_drawn_from_the_right() -> None:
    assert _drawn("ملخص لك", rtl=True) == ["لك", "ملخص"]


def test_numbers_and_latin_names_keep_their_own_order_in_an_arabic_line() -> None:
    # read from the right: القطر (أقصى قطر Feret): 8.4 mm; the brackets are mirrored and stay a pair
    assert _drawn("القطر (أقصى قطر Feret): 8.4 mm", rtl=True) == [
        "m", "m", "8.4", ":", "(", "F", "e", "r", "e", "t", "قطر", "أقصى", ")", "القطر"]


@pytest.mark.parametrize(("text", "piece"), [("درجة: 46.7%", "46.7%"), ("التغيُّر +23.3%", "+23.3%"),
                                             ("الألوان ≥5 %", "≥5"), ("14\u200f/05\u200f/2026 ص", "14/05/2026")])
def test_a_number_with_its_signs_is_one_piece(text: str, piece: str) -> None:
    assert piece in visual_order(text, True, runs(text))


def test_digits_inside_a_code_stay_with_their_letters() -> None:
    drawn = "".join(visual_order("رقم السجل MRN-004711", True, runs("رقم السجل MRN-004711")))
    assert "MRN-004711" in drawn


def test_only_text_with_right_to_left_letters_needs_reordering() -> None:
    assert has_rtl("فاطمة") and not has_rtl("Jürgen Groß") and not has_rtl("राम")


def test_tables_in_a_right_to_left_report_run_right_to_left() -> None:
    from reportlab.platypus import TableStyle

    from dermstation.reports.layout import MirroredTable, make_styles

    table = make_styles(rtl=True).table([["label", "value", "note"]], colWidths=[10, 20, 30])
    assert isinstance(table, MirroredTable)
    assert table._cellvalues == [["note", "value", "label"]] and table._colWidths == [30, 20, 10]
    table.setStyle(TableStyle([("LINEAFTER", (0, 0), (0, -1), 1, None), ("LEFTPADDING", (1, 0), (-1, -1), 3),
                               ("ALIGN", (0, 0), (-1, -1), "LEFT")]))
    assert table._mirrored(("LINEAFTER", (0, 0), (0, -1), 1)) == ("LINEBEFORE", (2, 0), (2, -1), 1)
    assert table._mirrored(("LEFTPADDING", (1, 0), (-1, -1), 3)) == ("RIGHTPADDING", (0, 0), (1, -1), 3)
    assert table._mirrored(("ALIGN", (0, 0), (-1, -1), "LEFT")) == ("ALIGN", (0, 0), (2, -1), "RIGHT")
    assert not isinstance(make_styles().table([["a"]], colWidths=[5]), MirroredTable)
