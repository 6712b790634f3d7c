"""The Schedule section: day/week calendar per dermatologist or for the clinic, today's list, actions."""

from __future__ import annotations

import html
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.assessments import FollowUpRequest
from dermstation.core.domain import AppointmentStatus, Role
from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _, ngettext
from dermstation.core.private_files import write_private_file
from dermstation.services.appointments import TRANSITIONS, status_label
from dermstation.services.reception_types import AppointmentInfo, WorkingHours
from dermstation.services.types import PatientSummary
from dermstation.ui.forms import dialog_finished
from dermstation.ui.operations import Changed, Kind, Operations
from dermstation.ui.schedule.booking import BookingDialog
from dermstation.ui.schedule.calendar_view import STATUS_COLOURS, CalendarView, Column
from dermstation.ui.schedule.cancel import CancelAppointmentDialog
from dermstation.ui.schedule.day_list import day_list_html, print_html, print_html_to_pdf
from dermstation.ui.schedule.follow_ups import FollowUpPanel, visit_label
from dermstation.ui.schedule.timefmt import clock_label, day_heading, range_heading, short_day
from dermstation.ui.schedule.working_hours import WorkingHoursDialog
from dermstation.ui.text import breakable
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.appointments import AppointmentService
    from dermstation.services.assessments import AssessmentService
    from dermstation.services.hospital_link import HospitalLink
    from dermstation.services.patients import PatientService
    from dermstation.services.types import CurrentUser, UserInfo
    from dermstation.services.users import UserService

DAY, WEEK = "day", "week"


class SchedulePage(QWidget):
    #: the calendar and today's list show fresh data
    loaded = Signal()
    #: an appointment was booked, moved or changed status (AppointmentInfo)
    appointment_changed = Signal(object)
    #: a file was written (path): .ics export or PDF day list
    file_written = Signal(object)

    def __init__(
        self,
        appointments: AppointmentService,
        users: UserService,
        patients: PatientService,
        user: CurrentUser,
        ops: Operations,
        parent: QWidget | None = None,
        hospital_link: HospitalLink | None = None,
        follow_ups: AssessmentService | None = None,
    ) -> None:
        super().__init__(parent)
        self._appointments = appointments
        self._users = users
        self._patients = patients
        self._user = user
        self._ops = ops
        ops.changed.connect(self._changed)
        self._key = f"schedule-load-{id(self)}"
        self._mode = DAY
        self._day: date | None = None
        self._zone: ZoneInfo | None = None
        self._dermatologists: list[UserInfo] = []
        self._hours: dict[int, WorkingHours] = {}
        self._shown: list[AppointmentInfo] = []
        self._clinic = ""
        self._today = date.today()

        # --- top bar ---
        title = set_role(QLabel(_("Schedule")), "title")
        self.previous = QPushButton("‹")
        self.previous.setFixedWidth(34)
        self.previous.setToolTip(_("Previous (Ctrl+Left)"))
        self.previous.clicked.connect(lambda: self.step(-1))
        self.today_button = QPushButton(_("Today"))
        self.today_button.clicked.connect(self.go_today)
        self.next = QPushButton("›")
        self.next.setFixedWidth(34)
        self.next.setToolTip(_("Next (Ctrl+Right)"))
        self.next.clicked.connect(lambda: self.step(1))
        self.heading = set_role(QLabel(), "section")
        self.heading.setObjectName("scheduleHeading")
        self.day_button = QPushButton(_("Day"))
        self.week_button = QPushButton(_("Week"))
        group = QButtonGroup(self)
        for button in (self.day_button, self.week_button):
            button.setCheckable(True)
            group.addButton(button)
        self.day_button.setChecked(True)
        self.day_button.clicked.connect(lambda: self.set_mode(DAY))
        self.week_button.clicked.connect(lambda: self.set_mode(WEEK))
        self.who = QComboBox()
        self.who.setObjectName("dermatologistFilter")
        self.who.setMinimumWidth(180)
        self.who.addItem(_("All dermatologists"), None)
        self.who.currentIndexChanged.connect(lambda _i: self.refresh())
        self.new_button = QPushButton(_("New appointment"))
        self.new_button.setProperty("primary", True)
        self.new_button.setToolTip(_("Ctrl+N"))
        self.new_button.clicked.connect(lambda: self.new_appointment())
        self.more = QPushButton(_("More"))
        menu = QMenu(self.more)
        self.hours_action = menu.addAction(_("Working hours…"), self.edit_working_hours)
        menu.addAction(_("Export day as calendar file (.ics)…"), self._export_day_dialog)
        menu.addAction(_("Print day list…"), self._print_dialog)
        if hospital_link is not None:  # reception fills the day from the hospital's worklist (issue 22)
            from dermstation.ui.hospital_link import open_worklist

            self.worklist_action = menu.addAction(_("Fill from worklist…"), lambda: open_worklist(
                hospital_link, self._user, self._ops, [(d.id, d.full_name) for d in self._dermatologists],
                self._day, self))
        self.more.setMenu(menu)

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(title)
        top.addSpacing(10)
        top.addWidget(self.previous)
        top.addWidget(self.today_button)
        top.addWidget(self.next)
        top.addSpacing(6)
        top.addWidget(self.heading, 1)
        top.addWidget(self.day_button)
        top.addWidget(self.week_button)
        top.addWidget(self.who)
        top.addWidget(self.more)
        top.addWidget(self.new_button)

        # --- calendar ---
        self.calendar = CalendarView()
        self.calendar.appointment_moved.connect(self._moved)
        self.calendar.slot_activated.connect(lambda derm, start: self.new_appointment(start, derm))
        self.calendar.appointment_activated.connect(self.edit_appointment)
        self.calendar.appointment_selected.connect(self._show_selected)
        self.calendar.context_requested.connect(self._context_menu)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("calendarScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.calendar)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.verticalScrollBar().valueChanged.connect(lambda _v: self.calendar.update())
        self.empty_note = set_role(QLabel(), "subtitle")
        self.empty_note.setObjectName("emptyNote")
        calendar_box = QWidget()
        calendar_layout = QVBoxLayout(calendar_box)
        calendar_layout.setContentsMargins(0, 0, 0, 0)
        calendar_layout.setSpacing(4)
        calendar_layout.addWidget(self.scroll, 1)
        calendar_layout.addWidget(self.empty_note)

        # --- right panel: selected appointment, today's list ---
        card = QFrame()
        card.setObjectName("card")
        card_layout = QVBoxLayout(card)
        card_layout.setContentsMargins(12, 10, 12, 12)
        card_layout.setSpacing(6)
        card_layout.addWidget(set_role(QLabel(_("Selected appointment")), "section"))
        self.details = QLabel(_("Click an appointment in the calendar or in today's list."))
        self.details.setObjectName("appointmentDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setMinimumHeight(self.details.fontMetrics().height() * 5 + 6)
        self.details.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        card_layout.addWidget(self.details)
        actions = QGridLayout()
        actions.setSpacing(6)
        self.check_in_button = QPushButton(_("Check in"))
        self.complete_button = QPushButton(_("Completed"))
        self.no_show_button = QPushButton(_("No-show"))
        self.cancel_button = QPushButton(_("Cancel appointment"))
        self.edit_button = QPushButton(_("Reason and notes…"))
        self.reschedule_button = QPushButton(_("Reschedule…"))
        self.reschedule_button.setToolTip(_("Move to another day, time or dermatologist (Ctrl+R)"))
        self.export_button = QPushButton(_("Calendar file for patient…"))
        self._status_buttons = {
            AppointmentStatus.CHECKED_IN: self.check_in_button,
            AppointmentStatus.COMPLETED: self.complete_button,
            AppointmentStatus.NO_SHOW: self.no_show_button,
            AppointmentStatus.CANCELLED: self.cancel_button,
        }
        for status, button in self._status_buttons.items():
            button.clicked.connect(lambda _c=False, s=status: self.change_status(s))
        self.edit_button.clicked.connect(lambda: self.edit_appointment(self.selected()))
        self.reschedule_button.clicked.connect(lambda: self.reschedule_appointment(self.selected()))
        self.export_button.clicked.connect(self._export_appointment_dialog)
        actions.addWidget(self.check_in_button, 0, 0)
        actions.addWidget(self.complete_button, 0, 1)
        actions.addWidget(self.no_show_button, 1, 0)
        actions.addWidget(self.cancel_button, 1, 1)
        actions.addWidget(self.edit_button, 2, 0)
        actions.addWidget(self.reschedule_button, 2, 1)
        actions.addWidget(self.export_button, 3, 0, 1, 2)
        card_layout.addLayout(actions)
        # the last cancellation can be taken back from here
        self.undo_bar = QFrame()
        self.undo_bar.setObjectName("undoBar")
        undo_row = QHBoxLayout(self.undo_bar)
        undo_row.setContentsMargins(0, 4, 0, 0)
        self.undo_label = QLabel()
        self.undo_label.setWordWrap(True)
        self.undo_button = QPushButton(_("Undo"))
        self.undo_button.clicked.connect(self.undo_cancel)
        undo_row.addWidget(self.undo_label, 1)
        undo_row.addWidget(self.undo_button)
        self.undo_bar.hide()
        self._undoable: AppointmentInfo | None = None
        card_layout.addWidget(self.undo_bar)

        self.today_title = set_role(QLabel(_("Today")), "section")
        self.today_list = QTableWidget(0, 3)
        self.today_list.setObjectName("todayList")
        self.today_list.setHorizontalHeaderLabels([_("Time"), _("Patient"), _("Status")])
        self.today_list.verticalHeader().hide()
        self.today_list.setShowGrid(False)
        self.today_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.today_list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.today_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # long names wrap onto a second line instead of being cut (the tooltip has reason and record too)
        self.today_list.setWordWrap(True)
        self.today_list.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head = self.today_list.horizontalHeader()
        head.setHighlightSections(False)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.today_list.itemSelectionChanged.connect(self._today_selected)
        self.today_summary = set_role(QLabel(), "subtitle")
        self.today_summary.setObjectName("todaySummary")

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(8)
        side_layout.addWidget(card)
        side_layout.addWidget(self.today_title)
        side_layout.addWidget(self.today_list, 1)
        side_layout.addWidget(self.today_summary)
        # follow-ups that signed plans ask for (issue 14): who and when, never the diagnosis
        self.follow_ups: FollowUpPanel | None = None
        self.follow_up_dialog: BookingDialog | None = None  # the last booking opened from a follow-up request
        if follow_ups is not None:
            self.follow_ups = FollowUpPanel(follow_ups, user, ops)
            self.follow_ups.book_requested.connect(self.book_follow_up)
            side_layout.addWidget(self.follow_ups, 1)
        side.setMinimumWidth(300)
        side.setMaximumWidth(420)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(calendar_box)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence.StandardKey.New, self, lambda: self.new_appointment(), context=context)
        QShortcut(QKeySequence("Ctrl+Left"), self, lambda: self.step(-1), context=context)
        QShortcut(QKeySequence("Ctrl+Right"), self, lambda: self.step(1), context=context)
        QShortcut(QKeySequence("Ctrl+R"), self, lambda: self.reschedule_appointment(self.selected()), context=context)
        self._show_selected(None)

    # --- navigation ------------------------------------------------------------------------------
    def current_day(self) -> date:
        return self._day or self._today  # clinic time once loaded

    def mode(self) -> str:
        return self._mode

    def set_day(self, day: date) -> None:
        self._day = day
        self.refresh()

    def set_mode(self, mode: str) -> None:
        self._mode = mode
        self.day_button.setChecked(mode == DAY)
        self.week_button.setChecked(mode == WEEK)
        self.refresh()

    def set_dermatologist(self, dermatologist_id: int | None) -> None:
        self.who.setCurrentIndex(max(0, self.who.findData(dermatologist_id)))

    def step(self, direction: int) -> None:
        self.set_day(self.current_day() + timedelta(days=direction * (7 if self._mode == WEEK else 1)))

    def go_today(self) -> None:
        self._day = None
        self.refresh()

    def selected(self) -> AppointmentInfo | None:
        return self.calendar.selected() or self._selected_in_list()

    # --- loading ---------------------------------------------------------------------------------
    def _changed(self, change: Changed) -> None:
        """Booked, moved or cancelled anywhere (here, a patient's chart, the worklist), or a name changed."""
        if change.kind in (Kind.APPOINTMENTS, Kind.PATIENTS):
            self._ops.spawn(self._load(), key=self._key, parent=self)

    def refresh(self) -> None:
        self._ops.spawn(self._load(), key=self._key, parent=self)
        if self.follow_ups is not None:
            self.follow_ups.refresh()

    def book_follow_up(self, request: FollowUpRequest) -> None:
        """The booking dialog for a follow-up request: its patient, its due day; saved = booked."""
        self._ops.spawn(self._book_follow_up(request), key=f"{self._key}-follow-up", parent=self)

    async def _book_follow_up(self, request: FollowUpRequest) -> None:
        patient = await self._ops.db(self._patients.get, self._user, request.patient_id)
        dialog = self.new_appointment(datetime.combine(max(request.due_on, self._today), time(9)))
        dialog.picker.set_patient(PatientSummary(patient.id, patient.record_number, patient.given_name,
                                                 patient.family_name, patient.date_of_birth, patient.sex))
        dialog.reason.setText(visit_label(request.kind))
        dialog.saved.connect(lambda a: self.follow_ups and self._ops.spawn(
            self.follow_ups.mark_booked(request, a.id), parent=self))
        self.follow_up_dialog = dialog

    def reload(self) -> None:
        """Refresh, re-reading dermatologists, working hours, time zone and clinic name (section opened)."""
        self._zone = None
        self.refresh()

    async def _load(self) -> None:
        if self._zone is None:
            await self._load_static()
        now = await self._ops.db(self._appointments.now_local)
        if self._day is None:
            self._day = now.date()
        self._today = now.date()
        derm = self.who.currentData()
        day = self._day
        if self._mode == DAY:
            shown = await self._ops.db(self._appointments.day, self._user, day, derm)
            doctors = [d for d in self._dermatologists if derm in (None, d.id)]
            columns = [
                Column(day, d.id, d.full_name, short_day(day), self._working(d.id, day)) for d in doctors
            ]
            self.heading.setText(day_heading(day))
        else:
            shown = await self._ops.db(self._appointments.week, self._user, day, derm)
            monday = day - timedelta(days=day.weekday())
            days = [monday + timedelta(days=i) for i in range(7)]
            columns = [
                Column(d, derm, short_day(d), "", self._working(derm, d) if derm is not None else ())
                for d in days
            ]
            self.heading.setText(range_heading(days[0], days[-1]))
        today = await self._ops.db(self._appointments.today, self._user, derm)
        self._shown = shown
        self.calendar.set_content(columns, shown, self._hour_range(columns), now.replace(tzinfo=None))
        self._fill_today(today)
        self._show_empty_note(columns, shown)
        self._show_selected(self.calendar.selected())
        self.loaded.emit()

    async def _load_static(self) -> None:
        self._zone = await self._ops.db(self._appointments.zone)
        self._clinic = await self._ops.db(self._appointments.clinic_name)
        self._dermatologists = await self._ops.db(self._users.list_dermatologists, self._user)
        for doctor in self._dermatologists:
            self._hours[doctor.id] = await self._ops.db(self._appointments.working_hours, self._user, doctor.id)
        current = self.who.currentData()
        self.who.blockSignals(True)
        while self.who.count() > 1:
            self.who.removeItem(1)
        for doctor in self._dermatologists:
            self.who.addItem(doctor.full_name, doctor.id)
        if Role.DERMATOLOGIST in self._user.roles and current is None:
            current = self._user.id  # a dermatologist starts on their own day
        self.who.setCurrentIndex(max(0, self.who.findData(current)))
        self.who.blockSignals(False)
        can_edit_hours = self._user.has(Role.ADMIN, Role.DERMATOLOGIST)
        self.hours_action.setEnabled(can_edit_hours)

    def _working(self, dermatologist_id: int | None, day: date) -> tuple[tuple[time, time], ...]:
        hours = self._hours.get(dermatologist_id) if dermatologist_id is not None else None
        if hours is None:
            return ()
        spec = hours.days[day.weekday()]
        return ((spec.start, spec.end),) if spec else ()

    def _hour_range(self, columns: list[Column]) -> tuple[int, int]:
        spans = [span for c in columns for span in c.working]
        if not spans:
            spans = [span for h in self._hours.values() for d in h.days if d for span in [(d.start, d.end)]]
        if not spans:
            return 7, 19
        first = min(s.hour for s, _e in spans)
        last = max(e.hour + (1 if e.minute else 0) for _s, e in spans)
        return max(0, first - 1), min(24, last + 1)

    def _fill_today(self, today: list[AppointmentInfo]) -> None:
        selected = self.selected()
        self.today_list.setRowCount(len(today))
        for row, a in enumerate(today):
            cells = (
                clock_label(a.start),
                f"{a.patient_name}" + ("" if self.who.currentData() else f" · {a.dermatologist_name}"),
                status_label(a.status),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, a)
                item.setToolTip(f"{a.patient_name} ({a.record_number}) · {a.dermatologist_name}\n{a.reason}")
                if column == 2:
                    item.setForeground(QBrush(QColor(STATUS_COLOURS[a.status][1])))
                self.today_list.setItem(row, column, item)
            if selected is not None and a.id == selected.id:
                self.today_list.selectRow(row)
        arrived = sum(1 for a in today if a.status is AppointmentStatus.CHECKED_IN)
        waiting = sum(1 for a in today if a.status is AppointmentStatus.BOOKED)
        done = sum(1 for a in today if a.status is AppointmentStatus.COMPLETED)
        self.today_title.setText(_("Today") + f" · {day_heading(self._today)}")
        self.today_summary.setText(
            _("{arrived} arrived · {waiting} expected · {done} completed").format(
                arrived=arrived, waiting=waiting, done=done
            )
            if today
            else _("No appointments today.")
        )

    def _show_empty_note(self, columns: list[Column], shown: list[AppointmentInfo]) -> None:
        if not columns:
            self.empty_note.setText(_("No dermatologists yet. An administrator adds them in Settings."))
        elif not [a for a in shown if a.status is not AppointmentStatus.CANCELLED]:
            self.empty_note.setText(_("Nothing booked. Double-click a time to book an appointment."))
        else:
            count = len([a for a in shown if a.blocks_time])
            self.empty_note.setText(
                ngettext("{n} appointment", "{n} appointments", count).format(n=count)
                + " · " + _("Drag an appointment to move it; right-click for more.")
            )

    # --- selection -------------------------------------------------------------------------------
    def _selected_in_list(self) -> AppointmentInfo | None:
        rows = self.today_list.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.today_list.item(rows[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _today_selected(self) -> None:
        chosen = self._selected_in_list()
        if chosen is not None:
            if self.calendar.block(chosen.id) is not None:
                self.calendar.select(chosen.id)
            else:
                self._show_selected(chosen)

    def _show_selected(self, a: AppointmentInfo | None) -> None:
        if a is None:
            a = self._selected_in_list()
        buttons = [*self._status_buttons.values(), self.edit_button, self.reschedule_button, self.export_button]
        if a is None:
            self.details.setText(_("Click an appointment in the calendar or in today's list."))
            for button in buttons:
                button.setEnabled(False)
            return
        self.details.setText(
            f"<b>{html.escape(breakable(a.patient_name))}</b> · {html.escape(a.record_number)}<br/>"
            f"{html.escape(day_heading(a.start.date()))}<br/>"
            f"{clock_label(a.start)}–{clock_label(a.end)} · {html.escape(a.dermatologist_name)}<br/>"
            f"<span style='color:{STATUS_COLOURS[a.status][1]}'>{html.escape(status_label(a.status))}</span>"
            + (f"<br/>{html.escape(breakable(a.reason))}" if a.reason else "")
        )
        allowed = TRANSITIONS[a.status]
        for status, button in self._status_buttons.items():
            button.setEnabled(status in allowed)
        self.edit_button.setEnabled(True)
        self.reschedule_button.setEnabled(a.status is AppointmentStatus.BOOKED)
        self.export_button.setEnabled(True)

    def _context_menu(self, a: AppointmentInfo, pos: QPoint) -> QMenu:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for status, label in (
            (AppointmentStatus.CHECKED_IN, _("Check in")),
            (AppointmentStatus.COMPLETED, _("Completed")),
            (AppointmentStatus.NO_SHOW, _("No-show")),
            (AppointmentStatus.CANCELLED, _("Cancel appointment")),
        ):
            action = QAction(label, menu)
            action.setEnabled(status in TRANSITIONS[a.status])
            action.triggered.connect(lambda _c=False, s=status, i=a.id: self.change_status(s, i))
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(_("Reason and notes…"), lambda: self.edit_appointment(a))
        menu.addAction(_("Reschedule…"), lambda: self.reschedule_appointment(a)).setEnabled(
            a.status is AppointmentStatus.BOOKED)
        menu.addAction(_("Calendar file for patient…"), self._export_appointment_dialog)
        menu.popup(pos)
        return menu

    # --- changes ---------------------------------------------------------------------------------
    def change_status(self, status: AppointmentStatus, appointment_id: int | None = None) -> None:
        a = self.selected()
        target = appointment_id if appointment_id is not None else (a.id if a else None)
        if target is None:
            return
        if status is AppointmentStatus.CANCELLED:
            self._ops.spawn(self._confirm_cancel(target), parent=self)
        else:
            self._ops.spawn(self._change_status(target, status), parent=self)

    async def _confirm_cancel(self, appointment_id: int) -> None:
        appointment = await self._ops.db(self._appointments.get, self._user, appointment_id)
        dialog = CancelAppointmentDialog(appointment, self)
        self.cancel_dialog = dialog
        accepted = await dialog_finished(dialog) == CancelAppointmentDialog.DialogCode.Accepted
        reason = dialog.reason_text()
        dialog.deleteLater()
        if not accepted:
            return
        changed = await self._change_status(appointment_id, AppointmentStatus.CANCELLED, reason)
        self._undoable = changed
        self.undo_label.setText(_("Cancelled: {patient}, {day} {time}.").format(
            patient=changed.patient_name, day=short_day(changed.start.date()), time=clock_label(changed.start)))
        self.undo_bar.show()

    def undo_cancel(self) -> None:
        """Book the last cancelled appointment again, if its time is still free."""
        if self._undoable is not None:
            target, self._undoable = self._undoable.id, None
            self.undo_bar.hide()
            self._ops.spawn(self._change_status(target, AppointmentStatus.BOOKED, _("cancellation undone")),
                            parent=self)

    async def _change_status(
        self, appointment_id: int, status: AppointmentStatus, reason: str = ""
    ) -> AppointmentInfo:
        try:
            changed = await self._ops.db(
                self._appointments.set_status, self._user, appointment_id, status, reason=reason
            )
        finally:
            self.refresh()  # a refused change shows the book as it is
        self._ops.announce(Kind.APPOINTMENTS, changed.id)
        self.appointment_changed.emit(changed)
        return changed

    def _moved(self, appointment_id: int, start: datetime, dermatologist_id: int | None) -> None:
        self._ops.spawn(self._move(appointment_id, start, dermatologist_id), parent=self)

    async def _move(self, appointment_id: int, start: datetime, dermatologist_id: int | None) -> None:
        try:
            try:
                moved = await self._ops.db(
                    self._appointments.move, self._user, appointment_id, start, dermatologist_id
                )
            except ValidationError as exc:
                if exc.field != "outside_hours" or not await self._confirm_outside_hours(exc.message):
                    raise
                moved = await self._ops.db(
                    self._appointments.move, self._user, appointment_id, start, dermatologist_id,
                    outside_hours_ok=True,
                )
        finally:
            self.refresh()  # a refused move snaps back
        self._ops.announce(Kind.APPOINTMENTS, moved.id)
        self.calendar.select(moved.id)
        self.appointment_changed.emit(moved)

    async def _confirm_outside_hours(self, message: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, _("Outside working hours"),
                          message + "\n\n" + _("Move it there anyway?"),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return await dialog_finished(box) == QMessageBox.StandardButton.Yes

    def new_appointment(self, start: datetime | None = None, dermatologist_id: int | None = None) -> BookingDialog:
        derm = dermatologist_id or self.who.currentData() or (self._dermatologists[0].id if self._dermatologists else None)
        if start is None:
            day = self.current_day()
            hours = self._hours.get(derm) if derm is not None else None
            spec = hours.days[day.weekday()] if hours else None
            start = datetime.combine(day, spec.start if spec else time(9))
        dialog = BookingDialog(
            self._appointments, self._patients, self._user, self._ops, self._dermatologists,
            self._zone or ZoneInfo("UTC"), start=start, dermatologist_id=derm, parent=self,
        )
        if derm is not None and derm in self._hours:
            dialog.duration.setValue(self._hours[derm].slot_minutes)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._saved)
        dialog.open()
        return dialog

    def edit_appointment(self, a: AppointmentInfo | None) -> BookingDialog | None:
        if a is None:
            return None
        dialog = BookingDialog(
            self._appointments, self._patients, self._user, self._ops, self._dermatologists,
            self._zone or ZoneInfo("UTC"), existing=a, parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._saved)
        dialog.open()
        return dialog

    def reschedule_appointment(self, a: AppointmentInfo | None) -> BookingDialog | None:
        """The keyboard path to what dragging does: a new day, time or dermatologist."""
        if a is None or a.status is not AppointmentStatus.BOOKED:
            return None
        dialog = BookingDialog(
            self._appointments, self._patients, self._user, self._ops, self._dermatologists,
            self._zone or ZoneInfo("UTC"), existing=a, reschedule=True, parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._saved)
        dialog.open()
        return dialog

    def _saved(self, a: AppointmentInfo) -> None:
        self._day = a.start.date()
        self.appointment_changed.emit(a)
        self.refresh()
        self.calendar.select(a.id)

    def edit_working_hours(self) -> WorkingHoursDialog | None:
        derm = self.who.currentData()
        if derm is None and Role.DERMATOLOGIST in self._user.roles:
            derm = self._user.id
        if derm is None:
            QMessageBox.information(self, _("Working hours"), _("Choose a dermatologist first."))
            return None
        name = next((d.full_name for d in self._dermatologists if d.id == derm), "")
        dialog = WorkingHoursDialog(self._appointments, self._user, self._ops, self._hours[derm], name, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def saved(hours: WorkingHours) -> None:
            self._hours[hours.dermatologist_id] = hours
            self.refresh()

        dialog.saved.connect(saved)
        dialog.open()
        return dialog

    # --- export and print ------------------------------------------------------------------------
    def export_day_to(self, path: Path, with_patient_names: bool = False) -> None:
        self._ops.spawn(self._export_day(path, with_patient_names), parent=self)

    async def _export_day(self, path: Path, with_patient_names: bool) -> None:
        export = await self._ops.db(
            self._appointments.export_day, self._user, self.current_day(), self.who.currentData(),
            with_patient_names=with_patient_names,
        )
        await self._ops.work(_write_text, path, export.text)
        self.file_written.emit(path)

    def export_appointment_to(self, appointment_id: int, path: Path) -> None:
        self._ops.spawn(self._export_appointment(appointment_id, path), parent=self)

    async def _export_appointment(self, appointment_id: int, path: Path) -> None:
        export = await self._ops.db(self._appointments.export_appointment, self._user, appointment_id)
        await self._ops.work(_write_text, path, export.text)
        self.file_written.emit(path)

    def print_day_to_pdf(self, path: Path) -> None:
        self._ops.spawn(self._print(path=path), parent=self)

    async def _print(self, path: Path | None = None, printer: QPrinter | None = None) -> None:
        day = self.current_day()
        derm = self.who.currentData()
        shown = await self._ops.db(self._appointments.day, self._user, day, derm)
        scope = self.who.currentText()
        document = day_list_html(self._clinic_name(), day, [a for a in shown if a.status is not AppointmentStatus.CANCELLED], scope)
        # Qt text layout and printing stay on the GUI thread
        if printer is not None:
            print_html(document, printer)
        elif path is not None:
            print_html_to_pdf(document, path)
            self.file_written.emit(path)

    def _clinic_name(self) -> str:
        return self._clinic

    def _export_day_dialog(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Export day"), f"schedule-{self.current_day().isoformat()}.ics", _("Calendar files (*.ics)")
        )
        if not name:
            return
        answer = QMessageBox.question(
            self, _("Export day"), _("Include patient names in the calendar file?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        self.export_day_to(Path(name), answer == QMessageBox.StandardButton.Yes)

    def _export_appointment_dialog(self) -> None:
        a = self.selected()
        if a is None:
            return
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Calendar file for patient"), f"appointment-{a.start.date().isoformat()}.ics",
            _("Calendar files (*.ics)"),
        )
        if name:
            self.export_appointment_to(a.id, Path(name))

    def _print_dialog(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._ops.spawn(self._print(printer=printer), parent=self))
        dialog.open()


def _write_text(path: Path, text: str) -> None:
    # bytes as they are keep the CRLF line ends RFC 5545 requires; owner-only, never through a link
    write_private_file(path, text.encode("utf-8"), overwrite=True)
