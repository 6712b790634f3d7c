"""The desktop program starts from a fresh data directory to its first window (what the packaged-build
smoke test, installer/linux/test-deb.sh, checks on the installed files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_first_start_reaches_the_first_run_window(tmp_path: Path) -> None:
    env = dict(os.environ, DERMSTATION_DATA_DIR=str(tmp_path / "data"), DERMSTATION_SMOKE_TEST="1",
               QT_QPA_PLATFORM="offscreen")
    env.pop("DERMSTATION_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "dermstation"], env=env, capture_output=True, text=True,
                          timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "window shown: Welcome to DermStation" in done.stdout
    assert (tmp_path / "data" / "dermstation.sqlite3").is_file()  # the schema was created on the way
