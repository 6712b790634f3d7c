from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from dermstation.core.errors import ImageStoreError, StorageFull
from dermstation.records.image_store import ImageStore, sha256_hex


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    return ImageStore(tmp_path / "images")


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_round_trip_uses_sharded_sha256_name(store: ImageStore) -> None:
    data = b"\x89PNG fake image bytes" * 100
    digest = store.put(data)
    assert digest == sha256_hex(data)
    assert store.path(digest) == store.root / digest[:2] / digest
    assert store.path(digest).read_bytes() == data
    assert store.read(digest) == data


def test_same_content_twice_is_one_file(store: ImageStore) -> None:
    assert store.put(b"abc") == store.put(b"abc")
    assert len(all_files(store.root)) == 1


def test_no_temporary_files_left_after_writes(store: ImageStore) -> None:
    for i in range(5):
        store.put(f"image {i}".encode())
    names = [p.name for p in all_files(store.root)]
    assert len(names) == 5
    assert not [n for n in names if n.startswith(".tmp-")]


def test_missing_file_is_an_image_store_error(store: ImageStore) -> None:
    digest = store.put(b"will vanish")
    store.path(digest).unlink()
    with pytest.raises(ImageStoreError, match="missing"):
        store.read(digest)


def test_flipped_byte_is_detected(store: ImageStore) -> None:
    digest = store.put(b"0123456789" * 50)
    path = store.path(digest)
    raw = bytearray(path.read_bytes())
    raw[17] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(ImageStoreError, match="damaged"):
        store.read(digest)


def test_corrupt_file_is_repaired_by_storing_the_content_again(store: ImageStore) -> None:
    data = b"precious"
    digest = store.put(data)
    store.path(digest).write_bytes(b"garbage")
    store.put(data)
    assert store.read(digest) == data


@pytest.mark.parametrize("bad", ["", "../../etc/passwd", "A" * 64, "g" * 64, "ab" * 33])
def test_malformed_hash_is_refused(store: ImageStore, bad: str) -> None:
    with pytest.raises(ImageStoreError):
        store.read(bad)


@pytest.mark.parametrize("target", ["write", "fsync"])
def test_disk_full_raises_storage_full_and_leaves_nothing(
    store: ImageStore, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    def no_space(*_args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, target, no_space)
    with pytest.raises(StorageFull):
        store.put(b"x" * 4096)
    monkeypatch.undo()
    assert all_files(store.root) == []
    assert not any(p.is_dir() for p in store.root.iterdir()) if store.root.exists() else True


def test_disk_full_in_an_existing_shard_leaves_other_files_alone(
    store: ImageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep = store.put(b"kept")
    # find content landing in the same shard as `keep`
    i = 0
    while sha256_hex(f"other {i}".encode())[:2] != keep[:2]:
        i += 1
    other = f"other {i}".encode()

    def no_space(*_args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", no_space)
    with pytest.raises(StorageFull):
        store.put(other)
    monkeypatch.undo()
    assert [p.name for p in all_files(store.root)] == [keep]
    assert store.read(keep) == b"kept"


def test_other_write_errors_are_image_store_errors(
    store: ImageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> int:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(ImageStoreError) as info:
        store.put(b"data")
    assert not isinstance(info.value, StorageFull)
    monkeypatch.undo()
    assert all_files(store.root) == []


def test_stored_files_are_private(store: ImageStore) -> None:
    digest = store.put(b"patient photo")
    assert store.path(digest).stat().st_mode & 0o777 == 0o600
