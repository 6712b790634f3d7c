"""Drop-downs that show long names (patients, device profiles): the box may elide the chosen name, so the
full name is in its tooltip and accessible name, and the opened list is wide enough to read every name."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QStyle

from dermstation.core.i18n import _

POPUP_PADDING = 32  # the list's frame and item margins, beside the scroll bar
SCREEN_MARGIN = 40


def fit_popup(combo: QComboBox) -> int:
    """Make the opened list as wide as its longest entry (at most the screen); returns that width."""
    view = combo.view()
    metrics = view.fontMetrics()
    longest = max((metrics.horizontalAdvance(combo.itemText(i)) for i in range(combo.count())), default=0)
    icon = combo.iconSize().width() + 4 if any(not combo.itemIcon(i).isNull() for i in range(combo.count())) else 0
    width = longest + icon + view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) + POPUP_PADDING
    screen = combo.screen()
    if screen is not None:
        width = min(width, screen.availableGeometry().width() - SCREEN_MARGIN)
    view.setMinimumWidth(width)
    return width


def name_in_full(combo: QComboBox, field: str, hint: str = "") -> None:
    """The chosen entry's full text in the tooltip (above ``hint``) and the accessible name ("Patient: …"),
    and the list fitted to its entries; call it whenever the entries or the choice change."""
    text = combo.currentText()
    combo.setToolTip("\n".join(t for t in (text, hint) if t) or field)
    combo.setAccessibleName(_("{field}: {value}").format(field=field, value=text) if text else field)
    fit_popup(combo)
