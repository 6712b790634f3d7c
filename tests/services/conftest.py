"""Shared database fixtures (see tests/records_fixtures.py)."""

import sys
from pathlib import Path

# tests/ (for the shared fixtures) and the repository root (when dermstation is not installed)
for _path in Path(__file__).resolve().parents[1:3]:
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from assistant_fixtures import *  # noqa: E402, F403
from records_fixtures import *  # noqa: E402, F403
