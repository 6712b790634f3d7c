"""The time grid: columns (dermatologists of one day, or the days of a week), appointments as blocks.

Painting only; the page decides what the columns are and what a drop means. Appointments are placed
by their local wall-clock time, so a day with a DST change shows 02:00-03:00 empty in spring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QContextMenuEvent, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QApplication, QSizePolicy, QToolTip, QWidget

from dermstation.core.domain import AppointmentStatus
from dermstation.services.reception_types import AppointmentInfo
from dermstation.ui.schedule.timefmt import clock_label, hour_label

GUTTER = 58  # widened to fit the locale's longest hour label (see CalendarView._gutter)
HEADER = 44
HOUR_HEIGHT = 72
SNAP_MINUTES = 5
MIN_COLUMN_WIDTH = 110

# status -> (fill, border, text)
STATUS_COLOURS: dict[AppointmentStatus, tuple[str, str, str]] = {
    AppointmentStatus.BOOKED: ("#DCEBF2", "#2B5F75", "#163A49"),
    AppointmentStatus.CHECKED_IN: ("#DDF2E3", "#2E7D4F", "#17452B"),
    AppointmentStatus.COMPLETED: ("#ECEFF1", "#8A9AA6", "#4A5965"),
    AppointmentStatus.NO_SHOW: ("#FBEBD5", "#B86E00", "#6B4000"),
    AppointmentStatus.CANCELLED: ("#F8E1E1", "#B03A2E", "#7A2219"),
}


@dataclass(frozen=True)
class Column:
    """One column of the grid: a day, and a dermatologist (None: everybody's appointments)."""

    day: date
    dermatologist_id: int | None
    title: str
    subtitle: str = ""
    working: tuple[tuple[time, time], ...] = ()  # shaded as bookable


@dataclass
class _Block:
    appointment: AppointmentInfo
    column: int
    lane: int = 0
    lanes: int = 1
    rect: QRectF = field(default_factory=QRectF)


class CalendarView(QWidget):
    """Emits what the user did; never calls a service itself."""

    #: appointment id, new local start (naive wall-clock), dermatologist id or None (unchanged)
    appointment_moved = Signal(int, object, object)
    #: dermatologist id or None, local start (naive) of the empty slot double-clicked
    slot_activated = Signal(object, object)
    appointment_selected = Signal(object)  # AppointmentInfo or None
    appointment_activated = Signal(object)
    context_requested = Signal(object, QPoint)  # AppointmentInfo, global position

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calendarView")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._columns: list[Column] = []
        self._blocks: list[_Block] = []
        self._first_hour = 7
        self._last_hour = 19
        self._selected_id: int | None = None
        self._press: tuple[_Block, QPointF] | None = None
        self._drag_target: tuple[int, datetime] | None = None
        self._now: datetime | None = None
        self._gutter = max(GUTTER, self.fontMetrics().horizontalAdvance(hour_label(22)) + 18)
        self._resize()

    # --- content ---------------------------------------------------------------------------------
    def set_content(
        self,
        columns: Sequence[Column],
        appointments: Sequence[AppointmentInfo],
        hours: tuple[int, int] = (7, 19),
        now: datetime | None = None,
    ) -> None:
        """Show ``appointments`` (cancelled ones are left out) in ``columns``; ``hours`` is the range shown."""
        self._columns = list(columns)
        first, last = hours
        shown = [a for a in appointments if a.status is not AppointmentStatus.CANCELLED]
        for a in shown:
            first = min(first, a.start.hour)
            last = max(last, a.end.hour + (1 if a.end.minute else 0) if a.end.date() == a.start.date() else 24)
        self._first_hour, self._last_hour = max(0, first), min(24, max(last, first + 1))
        self._now = now
        self._blocks = []
        for a in shown:
            index = self._column_for(a)
            if index is not None:
                self._blocks.append(_Block(a, index))
        self._assign_lanes()
        if self._selected_id is not None and self.block(self._selected_id) is None:
            self._selected_id = None
        self._resize()
        self._layout_blocks()
        self.update()

    def columns(self) -> list[Column]:
        return list(self._columns)

    def appointments(self) -> list[AppointmentInfo]:
        return [b.appointment for b in self._blocks]

    def selected(self) -> AppointmentInfo | None:
        block = self.block(self._selected_id) if self._selected_id is not None else None
        return block.appointment if block else None

    def select(self, appointment_id: int | None) -> None:
        self._selected_id = appointment_id
        self.update()
        self.appointment_selected.emit(self.selected())

    def block(self, appointment_id: int) -> _Block | None:
        return next((b for b in self._blocks if b.appointment.id == appointment_id), None)

    # --- geometry --------------------------------------------------------------------------------
    def first_hour(self) -> int:
        return self._first_hour

    def y_for(self, wall: time) -> float:
        minutes = (wall.hour - self._first_hour) * 60 + wall.minute
        return HEADER + minutes * HOUR_HEIGHT / 60

    def column_rect(self, index: int) -> QRectF:
        width = self._column_width()
        return QRectF(self._gutter + index * width, HEADER, width, self.height() - HEADER)

    def point_for(self, column: int, wall: time) -> QPoint:
        """The widget point at ``wall`` o'clock in ``column`` (tests and keyboard moves use it)."""
        rect = self.column_rect(column)
        return QPoint(int(rect.center().x()), int(self.y_for(wall)) + 2)

    def rect_of(self, appointment_id: int) -> QRect:
        block = self.block(appointment_id)
        return block.rect.toRect() if block else QRect()

    def slot_at(self, pos: QPointF) -> tuple[int, datetime] | None:
        """Column index and snapped local start under ``pos``."""
        if pos.x() < self._gutter or pos.y() < max(HEADER, self.header_top() + HEADER) or not self._columns:
            return None
        index = int((pos.x() - self._gutter) // self._column_width())
        if not 0 <= index < len(self._columns):
            return None
        minutes = (pos.y() - HEADER) * 60 / HOUR_HEIGHT
        snapped = int(minutes // SNAP_MINUTES) * SNAP_MINUTES
        start = datetime.combine(self._columns[index].day, time(0)) + timedelta(
            hours=self._first_hour, minutes=snapped
        )
        return index, start

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self._gutter + max(1, len(self._columns)) * MIN_COLUMN_WIDTH, self._content_height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._gutter + max(1, len(self._columns)) * 60, self._content_height())

    def header_top(self) -> int:
        """Where the column headers are drawn: the top of the part of the grid that is visible."""
        visible = self.visibleRegion().boundingRect()
        return max(0, visible.top()) if not visible.isEmpty() else 0

    def _content_height(self) -> int:
        return HEADER + (self._last_hour - self._first_hour) * HOUR_HEIGHT + 8

    def _resize(self) -> None:
        self.setFixedHeight(self._content_height())
        self.updateGeometry()

    def _column_width(self) -> float:
        return max(40.0, (self.width() - self._gutter - 1) / max(1, len(self._columns)))

    def _column_for(self, a: AppointmentInfo) -> int | None:
        for index, column in enumerate(self._columns):
            if column.day == a.start.date() and column.dermatologist_id in (None, a.dermatologist_id):
                return index
        return None

    def _assign_lanes(self) -> None:
        """Side by side where appointments in one column overlap (all dermatologists in a week column)."""
        by_column: dict[int, list[_Block]] = {}
        for block in self._blocks:
            by_column.setdefault(block.column, []).append(block)
        for blocks in by_column.values():
            blocks.sort(key=lambda b: (b.appointment.start, b.appointment.end))
            group: list[_Block] = []
            lane_ends: list[datetime] = []
            group_end: datetime | None = None
            for block in blocks:
                a = block.appointment
                if group_end is not None and a.start >= group_end:
                    for member in group:
                        member.lanes = len(lane_ends)
                    group, lane_ends, group_end = [], [], None
                lane = next((i for i, end in enumerate(lane_ends) if end <= a.start), len(lane_ends))
                if lane == len(lane_ends):
                    lane_ends.append(a.end)
                else:
                    lane_ends[lane] = a.end
                block.lane = lane
                group.append(block)
                group_end = a.end if group_end is None else max(group_end, a.end)
            for member in group:
                member.lanes = max(1, len(lane_ends))

    def _layout_blocks(self) -> None:
        for block in self._blocks:
            a = block.appointment
            column = self.column_rect(block.column)
            top = self.y_for(a.start.time())
            end_wall = a.end.time() if a.end.date() == a.start.date() else time(23, 59)
            bottom = max(self.y_for(end_wall), top + 14)  # wall-clock height; always tall enough to grab
            lane_width = (column.width() - 6) / block.lanes
            block.rect = QRectF(column.x() + 3 + block.lane * lane_width, top + 1, lane_width - 2, bottom - top - 2)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().resizeEvent(event)
        self._layout_blocks()

    # --- painting --------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#FFFFFF"))
        width = self._column_width()
        bottom = self._content_height() - 8
        # bookable (working) time
        for index, column in enumerate(self._columns):
            x = self._gutter + index * width
            painter.fillRect(QRectF(x, HEADER, width, bottom - HEADER), QColor("#F3F5F7"))
            for start, end in column.working:
                top, low = self.y_for(start), self.y_for(end)
                painter.fillRect(QRectF(x, top, width, low - top), QColor("#FFFFFF"))
        # hour and half-hour lines, hour labels
        small = QFont(self.font())
        small.setPointSizeF(max(7.5, self.font().pointSizeF() - 1))
        bold = QFont(self.font())
        bold.setWeight(QFont.Weight.DemiBold)
        painter.setFont(small)
        for hour in range(self._first_hour, self._last_hour + 1):
            y = self.y_for(time(hour % 24)) if hour < 24 else HEADER + (24 - self._first_hour) * HOUR_HEIGHT
            painter.setPen(QPen(QColor("#DDE3E8"), 1))
            painter.drawLine(QPointF(self._gutter - 6, y), QPointF(self.width(), y))
            if hour < self._last_hour:
                painter.setPen(QPen(QColor("#EEF1F4"), 1, Qt.PenStyle.DashLine))
                half = y + HOUR_HEIGHT / 2
                painter.drawLine(QPointF(self._gutter, half), QPointF(self.width(), half))
                painter.setPen(QColor("#5B6B77"))
                painter.drawText(
                    QRectF(0, y + 2, self._gutter - 10, 16),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                    hour_label(hour),
                )
        # column separators
        for index in range(len(self._columns)):
            painter.setPen(QPen(QColor("#DDE3E8"), 1))
            painter.drawLine(QPointF(self._gutter + index * width, 0), QPointF(self._gutter + index * width, bottom))
        # "now" line
        if self._now is not None:
            for index, column in enumerate(self._columns):
                if column.day == self._now.date() and self._first_hour <= self._now.hour < self._last_hour:
                    y = self.y_for(self._now.time())
                    painter.setPen(QPen(QColor("#C0392B"), 2))
                    painter.drawLine(QPointF(self._gutter + index * width, y), QPointF(self._gutter + (index + 1) * width, y))
        # appointments
        for block in self._blocks:
            self._paint_block(painter, block, small, bold)
        # headers stay at the top of the visible part while the grid scrolls under them
        top = self.header_top()
        painter.translate(0, top)
        painter.fillRect(QRectF(0, 0, self.width(), HEADER), QColor("#F1F4F7"))
        painter.setPen(QPen(QColor("#DDE3E8"), 1))
        painter.drawLine(QPointF(0, HEADER), QPointF(self.width(), HEADER))
        for index, column in enumerate(self._columns):
            x = self._gutter + index * width
            painter.setPen(QPen(QColor("#DDE3E8"), 1))
            painter.drawLine(QPointF(x, 0), QPointF(x, HEADER))
            painter.setPen(QColor("#1F2A33"))
            painter.setFont(bold)
            title = painter.fontMetrics().elidedText(column.title, Qt.TextElideMode.ElideRight, int(width - 10))
            painter.drawText(QRectF(x + 5, 4, width - 10, 20), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
            painter.setFont(small)
            painter.setPen(QColor("#5B6B77"))
            sub = painter.fontMetrics().elidedText(column.subtitle, Qt.TextElideMode.ElideRight, int(width - 10))
            painter.drawText(QRectF(x + 5, 22, width - 10, 18), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, sub)
        painter.translate(0, -top)
        # drop preview
        if self._press is not None and self._drag_target is not None:
            block = self._press[0]
            index, start = self._drag_target
            column = self.column_rect(index)
            top = self.y_for(start.time())
            height = block.appointment.duration_minutes * HOUR_HEIGHT / 60
            painter.setPen(QPen(QColor("#2B5F75"), 2, Qt.PenStyle.DashLine))
            painter.setBrush(QColor(43, 95, 117, 40))
            painter.drawRoundedRect(QRectF(column.x() + 3, top, column.width() - 6, height), 4, 4)
            painter.setPen(QColor("#163A49"))
            painter.setFont(bold)
            painter.drawText(QRectF(column.x() + 8, top + 2, column.width() - 12, 18), clock_label(start))
        painter.end()

    def _paint_block(self, painter: QPainter, block: _Block, small: QFont, bold: QFont) -> None:
        a = block.appointment
        fill, border, ink = STATUS_COLOURS[a.status]
        rect = block.rect
        selected = a.id == self._selected_id
        painter.setPen(QPen(QColor(border), 2 if selected else 1))
        painter.setBrush(QColor(fill))
        painter.drawRoundedRect(rect, 4, 4)
        painter.fillRect(QRectF(rect.x(), rect.y(), 4, rect.height()), QColor(border))
        if selected:
            painter.setPen(QPen(QColor("#163A49"), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 5, 5)
        inner = rect.adjusted(8, 2, -4, -2)
        painter.setPen(QColor(ink))
        painter.setFont(bold)
        metrics = painter.fontMetrics()
        line_height = metrics.height()
        first = f"{clock_label(a.start)} {a.patient_name}"
        if metrics.horizontalAdvance(first) > inner.width():
            # a narrow (week) column: the block's height already shows the time; the name matters more
            first = a.patient_name
        painter.drawText(
            QRectF(inner.x(), inner.y(), inner.width(), line_height),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
            metrics.elidedText(first, Qt.TextElideMode.ElideRight, int(inner.width())),
        )
        painter.setFont(small)
        second = a.reason
        column = self._columns[block.column] if block.column < len(self._columns) else None
        if column is not None and column.dermatologist_id is None:
            second = f"{a.dermatologist_name}" + (f" · {a.reason}" if a.reason else "")
        if second and inner.height() >= line_height * 2 - 2:
            small_metrics = painter.fontMetrics()
            painter.drawText(
                QRectF(inner.x(), inner.y() + line_height, inner.width(), small_metrics.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                small_metrics.elidedText(second, Qt.TextElideMode.ElideRight, int(inner.width())),
            )

    # --- mouse -----------------------------------------------------------------------------------
    def _block_at(self, pos: QPointF) -> _Block | None:
        for block in reversed(self._blocks):
            if block.rect.contains(pos):
                return block
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        block = self._block_at(event.position())
        self.select(block.appointment.id if block else None)
        if block is not None and block.appointment.status is AppointmentStatus.BOOKED:
            self._press = (block, event.position())
        self._drag_target = None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press is None:
            hovered = self._block_at(event.position())
            self.setCursor(Qt.CursorShape.OpenHandCursor if hovered else Qt.CursorShape.ArrowCursor)
            return
        block, origin = self._press
        if self._drag_target is None and (event.position() - origin).manhattanLength() < QApplication.startDragDistance():
            return
        # keep the grab offset: the block moves with the point where it was picked up
        offset_minutes = (origin.y() - block.rect.y()) * 60 / HOUR_HEIGHT
        top = QPointF(event.position().x(), event.position().y() - offset_minutes * HOUR_HEIGHT / 60)
        target = self.slot_at(top)
        if target is not None:
            self._drag_target = target
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        press, target = self._press, self._drag_target
        self._press, self._drag_target = None, None
        self.setCursor(Qt.CursorShape.ArrowCursor)
        self.update()
        if press is None or target is None:
            return
        a = press[0].appointment
        index, start = target
        column = self._columns[index]
        new_derm = column.dermatologist_id if column.dermatologist_id not in (None, a.dermatologist_id) else None
        if start == a.start.replace(tzinfo=None) and new_derm is None:
            return
        self.appointment_moved.emit(a.id, start, new_derm)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        block = self._block_at(event.position())
        if block is not None:
            self.appointment_activated.emit(block.appointment)
            return
        slot = self.slot_at(event.position())
        if slot is not None:
            index, start = slot
            self.slot_activated.emit(self._columns[index].dermatologist_id, start)

    def event(self, event) -> bool:  # type: ignore[no-untyped-def]
        if event.type() == QEvent.Type.ToolTip:
            block = self._block_at(QPointF(event.pos()))
            if block is not None:
                a = block.appointment
                QToolTip.showText(
                    event.globalPos(),
                    f"{clock_label(a.start)}–{clock_label(a.end)}  {a.patient_name} ({a.record_number})\n"
                    f"{a.dermatologist_name}" + (f"\n{a.reason}" if a.reason else ""),
                    self,
                )
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        block = self._block_at(QPointF(event.pos()))
        if block is not None:
            self.select(block.appointment.id)
            self.context_requested.emit(block.appointment, event.globalPos())

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected() is not None:
            self.appointment_activated.emit(self.selected())
            return
        if event.key() == Qt.Key.Key_Escape and self._press is not None:
            self._press, self._drag_target = None, None
            self.update()
            return
        super().keyPressEvent(event)
