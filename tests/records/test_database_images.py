"""Pictures in PostgreSQL: streamed in pieces, verified on read, cached locally by hash, repaired by re-storing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from records_fixtures import POSTGRES_URL
from sqlalchemy import text

from dermstation.core.errors import ImageStoreError
from dermstation.records.database import Database
from dermstation.records.database_images import DatabaseImageStore, open_image_store
from dermstation.records.image_store import ImageStore, sha256_hex

pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not POSTGRES_URL, reason="DERMSTATION_TEST_POSTGRES_URL is not set")]


@pytest.fixture
def db(postgres_schema_url: str) -> Iterator[Database]:
    database = Database.open(postgres_schema_url)
    yield database
    database.close()


@pytest.fixture
def store(db: Database, tmp_path: Path) -> DatabaseImageStore:
    # small pieces, so that a 1-MB picture crosses many piece boundaries
    return DatabaseImageStore(db.engine, ImageStore(tmp_path / "cache"), chunk_bytes=64 * 1024 + 7)


def test_round_trip_streams_pieces_and_fills_the_cache(store: DatabaseImageStore) -> None:
    data = os.urandom(1_000_003)
    digest = store.put(data)
    assert digest == sha256_hex(data) and store.contains(digest) and list(store.hashes()) == [digest]
    assert not store.cache.contains(digest)  # filled by reads, not writes
    assert store.read(digest) == data
    assert store.cache.path(digest).read_bytes() == data
    assert store.put(data) == digest  # same content twice: one row
    store.check(digest)


def test_empty_picture_round_trips(store: DatabaseImageStore) -> None:
    assert store.read(store.put(b"")) == b""


def test_damaged_cache_is_fetched_again(store: DatabaseImageStore) -> None:
    data = os.urandom(200_000)
    digest = store.put(data)
    store.read(digest)
    store.cache.path(digest).write_bytes(b"garbage")
    assert store.read(digest) == data
    assert store.cache.read(digest) == data


def test_damaged_or_missing_row_is_reported_and_repaired_by_storing_again(
    store: DatabaseImageStore, db: Database
) -> None:
    data = os.urandom(300_000)
    digest = store.put(data)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE stored_images SET data = overlay(data placing '\\x00ff'::bytea from 1000) "
                          "WHERE sha256 = :h"), {"h": digest})
    with pytest.raises(ImageStoreError, match="damaged"):
        store.read(digest)
    with pytest.raises(ImageStoreError, match="damaged"):
        store.check(digest)
    assert not store.cache.contains(digest)  # a damaged picture is never cached
    store.put(data)
    assert store.read(digest) == data
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM stored_images"))
    store.cache.path(digest).unlink()
    with pytest.raises(ImageStoreError, match="missing"):
        store.read(digest)
    with pytest.raises(ImageStoreError, match="not valid"):
        store.read("../../etc/passwd")


def test_the_clinic_store_is_chosen_by_backend_and_setting(db: Database, tmp_path: Path) -> None:
    assert isinstance(open_image_store(db.engine, tmp_path / "local", tmp_path / "cache"), DatabaseImageStore)
    shared = open_image_store(db.engine, tmp_path / "local", tmp_path / "cache", str(tmp_path / "share"))
    assert isinstance(shared, ImageStore) and shared.root == tmp_path / "share"
    sqlite = Database.open(f"sqlite:///{tmp_path / 'one.sqlite3'}")
    try:
        local = open_image_store(sqlite.engine, tmp_path / "local", tmp_path / "cache")
        assert isinstance(local, ImageStore) and local.root == tmp_path / "local"
    finally:
        sqlite.close()
