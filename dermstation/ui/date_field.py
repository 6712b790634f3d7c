"""A date typed first, picked from a calendar second; empty means "not recorded"."""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtWidgets import QCalendarWidget, QHBoxLayout, QLineEdit, QToolButton, QWidget

from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _, current_language

# Qt display formats by language: day first where the language expects it, ISO otherwise
# (never an ambiguous two-digit year).
_DATE_FORMATS = {"de": "dd.MM.yyyy", "fr": "dd/MM/yyyy", "es": "dd/MM/yyyy"}


def date_format() -> str:
    return _DATE_FORMATS.get(current_language().split("_")[0], "yyyy-MM-dd")


def parse_typed_date(text: str, day_first: bool) -> date | None:
    """``text`` as a date: ISO, the language's order with any separator, or 8 digits; None when empty.

    Raises ValueError for anything else, so a typo is never stored as some other day.
    """
    text = text.strip()
    if not text:
        return None
    parts = re.findall(r"\d+", text)
    if len(parts) == 1 and len(parts[0]) == 8:  # 19561209, else 09121956 in the language's order
        digits = parts[0]
        year_first = 1850 <= int(digits[:4]) <= date.today().year and 1 <= int(digits[4:6]) <= 12
        parts = [digits[:4], digits[4:6], digits[6:]] if year_first else [digits[:2], digits[2:4], digits[4:]]
    if len(parts) != 3 or re.search(r"[^\d\s./\-]", text):
        raise ValueError(text)
    if len(parts[0]) == 4:
        year, month, day = (int(p) for p in parts)
    elif len(parts[2]) == 4:
        first, second, year = (int(p) for p in parts)
        day, month = (first, second) if day_first else (second, first)
    else:
        raise ValueError(text)
    return date(year, month, day)


class DateField(QWidget):
    """A line edit for typing the date (the fast path) and a button with a calendar."""

    def __init__(self, field: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._field = field
        self._format = date_format()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self._format.replace("yyyy", _("YYYY")).replace("MM", _("MM"))
                                     .replace("dd", _("DD")))
        self.edit.setAccessibleName(_("Date, typed as {format}").format(format=self.edit.placeholderText()))
        self.calendar_button = QToolButton()
        self.calendar_button.setText("…")
        self.calendar_button.setToolTip(_("Pick from a calendar"))
        self.calendar_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.calendar_button.clicked.connect(self.show_calendar)
        self.calendar: QCalendarWidget | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.calendar_button)
        self.setFocusProxy(self.edit)

    def setDate(self, value: QDate | date | None) -> None:  # noqa: N802 - Qt naming, like QDateEdit
        if isinstance(value, date):
            value = QDate(value.year, value.month, value.day)
        self.edit.setText(value.toString(self._format) if value is not None and value.isValid() else "")

    def value(self) -> date | None:
        """The typed date, None when empty; ValidationError (on this field) when it is not a date."""
        try:
            born = parse_typed_date(self.edit.text(), day_first=not self._format.startswith("yyyy"))
        except ValueError:
            raise ValidationError(
                _("“{text}” is not a date. Type it as {format}.").format(
                    text=self.edit.text().strip(), format=self.edit.placeholderText()),
                field=self._field,
            ) from None
        if born is not None and born > date.today():
            raise ValidationError(_("The date lies in the future."), field=self._field)
        return born

    def show_calendar(self) -> None:
        """Open the calendar at the typed date, or at a plausible adult's birth year, never at 1900."""
        calendar = QCalendarWidget(self)
        calendar.setWindowFlags(Qt.WindowType.Popup)
        calendar.setMaximumDate(QDate.currentDate())
        calendar.setGridVisible(True)
        try:
            current = self.value()
        except ValidationError:
            current = None
        if current is not None:
            calendar.setSelectedDate(QDate(current.year, current.month, current.day))
        else:
            today = date.today()
            calendar.setCurrentPage(today.year - 40, 1)

        def picked(day: QDate) -> None:
            self.setDate(day)
            calendar.close()
            self.edit.setFocus()

        calendar.activated.connect(picked)
        calendar.clicked.connect(picked)
        calendar.move(self.mapToGlobal(QPoint(0, self.height())))
        self.calendar = calendar
        calendar.show()
        calendar.setFocus()
