"""tests/ on sys.path for the shared fixtures (records_fixtures) and the workstation driver."""

import sys
from pathlib import Path

for _path in Path(__file__).resolve().parents[1:3]:
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
