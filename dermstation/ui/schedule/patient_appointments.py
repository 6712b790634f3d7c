"""A patient's upcoming and past appointments, for the patient's chart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

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


class PatientAppointmentsPanel(QWidget):
    """Call ``show_patient(id)``; ``shown`` fires with the loaded lists."""

    shown = Signal(object)

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
            widget.setTextElideMode(Qt.TextElideMode.ElideRight)
            widget.setMaximumHeight(130)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(set_role(QLabel(_("Upcoming appointments")), "section"))
        layout.addWidget(self.upcoming)
        layout.addWidget(set_role(QLabel(_("Past appointments")), "section"))
        layout.addWidget(self.past)

    def show_patient(self, patient_id: int) -> None:
        self._ops.spawn(self._load(patient_id), key=f"patient-appointments-{id(self)}", parent=self)

    async def _load(self, patient_id: int) -> None:
        lists: PatientAppointments = await self._ops.db(self._appointments.for_patient, self._user, patient_id)
        for widget, items, empty in (
            (self.upcoming, lists.upcoming, _("No upcoming appointments.")),
            (self.past, lists.past, _("No past appointments.")),
        ):
            widget.clear()
            for a in items:
                item = QListWidgetItem(appointment_line(a))
                item.setData(Qt.ItemDataRole.UserRole, a)
                item.setToolTip(appointment_line(a))
                widget.addItem(item)
            if not items:
                placeholder = QListWidgetItem(empty)
                placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
                widget.addItem(placeholder)
        self.shown.emit(lists)
