"""Migration 0008 moves stored analyses from JSON with translated text to typed columns, losing nothing.

The database is made the way the release before 0008 made it: the schema at 0007 and real analyses of
shipped pictures written in the shape that release's ``AnalysisRecordService.save`` wrote (copied below),
then the app's own upgrade path (``Database.open``: backup, upgrade to head), then read back through the
one reader. Both backends.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from dermstation.core.config import PROJECT_ROOT
from dermstation.inference.analyzer import AnalysisResult
from dermstation.inference.metrics import metric_label
from dermstation.inference.quality import QualityIssue, applicability_flags
from dermstation.records import migrate
from dermstation.records.database import Database
from dermstation.records.models import AnalysisRecord
from dermstation.services.analysis import AnalysisService
from dermstation.services.stored_analyses import stored_analysis

BEFORE = "0007"
# the release's English labels (0008 keeps them frozen for its downgrade; today's wording may differ)
MIGRATION = importlib.import_module("dermstation.records.migrations.versions.0008_typed_analyses")
T0 = datetime(2026, 3, 1, 9, 0)  # naive UTC, as the old rows are written here


@pytest.fixture(scope="module")
def results(test_data: Path) -> list[AnalysisResult]:
    """Real analyses: one in mm, one in pixels, one with the applicability warnings the release stored."""
    service = AnalysisService(models_dir=PROJECT_ROOT / "models", provider="cpu")
    images = test_data / "ph2" / "images"
    in_mm = service.analyze_file(images / "IMD006.jpg", pixel_spacing_mm=0.01)
    in_px = service.analyze_file(images / "IMD010.jpg")
    flagged = replace(in_mm, quality=replace(in_mm.quality, flags=tuple(applicability_flags("unchecked", True))))
    return [in_mm, in_px, flagged]


def release_0007_row(result: AnalysisResult, capture_id: int, label_language: dict[str, str] | None = None
                     ) -> dict[str, Any]:
    """What ``AnalysisRecordService.save`` wrote before 0008 (commit 5154e53), metric labels and quality
    messages in the language of the user who ran it: the release's English wording, or ``label_language``
    (e.g. German) for some labels."""
    classifier = result.models[-1]
    return {
        "capture_id": capture_id,
        "model_name": classifier.name,
        "model_version": classifier.version,
        "other_models": {
            "models": {m.name: m.version for m in result.models[:-1]},
            "threshold": float(result.threshold),
            "quality_messages": [MIGRATION.MESSAGES_EN[str(f.issue)] for f in result.quality_flags],
            "image_size": list(result.image_size),
        },
        "probabilities": {c: float(p) for c, p in result.probabilities},
        "prediction": result.top_class,
        "malignancy_score": float(result.malignancy),
        "mask_sha256": None,
        "metrics": {m.name: {"value": m.value, "unit": m.unit,
                             "label": (label_language or {}).get(m.name, MIGRATION.LABELS_EN[m.name])}
                    for m in result.metrics},
        "quality_flags": [str(f.issue) for f in result.quality_flags],
        "provider": result.provider[:50],
        "created_by_id": 1,
        "created_at": T0,
    }


def _filler(column: sa.Column) -> object:
    """A value for a NOT NULL column this test does not care about."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Float | sa.Numeric):
        return 1
    if isinstance(kind, sa.DateTime):
        return T0
    if isinstance(kind, sa.Date):
        return T0.date()
    if isinstance(kind, sa.JSON):
        return {}
    return "x"


def _insert(conn: sa.Connection, table: str, **values: object) -> None:
    t = sa.Table(table, sa.MetaData(), autoload_with=conn)
    row = {c.name: _filler(c) for c in t.columns
           if not c.nullable and c.server_default is None and not c.primary_key and c.name not in values}
    conn.execute(t.insert().values(**row, **values))


def _alembic(url: str, verb: str, revision: str) -> None:
    engine = sa.create_engine(url)
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, revision)
    engine.dispose()


def test_stored_analyses_move_to_typed_columns_without_loss(database_url: str, results: list[AnalysisResult],
                                                             tmp_path: Path) -> None:
    _alembic(database_url, "upgrade", BEFORE)  # the release's schema
    german = {"area": "Fläche", "diameter": "Durchmesser (max. Feret)"}
    old_rows = [release_0007_row(results[0], 1), release_0007_row(results[1], 1, german),
                release_0007_row(results[2], 2)]
    no_threshold = release_0007_row(results[1], 2)
    no_threshold["other_models"] = {}  # an analysis stored without threshold, image size or other models
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        _insert(conn, "users", id=1, username="derm", full_name="Dr Old")
        _insert(conn, "patients", id=1, record_number="MRN-1", given_name="A", family_name="B", sex="unknown")
        _insert(conn, "lesions", id=1, patient_id=1, body_site="back")
        for capture_id in (1, 2):
            _insert(conn, "image_captures", id=capture_id, lesion_id=1, taken_at=T0, source="file",
                    sha256=f"{capture_id}" * 64, size_bytes=10, width=768, height=560)
        for row in [*old_rows, no_threshold]:
            _insert(conn, "analyses", **row)
    engine.dispose()

    db = Database.open(database_url, tmp_path / "backups")  # the app's upgrade: backup, then head
    try:
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("analyses")}
        assert {"threshold", "image_height", "image_width", "model_sha256"} <= columns
        assert not {"other_models", "metrics"} & columns  # no translated text left in the record
        with db.session() as session:
            rows = session.scalars(sa.select(AnalysisRecord).order_by(AnalysisRecord.id)).all()
            stored = [stored_analysis(row, row.capture) for row in rows]
        for result, back in zip(results[:2] + results[2:], stored[:3], strict=True):
            assert back.probabilities == tuple((c, float(p)) for c, p in result.probabilities)
            assert (back.prediction, back.malignancy, back.threshold) == (result.top_class, result.malignancy,
                                                                          result.threshold)
            assert back.image_size == result.image_size
            assert [(m.name, m.value, m.unit) for m in back.metrics] == [(m.name, m.value, m.unit)
                                                                         for m in result.metrics]
            assert back.quality_flags == tuple(str(f.issue) for f in result.quality_flags)
            assert back.model_name == result.models[-1].name and back.model_version == result.models[-1].version
            assert back.other_models == tuple((m.name, m.version) for m in result.models[:-1])
            assert back.classifier.sha256 is None  # the release did not record it; nothing is made up
        # labels and messages come from the keys, in the language of whoever reads them
        assert stored[1].metric("area").label == metric_label("area") == "Area"  # type: ignore[union-attr]
        assert stored[2].quality_flags == (QualityIssue.LESION_CUT, QualityIssue.APPLICABILITY_INCOMPLETE)
        assert stored[2].quality_messages == tuple(f.message for f in results[2].quality_flags)
        # a missing threshold stays missing (it was 0.5 in one reader and None in another)
        assert stored[3].threshold is None and stored[3].image_size is None and stored[3].others == ()
        assert not stored[3].suspicious
    finally:
        db.close()

    # and back: 0007's JSON again, identical for what was stored in English
    _alembic(database_url, "downgrade", BEFORE)
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        analyses = sa.Table("analyses", sa.MetaData(), autoload_with=conn)
        back_rows = conn.execute(sa.select(analyses.c.other_models, analyses.c.metrics)
                                 .order_by(analyses.c.id)).all()
    engine.dispose()
    english = release_0007_row(results[1], 1)
    expected = [
        (old_rows[0]["other_models"], old_rows[0]["metrics"]),
        (old_rows[1]["other_models"], english["metrics"]),  # the German labels come back in English
        (old_rows[2]["other_models"], old_rows[2]["metrics"]),
        ({"models": {}, "quality_messages": [MIGRATION.MESSAGES_EN[str(f.issue)] for f in results[1].quality_flags]},
         no_threshold["metrics"]),
    ]
    assert len(back_rows) == len(expected)
    for n, ((other, metrics), (want_other, want_metrics)) in enumerate(zip(back_rows, expected, strict=True)):
        assert other == want_other, n
        assert list(metrics) == list(want_metrics), n  # the same measurements, in the same order
        for name, entry in metrics.items():
            assert entry == want_metrics[name], (n, name)
