"""Logging set-up. Log records name record ids, never names, dates of birth or notes.

The log file and its rotated copies are owner-only (0600) in an owner-only folder (0700), opened
without following links: even without names, a log tells who worked when on which record.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from dermstation.core.errors import ConfigError
from dermstation.core.i18n import _
from dermstation.core.private_files import PRIVATE_DIR, PRIVATE_FILE

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file is created 0600 and never opened through a link."""

    def _open(self):  # type: ignore[no-untyped-def]  # noqa: ANN202 - logging's own signature
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW | getattr(os, "O_BINARY", 0)
        fd = os.open(self.baseFilename, flags, PRIVATE_FILE)
        os.chmod(self.baseFilename, PRIVATE_FILE)  # a log left by an older version keeps no wider mode
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


def configure_logging(log_dir: Path | None, level: int = logging.INFO) -> None:
    """Log to stderr and, when ``log_dir`` is given, to a private rotating file there."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_dir is not None:
        try:
            log_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
            os.chmod(log_dir, PRIVATE_DIR)
            handlers.append(
                PrivateRotatingFileHandler(
                    log_dir / "dermstation.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
                )
            )
        except OSError as exc:  # e.g. the log file is a link someone put there
            raise ConfigError(_("The log file in {log_dir} cannot be opened safely").format(log_dir=log_dir),
                              str(exc)) from exc
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
