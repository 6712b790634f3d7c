"""Exports and logs: owner-only files, never written through a link or over a file unless asked."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from dermstation.core.errors import ConfigError, OutputNotWritten
from dermstation.core.logs import configure_logging
from dermstation.core.private_files import private_dir, write_private_file


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_new_file_is_owner_only(tmp_path: Path) -> None:
    os.umask(0o022)
    target = write_private_file(tmp_path / "report.pdf", b"%PDF-1.7 test")
    assert target.read_bytes() == b"%PDF-1.7 test"
    assert mode(target) == 0o600


def test_existing_file_is_left_alone_unless_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "day.ics"
    target.write_bytes(b"the clinician's own file")
    with pytest.raises(OutputNotWritten, match="already exists") as info:
        write_private_file(target, b"new")
    assert str(target) in info.value.message
    assert target.read_bytes() == b"the clinician's own file"
    write_private_file(target, b"new", overwrite=True)
    assert target.read_bytes() == b"new" and mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["day.ics"]  # no temporary left behind


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_link_is_never_followed(tmp_path: Path, overwrite: bool) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    link = tmp_path / "out.png"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling.png"
    dangling.symlink_to(tmp_path / "nowhere" / "x.png")
    for name in (link, dangling):
        with pytest.raises(OutputNotWritten, match="link"):
            write_private_file(name, b"overlay", overwrite=overwrite)
    assert victim.read_bytes() == b"precious"
    assert not (tmp_path / "nowhere").exists()
    assert os.readlink(link) == str(victim)


def test_private_dir_is_made_owner_only(tmp_path: Path) -> None:
    os.umask(0o022)
    made = private_dir(tmp_path / "a" / "overlays")
    assert mode(made) == 0o700
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputNotWritten, match="not a folder"):
        private_dir(tmp_path / "file")


def test_log_file_and_folder_are_private_and_links_are_refused(tmp_path: Path) -> None:
    os.umask(0o022)
    logs = tmp_path / "logs"
    try:
        configure_logging(logs)
        logging.getLogger("dermstation.test").info("user 3 opened patient 7")
        for handler in logging.getLogger().handlers:
            handler.flush()
        assert mode(logs) == 0o700
        assert mode(logs / "dermstation.log") == 0o600
        assert "patient 7" in (logs / "dermstation.log").read_text()
    finally:
        configure_logging(None)
    # an older, world-readable log is tightened; a planted link is not written through
    (logs / "dermstation.log").chmod(0o644)
    try:
        configure_logging(logs)
        assert mode(logs / "dermstation.log") == 0o600
    finally:
        configure_logging(None)
    (logs / "dermstation.log").unlink()
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("not a log")
    (logs / "dermstation.log").symlink_to(secret)
    with pytest.raises(ConfigError, match="cannot be opened safely"):  # the app shows it and stops
        configure_logging(logs)
    configure_logging(None)
    assert secret.read_text() == "not a log"
