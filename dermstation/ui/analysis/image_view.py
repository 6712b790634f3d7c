"""The lesion image with switchable overlays (mask contour, activation heatmap), zoom and pan."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from dermstation.core.i18n import _
from dermstation.ui.analysis.heatmap_legend import HeatmapLegend

CONTOUR_COLOUR = QColor("#19E36B")
ZOOM_STEP = 1.25
MAX_ZOOM = 40.0


def qimage_from_rgb(rgb: np.ndarray) -> QImage:
    """A deep-copied QImage of an (H, W, 3) uint8 RGB array (Qt must not keep numpy's buffer)."""
    rgb = np.ascontiguousarray(rgb[:, :, :3], dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def jet(values: np.ndarray) -> np.ndarray:
    """Float [0, 1] -> RGB uint8 with the JET map (blue, cyan, yellow, red), as the reports use."""
    v = np.clip(values, 0.0, 1.0)
    r = np.clip(1.5 - np.abs(4.0 * v - 3.0), 0, 1)
    g = np.clip(1.5 - np.abs(4.0 * v - 2.0), 0, 1)
    b = np.clip(1.5 - np.abs(4.0 * v - 1.0), 0, 1)
    return (np.stack([r, g, b], axis=-1) * 255).astype(np.uint8)


def heatmap_image(cam: np.ndarray) -> QImage:
    """The CAM as a premultiplied ARGB image whose alpha follows the activation (cold = transparent)."""
    cam = np.nan_to_num(np.asarray(cam, np.float32))
    rgb = jet(cam)
    alpha = (np.clip(cam, 0, 1) * 255).astype(np.uint8)
    rgba = np.ascontiguousarray(np.dstack([rgb, alpha]))
    h, w = cam.shape[:2]
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


def contour_path(contour: np.ndarray) -> QPainterPath:
    path = QPainterPath()
    points = np.asarray(contour).reshape(-1, 2)
    if len(points) >= 2:
        path.moveTo(QPointF(float(points[0, 0]) + 0.5, float(points[0, 1]) + 0.5))
        for x, y in points[1:]:
            path.lineTo(QPointF(float(x) + 0.5, float(y) + 0.5))
        path.closeSubpath()
    return path


class ZoomableView(QGraphicsView):
    """Wheel zooms about the cursor, dragging pans; ``fit()`` shows the whole picture."""

    zoom_changed = Signal(float)

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setBackgroundBrush(QColor("#20262B"))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._fitted = True

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        current = self.zoom()
        factor = max(min(factor, MAX_ZOOM / current), 0.02 / current) if current > 0 else factor
        self.scale(factor, factor)
        self._fitted = False
        self.zoom_changed.emit(self.zoom())

    def fit(self) -> None:
        rect = self.sceneRect()
        if not rect.isEmpty():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._fitted = True
        self.zoom_changed.emit(self.zoom())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(ZOOM_STEP**steps)
        event.accept()

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().resizeEvent(event)
        if self._fitted:
            self.fit()


class LesionImageView(QWidget):
    """Image plus overlay toggles. ``show_image`` replaces everything; overlays may be absent.

    ``image_shown(capture_id, shown_width)`` tells layers drawn over a stored picture (the marks of
    ``ui.analysis.annotations``) which picture is shown and at what size; ``image_cleared`` that none is."""

    image_shown = Signal(int, int)
    image_cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = QGraphicsScene(self)
        self.view = ZoomableView(self.scene)
        self.view.setObjectName("lesionImage")
        self.image_item = QGraphicsPixmapItem()
        self.image_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.heatmap_item = QGraphicsPixmapItem()
        self.heatmap_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.contour_item = QGraphicsPathItem()
        pen = QPen(CONTOUR_COLOUR, 2.0)
        pen.setCosmetic(True)  # the same width at any zoom
        self.contour_item.setPen(pen)
        for z, item in enumerate((self.image_item, self.heatmap_item, self.contour_item)):
            item.setZValue(z)
            self.scene.addItem(item)

        self.contour_toggle = QCheckBox(_("Lesion outline"))
        self.contour_toggle.setChecked(True)
        self.contour_toggle.toggled.connect(self._update_visibility)
        self.heatmap_toggle = QCheckBox(_("Heatmap"))
        self.heatmap_toggle.setToolTip(_("Where the classifier looked (class activation map)"))
        self.heatmap_toggle.setChecked(False)
        self.heatmap_toggle.toggled.connect(self._update_visibility)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(50)
        self.opacity.setMaximumWidth(140)
        self.opacity.setAccessibleName(_("Heatmap opacity"))
        self.opacity.setToolTip(_("Heatmap opacity"))
        self.opacity.valueChanged.connect(lambda v: self.heatmap_item.setOpacity(v / 100.0))
        self.heatmap_item.setOpacity(0.5)
        self.opacity_label = QLabel(_("Opacity"))
        self.zoom_in = QPushButton("+")
        self.zoom_in.setToolTip(_("Zoom in (or use the mouse wheel)"))
        self.zoom_in.setAccessibleName(_("Zoom in"))
        self.zoom_in.clicked.connect(lambda: self.view.zoom_by(ZOOM_STEP))
        self.zoom_out = QPushButton("−")
        self.zoom_out.setToolTip(_("Zoom out"))
        self.zoom_out.setAccessibleName(_("Zoom out"))
        self.zoom_out.clicked.connect(lambda: self.view.zoom_by(1 / ZOOM_STEP))
        self.fit_button = QPushButton(_("Fit"))
        self.fit_button.setToolTip(_("Show the whole image"))
        self.fit_button.clicked.connect(self.view.fit)
        for button in (self.zoom_in, self.zoom_out):
            button.setFixedWidth(button.fontMetrics().horizontalAdvance("MM") + 18)

        bar = QHBoxLayout()
        bar.setSpacing(8)
        bar.addWidget(self.contour_toggle)
        bar.addSpacing(8)
        bar.addWidget(self.heatmap_toggle)
        bar.addWidget(self.opacity_label)
        bar.addWidget(self.opacity)
        bar.addStretch(1)
        bar.addWidget(self.zoom_out)
        bar.addWidget(self.zoom_in)
        bar.addWidget(self.fit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.legend = HeatmapLegend(jet(np.linspace(0.0, 1.0, 9)))  # the key, shown with the heatmap
        layout.addWidget(self.legend)
        self._layout = layout
        self.clear()

    def add_tool_bar(self, bar: QWidget) -> None:
        """A second row of controls above the picture (the marks' tools)."""
        self._layout.insertWidget(1, bar)

    def clear(self) -> None:
        self.image_item.setPixmap(QPixmap())
        self.heatmap_item.setPixmap(QPixmap())
        self.contour_item.setPath(QPainterPath())
        self.scene.setSceneRect(QRectF(0, 0, 1, 1))
        self._has_heatmap = False
        self._update_visibility()
        self.image_cleared.emit()

    def show_image(self, rgb: np.ndarray, contour: np.ndarray | None = None, cam: np.ndarray | None = None,
                   capture_id: int | None = None) -> None:
        h, w = rgb.shape[:2]
        self.image_item.setPixmap(QPixmap.fromImage(qimage_from_rgb(rgb)))
        self.contour_item.setPath(contour_path(contour) if contour is not None else QPainterPath())
        self._has_heatmap = cam is not None and cam.size > 0
        if self._has_heatmap:
            heat = QPixmap.fromImage(heatmap_image(cam))
            self.heatmap_item.setPixmap(heat)
            # a CAM at another resolution still covers the whole image
            self.heatmap_item.setScale(w / heat.width() if heat.width() else 1.0)
        else:
            self.heatmap_item.setPixmap(QPixmap())
        self.scene.setSceneRect(QRectF(0, 0, w, h))
        self._update_visibility()
        self.view.fit()
        if capture_id is not None:
            self.image_shown.emit(capture_id, w)
        else:
            self.image_cleared.emit()

    @property
    def has_heatmap(self) -> bool:
        return self._has_heatmap

    def _update_visibility(self) -> None:
        self.contour_item.setVisible(self.contour_toggle.isChecked())
        self.heatmap_toggle.setEnabled(self._has_heatmap)
        self.heatmap_toggle.setToolTip(
            _("Where the classifier looked (class activation map)") if self._has_heatmap
            else _("The heatmap is available right after an analysis; use “Analyse again” to see it."))
        show_heat = self._has_heatmap and self.heatmap_toggle.isChecked()
        self.heatmap_item.setVisible(show_heat)
        self.legend.setVisible(show_heat)
        self.opacity.setEnabled(show_heat)
        self.opacity_label.setEnabled(show_heat)
