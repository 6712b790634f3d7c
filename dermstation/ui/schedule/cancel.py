"""Ask before cancelling an appointment, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.i18n import _
from dermstation.ui.schedule.timefmt import clock_label, day_heading
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.reception_types import AppointmentInfo


def cancel_reasons() -> list[str]:
    return [_("The patient asked to cancel"), _("The clinic cancelled (dermatologist unavailable)"),
            _("No longer needed"), _("Other")]


class CancelAppointmentDialog(QDialog):
    """Confirms a cancellation; the default button keeps the appointment."""

    def __init__(self, appointment: AppointmentInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Cancel appointment"))
        self.setMinimumWidth(440)
        summary = QLabel(f"{appointment.patient_name} · {appointment.dermatologist_name}\n"
                         f"{day_heading(appointment.start.date())}, {clock_label(appointment.start)}")
        summary.setWordWrap(True)
        self.reason = QComboBox()
        self.reason.addItems(cancel_reasons())
        self.details = QLineEdit()
        self.details.setPlaceholderText(_("Details (optional)"))
        self.details.setMaxLength(150)
        form = QFormLayout()
        form.addRow(_("Appointment"), summary)
        form.addRow(_("Reason"), self.reason)
        form.addRow("", self.details)
        buttons = QDialogButtonBox()
        self.keep_button = QPushButton(_("Keep appointment"))
        self.keep_button.setDefault(True)
        self.cancel_button = QPushButton(_("Cancel appointment"))
        self.cancel_button.setAutoDefault(False)  # cancelling takes a deliberate click or Alt key, never Enter
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.keep_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.clicked.connect(self.accept)
        self.keep_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.addWidget(set_role(QLabel(_("Cancel this appointment?")), "title"))
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.reason.setFocus(Qt.FocusReason.OtherFocusReason)

    def reason_text(self) -> str:
        details = self.details.text().strip()
        return f"{self.reason.currentText()} – {details}" if details else self.reason.currentText()
