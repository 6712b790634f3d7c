"""Writing files that may hold patient data: owner-only (0600), never through a link, never over an
existing file unless asked.

Exports (reports, calendars, CSV, overlays) and logs end up in shared folders of clinic PCs; a file that
other accounts can read, or a planted symbolic link that redirects a write onto another file, would
leak or destroy data. ``O_CREAT | O_EXCL`` refuses any existing name, links included (POSIX: it never
follows a link), and an allowed overwrite goes through a private temporary file and an atomic rename,
which replaces a name and never writes through a link.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from dermstation.core.errors import OutputNotWritten
from dermstation.core.i18n import _

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows, where links need privileges to make
_BINARY = getattr(os, "O_BINARY", 0)


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def private_dir(path: Path) -> Path:
    """``path`` as a folder; made owner-only (0700) when this call creates it."""
    path = Path(path)
    if _is_link(path) and not path.is_dir():
        raise OutputNotWritten(_("{path} is a link, not a folder: nothing was written.").format(path=path))
    if not path.exists():
        path.mkdir(mode=PRIVATE_DIR, parents=True)
        os.chmod(path, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    elif not path.is_dir():
        raise OutputNotWritten(_("{path} is not a folder: nothing was written.").format(path=path))
    return path


def write_private_file(path: Path, data: bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` to a new owner-only file. An existing name (a link above all) is refused unless
    ``overwrite``; a link is refused even then. Raises ``OutputNotWritten`` saying why."""
    path = Path(path)
    if _is_link(path):
        raise OutputNotWritten(
            _("{path} is a link; DermStation does not write through links. Nothing was written.").format(path=path)
        )
    if overwrite and path.exists():
        _replace(path, data)
        return path
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, PRIVATE_FILE)
    except FileExistsError:
        raise OutputNotWritten(
            _("{path} already exists and was left as it is (ask to overwrite to replace it).").format(path=path)
        ) from None
    except OSError as exc:
        raise OutputNotWritten(
            _("{path} cannot be written: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _replace(path: Path, data: bytes) -> None:
    """Atomically replace a regular file: a half-written copy never takes the place of a good one."""
    if not path.is_file():
        raise OutputNotWritten(_("{path} is not a regular file: nothing was written.").format(path=path))
    fd, tmp = tempfile.mkstemp(prefix=".dermstation-", dir=path.parent)  # mkstemp: 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
