"""The live view starts with this workstation's own camera (settings.json "camera"), not a clinic-wide one."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from dermstation.core.config import Settings, save_settings
from dermstation.services.container import build_services
from dermstation.ui.analysis.live_view import LiveView

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analysis_fixtures import fake_analysis, ph2_video  # noqa: E402, F401


def test_live_view_opens_the_camera_named_in_this_workstations_settings(
    qtbot, services, database_url, dermatologist, ops, fake_analysis, ph2_video: Path  # noqa: F811
) -> None:
    save_settings(services.paths, Settings(camera=str(ph2_video)))  # e.g. a stream URL or a device number
    started = build_services(services.paths, database_url)  # the workstation starts with its settings file
    ws = replace(started, analysis=fake_analysis).workstation
    assert ws.camera == str(ph2_video)
    live = LiveView(ws, dermatologist, ops)
    qtbot.addWidget(live)
    live.show()
    assert live.source.currentText() == str(ph2_video)
    with qtbot.waitSignal(live.frame_shown, timeout=10000):
        live.start_camera()  # no source given: the one this workstation is set up with
    live.stop_camera()
    started.close()
