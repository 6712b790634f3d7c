"""The Linux installer puts a working launcher in the user's menu and removes it again."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
INSTALL = REPO_ROOT / "installer" / "linux" / "install.sh"


def test_launcher_points_at_the_checkout_and_is_removed_again(tmp_path: Path) -> None:
    # the environment itself is set up by the test command already; here only the launcher is checked
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "DERMSTATION_SKIP_SETUP": "1"}
    subprocess.run(["bash", str(INSTALL)], env=env, check=True, capture_output=True)
    entry = (tmp_path / "applications" / "dermstation.desktop").read_text()
    assert f"Exec={REPO_ROOT}/.venv/bin/dermstation" in entry
    assert "@PREFIX@" not in entry
    assert (tmp_path / "icons/hicolor/scalable/apps/dermstation.svg").exists()
    subprocess.run(["bash", str(INSTALL), "--remove"], env=env, check=True, capture_output=True)
    assert not (tmp_path / "applications" / "dermstation.desktop").exists()
