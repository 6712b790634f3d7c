"""The chart's body map: a marker per lesion on the front/back outline, coloured by status; click to open.

The outline and the site positions are the body-site picker's (and so the reports'): a lesion whose
site was picked there sits on the spot that was clicked. The status comes with the chart
(``services.lesion_status``): cheap, from signed plans and stored sizes, as the legend says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dermstation.core.body_sites import BodySite, View, parse_body_site
from dermstation.core.i18n import _
from dermstation.services.lesion_status import LesionStatus
from dermstation.ui.analysis.body_site_picker import BodyDiagram, site_label
from dermstation.ui.theme import set_role

if TYPE_CHECKING:
    from dermstation.services.types import LesionSummary

STATUS_COLOURS: dict[LesionStatus, QColor] = {
    LesionStatus.NEW: QColor("#1f6fd1"),
    LesionStatus.STABLE: QColor("#2e7d32"),
    LesionStatus.CHANGED: QColor("#e65100"),
    LesionStatus.NOT_COMPARED: QColor("#8a8f98"),
    LesionStatus.EXCISED: QColor("#6a1b9a"),
    LesionStatus.REFERRED: QColor("#b3261e"),
}
MARKER_RADIUS = 7.0  # pixels
HIT_RADIUS = 11.0  # a click this close to a marker opens it


def status_label(status: LesionStatus) -> str:
    return {
        LesionStatus.NEW: _("New"),
        LesionStatus.STABLE: _("Stable"),
        LesionStatus.CHANGED: _("Changed"),
        LesionStatus.NOT_COMPARED: _("Followed up, not compared"),
        LesionStatus.EXCISED: _("Excision or biopsy"),
        LesionStatus.REFERRED: _("Referred"),
    }[status]


def status_meaning(status: LesionStatus) -> str:
    """What a colour means, for the legend (how the status was decided)."""
    return {
        LesionStatus.NEW: _("one analysed picture: not followed up yet"),
        LesionStatus.STABLE: _("size of the last two pictures (mm) within repeat-capture noise"),
        LesionStatus.CHANGED: _("size of the last two pictures (mm) changed beyond repeat-capture noise"),
        LesionStatus.NOT_COMPARED: _("two or more pictures, but no pixel size to compare sizes"),
        LesionStatus.EXCISED: _("the latest signed plan is excision or biopsy"),
        LesionStatus.REFERRED: _("the latest signed plan is a referral"),
    }[status]


@dataclass(frozen=True)
class Marker:
    lesion_id: int
    site: BodySite
    status: LesionStatus
    title: str  # "left forearm — L1"
    offset: int  # index among the lesions at the same site (drawn side by side)


def _status(value: str) -> LesionStatus:
    try:
        return LesionStatus(value)
    except ValueError:
        return LesionStatus.NEW


class BodyMap(BodyDiagram):
    """Front and back outlines with one coloured marker per lesion. Tab/arrows move between markers,
    Enter or Space opens the current one, as a click does."""

    lesion_opened = Signal(int)  # lesion id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.markers: tuple[Marker, ...] = ()
        self.unplaced: tuple[str, ...] = ()  # lesions whose site text names no region of the outline
        self._current = -1
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(240, 250)
        self.setAccessibleName(_("Body map of this patient's lesions"))

    def set_lesions(self, lesions: tuple[LesionSummary, ...]) -> None:
        markers: list[Marker] = []
        unplaced: list[str] = []
        for lesion in lesions:
            title = lesion.body_site + (f" — {lesion.label}" if lesion.label else "")
            site = parse_body_site(lesion.body_site)
            if site is None:
                unplaced.append(title)
                continue
            offset = sum(1 for m in markers if m.site == site)
            markers.append(Marker(lesion.id, site, _status(lesion.status), title, offset))
        # keyboard order: front then back, head to feet, then left to right on the screen
        self.markers = tuple(sorted(markers, key=lambda m: (m.site.view != View.FRONT,
                                                            round(self.marker_position(m).y() / 6),
                                                            self.marker_position(m).x())))
        self.unplaced = tuple(unplaced)
        self._current = 0 if self.markers else -1
        self.update()

    @property
    def current(self) -> Marker | None:
        return self.markers[self._current] if 0 <= self._current < len(self.markers) else None

    def marker_position(self, marker: Marker) -> QPointF:
        """Where a marker is drawn in widget coordinates (several at one site sit side by side)."""
        centre = self.site_position(marker.site)
        step = 2 * MARKER_RADIUS + 2
        shift = (marker.offset + 1) // 2 * step * (1 if marker.offset % 2 else -1)
        return QPointF(centre.x() + shift, centre.y())

    def marker_at(self, pos: QPointF) -> Marker | None:
        best: tuple[float, Marker] | None = None
        for marker in self.markers:
            d = (self.marker_position(marker) - pos).manhattanLength()
            if d <= HIT_RADIUS * 1.4 and (best is None or d < best[0]):
                best = (d, marker)
        return best[1] if best else None

    def _tooltip(self, marker: Marker) -> str:
        return f"{marker.title}\n{site_label(marker.site)}\n{status_label(marker.status)}"

    # --- mouse ------------------------------------------------------------------------------------
    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        marker = self.marker_at(event.position())
        self.setToolTip(self._tooltip(marker) if marker else "")
        self.setCursor(Qt.CursorShape.PointingHandCursor if marker else Qt.CursorShape.ArrowCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() != Qt.MouseButton.LeftButton:
            return
        marker = self.marker_at(event.position())
        if marker is not None:
            self._current = self.markers.index(marker)
            self.update()
            self.lesion_opened.emit(marker.lesion_id)

    # --- keyboard ---------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if self.markers and key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Up):
            step = 1 if key in (Qt.Key.Key_Right, Qt.Key.Key_Down) else -1
            self._current = (self._current + step) % len(self.markers)
            marker = self.markers[self._current]
            self.setToolTip(self._tooltip(marker))
            self.setAccessibleDescription(self._tooltip(marker))
            self.update()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.current is not None:
            self.lesion_opened.emit(self.current.lesion_id)
            return
        super().keyPressEvent(event)

    # --- drawing ----------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)  # the outlines (nothing picked, nothing hovered)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for index, marker in enumerate(self.markers):
            centre = self.marker_position(marker)
            p.setPen(QPen(QColor("white"), 1.6))
            p.setBrush(STATUS_COLOURS[marker.status])
            p.drawEllipse(centre, MARKER_RADIUS, MARKER_RADIUS)
            if index == self._current and self.hasFocus():
                p.setPen(QPen(self.palette().highlight().color(), 2.4))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawEllipse(centre, MARKER_RADIUS + 4, MARKER_RADIUS + 4)
        p.end()

    def marker_colour(self, lesion_id: int) -> QColor | None:
        """The colour a lesion's marker is drawn in (None when it has no marker)."""
        for marker in self.markers:
            if marker.lesion_id == lesion_id:
                return STATUS_COLOURS[marker.status]
        return None


def _swatch(colour: QColor, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colour)
    p.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    p.end()
    return pixmap


class BodyMapPanel(QWidget):
    """The body map with its legend and a line naming lesions whose site is not on the outline."""

    lesion_opened = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.map = BodyMap()
        self.map.setObjectName("bodyMap")
        self.map.setToolTip(_("Click a marker, or Tab to the map and use the arrow keys and Enter, to open a lesion."))
        self.map.lesion_opened.connect(self.lesion_opened)
        legend = QGridLayout()
        legend.setHorizontalSpacing(6)
        legend.setVerticalSpacing(2)
        size = self.fontMetrics().height() - 2
        for row, status in enumerate(LesionStatus):
            dot = QLabel()
            dot.setPixmap(_swatch(STATUS_COLOURS[status], size))
            name = QLabel(status_label(status))
            name.setStyleSheet("font-weight: 600")
            name.setObjectName(f"legend_{status.value}")
            meaning = set_role(QLabel(status_meaning(status)), "subtitle")
            meaning.setWordWrap(True)
            legend.addWidget(dot, 2 * row, 0)
            legend.addWidget(name, 2 * row, 1)
            legend.addWidget(meaning, 2 * row + 1, 1)
        legend.setColumnStretch(1, 1)
        note = set_role(QLabel(_("Stable and changed compare stored sizes without aligning the pictures; "
                                 "open the lesion's History for the aligned comparison.")), "subtitle")
        note.setWordWrap(True)
        self.unplaced = set_role(QLabel(), "subtitle")
        self.unplaced.setObjectName("bodyMapUnplaced")
        self.unplaced.setWordWrap(True)
        side = QVBoxLayout()
        side.addLayout(legend)
        side.addWidget(note)
        side.addWidget(self.unplaced)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.map, 1)
        layout.addLayout(side, 1)

    def set_lesions(self, lesions: tuple[LesionSummary, ...]) -> None:
        self.map.set_lesions(lesions)
        self.unplaced.setText(_("Not on the map (site not recognised): {sites}").format(
            sites="; ".join(self.map.unplaced)) if self.map.unplaced else "")
        self.unplaced.setVisible(bool(self.map.unplaced))
