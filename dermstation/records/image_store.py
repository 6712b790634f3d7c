"""Content-addressed image stores: bytes named by their sha256, written atomically, verified on read.

``ImageStorage`` is what the services use. ``ImageStore`` (here) is a folder: the workstation's own
``DATA_DIR/images`` on SQLite, or a shared folder the administrator names for a clinic. A clinic on
PostgreSQL without a shared folder keeps the bytes in the database (``database_images.py``), with a
local folder as a cache by hash.

Layout: ``ROOT/ab/abcdef…`` (the first two hex digits shard the directory). A file is written to a
temporary name in its shard, flushed to disk, then renamed into place, so a reader never sees half a
file and a crash leaves at most a ``.tmp-`` file that the next write of the same content ignores.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from dermstation.core.errors import ImageStoreError, StorageFull
from dermstation.core.i18n import _

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"[0-9a-f]{64}")
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}
_TMP_PREFIX = ".tmp-"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ImageStorage(Protocol):
    """Where picture bytes live; every implementation verifies the hash on read."""

    def put(self, data: bytes) -> str: ...

    def read(self, sha256: str) -> bytes: ...

    def contains(self, sha256: str) -> bool: ...

    def check(self, sha256: str) -> None:
        """Raise ``ImageStoreError`` unless the authoritative copy exists and matches its hash."""
        ...

    def hashes(self) -> Iterator[str]: ...

    def describe(self) -> str: ...


def missing(sha256: str) -> ImageStoreError:
    return ImageStoreError(_("An image file is missing from the image store."), details=f"missing {sha256}")


def damaged(sha256: str) -> ImageStoreError:
    return ImageStoreError(
        _("An image file is damaged: its content no longer matches what was stored."),
        details=f"hash mismatch for {sha256}",
    )


def check_hash(sha256: str) -> str:
    if not _SHA256.fullmatch(sha256):
        raise ImageStoreError(_("This image reference is not valid."), details=f"bad hash {sha256[:80]!r}")
    return sha256


class ImageStore:
    """Stores and returns image bytes by content hash in a folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the file for ``sha256`` lives (whether or not it exists)."""
        return self.root / sha256[:2] / check_hash(sha256)

    def contains(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def hashes(self) -> Iterator[str]:
        """Every hash with a file in the store (unverified; ``read`` verifies)."""
        if self.root.is_dir():
            for path in sorted(self.root.glob("??/*")):
                if _SHA256.fullmatch(path.name) and path.is_file():
                    yield path.name

    def describe(self) -> str:
        return f"folder {self.root}"

    def check(self, sha256: str) -> None:
        self.read(sha256)

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its sha256; storing the same bytes twice is a no-op."""
        digest = sha256_hex(data)
        target = self.path(digest)
        if target.is_file() and self._matches(target, digest):
            return digest
        shard = target.parent
        created_shard = not shard.exists()
        try:
            shard.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=shard, prefix=_TMP_PREFIX)
        except OSError as exc:
            self._cleanup(None, shard if created_shard else None)
            raise self._write_error(exc) from exc
        tmp = Path(tmp_name)
        try:
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except OSError as exc:
            self._cleanup(tmp, shard if created_shard else None)
            raise self._write_error(exc) from exc
        self._fsync_dir(shard)
        log.debug("stored image %s (%d bytes)", digest[:12], len(data))
        return digest

    def read(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``; ``ImageStoreError`` if missing or not matching the hash."""
        target = self.path(sha256)
        try:
            data = target.read_bytes()
        except FileNotFoundError as exc:
            raise missing(sha256) from exc
        except OSError as exc:
            raise ImageStoreError(_("An image file cannot be read."), details=f"{sha256}: {exc}") from exc
        if sha256_hex(data) != sha256:
            raise damaged(sha256)
        return data

    @staticmethod
    def _matches(path: Path, digest: str) -> bool:
        try:
            return sha256_hex(path.read_bytes()) == digest
        except OSError:
            return False

    @staticmethod
    def _write_error(exc: OSError) -> Exception:
        if exc.errno in _NO_SPACE:
            return StorageFull(_("The disk is full: the image was not saved."), details=str(exc))
        return ImageStoreError(_("The image could not be saved."), details=str(exc))

    @staticmethod
    def _cleanup(tmp: Path | None, shard: Path | None) -> None:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        if shard is not None:
            with contextlib.suppress(OSError):
                shard.rmdir()  # only if we created it and it is still empty

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        """Make the rename durable; not every platform lets us open a directory."""
        try:
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)
