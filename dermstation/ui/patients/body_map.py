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

from dermstation.core.body_sites import BodySite, Laterality, View, parse_body_site
from dermstation.core.i18n import _
from dermstation.services.lesion_status import LesionStatus
from dermstation.ui.analysis.body_site_picker import EDGE, SKIN, BodyDiagram, site_label
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


class _MarkerLayer:
    """Markers on a drawing, opened by click, or by arrows and Enter (mixed into a QWidget subclass that
    defines ``lesion_opened`` and ``marker_position``)."""

    markers: tuple[Marker, ...] = ()
    _current = -1

    def marker_position(self, marker: Marker) -> QPointF:
        raise NotImplementedError

    def _set_markers(self, markers: list[Marker]) -> None:
        # keyboard order: front then back, top to bottom, then left to right on the screen
        self.markers = tuple(sorted(markers, key=lambda m: (m.site.view != View.FRONT,
                                                            round(self.marker_position(m).y() / 6),
                                                            self.marker_position(m).x())))
        self._current = 0 if self.markers else -1
        self.update()  # type: ignore[attr-defined]

    @property
    def current(self) -> Marker | None:
        return self.markers[self._current] if 0 <= self._current < len(self.markers) else None

    def marker_at(self, pos: QPointF) -> Marker | None:
        best: tuple[float, Marker] | None = None
        for marker in self.markers:
            d = (self.marker_position(marker) - pos).manhattanLength()
            if d <= HIT_RADIUS * 1.4 and (best is None or d < best[0]):
                best = (d, marker)
        return best[1] if best else None

    def marker_colour(self, lesion_id: int) -> QColor | None:
        """The colour a lesion's marker is drawn in (None when it has no marker here)."""
        for marker in self.markers:
            if marker.lesion_id == lesion_id:
                return STATUS_COLOURS[marker.status]
        return None

    @staticmethod
    def _tooltip(marker: Marker) -> str:
        return f"{marker.title}\n{site_label(marker.site)}\n{status_label(marker.status)}"

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        marker = self.marker_at(event.position())
        self.setToolTip(self._tooltip(marker) if marker else "")  # type: ignore[attr-defined]
        self.setCursor(Qt.CursorShape.PointingHandCursor if marker else Qt.CursorShape.ArrowCursor)  # type: ignore[attr-defined]

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() != Qt.MouseButton.LeftButton:
            return
        marker = self.marker_at(event.position())
        if marker is not None:
            self._current = self.markers.index(marker)
            self.update()  # type: ignore[attr-defined]
            self.lesion_opened.emit(marker.lesion_id)  # type: ignore[attr-defined]

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if self.markers and key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Up):
            step = 1 if key in (Qt.Key.Key_Right, Qt.Key.Key_Down) else -1
            self._current = (self._current + step) % len(self.markers)
            marker = self.markers[self._current]
            self.setToolTip(self._tooltip(marker))  # type: ignore[attr-defined]
            self.setAccessibleDescription(self._tooltip(marker))  # type: ignore[attr-defined]
            self.update()  # type: ignore[attr-defined]
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.current is not None:
            self.lesion_opened.emit(self.current.lesion_id)  # type: ignore[attr-defined]
            return
        super().keyPressEvent(event)  # type: ignore[misc]

    def _paint_markers(self, p: QPainter) -> None:
        for index, marker in enumerate(self.markers):
            centre = self.marker_position(marker)
            p.setPen(QPen(QColor("white"), 1.6))
            p.setBrush(STATUS_COLOURS[marker.status])
            p.drawEllipse(centre, MARKER_RADIUS, MARKER_RADIUS)
            if index == self._current and self.hasFocus():  # type: ignore[attr-defined]
                p.setPen(QPen(self.palette().highlight().color(), 2.4))  # type: ignore[attr-defined]
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawEllipse(centre, MARKER_RADIUS + 4, MARKER_RADIUS + 4)


def _markers(lesions: tuple[LesionSummary, ...], regions: frozenset[str] | None = None
             ) -> tuple[list[Marker], list[str]]:
    """(markers of the lesions whose site is recognised [and in ``regions``], titles of those not recognised)."""
    markers: list[Marker] = []
    unplaced: list[str] = []
    for lesion in lesions:
        title = lesion.body_site + (f" — {lesion.label}" if lesion.label else "")
        site = parse_body_site(lesion.body_site)
        if site is None:
            unplaced.append(title)
        elif regions is None or site.region in regions:
            offset = sum(1 for m in markers if (m.site.region, m.site.laterality) == (site.region, site.laterality))
            markers.append(Marker(lesion.id, site, _status(lesion.status), title, offset))
    return markers, unplaced


def _side_by_side(centre: QPointF, offset: int) -> QPointF:
    """Several lesions at one site sit side by side, three to a row (many stay on or near the region)."""
    step = 2 * MARKER_RADIUS + 2
    column, row = offset % 3, offset // 3
    shift = (0.0, step, -step)[column]
    return QPointF(centre.x() + shift, centre.y() + row * step)


class BodyMap(_MarkerLayer, BodyDiagram):
    """Front and back outlines with one coloured marker per lesion. Tab/arrows move between markers,
    Enter or Space opens the current one, as a click does."""

    lesion_opened = Signal(int)  # lesion id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.unplaced: tuple[str, ...] = ()  # lesions whose site text names no region of the outline
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(240, 250)
        self.setAccessibleName(_("Body map of this patient's lesions"))

    def set_lesions(self, lesions: tuple[LesionSummary, ...]) -> None:
        markers, unplaced = _markers(lesions)
        self.unplaced = tuple(unplaced)
        self._set_markers(markers)

    def marker_position(self, marker: Marker) -> QPointF:
        """Where a marker is drawn in widget coordinates."""
        return _side_by_side(self.site_position(marker.site), marker.offset)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)  # the outlines (nothing picked, nothing hovered)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_markers(p)
        p.end()


# Close-ups for the small regions, in a 100 x 100 box (y down): region -> (distance from the midline, y).
# Seen from the front, as the body map: the patient's right on the viewer's left.
CLOSE_UPS: dict[str, dict[str, tuple[float, float]]] = {
    "head": {"scalp": (0, 12), "face": (20, 62), "nose": (0, 56), "lip": (0, 72), "eyelid": (14, 44),
             "ear": (35, 52), "neck": (0, 94)},
    "hands": {"finger": (23, 22), "hand": (23, 58), "wrist": (23, 88)},
    "feet": {"ankle": (23, 14), "foot": (23, 50), "toe": (23, 81)},
}
_MIDLINE = frozenset({"scalp", "nose", "lip", "neck"})


def _close_up_title(kind: str) -> str:
    return {"head": _("Head"), "hands": _("Hands"), "feet": _("Feet")}[kind]


class CloseUp(_MarkerLayer, QWidget):
    """A close-up (head, hands or feet) with the markers of the lesions there; same keys and clicks as the map."""

    lesion_opened = Signal(int)

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName(f"closeUp_{kind}")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(120, 130)
        self.setAccessibleName(_("Close-up: {part}").format(part=_close_up_title(kind)))

    def set_lesions(self, lesions: tuple[LesionSummary, ...]) -> None:
        self._set_markers(_markers(lesions, frozenset(CLOSE_UPS[self.kind]))[0])

    def _box(self) -> QRectF:
        caption = self.fontMetrics().height() + 4
        side = max(10.0, min(self.width() - 8.0, self.height() - caption - 8.0))
        return QRectF((self.width() - side) / 2, 4, side, side)

    def _point(self, x: float, y: float) -> QPointF:
        box = self._box()
        return QPointF(box.left() + x * box.width() / 100, box.top() + y * box.height() / 100)

    def marker_position(self, marker: Marker) -> QPointF:
        dx, y = CLOSE_UPS[self.kind][marker.site.region]
        if marker.site.region in _MIDLINE:
            dx = 0
        elif marker.site.region == "face" and marker.site.laterality == Laterality.UNKNOWN:
            dx, y = 0, 34  # the face, no side: the forehead
        sign = 1.0 if marker.site.laterality == Laterality.LEFT else -1.0  # the patient's left: viewer's right
        return _side_by_side(self._point(50 + sign * dx, y), marker.offset)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(EDGE, 1.2))
        p.setBrush(SKIN)
        scale = self._box().width() / 100

        def rect(x: float, y: float, w: float, h: float, r: float = 3) -> None:
            p.drawRoundedRect(QRectF(self._point(x, y), self._point(x + w, y + h)), r * scale, r * scale)

        if self.kind == "head":
            rect(41, 82, 18, 18, 1)  # neck
            p.drawEllipse(self._point(15, 52), 5 * scale, 10 * scale)  # ears
            p.drawEllipse(self._point(85, 52), 5 * scale, 10 * scale)
            p.drawEllipse(self._point(50, 50), 31 * scale, 40 * scale)
            p.drawLine(self._point(33, 44), self._point(43, 44))  # eyes, nose, mouth
            p.drawLine(self._point(57, 44), self._point(67, 44))
            p.drawLine(self._point(50, 48), self._point(50, 60))
            p.drawLine(self._point(42, 72), self._point(58, 72))
        else:
            for centre in (27, 73):
                if self.kind == "hands":
                    rect(centre - 8, 78, 16, 18, 2)  # wrist
                    rect(centre - 13, 42, 26, 38, 6)  # palm
                    for i in range(4):
                        rect(centre - 13 + i * 6.8, 12 + abs(1.5 - i) * 4, 5.6, 32, 2.5)  # fingers
                    thumb = -1 if centre == 73 else 1  # thumbs towards the midline of the pair
                    rect(centre + thumb * 13 - (6 if thumb < 0 else 0), 48, 6, 20, 3)
                else:
                    rect(centre - 7, 4, 14, 22, 2)  # ankle
                    p.drawEllipse(self._point(centre, 52), 13 * scale, 28 * scale)  # foot
                    for i in range(5):
                        p.drawEllipse(self._point(centre - 10 + i * 5, 80 - abs(2 - i)), 2.6 * scale, 2.6 * scale)  # toes
        box = self._box()
        p.setPen(EDGE)
        fm = self.fontMetrics()
        sides = (_("R"), _("L"))
        p.drawText(QRectF(box.left(), box.top(), 20, fm.height()), Qt.AlignmentFlag.AlignLeft, sides[0])
        p.drawText(QRectF(box.right() - 20, box.top(), 20, fm.height()), Qt.AlignmentFlag.AlignRight, sides[1])
        p.drawText(QRectF(0, box.bottom() + 2, self.width(), fm.height() + 2), Qt.AlignmentFlag.AlignHCenter,
                   _close_up_title(self.kind))
        self._paint_markers(p)
        p.end()


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
        self.close_ups = {kind: CloseUp(kind) for kind in CLOSE_UPS}
        close_ups = QHBoxLayout()
        for close_up in self.close_ups.values():
            close_up.lesion_opened.connect(self.lesion_opened)
            close_ups.addWidget(close_up)
        drawings = QVBoxLayout()
        drawings.addWidget(self.map, 1)
        drawings.addLayout(close_ups)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(drawings, 1)
        layout.addLayout(side, 1)

    def set_lesions(self, lesions: tuple[LesionSummary, ...]) -> None:
        self.map.set_lesions(lesions)
        for close_up in self.close_ups.values():  # shown only where the patient has lesions
            close_up.set_lesions(lesions)
            close_up.setVisible(bool(close_up.markers))
        self.unplaced.setText(_("Not on the map (site not recognised): {sites}").format(
            sites="; ".join(self.map.unplaced)) if self.map.unplaced else "")
        self.unplaced.setVisible(bool(self.map.unplaced))
