from __future__ import annotations

import errno
import os
from datetime import UTC, datetime, timedelta, timezone

import pytest
from analysis_rows import measured
from sqlalchemy import func, select

from dermstation.core.domain import AuditAction, CaptureSource
from dermstation.core.errors import (
    ImageStoreError,
    PermissionDenied,
    RecordNotFound,
    StorageFull,
    ValidationError,
)
from dermstation.records.image_store import ImageStore, sha256_hex
from dermstation.records.models import AnalysisRecord, AuditEvent, ImageCapture
from dermstation.services.container import Services
from dermstation.services.types import CurrentUser, PatientInput

IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


@pytest.fixture
def lesion_id(services: Services, dermatologist: CurrentUser) -> int:
    patient = services.patients.create(dermatologist, PatientInput("MRN-9", "Ina", "Ito", None))
    return services.patients.add_lesion(dermatologist, patient.id, "scalp", "L1").id


def capture_rows(services: Services) -> int:
    with services.database.session() as session:
        return session.scalar(select(func.count()).select_from(ImageCapture)) or 0


def test_add_and_read_capture(services: Services, dermatologist: CurrentUser, lesion_id: int) -> None:
    taken = datetime(2025, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    summary = services.captures.add_capture(
        dermatologist, lesion_id, IMAGE, CaptureSource.CAMERA, 640, 480, "img.png", 0.01, taken
    )
    assert summary.sha256 == sha256_hex(IMAGE)
    assert (summary.width, summary.height, summary.analysis_count) == (640, 480, 0)
    assert summary.taken_at == taken and summary.taken_at.tzinfo is not None
    assert services.image_store.contains(summary.sha256)
    assert services.captures.read_capture(dermatologist, summary.id) == IMAGE
    with services.database.session() as session:
        row = session.get(ImageCapture, summary.id)
        assert row is not None
        assert (row.size_bytes, row.original_filename, row.pixel_spacing_mm) == (len(IMAGE), "img.png", 0.01)
        actions = [
            e.action
            for e in session.scalars(select(AuditEvent).where(AuditEvent.table_name == "image_captures"))
        ]
    assert actions == [AuditAction.CREATE, AuditAction.VIEW]


def test_chart_shows_captures_and_analysis_count(
    services: Services, dermatologist: CurrentUser, lesion_id: int
) -> None:
    summary = services.captures.add_capture(dermatologist, lesion_id, IMAGE, CaptureSource.FILE, 10, 20)
    with services.database.session() as session:
        session.add(
            AnalysisRecord(
                capture_id=summary.id,
                model_name="classifier",
                model_version="0.0.1",
                probabilities={"mel": 0.7, "nv": 0.3},
                prediction="mel",
                malignancy_score=0.7,
                measurements=measured({"area": (12.5, "mm²")}),
                quality_flags=["blurred"],
                provider="CPUExecutionProvider",
                created_by_id=dermatologist.id,
            )
        )
    chart = services.patients.chart(dermatologist, services.patients.search(dermatologist, "ito")[0].id)
    (capture,) = chart.lesions[0].captures
    assert capture.id == summary.id and capture.analysis_count == 1
    with services.database.session() as session:
        stored = session.scalars(select(AnalysisRecord)).one()
        assert stored.probabilities == {"mel": 0.7, "nv": 0.3}
        assert stored.quality_flags == ["blurred"]


def test_receptionist_cannot_touch_images(
    services: Services, dermatologist: CurrentUser, receptionist: CurrentUser, lesion_id: int
) -> None:
    summary = services.captures.add_capture(dermatologist, lesion_id, IMAGE, CaptureSource.FILE, 10, 10)
    with pytest.raises(PermissionDenied):
        services.captures.add_capture(receptionist, lesion_id, b"other", CaptureSource.FILE, 10, 10)
    with pytest.raises(PermissionDenied):
        services.captures.read_capture(receptionist, summary.id)
    assert capture_rows(services) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"image_bytes": b""}, "image_bytes"),
        ({"width": 0}, "width"),
        ({"height": -5}, "height"),
        ({"pixel_spacing_mm": 0.0}, "pixel_spacing_mm"),
        ({"pixel_spacing_mm": float("nan")}, "pixel_spacing_mm"),
        ({"taken_at": datetime(2025, 1, 1)}, "taken_at"),
        ({"source": "scanner"}, "source"),
    ],
)
def test_invalid_capture_is_refused(
    services: Services, dermatologist: CurrentUser, lesion_id: int, kwargs: dict[str, object], field: str
) -> None:
    args: dict[str, object] = {
        "image_bytes": IMAGE,
        "source": CaptureSource.FILE,
        "width": 10,
        "height": 10,
        "pixel_spacing_mm": None,
        "taken_at": datetime.now(UTC),
    } | kwargs
    with pytest.raises(ValidationError) as info:
        services.captures.add_capture(dermatologist, lesion_id, **args)  # type: ignore[arg-type]
    assert info.value.field == field
    assert capture_rows(services) == 0


def test_unknown_lesion_or_capture(services: Services, dermatologist: CurrentUser) -> None:
    with pytest.raises(RecordNotFound):
        services.captures.add_capture(dermatologist, 404, IMAGE, CaptureSource.FILE, 10, 10)
    with pytest.raises(RecordNotFound):
        services.captures.read_capture(dermatologist, 404)
    assert list(services.image_store.hashes()) == []


def test_damaged_or_missing_file_is_reported(
    services: Services, dermatologist: CurrentUser, lesion_id: int
) -> None:
    if not isinstance(services.image_store, ImageStore):
        pytest.skip("pictures are in the database here: tests/records/test_database_images.py damages rows")
    summary = services.captures.add_capture(dermatologist, lesion_id, IMAGE, CaptureSource.FILE, 10, 10)
    path = services.image_store.path(summary.sha256)
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ImageStoreError, match="damaged"):
        services.captures.read_capture(dermatologist, summary.id)
    path.unlink()
    with pytest.raises(ImageStoreError, match="missing"):
        services.captures.read_capture(dermatologist, summary.id)


def test_disk_full_writes_no_row_and_no_file(
    services: Services, dermatologist: CurrentUser, lesion_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not isinstance(services.image_store, ImageStore):
        pytest.skip("pictures are in the database here: a full server disk is the server's (translate_error)")

    def no_space(*_args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(StorageFull):
        services.captures.add_capture(dermatologist, lesion_id, IMAGE, CaptureSource.FILE, 10, 10)
    monkeypatch.undo()
    assert capture_rows(services) == 0
    assert [p for p in services.image_store.root.rglob("*") if p.is_file()] == []
