"""A camera on its own thread that keeps only the newest frame (no Qt).

The reader thread grabs frames as fast as the camera (or, for a video file, its frame rate) allows
and overwrites one slot; whoever wants a picture takes the newest one, so a slow consumer drops
frames instead of queueing them. An unplugged, busy or silent camera turns into a ``CameraError``
(``error``) and the thread keeps trying to reopen it with a growing pause until it comes back.

A video file plays in a loop (it stands in for a camera in tests and demos): at its end it is
opened again, so a file that disappears behaves like an unplugged camera.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dermstation.core.errors import CameraError
from dermstation.core.i18n import _

log = logging.getLogger(__name__)

NO_FRAME_TIMEOUT_S = 3.0
"""A connected camera that delivers nothing for this long is reported as silent."""
RECONNECT_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 5.0)
"""Pauses between attempts to reopen a lost camera (the last one repeats)."""
FPS_WINDOW = 30


@dataclass(frozen=True, eq=False)
class Frame:
    """One picture: RGB uint8 at the camera's full resolution, its number and capture time."""

    image: np.ndarray
    index: int  # 1, 2, 3 ... since start (never reused, also across reconnects)
    timestamp: float  # time.monotonic() when it was read

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.image.shape[1]), int(self.image.shape[0])


def parse_source(text: str) -> int | str:
    """"0" -> device 0; anything else is a file path or URL."""
    text = text.strip()
    return int(text) if text.isdigit() else text


def describe_source(source: int | str) -> str:
    if isinstance(source, int):
        return _("camera {index}").format(index=source)
    return Path(source).name if "://" not in source else source


class LatestFrameCamera:
    """``start()`` it, read ``latest()`` whenever you like, ``stop()`` it. Thread-safe."""

    def __init__(
        self,
        source: int | str,
        *,
        resolution: tuple[int, int] | None = None,
        exposure: float | None = None,
        no_frame_timeout_s: float = NO_FRAME_TIMEOUT_S,
        reconnect_delays_s: tuple[float, ...] = RECONNECT_DELAYS_S,
    ) -> None:
        self.source = source
        self._resolution = resolution
        self._exposure = exposure
        self._settings_changed = False
        self._no_frame_timeout = no_frame_timeout_s
        self._delays = reconnect_delays_s
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._count = 0
        self._error: CameraError | None = None
        self._connected = False
        self._times: deque[float] = deque(maxlen=FPS_WINDOW)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._is_file = isinstance(source, str) and "://" not in source

    # --- control --------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.source}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the reader thread and release the device."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> LatestFrameCamera:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def request_resolution(self, width: int, height: int) -> None:
        """Ask for a capture size; the camera may pick the nearest it supports."""
        with self._cond:
            self._resolution = (int(width), int(height))
            self._settings_changed = True

    def request_exposure(self, value: float | None) -> None:
        """Manual exposure (device units, often log2 seconds); None for automatic."""
        with self._cond:
            self._exposure = value
            self._settings_changed = True

    # --- reading --------------------------------------------------------------------------------
    def latest(self) -> Frame | None:
        """The newest frame, or None before the first one."""
        with self._cond:
            return self._frame

    def wait_for_frame(self, after: int = 0, timeout: float = 5.0) -> Frame:
        """Block until a frame newer than ``after`` arrives; CameraError if none comes in time."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._frame is None or self._frame.index <= after:
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    raise self._error or CameraError(
                        _("The camera delivers no pictures."), f"{self.source}: no frame in {timeout:.1f} s")
                self._cond.wait(left)
            return self._frame

    def wait_for_error(self, timeout: float = 5.0) -> CameraError:
        """Block until the camera reports a problem (tests, diagnostics)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the camera reported no error")
                self._cond.wait(left)
            return self._error

    @property
    def error(self) -> CameraError | None:
        """The current problem, or None while frames arrive."""
        with self._cond:
            return self._error

    @property
    def connected(self) -> bool:
        with self._cond:
            return self._connected

    @property
    def frame_count(self) -> int:
        with self._cond:
            return self._count

    @property
    def fps(self) -> float:
        """Frames per second over the last few frames (0 before two frames or when stalled)."""
        with self._cond:
            times = list(self._times)
        if len(times) < 2 or time.monotonic() - times[-1] > 1.0:
            return 0.0
        span = times[-1] - times[0]
        return (len(times) - 1) / span if span > 0 else 0.0

    # --- the reader thread ----------------------------------------------------------------------
    def _set_error(self, error: CameraError | None) -> None:
        with self._cond:
            if error is not None and (self._error is None or self._error.message != error.message):
                log.warning("camera %s: %s", self.source, error)
            self._error = error
            self._connected = error is None and self._connected
            self._cond.notify_all()

    def _open(self) -> cv2.VideoCapture | None:
        if self._is_file and not Path(str(self.source)).exists():
            self._set_error(CameraError(
                _("The video {name} is not available.").format(name=describe_source(self.source)),
                f"{self.source}: file not found"))
            return None
        cap = cv2.VideoCapture(self.source)
        if not cap.isOpened():
            cap.release()
            self._set_error(CameraError(
                _("The {name} is not available. It may be unplugged or in use by another program.").format(
                    name=describe_source(self.source)) if isinstance(self.source, int) else
                _("The video source {name} cannot be opened.").format(name=describe_source(self.source)),
                f"{self.source}: VideoCapture did not open"))
            return None
        self._apply_settings(cap)
        return cap

    def _apply_settings(self, cap: cv2.VideoCapture) -> None:
        with self._cond:
            resolution, exposure = self._resolution, self._exposure
            self._settings_changed = False
        if self._is_file:
            return  # a file has the size it has
        if resolution is not None:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, resolution[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, resolution[1])
        if exposure is None:
            cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, 0.75)  # V4L2: aperture priority (auto)
        else:
            cap.set(cv2.CAP_PROP_AUTO_EXPOSURE, 0.25)  # V4L2: manual
            cap.set(cv2.CAP_PROP_EXPOSURE, float(exposure))

    def _pause(self, attempt: int) -> None:
        self._stop.wait(self._delays[min(attempt, len(self._delays) - 1)])

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            cap = self._open()
            if cap is None:
                self._pause(attempt)
                attempt += 1
                continue
            try:
                delivered = self._read_loop(cap)
            finally:
                cap.release()
            if delivered:
                attempt = 0
            elif not self._stop.is_set():
                self._pause(attempt)
                attempt += 1
        with self._cond:
            self._connected = False
            self._cond.notify_all()

    def _read_loop(self, cap: cv2.VideoCapture) -> bool:
        """Read until the source ends or fails; True if it delivered at least one frame."""
        file_fps = cap.get(cv2.CAP_PROP_FPS) if self._is_file else 0.0
        period = 1.0 / file_fps if self._is_file and 1.0 <= file_fps <= 240.0 else 0.0
        delivered = False
        last_frame_at = time.monotonic()
        next_due = time.monotonic()
        while not self._stop.is_set():
            if self._settings_changed:
                self._apply_settings(cap)
            ok, bgr = cap.read()
            now = time.monotonic()
            if not ok or bgr is None or bgr.size == 0:
                if self._is_file and delivered:
                    return True  # end of the file: reopen it (a deleted file then reports an error)
                if now - last_frame_at > self._no_frame_timeout or not delivered:
                    self._set_error(CameraError(
                        _("The {name} stopped delivering pictures. Check that it is plugged in.").format(
                            name=describe_source(self.source)),
                        f"{self.source}: read() failed"))
                    return delivered
                self._stop.wait(0.01)
                continue
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if bgr.ndim == 3 else cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
            rgb.flags.writeable = False
            with self._cond:
                self._count += 1
                self._frame = Frame(rgb, self._count, now)
                self._times.append(now)
                self._error = None
                self._connected = True
                self._cond.notify_all()
            delivered = True
            last_frame_at = now
            if period:
                next_due = max(next_due + period, now - period)
                self._stop.wait(max(0.0, next_due - time.monotonic()))
        return delivered


def write_test_video(path: str | Path, images: list[np.ndarray], fps: float = 15.0,
                     size: tuple[int, int] = (320, 240), repeat: int = 1) -> Path:
    """Write RGB ``images`` (resized to ``size``) as an MJPG .avi: a stand-in camera for tests and demos."""
    path = Path(path)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    if not writer.isOpened():
        raise CameraError(_("The test video cannot be written."), str(path))
    try:
        for _round in range(repeat):
            for image in images:
                writer.write(cv2.cvtColor(cv2.resize(image, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path
