"""Report tests: samples built from a real PH2 image; text read back from the PDF's text layer."""

import sys
from pathlib import Path

for _path in (Path(__file__).resolve().parent, *Path(__file__).resolve().parents[1:3]):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
