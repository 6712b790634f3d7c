"""AnalysisRecordService: store a real analysis, read it back with its mask, timeline, compare, sign."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from dermstation.core.config import PROJECT_ROOT
from dermstation.core.domain import AuditAction, CaptureSource
from dermstation.core.errors import RecordNotFound
from dermstation.records.models import AuditEvent
from dermstation.services.analysis import AnalysisService
from dermstation.services.types import PatientInput


@pytest.fixture(scope="module")
def analysis() -> AnalysisService:
    return AnalysisService(models_dir=PROJECT_ROOT / "models", provider="cpu")


@pytest.fixture(scope="module")
def results(analysis: AnalysisService, test_data: Path):
    """Two real analyses (computed once): IMD006 and IMD010."""
    out = []
    for name in ("IMD006", "IMD010"):
        out.append(analysis.analyze_file(test_data / "ph2" / "images" / f"{name}.jpg", pixel_spacing_mm=0.01))
    return out


@pytest.fixture
def lesion(services, dermatologist):
    patient = services.patients.create(dermatologist, PatientInput("R1", "Jo", "March", None))
    return services.patients.add_lesion(dermatologist, patient.id, "left forearm", "L1")


def _capture(services, user, lesion_id, test_data, name="IMD006", days_ago=0):
    data = (test_data / "ph2" / "images" / f"{name}.jpg").read_bytes()
    return services.captures.add_capture(user, lesion_id, data, CaptureSource.FILE, 768, 560, f"{name}.jpg", 0.01,
                                         datetime.now(UTC) - timedelta(days=days_ago))


def test_save_and_load_round_trip(services, dermatologist, lesion, analysis, results, test_data) -> None:
    ws = replace(services, analysis=analysis).workstation
    capture = _capture(services, dermatologist, lesion.id, test_data)
    result = results[0]
    saved = ws.records.save(dermatologist, capture.id, result)
    assert saved.prediction == result.top_class and saved.lesion_id == lesion.id
    loaded = ws.records.load(dermatologist, saved.id)
    assert dict(loaded.probabilities) == pytest.approx(dict(result.probabilities))
    assert loaded.malignancy == pytest.approx(result.malignancy)
    assert loaded.threshold == pytest.approx(result.threshold)
    assert loaded.model_name == result.models[-1].name and loaded.model_version == result.models[-1].version
    assert dict(loaded.other_models) == {m.name: m.version for m in result.models[:-1]}
    assert loaded.provider == result.provider
    assert loaded.metric("diameter").value == pytest.approx(result.metric("diameter").value)
    assert loaded.metric("diameter").unit == "mm"
    assert loaded.quality_flags == tuple(str(f.issue) for f in result.quality_flags)
    assert loaded.mask is None and loaded.mask_png is not None  # read in the session, decoded on a worker
    decoded = loaded.with_mask().mask
    assert decoded is not None and decoded.shape == result.mask.shape
    assert np.array_equal(decoded, result.mask)
    with services.database.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.table_name == "analyses")).all()
        assert [e.action for e in events] == [AuditAction.CREATE, AuditAction.VIEW]


def test_timeline_and_comparison(services, dermatologist, lesion, analysis, results, test_data) -> None:
    ws = replace(services, analysis=analysis).workstation
    old = _capture(services, dermatologist, lesion.id, test_data, "IMD006", days_ago=200)
    new = _capture(services, dermatologist, lesion.id, test_data, "IMD010", days_ago=1)
    unanalysed = _capture(services, dermatologist, lesion.id, test_data, "IMD018", days_ago=0)
    a_old = ws.records.save(dermatologist, old.id, results[0])
    a_new = ws.records.save(dermatologist, new.id, results[1])
    timeline = ws.records.timeline(dermatologist, lesion.id)
    assert [e.capture.id for e in timeline] == [old.id, new.id, unanalysed.id]
    assert timeline[0].analysis.id == a_old.id and timeline[1].analysis.id == a_new.id
    assert timeline[2].analysis is None and timeline[0].original_name == "IMD006.jpg"
    assert timeline[0].analysis.mask is None  # listings do not carry masks
    change = ws.records.compare(ws.records.load(dermatologist, a_old.id), ws.records.load(dermatologist, a_new.id))
    d_old, d_new = results[0].metric("diameter").value, results[1].metric("diameter").value
    assert change.comparable and change.units == "mm"
    assert change.diameter_change_pct == pytest.approx(100 * (d_new - d_old) / d_old)
    assert change.malignancy_change == pytest.approx(results[1].malignancy - results[0].malignancy)


def test_capture_image_bytes(services, dermatologist, lesion, analysis, test_data) -> None:
    ws = replace(services, analysis=analysis).workstation
    capture = _capture(services, dermatologist, lesion.id, test_data)
    image = ws.records.capture_image(dermatologist, capture.id)
    assert image.data == (test_data / "ph2" / "images" / "IMD006.jpg").read_bytes()
    assert image.pixel_spacing_mm == 0.01 and image.lesion_id == lesion.id
    with pytest.raises(RecordNotFound):
        ws.records.capture_image(dermatologist, 9999)


def test_mask_png_is_binary(services, dermatologist, lesion, analysis, results, test_data) -> None:
    ws = replace(services, analysis=analysis).workstation
    capture = _capture(services, dermatologist, lesion.id, test_data)
    stored = ws.records.save(dermatologist, capture.id, results[0])
    with services.database.session() as session:
        from dermstation.records.models import AnalysisRecord
        digest = session.get(AnalysisRecord, stored.id).mask_sha256
    png = cv2.imdecode(np.frombuffer(services.image_store.read(digest), np.uint8), cv2.IMREAD_UNCHANGED)
    assert set(np.unique(png)) <= {0, 255}
