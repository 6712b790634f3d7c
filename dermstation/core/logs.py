"""Logging set-up. Log records name record ids, never names, dates of birth or notes."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path


def configure_logging(log_dir: Path | None, level: int = logging.INFO) -> None:
    """Log to stderr and, when ``log_dir`` is given, to a rotating file there."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_dir / "dermstation.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
        )
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
