"""Live camera preview with the lesion outline and top class, fps, and Space to capture.

The camera's own thread never touches Qt: a QTimer here polls its newest frame. The live analysis
runs on the work pool and takes the newest frame only when it is free (a busy analyser skips
frames, it never queues them), so the preview stays smooth however slow the CPU is.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPen, QPixmap, QPolygonF, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from dermstation.capture.camera import Frame, LatestFrameCamera, describe_source, parse_source
from dermstation.core.errors import DermStationError, ModelLoadError, NotApplicable
from dermstation.core.i18n import _, format_number
from dermstation.services.captures import prepare_frame
from dermstation.services.workstation import LiveAnalysis, analyse_live_frame
from dermstation.ui.analysis.image_view import CONTOUR_COLOUR
from dermstation.ui.analysis.probability_chart import class_label, percent
from dermstation.ui.operations import Kind

if TYPE_CHECKING:
    from dermstation.services.device_profiles import DeviceProfile
    from dermstation.services.types import CaptureSummary, CurrentUser
    from dermstation.services.workstation import WorkstationServices
    from dermstation.ui.operations import Operations

log = logging.getLogger(__name__)

POLL_MS = 15
RESOLUTIONS = ((640, 480), (1280, 720), (1920, 1080), (2592, 1944), (3840, 2160))
BANNER = ("QLabel#cameraMessage { background:#FFF4E0; border:1px solid #E8A33D; border-left:6px solid #E8A33D;"
          " border-radius:6px; color:#5A3B00; padding:8px 10px; }")


def frame_qimage(rgb: np.ndarray) -> QImage:
    """A QImage over the frame's pixels (valid while the frame lives; callers scale it at once)."""
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)


class LiveView(QWidget):
    frame_shown = Signal(int)  # the frame's index
    analysis_shown = Signal(object)  # LiveAnalysis
    captured = Signal(object)  # CaptureSummary
    camera_message = Signal(str)  # "" when the camera is fine again

    def __init__(
        self,
        workstation: WorkstationServices,
        user: CurrentUser,
        ops: Operations,
        camera_factory: Callable[..., LatestFrameCamera] = LatestFrameCamera,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ws = workstation
        self._user = user
        self._ops = ops
        self._factory = camera_factory
        self._camera: LatestFrameCamera | None = None
        self._lesion_id: int | None = None
        self._frame: Frame | None = None
        self._shown_index = 0
        self._frozen: Frame | None = None
        self.device_profile: DeviceProfile | None = None  # gives captures their size in mm (issue 20)
        self._analysing = False
        self._live: LiveAnalysis | None = None
        self._live_for: int = 0  # frame index the overlay was computed on
        self._analysis_times: deque[float] = deque(maxlen=10)
        self._message = ""
        self._last_label_update = 0.0

        self.source = QComboBox()
        self.source.setEditable(True)
        for index in range(3):
            self.source.addItem(_("Camera {index}").format(index=index), str(index))
        self.source.setToolTip(_("A camera number, a video file or a stream URL"))
        self.source.setAccessibleName(_("Camera"))
        self.source.setMinimumContentsLength(14)
        if workstation.camera:  # this workstation's own camera, from its settings.json
            self.source.setEditText(workstation.camera)
        self.browse = QPushButton(_("Video file…"))
        self.browse.clicked.connect(self._choose_file)
        self.resolution = QComboBox()
        for w, h in RESOLUTIONS:
            self.resolution.addItem(f"{w} × {h}", (w, h))
        self.resolution.setCurrentIndex(2)
        self.resolution.setAccessibleName(_("Resolution"))
        self.resolution.currentIndexChanged.connect(self._resolution_changed)
        self.auto_exposure = QCheckBox(_("Auto exposure"))
        self.auto_exposure.setChecked(True)
        self.exposure = QSlider(Qt.Orientation.Horizontal)
        self.exposure.setRange(-13, 0)
        self.exposure.setValue(-6)
        self.exposure.setMaximumWidth(120)
        self.exposure.setEnabled(False)
        self.exposure.setAccessibleName(_("Exposure"))
        self.auto_exposure.toggled.connect(lambda on: (self.exposure.setEnabled(not on), self._exposure_changed()))
        self.exposure.valueChanged.connect(self._exposure_changed)
        self.start_button = QPushButton(_("Start"))
        self.start_button.setProperty("primary", True)
        self.start_button.clicked.connect(self._toggle)

        self.preview = QLabel()
        self.preview.setObjectName("livePreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(320, 240)
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.preview.setStyleSheet("QLabel#livePreview { background:#20262B; color:#C9D3DA; border-radius:6px; }")
        self.preview.setText(_("Choose a camera and press Start."))
        self.preview.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("cameraMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(BANNER)
        self.message.hide()

        self.analyse_live = QCheckBox(_("Live analysis"))
        self.analyse_live.setChecked(True)
        self.analyse_live.setToolTip(_("Outline the lesion and name the most likely class while you aim"))
        self.top_class = QLabel()
        self.top_class.setObjectName("liveTopClass")
        self.fps = QLabel()
        self.fps.setObjectName("liveFps")
        self.fps.setProperty("role", "subtitle")
        self.fps.setMinimumWidth(self.fps.fontMetrics().horizontalAdvance("3840 × 2160  ·  30 fps  ·  analysis 10.0/s"))
        self.fps.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.freeze_button = QPushButton(_("Freeze"))
        self.freeze_button.setCheckable(True)
        self.freeze_button.setToolTip(_("Hold the current picture (F)"))
        self.freeze_button.toggled.connect(self._freeze_toggled)
        self.capture_button = QPushButton(_("Capture (Space)"))
        self.capture_button.setProperty("primary", True)
        self.capture_button.setToolTip(_("Store the full-resolution picture with the chosen lesion"))
        self.capture_button.clicked.connect(self.capture)
        self.capture_button.setEnabled(False)
        self.capture_note = QLabel()
        self.capture_note.setProperty("role", "subtitle")
        self.capture_note.setWordWrap(True)

        controls = QHBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(QLabel(_("Camera")))
        controls.addWidget(self.source, 1)
        controls.addWidget(self.browse)
        controls.addWidget(self.resolution)
        controls.addWidget(self.auto_exposure)
        controls.addWidget(self.exposure)
        controls.addWidget(self.start_button)
        status = QHBoxLayout()
        status.setSpacing(12)
        status.addWidget(self.analyse_live)
        status.addWidget(self.top_class, 1)
        status.addWidget(self.fps)
        status.addWidget(self.freeze_button)
        status.addWidget(self.capture_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(controls)
        layout.addWidget(self.message)
        layout.addWidget(self.preview, 1)
        layout.addLayout(status)
        layout.addWidget(self.capture_note)

        for key, slot in ((Qt.Key.Key_Space, self.capture), (Qt.Key.Key_F, self.freeze_button.toggle)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self.set_lesion(None)

    # --- public ---------------------------------------------------------------------------------
    @property
    def camera(self) -> LatestFrameCamera | None:
        return self._camera

    @property
    def running(self) -> bool:
        return self._camera is not None

    def set_device_profile(self, profile: DeviceProfile | None) -> None:
        """The device profile captures are stored with (chosen beside Import on the Analysis page)."""
        self.device_profile = profile

    def set_lesion(self, lesion_id: int | None) -> None:
        self._lesion_id = lesion_id
        if lesion_id is None:
            self.capture_note.setText(_("Choose a patient and a lesion to store captures."))
        else:
            self.capture_note.setText(_("Space stores the full-resolution picture with the chosen lesion."))
        self._update_buttons()

    def start_camera(self, source: int | str | None = None) -> None:
        """Open ``source`` (a device index, file or URL; default: the chosen one) and start the preview."""
        self.stop_camera()
        if source is None:
            data = self.source.currentData()
            text = data if data is not None and self.source.currentText() == self.source.itemText(
                self.source.currentIndex()) else self.source.currentText()
            source = parse_source(str(text))
        w, h = self.resolution.currentData()
        exposure = None if self.auto_exposure.isChecked() else float(self.exposure.value())
        if isinstance(source, str) and self.source.currentText() != source:
            self.source.setEditText(source)
        self._camera = self._factory(source, resolution=(w, h), exposure=exposure)
        self._camera.start()
        self._shown_index = 0
        self._live = None
        self._frozen = None
        self.freeze_button.setChecked(False)
        self.preview.setPixmap(QPixmap())
        self.preview.setText(_("Connecting to {name}…").format(name=describe_source(source)))
        self.start_button.setText(_("Stop"))
        self.start_button.setProperty("primary", False)
        self._restyle(self.start_button)
        self._timer.start()
        self._update_buttons()
        self.setFocus()

    def stop_camera(self) -> None:
        self._timer.stop()
        camera, self._camera = self._camera, None
        if camera is not None:
            camera.stop()
        self._frame = None
        self._set_message("")
        self.start_button.setText(_("Start"))
        self.start_button.setProperty("primary", True)
        self._restyle(self.start_button)
        self.fps.clear()
        self.top_class.clear()
        if self.preview.pixmap().isNull():
            self.preview.setText(_("Choose a camera and press Start."))
        self._update_buttons()

    def capture(self) -> None:
        """Store the frozen (or else the newest) full-resolution frame with the chosen lesion."""
        frame = self._frozen or (self._camera.latest() if self._camera else None)
        if frame is None:
            self.capture_note.setText(_("There is no picture to capture yet."))
            return
        if self._lesion_id is None:
            self.capture_note.setText(_("Choose a patient and a lesion first."))
            return
        if self._ops.busy(self._capture_key):
            return
        self._frozen = frame
        self._render(frame)
        self._ops.spawn(self._store(frame, self._lesion_id), key=self._capture_key, parent=self)

    # --- internals ------------------------------------------------------------------------------
    @property
    def _capture_key(self) -> str:
        return f"live-capture-{id(self)}"

    async def _store(self, frame: Frame, lesion_id: int) -> None:
        self.capture_note.setText(_("Storing the picture…"))
        try:
            # PNG encoding off the database thread; the profile gives the frame its pixel size
            prepared = await self._ops.work(prepare_frame, frame.image, None, None, self.device_profile)
            summary: CaptureSummary = await self._ops.db(self._ws.imports.add_prepared, self._user, lesion_id, prepared)
        finally:
            if not self.freeze_button.isChecked():
                self._frozen = None
        w, h = frame.size
        self.capture_note.setText(_("Captured {w} × {h} pixels.").format(w=w, h=h))
        self._ops.announce(Kind.PICTURES, summary.id)
        self.captured.emit(summary)

    def _toggle(self) -> None:
        if self.running:
            self.stop_camera()
        else:
            self.start_camera()

    def _choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Choose a video file"), "",
                                                    _("Videos (*.avi *.mp4 *.mkv *.mov);;All files (*)"))
        if path:
            self.source.setEditText(path)
            self.start_camera(path)

    def _resolution_changed(self) -> None:
        if self._camera is not None:
            self._camera.request_resolution(*self.resolution.currentData())

    def _exposure_changed(self) -> None:
        if self._camera is not None:
            self._camera.request_exposure(None if self.auto_exposure.isChecked() else float(self.exposure.value()))

    def _freeze_toggled(self, on: bool) -> None:
        self._frozen = (self._camera.latest() if self._camera else None) if on else None
        if self._frozen is not None:
            self._render(self._frozen)

    def _update_buttons(self) -> None:
        self.capture_button.setEnabled(self.running and self._lesion_id is not None)
        self.freeze_button.setEnabled(self.running)

    def _set_message(self, text: str) -> None:
        if text == self._message:
            return
        self._message = text
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.camera_message.emit(text)

    def _poll(self) -> None:
        camera = self._camera
        if camera is None:
            return
        error = camera.error
        self._set_message(f"{error.message} {_('Trying again…')}" if error else "")
        now = time.monotonic()
        if now - self._last_label_update > 0.5:
            self._last_label_update = now
            self._update_rates(camera)
        frame = camera.latest()
        if frame is None or frame.index == self._shown_index:
            if error and frame is None:
                self.preview.setText(error.message)
            return
        self._shown_index = frame.index
        self._frame = frame
        if self._frozen is None:
            self._render(frame)
        if self.analyse_live.isChecked() and not self._analysing:
            self._analysing = True
            self._ops.spawn(self._analyse(frame), key=f"live-analysis-{id(self)}", parent=self)
        self.frame_shown.emit(frame.index)

    def _update_rates(self, camera: LatestFrameCamera) -> None:
        parts = [_("{fps} fps").format(fps=format_number(camera.fps, 0))]
        if self._frame is not None:
            parts.insert(0, "{} × {}".format(*self._frame.size))
        if self.analyse_live.isChecked() and len(self._analysis_times) >= 2:
            span = self._analysis_times[-1] - self._analysis_times[0]
            if span > 0 and now_recent(self._analysis_times[-1]):
                rate = (len(self._analysis_times) - 1) / span
                parts.append(_("analysis {rate}/s").format(rate=format_number(rate, 1)))
        self.fps.setText("  ·  ".join(parts))

    async def _analyse(self, frame: Frame) -> None:
        try:
            live = await self._ops.work(analyse_live_frame, self._ws.analysis, frame.image)
        except ModelLoadError as exc:
            self.analyse_live.setChecked(False)
            self.top_class.setText(exc.message)
            return
        except NotApplicable as exc:  # no outline, no class: say why instead
            self._live = None
            self.top_class.setText(exc.message)
            if self._frozen is None and self._frame is not None:
                self._render(self._frame)
            return
        except DermStationError as exc:
            self.top_class.setText(exc.message)
            return
        except Exception:  # noqa: BLE001 - one bad frame must not raise a dialog per frame
            log.exception("live analysis failed")
            self.analyse_live.setChecked(False)
            self.top_class.setText(_("Live analysis stopped after an error (see the log)."))
            return
        finally:
            self._analysing = False
        self._analysis_times.append(time.monotonic())
        self._live = live
        self._live_for = frame.index
        text = _("{name} ({p})").format(name=class_label(live.top_class), p=percent(live.top_probability))
        if not live.trustworthy:
            text += "  ·  " + _("check image quality")
        self.top_class.setText(text)
        if self._frozen is None and self._frame is not None:
            self._render(self._frame)
        self.analysis_shown.emit(live)

    def _render(self, frame: Frame) -> None:
        target = self.preview.size()
        if target.width() < 4 or target.height() < 4:
            return
        dpr = self.devicePixelRatioF()
        image = frame_qimage(frame.image).scaled(
            int(target.width() * dpr), int(target.height() * dpr), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation if self._frozen is frame else
            Qt.TransformationMode.FastTransformation)
        live = self._live if self.analyse_live.isChecked() else None
        if live is not None and len(live.contour) >= 3:
            sx = image.width() / frame.size[0]
            sy = image.height() / frame.size[1]
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(CONTOUR_COLOUR, max(2.0, 2.0 * dpr)))
            painter.drawPolygon(QPolygonF([QPointF(x * sx, y * sy) for x, y in live.contour]))
            painter.end()
        if self._frozen is frame:
            painter = QPainter(image)
            painter.setPen(QPen(QColor("#FFFFFF"), 3 * dpr))
            painter.drawRect(image.rect().adjusted(1, 1, -2, -2))
            painter.end()
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(dpr)
        self.preview.setPixmap(pixmap)

    @staticmethod
    def _restyle(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        self.stop_camera()
        super().closeEvent(event)


def now_recent(t: float) -> bool:
    return time.monotonic() - t < 2.0

