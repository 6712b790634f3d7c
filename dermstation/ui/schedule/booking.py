"""Book an appointment (patient search, dermatologist, time, next free slot) or edit its reason and notes."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.errors import Conflict, ValidationError
from dermstation.core.i18n import _
from dermstation.services import clinic_time
from dermstation.services.reception_types import BookingInput
from dermstation.ui.date_field import date_format
from dermstation.ui.forms import FormErrors, GuardedDialog
from dermstation.ui.operations import Kind, Operations
from dermstation.ui.schedule.patient_picker import PatientPicker
from dermstation.ui.schedule.timefmt import clock_label, day_heading
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.appointments import AppointmentService
    from dermstation.services.patients import PatientService
    from dermstation.services.reception_types import AppointmentInfo
    from dermstation.services.types import CurrentUser, UserInfo


class BookingDialog(GuardedDialog):
    """``saved`` carries the AppointmentInfo the service returned."""

    saved = Signal(object)
    #: the next free slot was looked up and filled in (or None: nothing free)
    slot_found = Signal(object)

    def __init__(
        self,
        appointments: AppointmentService,
        patients: PatientService,
        user: CurrentUser,
        ops: Operations,
        dermatologists: list[UserInfo],
        zone: ZoneInfo,
        *,
        start: datetime | None = None,
        dermatologist_id: int | None = None,
        existing: AppointmentInfo | None = None,
        reschedule: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._appointments = appointments
        self._user = user
        self._ops = ops
        self._zone = zone
        self._existing = existing
        self._reschedule = existing is not None and reschedule
        self.setWindowTitle(_("Reschedule appointment") if self._reschedule
                            else _("Appointment") if existing else _("New appointment"))
        self.setMinimumWidth(540)

        self.picker = PatientPicker(patients, user, ops)
        self.dermatologist = QComboBox()
        self.dermatologist.setObjectName("dermatologist")
        for doctor in dermatologists:
            self.dermatologist.addItem(doctor.full_name, doctor.id)
        if dermatologist_id is not None:
            self.dermatologist.setCurrentIndex(max(0, self.dermatologist.findData(dermatologist_id)))
        self.day = QDateEdit()
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat(date_format())
        self.time = QTimeEdit()
        self.time.setDisplayFormat("HH:mm")
        self.duration = QSpinBox()
        self.duration.setRange(5, 480)
        self.duration.setSingleStep(5)
        self.duration.setValue(20)
        self.duration.setSuffix(" " + _("min"))
        self.next_free = QPushButton(_("Next free slot"))
        self.next_free.setObjectName("nextFree")
        self.next_free.setAutoDefault(False)  # Enter books; it never moves the time behind the user's back
        self.next_free.clicked.connect(self.find_next_free)
        # wide enough for their text and arrows in every language and font
        digits = self.fontMetrics()
        self.day.setMinimumWidth(digits.horizontalAdvance("0000-00-00") + 56)
        self.time.setMinimumWidth(digits.horizontalAdvance("00:00") + 44)
        self.duration.setMinimumWidth(digits.horizontalAdvance("480 " + _("min")) + 44)
        when = QWidget()
        when_row = QHBoxLayout(when)
        when_row.setContentsMargins(0, 0, 0, 0)
        when_row.addWidget(self.day, 1)
        when_row.addWidget(self.time)
        when_row.addWidget(self.duration)
        slot = QWidget()
        slot_row = QHBoxLayout(slot)
        slot_row.setContentsMargins(0, 0, 0, 0)
        slot_row.addWidget(self.next_free)
        slot_row.addStretch(1)
        self.outside_hours = QCheckBox(_("Allow a time outside working hours"))
        # the hour repeated when the clocks go back happens twice: let the user say which one
        self.second_occurrence = QCheckBox(_("The second {time} (after the clocks go back)"))
        self.second_occurrence.setObjectName("secondOccurrence")
        self.second_occurrence.setVisible(False)
        self.day.dateChanged.connect(lambda _d: self._check_repeated_hour())
        self.time.timeChanged.connect(lambda _t: self._check_repeated_hour())
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(_("e.g. mole check, follow-up, excision"))
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(70)

        general = QLabel()
        self.errors = FormErrors(general)
        form = QFormLayout()
        form.setVerticalSpacing(6)
        if existing is None:
            form.addRow(_("Patient"), self.errors.field("patient", self.picker))
            form.addRow(_("Dermatologist"), self.errors.field("dermatologist", self.dermatologist))
            form.addRow(_("When"), self.errors.field("start", when))
            form.addRow("", slot)
            form.addRow("", self.second_occurrence)
            form.addRow("", self.errors.field("outside_hours", self.outside_hours))
        else:
            summary = QLabel(
                f"{existing.patient_name} · {existing.dermatologist_name}\n"
                f"{day_heading(existing.start.date())}, {clock_label(existing.start)}–{clock_label(existing.end)}"
            )
            summary.setWordWrap(True)
            form.addRow(_("Appointment"), summary)
        if self._reschedule:
            # the same length at another time or with another dermatologist (what dragging does)
            self.duration.setEnabled(False)
            self.dermatologist.setCurrentIndex(max(0, self.dermatologist.findData(existing.dermatologist_id)))
            form.addRow(_("Dermatologist"), self.errors.field("dermatologist", self.dermatologist))
            form.addRow(_("New time"), self.errors.field("start", when))
            form.addRow("", slot)
            form.addRow("", self.second_occurrence)
            form.addRow("", self.errors.field("outside_hours", self.outside_hours))
        else:
            form.addRow(_("Reason"), self.errors.field("reason", self.reason))
            form.addRow(_("Notes"), self.errors.field("notes", self.notes))

        buttons = QDialogButtonBox()
        self.save_button = QPushButton(
            _("Book") if existing is None else _("Move appointment") if self._reschedule else _("Save"))
        self.save_button.setObjectName("book")
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.setSpacing(10)
        layout.addWidget(set_role(QLabel(self.windowTitle()), "title"))
        layout.addWidget(general)
        layout.addLayout(form)
        layout.addWidget(buttons)

        if existing is not None:
            self.reason.setText(existing.reason)
            self.notes.setPlainText(existing.notes)
        if existing is not None:
            self.duration.setValue(max(5, int((existing.end - existing.start).total_seconds() // 60)))
            initial = existing.start.astimezone(zone).replace(tzinfo=None)
        else:
            initial = start or datetime.now(zone).replace(tzinfo=None, second=0, microsecond=0)
        self.set_start(initial)
        self.mark_clean()
        (self.day if self._reschedule else self.picker.search).setFocus()

    # --- values ----------------------------------------------------------------------------------
    def set_start(self, value: datetime) -> None:
        self.day.setDate(QDate(value.year, value.month, value.day))
        self.time.setTime(QTime(value.hour, value.minute))
        self.second_occurrence.setChecked(value.fold == 1)
        self._check_repeated_hour()

    def start(self) -> datetime:
        """The chosen wall-clock time (naive; ``fold=1`` for the second of a repeated hour)."""
        d, t = self.day.date(), self.time.time()
        wall = datetime.combine(date(d.year(), d.month(), d.day()), time(t.hour(), t.minute()))
        second = self.second_occurrence.isChecked() and clinic_time.is_ambiguous(wall, self._zone)
        return wall.replace(fold=1 if second else 0)

    def _check_repeated_hour(self) -> None:
        wall = self.start().replace(fold=0)
        repeated = clinic_time.is_ambiguous(wall, self._zone)
        self.second_occurrence.setText(
            _("The second {time} (after the clocks go back)").format(time=clock_label(wall))
        )
        self.second_occurrence.setVisible(repeated and (self._existing is None or self._reschedule))

    def booking_input(self) -> BookingInput:
        patient = self.picker.patient
        return BookingInput(
            patient_id=patient.id if patient else 0,
            dermatologist_id=self.dermatologist.currentData() or 0,
            start=self.start(),
            duration_minutes=self.duration.value(),
            reason=self.reason.text(),
            notes=self.notes.toPlainText(),
            outside_hours_ok=self.outside_hours.isChecked(),
        )

    # --- actions ---------------------------------------------------------------------------------
    def find_next_free(self) -> None:
        self._ops.spawn(self._find_next_free(), parent=self)

    async def _find_next_free(self) -> None:
        self.errors.clear()
        derm = self.dermatologist.currentData()
        if derm is None:
            return
        after = self.start().replace(tzinfo=self._zone)
        patient = self.picker.patient
        found = await self._ops.db(
            self._appointments.next_free_slot, self._user, derm, after, self.duration.value(),
            patient.id if patient else None,
        )
        if found is None:
            self.errors.show(ValidationError(_("No free slot in the next three months."), field="start"))
        else:
            self.set_start(found.replace(tzinfo=None, fold=found.fold))
        self.slot_found.emit(found)

    def _submit(self) -> None:
        if not self.saving:
            self._ops.spawn(self._save(), parent=self)

    async def _save(self) -> None:
        self.errors.clear()
        if self._existing is None and self.picker.patient is None:
            self.errors.show(ValidationError(_("Please choose a patient."), field="patient"))
            return
        self.saving = True
        try:
            if self._existing is None:
                result = await self._ops.db(self._appointments.book, self._user, self.booking_input())
            elif self._reschedule:
                result = await self._ops.db(
                    self._appointments.move, self._user, self._existing.id, self.start(),
                    self.dermatologist.currentData(), outside_hours_ok=self.outside_hours.isChecked(),
                )
            else:
                result = await self._ops.db(
                    self._appointments.update_details, self._user, self._existing.id,
                    self.reason.text(), self.notes.toPlainText(),
                )
        except ValidationError as exc:
            self.errors.show(exc, "start" if exc.field == "duration" else "")
            if exc.field == "outside_hours":
                self.outside_hours.setFocus()
            return
        except Conflict as exc:
            self.errors.show(exc, "start")
            return
        finally:
            self.saving = False
        self._ops.announce(Kind.APPOINTMENTS, result.id)
        self.saved.emit(result)
        self.accept()
