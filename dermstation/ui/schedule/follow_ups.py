"""Follow-ups that signed plans ask for, as reception sees them beside the calendar.

Reception sees who, when and what kind of visit; never the diagnosis (least privilege). Booking one
opens the ordinary booking dialog for that patient; once saved, the request is marked booked.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.assessments import FollowUpRequest, PlanKind
from dermstation.core.i18n import _, format_day
from dermstation.ui.operations import Changed, Kind
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.assessments import AssessmentService
    from dermstation.services.types import CurrentUser
    from dermstation.ui.operations import Operations

SOON = timedelta(days=14)
OVERDUE = QColor("#8C1D18")


def visit_label(kind: PlanKind) -> str:
    return _("Dermoscopic follow-up") if kind == PlanKind.DERMOSCOPIC_FOLLOW_UP else _("Follow-up visit")


class FollowUpPanel(QWidget):
    """Open follow-up requests, soonest first, with a Book button."""

    shown = Signal(int)  # number of open requests
    book_requested = Signal(object)  # FollowUpRequest

    def __init__(self, follow_ups: AssessmentService, user: CurrentUser, ops: Operations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._follow_ups = follow_ups
        self._user = user
        self._ops = ops
        ops.changed.connect(self._changed)  # a plan signed in Analysis asks for a follow-up
        self._rows: tuple[FollowUpRequest, ...] = ()
        self.title = set_role(QLabel(_("Follow-ups to book")), "section")
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("followUps")
        self.table.setHorizontalHeaderLabels([_("Due"), _("Patient"), _("Visit")])
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemActivated.connect(lambda _item: self.book_selected())
        self.empty = set_role(QLabel(_("No follow-ups waiting to be booked.")), "subtitle")
        self.book_button = QPushButton(_("Book…"))
        self.book_button.setObjectName("bookFollowUp")
        self.book_button.clicked.connect(self.book_selected)
        row = QHBoxLayout()
        row.addWidget(self.empty, 1)
        row.addWidget(self.book_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self._selection_changed()

    @property
    def requests(self) -> tuple[FollowUpRequest, ...]:
        return self._rows

    def _changed(self, change: Changed) -> None:
        if change.kind in (Kind.ASSESSMENTS, Kind.APPOINTMENTS, Kind.PATIENTS):
            self.refresh()

    def refresh(self) -> None:
        self._ops.spawn(self._load(), key=f"follow-ups-{id(self)}", parent=self)

    async def _load(self) -> None:
        rows = await self._ops.db(self._follow_ups.follow_up_requests, self._user)
        self.show_requests(rows)

    def show_requests(self, rows: tuple[FollowUpRequest, ...], today: date | None = None) -> None:
        today = today or date.today()
        self._rows = rows
        self.table.setRowCount(len(rows))
        for index, r in enumerate(rows):
            due = format_day(r.due_on)
            if r.due_on < today:
                due = _("{day} (overdue)").format(day=due)
            cells = (due, f"{r.patient_name} · {r.record_number}", visit_label(r.kind))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, r.id)
                item.setToolTip(_("Lesion: {site} · asked by {name}").format(site=r.lesion_site, name=r.requested_by))
                if r.due_on < today + SOON:
                    item.setForeground(OVERDUE)
                self.table.setItem(index, column, item)
        self.empty.setVisible(not rows)
        self.title.setText(_("Follow-ups to book ({n})").format(n=len(rows)) if rows else _("Follow-ups to book"))
        self._selection_changed()
        self.shown.emit(len(rows))

    def selected(self) -> FollowUpRequest | None:
        rows = self.table.selectionModel().selectedRows()
        return self._rows[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        self.book_button.setEnabled(self.selected() is not None)

    def book_selected(self) -> None:
        request = self.selected()
        if request is not None:
            self.book_requested.emit(request)

    async def mark_booked(self, request: FollowUpRequest, appointment_id: int | None) -> None:
        await self._ops.db(self._follow_ups.mark_follow_up_booked, self._user, request.id, appointment_id)
        self._ops.announce(Kind.ASSESSMENTS, request.id)  # this list reloads on it too
