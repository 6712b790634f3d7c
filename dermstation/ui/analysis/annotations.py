"""Marks over the picture: a ruler (mm when the picture's pixel size is known, pixels otherwise), arrows and
free marks. They are a layer of their own (``services.annotations``), drawn over the picture and never into it.

Keyboard: the tool buttons take focus and toggle with Space; in the picture, Enter draws the chosen tool's
mark across the middle of what is in view, N selects the next mark, Delete (or Backspace) removes the
selected one, Escape puts the tool down.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QWidget,
)

from dermstation.core.i18n import _, format_number
from dermstation.services.annotations import Annotation, AnnotationLayer, ruler_text_value

if TYPE_CHECKING:
    from dermstation.services.annotations import AnnotationService
    from dermstation.services.types import CurrentUser
    from dermstation.ui.analysis.image_view import LesionImageView
    from dermstation.ui.operations import Operations

MARK_COLOUR = QColor("#FFD23F")
SELECTED_COLOUR = QColor("#FF4FD8")
LABEL_BACKGROUND = QColor(0, 0, 0, 170)
ARROW_HEAD_DEG = 28.0
MIN_DRAG_PX = 3.0  # screen pixels: a click is not a mark


def mark_path(kind: str, points: list[QPointF], head: float) -> QPainterPath:
    """The drawn shape of a mark, in picture (scene) coordinates; ``head`` is the arrow head's length."""
    path = QPainterPath()
    if len(points) < 2:
        return path
    path.moveTo(points[0])
    for p in points[1:]:
        path.lineTo(p)
    if kind in ("arrow", "ruler"):
        a, b = points[0], points[-1]
        angle = math.atan2(b.y() - a.y(), b.x() - a.x())
        if kind == "arrow":  # the head at the end the stroke finished on
            for side in (-1, 1):
                t = angle + math.pi - side * math.radians(ARROW_HEAD_DEG)
                path.moveTo(b)
                path.lineTo(b + QPointF(math.cos(t) * head, math.sin(t) * head))
        else:  # ticks across both ends
            for end in (a, b):
                n = QPointF(-math.sin(angle) * head / 2, math.cos(angle) * head / 2)
                path.moveTo(end - n)
                path.lineTo(end + n)
    return path


class MarkItem(QGraphicsPathItem):
    """One stored mark: selectable, drawn with a pen of the same width at any zoom."""

    def __init__(self, annotation: Annotation | None, kind: str, points: list[QPointF], head: float) -> None:
        super().__init__(mark_path(kind, points, head))
        self.annotation = annotation
        self.kind = kind
        self.points = points
        self._pick = max(4.0, head / 2)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, annotation is not None)
        self.setZValue(10)
        self.label: QGraphicsSimpleTextItem | None = None
        self._paint()

    def _paint(self) -> None:
        pen = QPen(SELECTED_COLOUR if self.isSelected() else MARK_COLOUR, 3.0 if self.isSelected() else 2.0)
        pen.setCosmetic(True)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.setPen(pen)

    def shape(self) -> QPainterPath:  # easy to click: a band around the thin line
        stroker = QPainterPathStroker()
        stroker.setWidth(self._pick)
        return stroker.createStroke(self.path())

    def paint(self, painter, option, widget=None) -> None:  # noqa: ANN001 - Qt override
        option.state &= ~QStyle.StateFlag.State_Selected  # the colour shows the selection, not a dashed box
        super().paint(painter, option, widget)

    def itemChange(self, change, value):  # noqa: ANN001, ANN201, N802 - Qt override
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self._paint()
        return super().itemChange(change, value)


def ruler_label(item: MarkItem, annotation: Annotation, pixel_spacing_mm: float | None) -> QGraphicsSimpleTextItem:
    """A ruler's length on a dark plate at its middle: mm when the picture's pixel size is known, else px."""
    value, unit = ruler_text_value(annotation, pixel_spacing_mm)
    text = (_("{value} mm").format(value=format_number(value, 1)) if unit == "mm"
            else _("{value} px").format(value=format_number(value, 0)))
    # a dark plate under the text, the same size on screen at any zoom
    plate = QGraphicsRectItem(item)
    plate.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
    plate.setBrush(LABEL_BACKGROUND)
    plate.setPen(QPen(Qt.PenStyle.NoPen))
    label = QGraphicsSimpleTextItem(text, plate)
    label.setBrush(MARK_COLOUR)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    box = label.boundingRect()
    plate.setRect(QRectF(-4, -2, box.width() + 8, box.height() + 4))
    a, b = item.points[0], item.points[-1]
    plate.setPos((a + b) / 2)
    return label


def read_only_marks(layer: AnnotationLayer, to_scene: Callable[[float, float], QPointF],
                    head: float) -> list[MarkItem]:
    """A picture's stored marks to draw elsewhere (History's panes): not selectable, ``to_scene`` maps a
    stored picture's pixel to where it is drawn (scaled, or turned onto an aligned picture)."""
    items = []
    for annotation in layer.annotations:
        item = MarkItem(None, annotation.kind, [to_scene(x, y) for x, y in annotation.points], head)
        item.annotation = annotation  # what it shows; MarkItem(None, ...) keeps it unselectable
        if annotation.kind == "ruler":
            item.label = ruler_label(item, annotation, layer.pixel_spacing_mm)
        items.append(item)
    return items


class AnnotationTools(QObject):
    """The marks layer of a ``LesionImageView``: tools in its bar, marks in its scene, stored through the service."""

    changed = Signal()  # the marks shown changed (loaded, added, removed)

    def __init__(self, view: LesionImageView, service: AnnotationService, user: CurrentUser,
                 ops: Operations) -> None:
        super().__init__(view)
        self._view = view
        self._service = service
        self._user = user
        self._ops = ops
        self._layer: AnnotationLayer | None = None
        self._scale = 1.0  # shown pixels per stored pixel
        self._items: list[MarkItem] = []
        self._drawing: MarkItem | None = None
        self._start: QPointF | None = None
        self._press_pos = None
        self._key = f"marks-{id(self)}"

        self.visible = QCheckBox(_("Marks"))
        self.visible.setToolTip(_("Show the rulers, arrows and marks drawn on this picture"))
        self.visible.setChecked(True)
        self.visible.toggled.connect(self._update_visibility)
        self.ruler = self._tool(_("Ruler"), _("Draw a ruler: drag from one point to another (mm when the "
                                              "picture's pixel size is known)"))
        self.arrow = self._tool(_("Arrow"), _("Draw an arrow: drag towards what it points at"))
        self.mark = self._tool(_("Free mark"), _("Draw freely with the mouse"))
        self.group = QButtonGroup(self)
        self.group.setExclusive(False)  # a checked tool can be put down by clicking it again
        for button in (self.ruler, self.arrow, self.mark):
            self.group.addButton(button)
        self.group.buttonToggled.connect(self._tool_toggled)
        self.remove_button = QPushButton(_("Remove mark"))
        self.remove_button.setToolTip(_("Remove the selected mark (Delete). N selects the next mark; with a tool "
                                        "chosen, Enter draws its mark in the middle of the view."))
        self.remove_button.clicked.connect(self.remove_selected)
        self.status = QLabel()
        self.status.setProperty("role", "subtitle")
        self.bar = QWidget()
        bar = QHBoxLayout(self.bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(6)
        bar.addWidget(self.visible)
        bar.addSpacing(6)
        for button in (self.ruler, self.arrow, self.mark, self.remove_button):
            bar.addWidget(button)
        bar.addWidget(self.status, 1)
        view.add_tool_bar(self.bar)

        self._gv: QGraphicsView = view.view
        self._gv.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._viewport = self._gv.viewport()
        self._viewport.installEventFilter(self)
        self._gv.installEventFilter(self)
        view.scene.selectionChanged.connect(self._update_actions)
        view.image_shown.connect(self.show_capture)
        view.image_cleared.connect(self.clear)
        self._update_actions()

    def _tool(self, text: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setCheckable(True)
        button.setToolTip(tip)
        return button

    # --- loading -------------------------------------------------------------------------------
    def show_capture(self, capture_id: int, shown_width: int) -> None:
        """Load and draw the marks of the picture the view now shows at ``shown_width`` pixels wide."""
        self.clear()
        self._ops.spawn(self._load(capture_id, shown_width), key=self._key, parent=self._view)

    async def _load(self, capture_id: int, shown_width: int) -> None:
        layer = await self._ops.db(self._service.layer, self._user, capture_id)
        self._layer = layer
        self._scale = shown_width / layer.width if layer.width else 1.0
        for annotation in layer.annotations:
            self._add_item(annotation)
        self._update_actions()
        self.changed.emit()

    def clear(self) -> None:
        for item in self._items:
            self._view.scene.removeItem(item)
        self._items = []
        self._layer = None
        self._cancel_drawing()
        self._update_actions()

    @property
    def annotations(self) -> tuple[Annotation, ...]:
        return tuple(item.annotation for item in self._items if item.annotation is not None)

    @property
    def items(self) -> tuple[MarkItem, ...]:
        return tuple(self._items)

    # --- drawing -------------------------------------------------------------------------------
    def _head(self) -> float:
        rect = self._view.scene.sceneRect()
        return max(6.0, max(rect.width(), rect.height()) / 45.0)

    def _add_item(self, annotation: Annotation) -> MarkItem:
        points = [QPointF(x * self._scale, y * self._scale) for x, y in annotation.points]
        item = MarkItem(annotation, annotation.kind, points, self._head())
        self._view.scene.addItem(item)
        if annotation.kind == "ruler":
            item.label = self._label(item, annotation)
        item.setVisible(self.visible.isChecked())
        self._items.append(item)
        return item

    def _label(self, item: MarkItem, annotation: Annotation) -> QGraphicsSimpleTextItem:
        return ruler_label(item, annotation, self._layer.pixel_spacing_mm if self._layer else None)

    def _tool_toggled(self, button: QPushButton, checked: bool) -> None:
        if checked:
            for other in self.group.buttons():
                if other is not button and other.isChecked():
                    other.setChecked(False)
        active = self.tool is not None
        self._gv.setDragMode(QGraphicsView.DragMode.NoDrag if active else QGraphicsView.DragMode.ScrollHandDrag)
        self._viewport.setCursor(Qt.CursorShape.CrossCursor if active else Qt.CursorShape.OpenHandCursor)
        if active:
            self.visible.setChecked(True)
            self._gv.setFocus()

    @property
    def tool(self) -> str | None:
        for kind, button in (("ruler", self.ruler), ("arrow", self.arrow), ("mark", self.mark)):
            if button.isChecked():
                return kind
        return None

    def put_down(self) -> None:
        for button in self.group.buttons():
            button.setChecked(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self._gv and event.type() == QEvent.Type.KeyPress:
            return self._key_pressed(event)  # type: ignore[arg-type]
        if watched is self._viewport and self.tool is not None and self._layer is not None:
            kind = event.type()
            if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
                self._begin(event)  # type: ignore[arg-type]
                return True
            if kind == QEvent.Type.MouseMove and self._drawing is not None:
                self._extend(event)  # type: ignore[arg-type]
                return True
            if kind == QEvent.Type.MouseButtonRelease and self._drawing is not None:
                self._finish(event)  # type: ignore[arg-type]
                return True
        return super().eventFilter(watched, event)

    def _scene_point(self, event: QMouseEvent) -> QPointF:
        p = self._gv.mapToScene(event.position().toPoint())
        rect = self._view.scene.sceneRect()
        return QPointF(min(max(p.x(), rect.left()), rect.right()), min(max(p.y(), rect.top()), rect.bottom()))

    def _begin(self, event: QMouseEvent) -> None:
        start = self._scene_point(event)
        self._press_pos = event.position()
        self._drawing = MarkItem(None, self.tool or "mark", [start, start], self._head())
        self._view.scene.addItem(self._drawing)

    def _extend(self, event: QMouseEvent) -> None:
        item = self._drawing
        assert item is not None
        p = self._scene_point(event)
        item.points = item.points + [p] if item.kind == "mark" else [item.points[0], p]
        item.setPath(mark_path(item.kind, item.points, self._head()))

    def _finish(self, event: QMouseEvent) -> None:
        item = self._drawing
        assert item is not None
        self._extend(event)
        moved = (event.position() - self._press_pos).manhattanLength() if self._press_pos is not None else 0
        self._drawing = None
        self._view.scene.removeItem(item)
        if moved < MIN_DRAG_PX or self._layer is None:
            return
        self.add(item.kind, [(p.x() / self._scale, p.y() / self._scale) for p in item.points])

    def add(self, kind: str, points: list[tuple[float, float]]) -> None:
        """Store a mark (points in the stored picture's pixels) and draw it."""
        if self._layer is None:
            return
        capture_id = self._layer.capture_id
        self._ops.spawn(self._add(capture_id, kind, tuple(points)), parent=self._view)

    async def _add(self, capture_id: int, kind: str, points: tuple[tuple[float, float], ...]) -> None:
        annotation = await self._ops.db(self._service.add, self._user, capture_id, kind, points)
        if self._layer is None or self._layer.capture_id != capture_id:
            return  # another picture is shown now
        item = self._add_item(annotation)
        self._view.scene.clearSelection()
        item.setSelected(True)
        self.changed.emit()

    def _cancel_drawing(self) -> None:
        if self._drawing is not None:
            self._view.scene.removeItem(self._drawing)
            self._drawing = None

    # --- keyboard and removal ------------------------------------------------------------------
    def _key_pressed(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selected is not None:
            self.remove_selected()
            return True
        if key == Qt.Key.Key_Escape and (self.tool is not None or self.selected is not None):
            self._cancel_drawing()
            self.put_down()
            self._view.scene.clearSelection()
            return True
        if key == Qt.Key.Key_N and event.modifiers() == Qt.KeyboardModifier.NoModifier and self._items:
            self.select_next()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.tool is not None and self._layer is not None:
            self.add_in_view()
            return True
        return False

    def add_in_view(self) -> None:
        """The chosen tool's mark across the middle third of what is in view (the keyboard's way to draw)."""
        seen = self._gv.mapToScene(self._viewport.rect()).boundingRect() & self._view.scene.sceneRect()
        if seen.isEmpty() or self.tool is None:
            return
        y = seen.center().y()
        left, right = seen.left() + seen.width() / 3, seen.right() - seen.width() / 3
        if self.tool == "mark":
            points = [(left + (right - left) * i / 8, y + (seen.height() / 12) * math.sin(i * math.pi / 4))
                      for i in range(9)]
        else:
            points = [(left, y), (right, y)]
        self.add(self.tool, [(x / self._scale, yy / self._scale) for x, yy in points])

    @property
    def selected(self) -> MarkItem | None:
        return next((i for i in self._items if i.isSelected() and i.isVisible()), None)

    def select_next(self) -> None:
        visible = [i for i in self._items if i.isVisible()]
        if not visible:
            return
        current = self.selected
        index = (visible.index(current) + 1) % len(visible) if current in visible else 0
        self._view.scene.clearSelection()
        visible[index].setSelected(True)
        self._gv.ensureVisible(visible[index])

    def remove_selected(self) -> None:
        item = self.selected
        if item is None or item.annotation is None:
            return
        self._ops.spawn(self._remove(item), parent=self._view)

    async def _remove(self, item: MarkItem) -> None:
        await self._ops.db(self._service.remove, self._user, item.annotation.id)
        if item in self._items:
            self._items.remove(item)
            self._view.scene.removeItem(item)
        self._update_actions()
        self.changed.emit()

    def _update_visibility(self, shown: bool) -> None:
        for item in self._items:
            item.setVisible(shown)
        if not shown:
            self.put_down()
        self._update_actions()

    def _update_actions(self) -> None:
        has_picture = self._layer is not None
        for button in (self.ruler, self.arrow, self.mark):
            button.setEnabled(has_picture)
        self.visible.setEnabled(has_picture)
        self.remove_button.setEnabled(self.selected is not None)
        if not has_picture:
            self.status.setText("")
        elif self._layer.pixel_spacing_mm:
            self.status.setText(_("Scale known: rulers in mm"))
        else:
            self.status.setText(_("No scale: rulers in pixels"))
