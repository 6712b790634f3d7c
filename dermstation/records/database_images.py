"""Picture bytes kept in the clinic's PostgreSQL database, streamed into a local cache by hash.

Every workstation reaches the database, so every workstation reads every picture. Rows are keyed by
sha256 and never change (a damaged row is repaired by storing the same content again). ``bytea`` rows,
not large objects: as fast for 10-MB pictures (benchmarks/README.md), covered by ordinary table
permissions and by a logical copy, and removed with their row (no ``vacuumlo``).

``put`` commits the bytes in their own transaction before the caller's row is committed, so a
record is never visible without its picture.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, exists, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from dermstation.core.errors import DatabaseUnavailable, DermStationError, ImageStoreError
from dermstation.core.i18n import _
from dermstation.records.clinic_models import StoredImage
from dermstation.records.database import translate_error
from dermstation.records.image_store import ImageStorage, ImageStore, check_hash, damaged, missing, sha256_hex

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
_TABLE = StoredImage.__table__


def _database_error(exc: SQLAlchemyError) -> DermStationError:
    return translate_error(exc) or DatabaseUnavailable(_("The image store in the database cannot be used."),
                                                       details=type(exc).__name__)


class DatabaseImageStore:
    """``ImageStorage`` in the ``stored_images`` table, with ``cache`` as a local copy by hash."""

    def __init__(self, engine: Engine, cache: ImageStore, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._engine = engine
        self.cache = cache
        self._chunk = chunk_bytes

    def describe(self) -> str:
        return f"database ({self._engine.dialect.name})"

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        try:
            with self._engine.begin() as conn:
                if conn.execute(select(exists().where(_TABLE.c.sha256 == digest))).scalar():
                    if self._server_digest(conn, digest) == digest:
                        return digest
                    log.warning("repairing damaged stored image %s", digest[:12])
                    conn.execute(update(_TABLE).where(_TABLE.c.sha256 == digest).values(data=data))
                else:
                    conn.execute(insert(_TABLE).values(sha256=digest, size_bytes=len(data), data=data))
        except SQLAlchemyError as exc:
            raise _database_error(exc) from exc
        log.debug("stored image %s in the database (%d bytes)", digest[:12], len(data))
        return digest

    def contains(self, sha256: str) -> bool:
        check_hash(sha256)
        try:
            with self._engine.connect() as conn:
                return bool(conn.execute(select(exists().where(_TABLE.c.sha256 == sha256))).scalar())
        except SQLAlchemyError as exc:
            raise _database_error(exc) from exc

    def hashes(self) -> Iterator[str]:
        try:
            with self._engine.connect() as conn:
                found = conn.execute(select(_TABLE.c.sha256).order_by(_TABLE.c.sha256)).scalars().all()
        except SQLAlchemyError as exc:
            raise _database_error(exc) from exc
        yield from found

    def read(self, sha256: str) -> bytes:
        """The verified bytes: from the cache when it holds a good copy, else streamed from the database."""
        check_hash(sha256)
        if self.cache.contains(sha256):
            try:
                return self.cache.read(sha256)
            except ImageStoreError:
                log.warning("cached image %s is damaged; fetching it again", sha256[:12])
        data = self._fetch(sha256)
        try:
            self.cache.put(data)
        except DermStationError as exc:  # a full or read-only cache must not stop the work
            log.warning("image %s not cached: %s", sha256[:12], exc.details or exc.message)
        return data

    def check(self, sha256: str) -> None:
        """Raise ``ImageStoreError`` unless the database row exists and matches its hash (cache ignored)."""
        check_hash(sha256)
        try:
            with self._engine.connect() as conn:
                if not conn.execute(select(exists().where(_TABLE.c.sha256 == sha256))).scalar():
                    raise missing(sha256)
                if self._server_digest(conn, sha256) != sha256:
                    raise damaged(sha256)
        except SQLAlchemyError as exc:
            raise _database_error(exc) from exc

    def _server_digest(self, conn, sha256: str) -> str:  # type: ignore[no-untyped-def]
        if conn.dialect.name == "postgresql":  # hashed where the bytes are: nothing crosses the network
            return conn.execute(
                select(func.encode(func.sha256(_TABLE.c.data), "hex")).where(_TABLE.c.sha256 == sha256)
            ).scalar_one()
        return sha256_hex(conn.execute(select(_TABLE.c.data).where(_TABLE.c.sha256 == sha256)).scalar_one())

    def _fetch(self, sha256: str) -> bytes:
        hasher = hashlib.sha256()
        pieces: list[bytes] = []
        try:
            with self._engine.connect() as conn:
                size = conn.execute(select(_TABLE.c.size_bytes).where(_TABLE.c.sha256 == sha256)).scalar()
                if size is None:
                    raise missing(sha256)
                for offset in range(0, max(size, 1), self._chunk):
                    piece = conn.execute(
                        select(func.substr(_TABLE.c.data, offset + 1, self._chunk)).where(_TABLE.c.sha256 == sha256)
                    ).scalar_one()
                    piece = bytes(piece or b"")
                    hasher.update(piece)
                    pieces.append(piece)
        except SQLAlchemyError as exc:
            raise _database_error(exc) from exc
        if hasher.hexdigest() != sha256:
            raise damaged(sha256)
        return b"".join(pieces)


def open_image_store(engine: Engine, local_folder: Path, cache_folder: Path, shared_folder: str = "") -> ImageStorage:
    """The clinic's image store: a shared folder if the administrator named one; else the database on
    PostgreSQL; else (SQLite, one workstation) the local folder."""
    if shared_folder.strip():
        return ImageStore(Path(shared_folder.strip()))
    if engine.dialect.name == "postgresql":
        return DatabaseImageStore(engine, ImageStore(cache_folder))
    return ImageStore(local_folder)
