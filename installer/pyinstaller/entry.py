"""Entry point of the packaged build: the same ``dermstation`` command as the Python package's."""

import sys

from dermstation.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
