"""A patient's upcoming and past appointments, for the patient's chart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.errors import DermStationError
from dermstation.core.i18n import _
from dermstation.services.appointments import status_label
from dermstation.ui.operations import Operations
from dermstation.ui.schedule.timefmt import clock_label, day_heading
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.appointments import AppointmentService
    from dermstation.services.reception_types import AppointmentInfo, PatientAppointments
    from dermstation.services.types import CurrentUser


def appointment_line(a: AppointmentInfo) -> str:
    reason = f" · {a.reason}" if a.reason else ""
    return f"{day_heading(a.start.date())}, {clock_label(a.start)} · {a.dermatologist_name}{reason} · {status_label(a.status)}"


def appointment_text(a: AppointmentInfo) -> str:
    """Two lines for the list: when and with whom, then why and its status (wrapped, never cut)."""
    details = " · ".join(t for t in (a.reason, status_label(a.status)) if t)
    return f"{day_heading(a.start.date())}, {clock_label(a.start)} · {a.dermatologist_name}\n{details}"


class PatientAppointmentsPanel(QWidget):
    """Call ``show_patient(id)``; ``shown`` fires with the loaded lists."""

    shown = Signal(object)
    failed = Signal(str)

    def __init__(self, appointments: AppointmentService, user: CurrentUser, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._appointments = appointments
        self._user = user
        self._ops = ops
        self.upcoming = QListWidget()
        self.upcoming.setObjectName("upcomingAppointments")
        self.past = QListWidget()
        self.past.setObjectName("pastAppointments")
        for widget in (self.upcoming, self.past):
            # long reasons and names wrap inside the list's width instead of running off its edge
            widget.setWordWrap(True)
            widget.setResizeMode(QListView.ResizeMode.Adjust)
            widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            widget.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
            widget.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(set_role(QLabel(_("Upcoming appointments")), "section"))
        layout.addWidget(self.upcoming)
        layout.addWidget(set_role(QLabel(_("Past appointments")), "section"))
        layout.addWidget(self.past)
        layout.addStretch(1)  # spare height below the lists, never between a heading and its list

    def show_patient(self, patient_id: int) -> None:
        self._ops.spawn(self._load(patient_id), key=f"patient-appointments-{id(self)}", parent=self)

    async def _load(self, patient_id: int) -> None:
        for widget in (self.upcoming, self.past):  # never the previous patient's list while this one loads
            widget.clear()
            _placeholder(widget, _("Loading…"))
        try:
            lists: PatientAppointments = await self._ops.db(self._appointments.for_patient, self._user, patient_id)
        except DermStationError as exc:
            message = _("The appointments could not be loaded: {reason}").format(reason=exc.message)
            for widget in (self.upcoming, self.past):
                widget.clear()
            _placeholder(self.upcoming, message)
            self.failed.emit(message)
            return
        for widget, items, empty in (
            (self.upcoming, lists.upcoming, _("No upcoming appointments.")),
            (self.past, lists.past, _("No past appointments.")),
        ):
            widget.clear()
            for a in items:
                item = QListWidgetItem(appointment_text(a))
                item.setData(Qt.ItemDataRole.UserRole, a)
                item.setToolTip(appointment_line(a))
                item.setData(Qt.ItemDataRole.AccessibleTextRole, appointment_line(a))
                widget.addItem(item)
            if items:
                _fit_height(widget)
            else:
                _placeholder(widget, empty)
        self.shown.emit(lists)


def _placeholder(widget: QListWidget, text: str) -> None:
    item = QListWidgetItem(text)
    item.setFlags(Qt.ItemFlag.NoItemFlags)
    widget.addItem(item)
    _fit_height(widget)


def _fit_height(widget: QListWidget) -> None:
    """Room for a few appointments (scrolling beyond), and no more than a message needs."""
    line = widget.fontMetrics().height()
    placeholder_only = widget.count() == 1 and not widget.item(0).flags() & Qt.ItemFlag.ItemIsEnabled
    widget.setFixedHeight(line * 3 + 8 if placeholder_only else line * 9)
