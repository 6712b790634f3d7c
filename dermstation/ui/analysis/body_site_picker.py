"""Choose a lesion's body site on a front/back body outline instead of typing it.

The outline and the site positions are the ones the PDF reports draw (``reports.body_diagram``), so
a site picked here is marked at the same spot in the report. A click picks the nearest region of
that view and the side it lies on; the result is the canonical English text the rest of the
application parses (``core.body_sites.parse_body_site``), e.g. "left forearm" or "right thigh, posterior".
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from dermstation.core.body_sites import BodySite, Laterality, View, parse_body_site
from dermstation.core.i18n import N_, _
from dermstation.reports.body_diagram import FIGURE_H, FIGURE_W, MIDLINE_REGIONS, SITE_POINTS, site_point

SKIN = QColor("#EEF1F5")
EDGE = QColor("#7D8794")
HOVER = QColor("#DCEAF0")
MARK = QColor("#B3261E")
MAX_PICK_DISTANCE = 14.0  # figure units: clicks further from every site pick nothing

# Regions seen on each view (the chest is not on the back, the buttock not on the front).
BACK_ONLY = frozenset({"upper_back", "lower_back", "buttock", "elbow"})
FRONT_ONLY = frozenset({"face", "nose", "lip", "eyelid", "chest", "breast", "abdomen", "genital", "trunk"})
VIEW_REGIONS = {
    View.FRONT: tuple(r for r in SITE_POINTS if r not in BACK_ONLY),
    View.BACK: tuple(r for r in SITE_POINTS if r not in FRONT_ONLY),
}
REGION_WORDS = {  # canonical English words parse_body_site reads back to the same region
    "upper_back": "upper back", "lower_back": "lower back", "upper_arm": "upper arm", "lower_leg": "lower leg",
}
_REGION_LABELS = {
    "scalp": N_("Scalp"), "face": N_("Face"), "nose": N_("Nose"), "lip": N_("Lip"), "ear": N_("Ear"), "eyelid": N_("Eyelid"),
    "neck": N_("Neck"), "chest": N_("Chest"), "breast": N_("Breast"), "abdomen": N_("Abdomen"), "upper_back": N_("Upper back"),
    "lower_back": N_("Lower back"), "buttock": N_("Buttock"), "shoulder": N_("Shoulder"), "upper_arm": N_("Upper arm"),
    "elbow": N_("Elbow"), "forearm": N_("Forearm"), "wrist": N_("Wrist"), "hand": N_("Hand"), "finger": N_("Finger"),
    "thigh": N_("Thigh"), "knee": N_("Knee"), "lower_leg": N_("Lower leg"), "ankle": N_("Ankle"), "foot": N_("Foot"), "toe": N_("Toe"),
    "genital": N_("Genital area"), "trunk": N_("Trunk"),
}


def _outline_shapes() -> tuple[list[list[tuple[float, float]]], list[tuple[float, float, float]]]:
    """The report's outline polygons and circles (head, hands) in figure units, y up."""
    from dermstation.reports.body_diagram import _outline  # the single source of the drawing

    polygons, circles = [], []
    for shape in _outline().contents:
        if hasattr(shape, "points"):
            pts = list(shape.points)
            polygons.append(list(zip(pts[0::2], pts[1::2], strict=True)))
        elif hasattr(shape, "r"):
            circles.append((float(shape.cx), float(shape.cy), float(shape.r)))
    return polygons, circles


def site_text(site: BodySite) -> str:
    """The canonical English text of a picked site ("left forearm", "right thigh, posterior")."""
    words = REGION_WORDS.get(site.region, site.region)
    side = {Laterality.LEFT: "left ", Laterality.RIGHT: "right "}.get(site.laterality, "")
    text = side + words
    if site.view == View.BACK and site.region not in BACK_ONLY:
        text += ", posterior"  # parse_body_site reads this as seen from the back
    return text


def site_label(site: BodySite) -> str:
    """The site for people, in the current language."""
    region = _(_REGION_LABELS.get(site.region, site.region))
    side = {Laterality.LEFT: _("left"), Laterality.RIGHT: _("right")}.get(site.laterality, "")
    view = _("front") if site.view == View.FRONT else _("back")
    return _("{region}, {side} ({view})").format(region=region, side=side, view=view) if side else \
        _("{region} ({view})").format(region=region, view=view)


def nearest_site(view: View, x: float, y: float) -> BodySite | None:
    """The site of ``view`` nearest a point in figure units (x from the figure's left, y up)."""
    best: tuple[float, BodySite] | None = None
    for region in VIEW_REGIONS[view]:
        sides = (Laterality.UNKNOWN,) if region in MIDLINE_REGIONS else (Laterality.LEFT, Laterality.RIGHT)
        for side in sides:
            site = BodySite(region, side, view)
            px, py = site_point(site)
            d = math.hypot(px - x, py - y)
            if best is None or d < best[0]:
                best = (d, site)
    if best is None or best[0] > MAX_PICK_DISTANCE:
        return None
    return best[1]


class BodyDiagram(QWidget):
    """Front and back outlines side by side; click to pick, the pick is marked in red."""

    picked = Signal(object)  # BodySite

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._polygons, self._circles = _outline_shapes()
        self._site: BodySite | None = None
        self._hover: BodySite | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(220, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName(_("Body diagram"))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(360, 380)

    @property
    def site(self) -> BodySite | None:
        return self._site

    def set_site(self, site: BodySite | None) -> None:
        self._site = site
        self.update()

    # geometry: two figures with a caption line under each
    def _figure_rect(self, view: View) -> QRectF:
        caption = self.fontMetrics().height() + 6
        gap = 16.0
        avail_w = (self.width() - gap - 8) / 2
        avail_h = self.height() - caption - 8
        scale = max(0.1, min(avail_w / FIGURE_W, avail_h / FIGURE_H))
        w, h = FIGURE_W * scale, FIGURE_H * scale
        left = (self.width() - 2 * w - gap) / 2 + (0 if view == View.FRONT else w + gap)
        return QRectF(left, 4, w, h)

    def _to_widget(self, view: View, x: float, y: float) -> QPointF:
        r = self._figure_rect(view)
        s = r.width() / FIGURE_W
        return QPointF(r.left() + x * s, r.top() + (FIGURE_H - y) * s)

    def site_position(self, site: BodySite) -> QPointF:
        """Where a site is drawn in widget coordinates (tests click there)."""
        return self._to_widget(site.view, *site_point(site))

    def site_at(self, pos: QPointF) -> BodySite | None:
        for view in (View.FRONT, View.BACK):
            r = self._figure_rect(view)
            if r.adjusted(-8, -8, 8, 8).contains(pos):
                s = r.width() / FIGURE_W
                return nearest_site(view, (pos.x() - r.left()) / s, FIGURE_H - (pos.y() - r.top()) / s)
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        hover = self.site_at(event.position())
        if hover != self._hover:
            self._hover = hover
            self.setToolTip(site_label(hover) if hover else "")
            self.update()

    def leaveEvent(self, _event) -> None:  # noqa: N802, ANN001 - Qt override
        self._hover = None
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() != Qt.MouseButton.LeftButton:
            return
        site = self.site_at(event.position())
        if site is not None:
            self._site = site
            self.update()
            self.picked.emit(site)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = self.fontMetrics()
        for view, caption in ((View.FRONT, _("Front")), (View.BACK, _("Back"))):
            r = self._figure_rect(view)
            s = r.width() / FIGURE_W
            p.setPen(QPen(EDGE, 1.2))
            p.setBrush(SKIN)
            for poly in self._polygons:
                p.drawPolygon(QPolygonF([self._to_widget(view, x, y) for x, y in poly]))
            for cx, cy, radius in self._circles:
                p.drawEllipse(self._to_widget(view, cx, cy), radius * s, radius * s)
            # which side is which, as the viewer sees this view
            left_mark, right_mark = (_("R"), _("L")) if view == View.FRONT else (_("L"), _("R"))
            p.setPen(EDGE)
            p.drawText(QRectF(r.left(), r.top(), 20, fm.height()), Qt.AlignmentFlag.AlignLeft, left_mark)
            p.drawText(QRectF(r.right() - 20, r.top(), 20, fm.height()), Qt.AlignmentFlag.AlignRight, right_mark)
            p.drawText(QRectF(r.left() - 10, r.bottom() + 4, r.width() + 20, fm.height() + 2),
                       Qt.AlignmentFlag.AlignHCenter, caption)
            for site, colour, radius in ((self._hover, HOVER.darker(130), 5.0), (self._site, MARK, 6.5)):
                if site is not None and site.view == view:
                    centre = self.site_position(site)
                    path = QPainterPath()
                    path.addEllipse(centre, radius * s + 2, radius * s + 2)
                    p.setPen(QPen(colour, 2.2))
                    p.setBrush(Qt.BrushStyle.NoBrush)
                    p.drawPath(path)
                    if site is self._site:
                        p.setBrush(colour)
                        p.setPen(Qt.PenStyle.NoPen)
                        p.drawEllipse(centre, 2.5 * s + 1, 2.5 * s + 1)
        p.end()


class BodySitePicker(QWidget):
    """The diagram plus a line saying what was picked. ``site_text()`` is what gets stored."""

    site_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diagram = BodyDiagram()
        self.diagram.picked.connect(self._picked)
        self.caption = QLabel(_("Click the body site on the diagram."))
        self.caption.setObjectName("bodySiteCaption")
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.diagram, 1)
        layout.addWidget(self.caption)

    def site(self) -> BodySite | None:
        return self.diagram.site

    def site_text(self) -> str:
        site = self.diagram.site
        return site_text(site) if site is not None else ""

    def set_site_text(self, text: str) -> None:
        """Show a stored site (free text from older records is parsed; unknown text shows nothing)."""
        site = parse_body_site(text) if text else None
        self.diagram.set_site(site)
        self.caption.setText(site_label(site) if site else _("Click the body site on the diagram."))

    def _picked(self, site: BodySite) -> None:
        self.caption.setText(site_label(site))
        self.site_changed.emit(site_text(site))
