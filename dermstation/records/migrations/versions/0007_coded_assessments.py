"""Coded, versioned assessments with a plan; capture retraction; follow-up requests; histology results.

Existing signatures keep their free text in ``legacy_diagnosis`` and stay *uncoded*
(``diagnosis_code`` NULL): no code is ever guessed from text. Several signatures of one analysis
become versions 1, 2, ... in the order they were signed, each superseding the one before.

Models: ``ClinicianAssessment`` and ``ImageCapture`` in ``dermstation/records/models.py``;
``FollowUpRequestRow`` and ``HistologyResultRow`` in ``dermstation/records/assessment_models.py``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 14:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAN_KINDS = ("reassure_self_exam", "monitor", "dermoscopic_follow_up", "biopsy", "excision", "referral")
URGENCIES = ("routine", "soon", "urgent")
REASONS = ("wrong_patient", "wrong_lesion", "not_a_lesion", "unusable")
FOLLOW_UP_STATUSES = ("open", "booked", "cancelled")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _number_versions() -> None:
    """Number the old signatures of each analysis 1, 2, ... by signing time; each supersedes the last."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, analysis_id FROM clinician_assessments WHERE analysis_id IS NOT NULL "
        "ORDER BY analysis_id, signed_at, id"
    )).all()
    previous: dict[int, tuple[int, int]] = {}
    for row_id, analysis_id in rows:
        before = previous.get(analysis_id)
        version = before[1] + 1 if before else 1
        conn.execute(
            sa.text("UPDATE clinician_assessments SET version = :v, supersedes_id = :s WHERE id = :id"),
            {"v": version, "s": before[0] if before else None, "id": row_id},
        )
        previous[analysis_id] = (row_id, version)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# (table, column, SQL type and default, foreign key target, CHECK expressions by constraint name)
NEW_COLUMNS: tuple[tuple[str, str, str, str | None, tuple[tuple[str, str], ...]], ...] = (
    ("clinician_assessments", "version", "INTEGER NOT NULL DEFAULT 1", None,
     (("version_positive", "version >= 1"),)),
    ("clinician_assessments", "supersedes_id", "INTEGER", "clinician_assessments", ()),
    ("clinician_assessments", "diagnosis_code", "VARCHAR(64)", None,
     (("coded_or_legacy", "diagnosis_code IS NOT NULL OR legacy_diagnosis <> ''"),
      ("coded_has_analysis", "diagnosis_code IS NULL OR analysis_id IS NOT NULL"))),
    ("clinician_assessments", "catalogue_version", "VARCHAR(32) NOT NULL DEFAULT ''", None, ()),
    ("clinician_assessments", "plan_kind", "VARCHAR(32)", None, (("plan_kind", _in("plan_kind", PLAN_KINDS)),)),
    ("clinician_assessments", "plan_follow_up_months", "INTEGER", None, ()),
    ("clinician_assessments", "plan_urgency", "VARCHAR(32)", None,
     (("plan_urgency", _in("plan_urgency", URGENCIES)),)),
    ("clinician_assessments", "plan_hospital_id", "INTEGER", "referral_hospitals", ()),
    ("image_captures", "retracted_at", "TIMESTAMP WITH TIME ZONE", None, ()),
    ("image_captures", "retracted_by_id", "INTEGER", "users", ()),
    ("image_captures", "retraction_reason", "VARCHAR(32)", None,
     (("retraction_reason", _in("retraction_reason", REASONS)),)),
    ("image_captures", "retraction_note", "TEXT NOT NULL DEFAULT ''", None, ()),
)


def _add_column(table: str, column: str, sql_type: str, target: str | None,
                checks: tuple[tuple[str, str], ...]) -> None:
    """ADD COLUMN with its constraints, in place on every backend.

    SQLite cannot add constraints to a table, and rebuilding the table (Alembic's batch mode) fails
    on a database with pictures and signatures while foreign keys are enforced, as DermStation's
    connections always do. So the column carries its constraints in its own definition there.
    """
    fk_name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        sql_type = sql_type.replace("TIMESTAMP WITH TIME ZONE", "DATETIME")
        parts = [f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}"]
        if target:
            parts.append(f"CONSTRAINT {fk_name} REFERENCES {target} (id)")
        parts += [f"CONSTRAINT ck_{table}_{name} CHECK ({expr})" for name, expr in checks]
        op.execute(" ".join(parts))
        return
    op.execute(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")
    if target:
        op.create_foreign_key(op.f(fk_name), table, target, [column], ["id"])
    for name, expr in checks:
        op.create_check_constraint(op.f(f"ck_{table}_{name}"), table, expr)


def upgrade() -> None:
    # rename in place: SQLite >= 3.25 and PostgreSQL both do this without rebuilding the table
    op.execute("ALTER TABLE clinician_assessments RENAME COLUMN diagnosis TO legacy_diagnosis")
    for table, column, sql_type, target, checks in NEW_COLUMNS:
        _add_column(table, column, sql_type, target, checks)
    _number_versions()
    op.create_index("uq_clinician_assessments_analysis_version", "clinician_assessments",
                    ["analysis_id", "version"], unique=True)

    op.create_table(
        "follow_up_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("lesion_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", _enum(FOLLOW_UP_STATUSES, "follow_up_status"), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('monitor', 'dermoscopic_follow_up')",
                           name=op.f("ck_follow_up_requests_follow_up_kind")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_follow_up_requests_patient_id_patients")),
        sa.ForeignKeyConstraint(["lesion_id"], ["lesions.id"], name=op.f("fk_follow_up_requests_lesion_id_lesions")),
        sa.ForeignKeyConstraint(["assessment_id"], ["clinician_assessments.id"],
                                name=op.f("fk_follow_up_requests_assessment_id_clinician_assessments")),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.id"],
                                name=op.f("fk_follow_up_requests_appointment_id_appointments")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["users.id"], name=op.f("fk_follow_up_requests_closed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_requests")),
        sa.UniqueConstraint("assessment_id", name=op.f("uq_follow_up_requests_assessment_id")),
    )
    op.create_index("ix_follow_up_requests_patient_id", "follow_up_requests", ["patient_id"], unique=False)
    op.create_index("ix_follow_up_requests_status_due", "follow_up_requests", ["status", "due_on"], unique=False)

    op.create_table(
        "histology_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesion_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("diagnosis_code", sa.String(length=64), nullable=False),
        sa.Column("catalogue_version", sa.String(length=32), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lesion_id"], ["lesions.id"], name=op.f("fk_histology_results_lesion_id_lesions")),
        sa.ForeignKeyConstraint(["assessment_id"], ["clinician_assessments.id"],
                                name=op.f("fk_histology_results_assessment_id_clinician_assessments")),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_histology_results_recorded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_histology_results")),
    )
    op.create_index("ix_histology_results_lesion_id", "histology_results", ["lesion_id"], unique=False)


def _drop_columns(table: str, columns: tuple[str, ...]) -> None:
    """DROP the added columns and their constraints."""
    if op.get_bind().dialect.name == "sqlite":  # rebuilt without them; their unnamed-on-reflection FKs go too
        with op.batch_alter_table(table, recreate="always") as batch_op:
            for t, column, _sql_type, _target, checks in NEW_COLUMNS:
                if t == table and column in columns:
                    for name, _expr in checks:
                        batch_op.drop_constraint(batch_op.f(f"ck_{table}_{name}"), type_="check")
            for column in columns:
                batch_op.drop_column(column)
        return
    for t, column, _sql_type, target, checks in NEW_COLUMNS:
        if t == table and column in columns:
            if target:
                op.drop_constraint(op.f(f"fk_{table}_{column}_{target}"), table, type_="foreignkey")
            for name, _expr in checks:
                op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
    for column in columns:
        op.drop_column(table, column)


def downgrade() -> None:
    """Back to 0006. On SQLite with pictures stored, run it with foreign keys off (a maintenance step):
    the tables are rebuilt, which foreign-key enforcement refuses while other rows point at them."""
    op.drop_index("ix_histology_results_lesion_id", table_name="histology_results")
    op.drop_table("histology_results")
    op.drop_index("ix_follow_up_requests_status_due", table_name="follow_up_requests")
    op.drop_index("ix_follow_up_requests_patient_id", table_name="follow_up_requests")
    op.drop_table("follow_up_requests")
    _drop_columns("image_captures", ("retracted_at", "retracted_by_id", "retraction_reason", "retraction_note"))
    # a coded signature goes back as its code in the old free-text column
    op.execute("UPDATE clinician_assessments SET legacy_diagnosis = diagnosis_code WHERE diagnosis_code IS NOT NULL")
    op.drop_index("uq_clinician_assessments_analysis_version", table_name="clinician_assessments")
    _drop_columns("clinician_assessments", ("plan_hospital_id", "plan_urgency", "plan_follow_up_months", "plan_kind",
                                            "catalogue_version", "diagnosis_code", "supersedes_id", "version"))
    op.execute("ALTER TABLE clinician_assessments RENAME COLUMN legacy_diagnosis TO diagnosis")
