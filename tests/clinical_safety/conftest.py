"""Clinical-safety tests (issue 14): fixtures from tests/ and clinic_fixtures.py."""

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]
for _path in (Path(__file__).resolve().parent, _TESTS, _TESTS / "reports", _TESTS / "assistant", _TESTS.parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from assistant_fixtures import *  # noqa: E402, F403
from clinic_fixtures import assessments, clinic, reports  # noqa: E402, F401
from records_fixtures import *  # noqa: E402, F403
