"""Working hours and slot length of one dermatologist."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from babel.dates import get_day_names
from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _, current_language
from dermstation.services.reception_types import DayHours, WorkingHours
from dermstation.ui.forms import FormErrors
from dermstation.ui.operations import Kind, Operations
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.appointments import AppointmentService
    from dermstation.services.types import CurrentUser


class WorkingHoursDialog(QDialog):
    saved = Signal(object)

    def __init__(
        self,
        appointments: AppointmentService,
        user: CurrentUser,
        ops: Operations,
        hours: WorkingHours,
        dermatologist_name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._appointments = appointments
        self._user = user
        self._ops = ops
        self._hours = hours
        self.setWindowTitle(_("Working hours"))
        names = get_day_names("wide", locale=current_language())
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.addWidget(set_role(QLabel(_("From")), "fieldName"), 0, 1)
        grid.addWidget(set_role(QLabel(_("To")), "fieldName"), 0, 2)
        self.rows: list[tuple[QCheckBox, QTimeEdit, QTimeEdit]] = []
        for index in range(7):
            day = hours.days[index]
            works = QCheckBox(names[index])
            start, end = QTimeEdit(), QTimeEdit()
            for edit in (start, end):
                edit.setDisplayFormat("HH:mm")
            start.setTime(_qtime(day.start if day else time(8)))
            end.setTime(_qtime(day.end if day else time(17)))
            works.toggled.connect(start.setEnabled)
            works.toggled.connect(end.setEnabled)
            works.setChecked(day is not None)
            start.setEnabled(day is not None)
            end.setEnabled(day is not None)
            grid.addWidget(works, index + 1, 0)
            grid.addWidget(start, index + 1, 1)
            grid.addWidget(end, index + 1, 2)
            self.rows.append((works, start, end))
        self.slot = QSpinBox()
        self.slot.setRange(5, 240)
        self.slot.setSingleStep(5)
        self.slot.setSuffix(" " + _("min"))
        self.slot.setValue(hours.slot_minutes)
        grid.addWidget(QLabel(_("Slot length")), 8, 0)
        grid.addWidget(self.slot, 8, 1)
        general = QLabel()
        self.errors = FormErrors(general)
        buttons = QDialogButtonBox()
        self.save_button = QPushButton(_("Save"))
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(lambda: self._ops.spawn(self._save(), parent=self))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.addWidget(set_role(QLabel(_("Working hours of {name}").format(name=dermatologist_name)), "title"))
        note = set_role(QLabel(_("Times are the clinic's local time.")), "subtitle")
        layout.addWidget(note)
        layout.addWidget(general)
        layout.addLayout(grid)
        layout.addWidget(buttons)

    def working_hours(self) -> WorkingHours:
        days = tuple(
            DayHours(_time(start.time()), _time(end.time())) if works.isChecked() else None
            for works, start, end in self.rows
        )
        return WorkingHours(self._hours.dermatologist_id, self.slot.value(), days)

    async def _save(self) -> None:
        self.errors.clear()
        try:
            saved = await self._ops.db(self._appointments.set_working_hours, self._user, self.working_hours())
        except ValidationError as exc:
            self.errors.show(exc)
            return
        self._ops.announce(Kind.APPOINTMENTS)  # the free slots change
        self.saved.emit(saved)
        self.accept()


def _qtime(value: time) -> QTime:
    return QTime(value.hour, value.minute)


def _time(value: QTime) -> time:
    return time(value.hour(), value.minute())
