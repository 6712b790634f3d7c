"""LatestFrameCamera with a video file of real PH² images standing in for the camera."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import pytest

from dermstation.capture.camera import LatestFrameCamera, parse_source, write_test_video
from dermstation.core.errors import CameraError


@pytest.fixture(scope="module")
def video(test_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    images = [cv2.cvtColor(cv2.imread(str(test_data / "ph2" / "images" / f"{name}.jpg")), cv2.COLOR_BGR2RGB)
              for name in ("IMD006", "IMD010", "IMD018")]
    return write_test_video(tmp_path_factory.mktemp("video") / "ph2.avi", images, fps=30.0, repeat=2)


def test_frames_arrive_full_size_rgb(video: Path) -> None:
    with LatestFrameCamera(str(video)) as camera:
        first = camera.wait_for_frame(timeout=10)
        second = camera.wait_for_frame(after=first.index, timeout=10)
    assert first.size == (320, 240) and first.image.shape == (240, 320, 3)
    assert second.index > first.index and second.timestamp >= first.timestamp
    assert not first.image.flags.writeable
    assert camera.error is None


def test_only_the_latest_frame_is_kept(video: Path) -> None:
    with LatestFrameCamera(str(video)) as camera:
        first = camera.wait_for_frame(timeout=10)
        # a slow consumer: by the time it looks again, several frames went by and only the newest is there
        later = camera.wait_for_frame(after=first.index + 5, timeout=10)
        assert camera.latest().index >= later.index
        assert camera.frame_count == camera.latest().index
        assert camera.fps > 0


def test_file_loops_like_a_live_camera(test_data: Path, tmp_path: Path) -> None:
    image = cv2.cvtColor(cv2.imread(str(test_data / "ph2" / "images" / "IMD006.jpg")), cv2.COLOR_BGR2RGB)
    short = write_test_video(tmp_path / "short.avi", [image, image], fps=60.0)
    with LatestFrameCamera(str(short)) as camera:
        assert camera.wait_for_frame(after=4, timeout=10).index >= 5  # more frames than the file holds


def test_missing_device_is_a_clear_error(tmp_path: Path) -> None:
    with LatestFrameCamera(str(tmp_path / "nothing.avi"), reconnect_delays_s=(0.05,)) as camera:
        error = camera.wait_for_error(timeout=5)
        assert isinstance(error, CameraError) and "not available" in error.message
        with pytest.raises(CameraError):
            camera.wait_for_frame(timeout=0.2)


def test_unopenable_device_index() -> None:
    with LatestFrameCamera(97, reconnect_delays_s=(0.05,)) as camera:
        error = camera.wait_for_error(timeout=10)
    assert "camera 97" in error.message and "unplugged" in error.message


def test_unplugged_mid_run_then_recovers(video: Path, tmp_path: Path) -> None:
    source = tmp_path / "cam.avi"
    source.write_bytes(video.read_bytes())
    with LatestFrameCamera(str(source), reconnect_delays_s=(0.05,)) as camera:
        before = camera.wait_for_frame(timeout=10)
        source.unlink()  # "unplugged": the next reopen fails
        error = camera.wait_for_error(timeout=10)
        assert "not available" in error.message
        assert not camera.connected
        source.write_bytes(video.read_bytes())  # plugged back in
        after = camera.wait_for_frame(after=camera.frame_count, timeout=10)
        assert after.index > before.index
        assert camera.error is None and camera.connected


def test_settings_requests_are_accepted(video: Path) -> None:
    with LatestFrameCamera(str(video), resolution=(640, 480), exposure=-5) as camera:
        camera.request_resolution(1280, 720)
        camera.request_exposure(None)
        assert camera.wait_for_frame(timeout=10).size == (320, 240)  # a file keeps its size


def test_stop_is_prompt(video: Path) -> None:
    camera = LatestFrameCamera(str(video))
    camera.start()
    camera.wait_for_frame(timeout=10)
    start = time.monotonic()
    camera.stop()
    assert time.monotonic() - start < 2.0


def test_parse_source() -> None:
    assert parse_source(" 0 ") == 0
    assert parse_source("/tmp/a.avi") == "/tmp/a.avi"
    assert parse_source("rtsp://cam/stream") == "rtsp://cam/stream"
