"""A lesion over time: its captures as a timeline, and two dates side by side with what changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.i18n import _, current_language, format_moment, format_number
from dermstation.inference.follow_up import AREA_NOISE_PCT, DIAMETER_NOISE_PCT, FollowUp, Note, Verdict
from dermstation.services.analysis_records import mask_contour
from dermstation.services.annotations import AnnotationLayer
from dermstation.services.comparison import ComparedPictures, ComparisonService, compare
from dermstation.services.imports import thumbnail
from dermstation.ui.analysis.annotations import MarkItem, read_only_marks
from dermstation.ui.analysis.image_view import CONTOUR_COLOUR, ZoomableView, contour_path, qimage_from_rgb
from dermstation.ui.analysis.panels import metric_value
from dermstation.ui.analysis.probability_chart import percent
from dermstation.ui.operations import Changed, Kind

if TYPE_CHECKING:
    from dermstation.services.analysis_records import AnalysisRecordService, StoredAnalysis, TimelineEntry
    from dermstation.services.annotations import AnnotationService
    from dermstation.services.types import CurrentUser
    from dermstation.ui.operations import Operations

THUMB = 64
MAX_THUMBNAILS = 60
GROWN = QColor(220, 40, 40, 110)
BEFORE_OUTLINE = QColor("#FFD54A")
CHANGED_STYLE = "color:#8C1D18; font-weight:600;"
STABLE_STYLE = "color:#1E4D33;"


def signed_pct(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{'+' if value > 0 else ''}{format_number(value, 1)} %"


def entry_text(entry: TimelineEntry) -> str:
    when = format_moment(entry.capture.taken_at.astimezone())
    a = entry.analysis
    if a is None:
        return _("{when} — not analysed").format(when=when)
    diameter = a.metric("diameter")
    size = f" · ⌀ {metric_value(diameter)}" if diameter is not None else ""
    # the signed diagnosis names the picture; the model appears only as "AI score"
    signed = entry.signed.diagnosis_name(current_language()) if entry.signed else _("not signed yet")
    return _("{when} — {signed} · AI score {score}{size}").format(
        when=when, signed=signed, score=percent(a.malignancy), size=size)


def note_text(note: Note) -> str:
    return {
        Note.NOT_ALIGNED: _("The two pictures could not be aligned: that they show the same lesion was not "
                            "checked, and each is measured on its own."),
        Note.NO_SCALE: _("Sizes cannot be compared: the pictures could not be aligned and at least one has no "
                         "known pixel size (choose a device profile or calibrate at capture)."),
        Note.RELATIVE_SCALE: _("No pixel size is known: sizes are in pixels of the earlier picture, after "
                               "aligning the later one onto it."),
        Note.SCALES_DISAGREE: _("The recorded pixel sizes do not match how the pictures align: check the "
                                "device profile of each capture."),
        Note.LESION_CUT: _("The lesion reaches the edge of what both pictures show: growth beyond it is not seen."),
        Note.SEGMENTATION_SPILLED: _("The outline in one picture covers most of the skin shown: the sizes are "
                                     "not measured. Check the outlines."),
    }[note]


def length_text(value: float | None, unit: str, area: bool = False) -> str:
    if value is None or not unit:
        return "—"
    return f"{format_number(value, 1 if area or unit == 'px' else 2)} {unit}{'²' if area else ''}"


def link_views(first: ZoomableView, second: ZoomableView) -> None:
    """Zoom and pan one view, and the other follows (both show pictures in the same frame)."""
    busy = [False]

    def follow(source: ZoomableView, target: ZoomableView) -> None:
        if busy[0] or not getattr(target, "linked", False):
            return
        busy[0] = True
        try:
            target.setTransform(source.transform())
            target.horizontalScrollBar().setValue(source.horizontalScrollBar().value())
            target.verticalScrollBar().setValue(source.verticalScrollBar().value())
        finally:
            busy[0] = False

    for a, b in ((first, second), (second, first)):
        a.zoom_changed.connect(lambda _z, a=a, b=b: follow(a, b))
        a.horizontalScrollBar().valueChanged.connect(lambda _v, a=a, b=b: follow(a, b))
        a.verticalScrollBar().valueChanged.connect(lambda _v, a=a, b=b: follow(a, b))


def mark_mapping(layer: AnnotationLayer, shape: tuple[int, ...],
                 matrix: np.ndarray | None = None) -> Callable[[float, float], QPointF]:
    """Where a stored mark's point is drawn: the stored picture's pixel scaled to the decoded picture of
    ``shape`` and, for the later picture aligned onto the earlier one, moved by the alignment (2×3)."""
    sx = shape[1] / layer.width if layer.width else 1.0
    sy = shape[0] / layer.height if layer.height else 1.0

    def to_scene(x: float, y: float) -> QPointF:
        x, y = x * sx, y * sy
        if matrix is not None:
            x, y = (float(matrix[0, 0] * x + matrix[0, 1] * y + matrix[0, 2]),
                    float(matrix[1, 0] * x + matrix[1, 1] * y + matrix[1, 2]))
        return QPointF(x, y)

    return to_scene


def colour_name(key: str, *analyses: StoredAnalysis) -> str:
    """The people's name of an ABCD colour ("dark_brown" -> "Dark brown"), as the metric labels it."""
    for a in analyses:
        m = a.metric(f"colour_{key}")
        if m is not None and m.label:
            return _(m.label).lower()
    return key.replace("_", " ")


class _Pane(QWidget):
    """One date of the comparison: its picture, outline(s) and a caption."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = QGraphicsScene(self)
        self.view = ZoomableView(self.scene)
        self.view.setMinimumSize(200, 180)
        self.image = QGraphicsPixmapItem()
        self.image.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.change = QGraphicsPixmapItem()
        self.outline = QGraphicsPathItem()
        pen = QPen(CONTOUR_COLOUR, 2.0)
        pen.setCosmetic(True)
        self.outline.setPen(pen)
        self.earlier = QGraphicsPathItem()
        pen = QPen(BEFORE_OUTLINE, 2.0, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.earlier.setPen(pen)
        for z, item in enumerate((self.image, self.change, self.earlier, self.outline)):
            item.setZValue(z)
            self.scene.addItem(item)
        self.marks: list[MarkItem] = []  # the stored marks of the picture shown, read-only
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)

    def display(self, rgb: np.ndarray, contour: np.ndarray, caption: str,
             grown: np.ndarray | None = None, earlier: np.ndarray | None = None) -> None:
        h, w = rgb.shape[:2]
        self.image.setPixmap(QPixmap.fromImage(qimage_from_rgb(rgb)))
        self.outline.setPath(contour_path(contour))
        self.earlier.setPath(contour_path(earlier) if earlier is not None else QPainterPath())
        if grown is not None and grown.any():
            rgba = np.zeros((*grown.shape, 4), np.uint8)
            rgba[grown] = (GROWN.red(), GROWN.green(), GROWN.blue(), GROWN.alpha())
            image = QImage(np.ascontiguousarray(rgba).data, grown.shape[1], grown.shape[0], 4 * grown.shape[1],
                           QImage.Format.Format_RGBA8888).copy()
            self.change.setPixmap(QPixmap.fromImage(image))
        else:
            self.change.setPixmap(QPixmap())
        self.scene.setSceneRect(QRectF(0, 0, w, h))
        self.caption.setText(caption)
        self.view.fit()
        self.show()

    def set_marks(self, layer: AnnotationLayer | None, to_scene: Callable[[float, float], QPointF] | None,
                  shown: bool) -> None:
        """Draw ``layer``'s marks over the picture (None: none), visible when ``shown``."""
        for item in self.marks:
            self.scene.removeItem(item)
        self.marks = []
        if layer is None or to_scene is None:
            return
        rect = self.scene.sceneRect()
        self.marks = read_only_marks(layer, to_scene, max(6.0, max(rect.width(), rect.height()) / 45.0))
        for item in self.marks:
            item.setVisible(shown)
            self.scene.addItem(item)

    def show_marks(self, shown: bool) -> None:
        for item in self.marks:
            item.setVisible(shown)


class HistoryView(QWidget):
    timeline_shown = Signal(int)  # number of captures
    compared = Signal(object)  # FollowUp
    open_capture = Signal(int)  # capture id (double-click)
    thumbnails_shown = Signal(int)

    def __init__(self, records: AnalysisRecordService, user: CurrentUser, ops: Operations,
                 parent: QWidget | None = None, *, annotations: AnnotationService | None = None) -> None:
        super().__init__(parent)
        self._records = records
        self._annotations = annotations  # None: marks are not shown (not a clinical user)
        self._layers: tuple[AnnotationLayer | None, AnnotationLayer | None] = (None, None)
        self._user = user
        self._ops = ops
        self._comparison = ComparisonService(records)
        ops.changed.connect(self._changed)
        self._lesion_id: int | None = None
        self._entries: tuple[TimelineEntry, ...] = ()
        self.current: ComparedPictures | None = None

        self.timeline = QListWidget()
        self.timeline.setObjectName("timeline")
        self.timeline.setWordWrap(True)
        self.timeline.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.timeline.setSpacing(3)
        self.timeline.setIconSize(QSize(THUMB, THUMB))
        self.timeline.itemActivated.connect(lambda item: self.open_capture.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.empty = QLabel(_("No pictures of this lesion yet. Import or capture one."))
        self.empty.setProperty("role", "empty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.before = QComboBox()
        self.after = QComboBox()
        for combo in (self.before, self.after):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(16)
            combo.currentIndexChanged.connect(self._choice_changed)
        self.before.setAccessibleName(_("Earlier date"))
        self.after.setAccessibleName(_("Later date"))

        self.left_pane = _Pane()
        self.right_pane = _Pane()
        link_views(self.left_pane.view, self.right_pane.view)
        # how to look at the two dates: side by side, blinking in one pane, or both outlines on one picture
        self.mode_buttons: dict[str, QPushButton] = {}
        modes = QHBoxLayout()
        for key, label, tip in (
            ("side", _("Side by side"), _("Both dates, zoom and pan linked when the pictures are aligned")),
            ("blink", _("Blink"), _("The aligned pictures alternate in the right pane")),
            ("outlines", _("Outlines"), _("Both outlines on the earlier picture")),
        ):
            button = QPushButton(label)
            button.setCheckable(True)
            button.setAutoExclusive(True)
            button.setToolTip(tip)
            button.clicked.connect(lambda _c=False, k=key: self.set_mode(k))
            self.mode_buttons[key] = button
            modes.addWidget(button)
        modes.addStretch(1)
        # the marks drawn on each picture (Analysis tab), over its pane; shown or hidden like there
        self.marks = QCheckBox(_("Marks"))
        self.marks.setToolTip(_("Show the rulers, arrows and marks drawn on these pictures (they are drawn and "
                                "removed on the Analysis tab)"))
        self.marks.setChecked(True)
        self.marks.setEnabled(False)
        self.marks.toggled.connect(self._marks_toggled)
        self.marks.setVisible(annotations is not None)
        modes.addWidget(self.marks)
        self.mode_buttons["side"].setChecked(True)
        self._mode = "side"
        self._blink = QTimer(self)
        self._blink.setInterval(700)
        self._blink.timeout.connect(self._blink_step)
        self._blink_after = True
        self.deltas = QFrame()
        self.deltas.setObjectName("card")
        self.delta_grid = QGridLayout(self.deltas)
        self.delta_grid.setContentsMargins(12, 8, 12, 8)
        self.delta_labels: dict[str, QLabel] = {}
        self.summary = QLabel()
        self.summary.setObjectName("changeSummary")
        self.summary.setWordWrap(True)
        self.note = QLabel()
        self.note.setProperty("role", "subtitle")
        self.note.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel(_("Captures"))
        title.setProperty("role", "section")
        left_layout.addWidget(title)
        left_layout.addWidget(self.timeline, 1)
        left_layout.addWidget(self.empty, 1)

        pick = QHBoxLayout()
        pick.addWidget(QLabel(_("Compare")))
        pick.addWidget(self.before, 1)
        pick.addWidget(QLabel("→"))
        pick.addWidget(self.after, 1)
        panes = QHBoxLayout()
        panes.addWidget(self.left_pane, 1)
        panes.addWidget(self.right_pane, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(pick)
        right_layout.addLayout(modes)
        right_layout.addLayout(panes, 1)
        right_layout.addWidget(self.summary)
        right_layout.addWidget(self.deltas)
        right_layout.addWidget(self.note)
        self.compare_area = right

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        left.setMinimumWidth(220)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._show_entries(())

    @property
    def entries(self) -> tuple[TimelineEntry, ...]:
        return self._entries

    # --- loading --------------------------------------------------------------------------------
    def set_lesion(self, lesion_id: int | None) -> None:
        if lesion_id != self._lesion_id:  # nothing of the last lesion stays while the new one loads
            self._forget()
        self._lesion_id = lesion_id
        if lesion_id is None:
            self._show_entries(())
            return
        self.refresh()

    def _changed(self, change: Changed) -> None:
        if change.kind in (Kind.PICTURES, Kind.ANALYSES, Kind.ASSESSMENTS):  # new, analysed, signed, retracted
            self.refresh()

    def refresh(self) -> None:
        if self._lesion_id is not None:
            self._ops.spawn(self._load(self._lesion_id), key=f"timeline-{id(self)}", parent=self)

    async def _load(self, lesion_id: int) -> None:
        entries = await self._ops.db(self._records.timeline, self._user, lesion_id)
        if lesion_id == self._lesion_id:
            self._show_entries(entries)
            self._ops.spawn(self._load_thumbnails(lesion_id, entries), key=f"thumbs-{id(self)}", parent=self)

    async def _load_thumbnails(self, lesion_id: int, entries: tuple[TimelineEntry, ...]) -> None:
        """Fill in the pictures after the list is on screen, newest first."""
        for row, entry in enumerate(reversed(entries[-MAX_THUMBNAILS:])):
            image = await self._ops.db(self._records.capture_image, self._user, entry.capture.id)
            rgb = await self._ops.work(thumbnail, image, THUMB * 2)  # sharp on HiDPI screens
            if lesion_id != self._lesion_id or row >= self.timeline.count():
                return
            self.timeline.item(row).setIcon(QIcon(QPixmap.fromImage(qimage_from_rgb(rgb))))
        self.thumbnails_shown.emit(min(len(entries), MAX_THUMBNAILS))

    def _show_entries(self, entries: tuple[TimelineEntry, ...]) -> None:
        self._entries = entries
        self.timeline.clear()
        for entry in reversed(entries):  # newest on top
            item = QListWidgetItem(entry_text(entry))
            item.setData(Qt.ItemDataRole.UserRole, entry.capture.id)
            if entry.analysis is not None and entry.analysis.suspicious:
                item.setForeground(QColor("#8C1D18"))
            item.setToolTip(entry.original_name or "")
            self.timeline.addItem(item)
        self.timeline.setVisible(bool(entries))
        self.empty.setText(_("No pictures of this lesion yet. Import or capture one.") if self._lesion_id is not None
                           else _("Choose a patient and a lesion above."))
        self.empty.setVisible(not entries)
        analysed = [e for e in entries if e.analysis is not None]
        for combo in (self.before, self.after):
            combo.blockSignals(True)
            combo.clear()
            for e in analysed:
                combo.addItem(format_moment(e.capture.taken_at.astimezone()), e.analysis.id)
            combo.blockSignals(False)
        enough = len(analysed) >= 2
        self.compare_area.setEnabled(enough)
        self._clear_comparison(
            _("Analyse at least two pictures of this lesion to compare them.")
            if not enough and self._lesion_id is not None else "")
        if enough:
            self.before.setCurrentIndex(0)
            self.after.setCurrentIndex(len(analysed) - 1)
            self._choice_changed()
        self.timeline_shown.emit(len(entries))

    def _forget(self) -> None:
        """Take the last lesion's captures and comparison off the screen at once (no signal: nothing loaded)."""
        self._entries = ()
        self.timeline.clear()
        for combo in (self.before, self.after):
            combo.blockSignals(True)
            combo.clear()
            combo.blockSignals(False)
        self.compare_area.setEnabled(False)
        self._clear_comparison("")

    def _clear_comparison(self, text: str) -> None:
        self._blink.stop()
        self.current = None
        self._layers = (None, None)
        for pane in (self.left_pane, self.right_pane):
            pane.set_marks(None, None, False)
        self.marks.setEnabled(False)
        self.left_pane.hide()
        self.right_pane.hide()
        self.deltas.hide()
        self.note.hide()
        self.summary.setText(text)
        self.summary.setStyleSheet("")

    # --- comparing ------------------------------------------------------------------------------
    def compare_ids(self, before_id: int, after_id: int) -> None:
        self.before.setCurrentIndex(self.before.findData(before_id))
        self.after.setCurrentIndex(self.after.findData(after_id))

    def _choice_changed(self) -> None:
        b, a = self.before.currentData(), self.after.currentData()
        if b is None or a is None:
            return
        if b == a:
            self._clear_comparison(_("Choose two different dates."))
            return
        self._ops.spawn(self._compare(b, a), key=f"compare-{id(self)}", parent=self)

    async def _compare(self, before_id: int, after_id: int) -> None:
        inputs = await self._ops.db(self._comparison.inputs, self._user, before_id, after_id)
        layers = await self._load_layers(inputs.before.capture_id, inputs.after.capture_id)
        compared = await self._ops.work(compare, inputs)
        if compared.before.lesion_id != self._lesion_id:
            return  # another lesion or patient was chosen meanwhile
        self.current = compared
        self._layers = layers
        self.marks.setEnabled(self._annotations is not None)
        self._show_pictures()
        self._show_deltas(compared.before, compared.after, compared.follow_up)
        self.compared.emit(compared.follow_up)

    async def _load_layers(self, *capture_ids: int) -> tuple[AnnotationLayer | None, AnnotationLayer | None]:
        if self._annotations is None:
            return (None, None)
        first, second = capture_ids
        return (await self._ops.db(self._annotations.layer, self._user, first),
                await self._ops.db(self._annotations.layer, self._user, second))

    async def _reload_marks(self) -> None:
        """Marks drawn or removed on the Analysis tab since the comparison was drawn."""
        c = self.current
        if c is None:
            return
        layers = await self._load_layers(c.before.capture_id, c.after.capture_id)
        if c is self.current and layers != self._layers:
            self._layers = layers
            self._show_pictures()

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().showEvent(event)
        if self.current is not None and self._annotations is not None and not event.spontaneous():
            self._ops.spawn(self._reload_marks(), key=f"marks-{id(self)}", parent=self)

    def _marks_toggled(self, shown: bool) -> None:
        for pane in (self.left_pane, self.right_pane):
            pane.show_marks(shown)

    def _pane_marks(self, pane: _Pane, which: str) -> None:
        """Draw the marks of the "before" or "after" picture over ``pane`` (the after one turned onto the
        before picture when the pane shows it aligned)."""
        c = self.current
        layer = self._layers[0 if which == "before" else 1] if c is not None else None
        if c is None or layer is None:
            pane.set_marks(None, None, False)
            return
        if which == "before":
            to_scene = mark_mapping(layer, c.before_rgb.shape)
        elif c.after_aligned is not None and c.follow_up.alignment.matrix is not None:
            to_scene = mark_mapping(layer, c.after_rgb.shape, c.follow_up.alignment.matrix)
        else:
            to_scene = mark_mapping(layer, c.after_rgb.shape)
        pane.set_marks(layer, to_scene, self.marks.isChecked())

    def _show_pictures(self) -> None:
        """Draw the current comparison in the chosen mode (aligned pictures share one frame)."""
        c = self.current
        if c is None:
            return
        f = c.follow_up
        self._blink.stop()
        when_b = format_moment(c.before.taken_at.astimezone())
        when_a = format_moment(c.after.taken_at.astimezone())
        aligned = c.after_aligned is not None and f.before_mask is not None and f.after_mask is not None
        for view in (self.left_pane.view, self.right_pane.view):
            view.linked = aligned
        if not aligned:
            self.left_pane.display(c.before_rgb, mask_contour(c.before.mask), when_b)
            self.right_pane.display(c.after_rgb, mask_contour(c.after.mask), when_a)
            self._pane_marks(self.right_pane, "after")
        else:
            before_outline, after_outline = mask_contour(f.before_mask), mask_contour(f.after_mask)
            grown = f.after_mask & ~f.before_mask
            if self._mode == "outlines":
                self.left_pane.display(c.before_rgb, after_outline, _("{before}, outline of {after} solid, "
                                       "{before} dashed").format(before=when_b, after=when_a),
                                       earlier=before_outline)
                self.right_pane.hide()
            else:
                self.left_pane.display(c.before_rgb, before_outline, when_b)
                self.right_pane.display(c.after_aligned, after_outline, when_a + " · " + _("aligned"),
                                        grown, before_outline)
                self._pane_marks(self.right_pane, "after")
                if self._mode == "blink":
                    self._blink_after = True
                    self._blink.start()
        self._pane_marks(self.left_pane, "before")
        for key, button in self.mode_buttons.items():
            button.setEnabled(aligned or key == "side")
        self.note.setText(_("Right: the later picture turned and scaled onto the earlier one, its outline solid, "
                            "the earlier outline dashed, new lesion area in red.") if aligned else "")
        self.note.setVisible(aligned)

    def set_mode(self, mode: str) -> None:
        """"side", "blink" or "outlines"."""
        self._mode = mode
        self.mode_buttons[mode].setChecked(True)
        self._show_pictures()

    def _blink_step(self) -> None:
        c = self.current
        if c is None or c.after_aligned is None:
            self._blink.stop()
            return
        self._blink_after = not self._blink_after
        self.right_pane.image.setPixmap(QPixmap.fromImage(qimage_from_rgb(
            c.after_aligned if self._blink_after else c.before_rgb)))
        self.right_pane.caption.setText(format_moment(
            (c.after if self._blink_after else c.before).taken_at.astimezone()))
        self._pane_marks(self.right_pane, "after" if self._blink_after else "before")

    def _show_deltas(self, before: StoredAnalysis, after: StoredAnalysis, c: FollowUp) -> None:
        while self.delta_grid.count():
            item = self.delta_grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.delta_labels = {}
        rows = []
        for name, label, pct, limit, values in (
            ("diameter", _("Diameter"), c.diameter_change_pct, DIAMETER_NOISE_PCT,
             f"{length_text(c.diameter_before, c.length_unit)} → {length_text(c.diameter_after, c.length_unit)}"),
            ("area", _("Area"), c.area_change_pct, AREA_NOISE_PCT,
             f"{length_text(c.area_before, c.length_unit, True)} → {length_text(c.area_after, c.length_unit, True)}"),
        ):
            rows.append((name, label, values, signed_pct(pct), pct is not None and abs(pct) > limit))
        cb, ca = before.metric("colour_count"), after.metric("colour_count")
        colour_change = []
        def names(keys: tuple[str, ...]) -> str:
            return ", ".join(colour_name(k, before, after) for k in keys)

        if c.colours_added:
            colour_change.append(_("new: {colours}").format(colours=names(c.colours_added)))
        if c.colours_lost:
            colour_change.append(_("gone: {colours}").format(colours=names(c.colours_lost)))
        rows.append(("colours", _("Colours"),
                     f"{metric_value(cb)} → {metric_value(ca)}" if cb and ca else "—",
                     "; ".join(colour_change) or _("no change"), False))  # lighting moves colours: shown, not judged
        rows.append(("malignancy", _("Malignancy score"), f"{percent(before.malignancy)} → {percent(after.malignancy)}",
                     signed_pct(100 * c.malignancy_change) if c.malignancy_change is not None else "—",
                     after.suspicious and not before.suspicious))
        for r, (key, label, values, delta, flagged) in enumerate(rows):
            name = QLabel(label)
            name.setProperty("role", "fieldName")
            value = QLabel(values)
            change = QLabel(("▲ " if flagged else "") + delta)
            change.setStyleSheet(CHANGED_STYLE if flagged else STABLE_STYLE)
            change.setWordWrap(True)
            change.setProperty("flagged", flagged)
            self.delta_labels[key] = change
            self.delta_grid.addWidget(name, r, 0)
            self.delta_grid.addWidget(value, r, 1)
            self.delta_grid.addWidget(change, r, 2)
        self.delta_grid.setColumnStretch(2, 1)
        since = format_moment(before.taken_at.astimezone())
        warn = "background:#FFF4E0; border:1px solid #E0A33B; border-radius:6px; color:#5A3B00; padding:6px 10px;"
        if c.verdict is Verdict.DIFFERENT_LESION:
            text = _("These pictures do not seem to show the same lesion: the outlines do not overlap once the "
                     "pictures are aligned. Check that both belong to this lesion.")
            style = warn + " font-weight:600;"
        elif c.verdict is Verdict.NOT_COMPARABLE:
            text = _("Sizes not compared.")
            style = warn
        elif c.verdict is Verdict.CHANGED:
            text = (_("Changed: the lesion grew since {date}.") if c.grew
                    else _("Changed: the lesion became smaller since {date}.")).format(date=since)
            text += " " + _("More than two pictures of an unchanged lesion differ (diameter {d} %, area {a} %).").format(
                d=format_number(DIAMETER_NOISE_PCT, 0), a=format_number(AREA_NOISE_PCT, 0))
            style = "background:#FDECEA; border:1px solid #D9534F; border-radius:6px; color:#6E1410; padding:6px 10px;" \
                    " font-weight:600;"
        else:
            text = _("No change in size beyond what two pictures of an unchanged lesion differ (diameter {d} %, "
                     "area {a} %).").format(d=format_number(DIAMETER_NOISE_PCT, 0), a=format_number(AREA_NOISE_PCT, 0))
            style = "background:#EAF4EE; border:1px solid #9CC8AE; border-radius:6px; color:#1E4D33; padding:6px 10px;"
        notes = [note_text(n) for n in c.notes]
        if c.colours_added or c.colours_lost:
            notes.append(_("Colours depend on the light: compare them by eye before judging a colour change."))
        if notes:
            text += "\n" + "\n".join(f"• {n}" for n in notes)
        self.summary.setText(text)
        self.summary.setStyleSheet(f"QLabel#changeSummary {{ {style} }}")
        self.deltas.show()
        self.note.show()
