"""Migration 0007 turns free-text signatures into uncoded, versioned assessments (no code guessed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from dermstation.records import migrate
from dermstation.records.database import Database
from dermstation.services.assessments import signed_assessment_of

pytestmark = pytest.mark.clinical_safety

BEFORE = "0006"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _filler(column: sa.Column) -> object:
    """A value for a NOT NULL column this test does not care about."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Float | sa.Numeric):
        return 1
    if isinstance(kind, sa.DateTime):
        return T0.replace(tzinfo=None)
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


def test_old_free_text_signatures_become_uncoded_versions(database_url: str) -> None:
    db = Database.open(database_url)  # at head; go back to before 0007 and write the old shape
    cfg = migrate.alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, BEFORE)
    naive = T0.replace(tzinfo=None)
    with db.engine.begin() as conn:
        _insert(conn, "users", id=1, username="derm", full_name="Dr Old")
        _insert(conn, "patients", id=1, record_number="MRN-1", given_name="A", family_name="B", sex="unknown")
        _insert(conn, "lesions", id=1, patient_id=1, body_site="back")
        _insert(conn, "image_captures", id=1, lesion_id=1, taken_at=naive, source="file", sha256="0" * 64,
                size_bytes=10, width=10, height=10)
        for analysis_id in (1, 2):
            _insert(conn, "analyses", id=analysis_id, capture_id=1, prediction="bkl", malignancy_score=0.2,
                    probabilities={"bkl": 1.0})
        for row_id, analysis_id, text, hours in ((1, 1, "Melanoma?", 0), (2, 1, "Compound naevus", 2),
                                                 (3, None, "Lentigo maligna", 1), (4, 2, "Seb K", 3)):
            _insert(conn, "clinician_assessments", id=row_id, lesion_id=1, analysis_id=analysis_id, diagnosis=text,
                    notes=f"note {row_id}", signed_by_id=1, signed_at=naive + timedelta(hours=hours))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT id, analysis_id, version, supersedes_id, diagnosis_code, legacy_diagnosis, notes, plan_kind "
            "FROM clinician_assessments ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        (1, 1, 1, None, None, "Melanoma?", "note 1", None),
        (2, 1, 2, 1, None, "Compound naevus", "note 2", None),
        (3, None, 1, None, None, "Lentigo maligna", "note 3", None),
        (4, 2, 1, None, None, "Seb K", "note 4", None),
    ]
    with db.session() as session:
        current = signed_assessment_of(session, 1)
        assert current is not None and not current.coded and current.diagnosis is None
        assert (current.version, current.legacy_text, current.signed_by) == (2, "Compound naevus", "Dr Old")
        assert current.plan is None and "uncoded" in current.diagnosis_name("en")
    db.close()
    # and back (a maintenance step: on SQLite without foreign-key enforcement, see the migration)
    plain = sa.create_engine(database_url)
    with plain.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, BEFORE)
    with plain.connect() as conn:
        texts = conn.execute(sa.text("SELECT diagnosis FROM clinician_assessments ORDER BY id")).scalars().all()
    plain.dispose()
    assert texts == ["Melanoma?", "Compound naevus", "Lentigo maligna", "Seb K"]
