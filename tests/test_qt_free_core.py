"""The core is provably Qt-free: every non-UI module imports with PySide6 made unimportable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import importlib, pkgutil, sys
for name in ("PySide6", "qasync"):
    sys.modules[name] = None  # any import of it now raises ImportError
import dermstation
skipped = ("dermstation.ui", "dermstation.app")
count = 0
for info in pkgutil.walk_packages(dermstation.__path__, "dermstation."):
    if info.name.startswith(skipped) or ".migrations" in info.name:
        continue
    importlib.import_module(info.name)
    count += 1
print(count)
"""


def test_non_ui_modules_import_without_qt() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) >= 5
