"""DermStation: a clinical workstation for dermatology."""

import sys
from pathlib import Path

__version__ = "0.1.0"

if getattr(sys, "frozen", False):  # a packaged build carries the version scripts/build-package.sh stamped
    sys.dont_write_bytecode = True  # never write into the (read-only) program folder, e.g. for migrations
    _stamp = Path(getattr(sys, "_MEIPASS", "")) / "VERSION"
    if _stamp.is_file():
        __version__ = _stamp.read_text(encoding="utf-8").strip() or __version__
