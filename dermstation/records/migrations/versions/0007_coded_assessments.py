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


def upgrade() -> None:
    with op.batch_alter_table("clinician_assessments", schema=None) as batch_op:
        batch_op.alter_column("diagnosis", new_column_name="legacy_diagnosis", existing_type=sa.String(200),
                              type_=sa.Text(), existing_nullable=False)
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("diagnosis_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("catalogue_version", sa.String(length=32), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("plan_kind", _enum(PLAN_KINDS, "plan_kind"), nullable=True))
        batch_op.add_column(sa.Column("plan_follow_up_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("plan_urgency", _enum(URGENCIES, "plan_urgency"), nullable=True))
        batch_op.add_column(sa.Column("plan_hospital_id", sa.Integer(), nullable=True))
    _number_versions()
    with op.batch_alter_table("clinician_assessments", schema=None) as batch_op:
        batch_op.alter_column("version", existing_type=sa.Integer(), server_default=None, existing_nullable=False)
        batch_op.alter_column("catalogue_version", existing_type=sa.String(32), server_default=None,
                              existing_nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_clinician_assessments_supersedes_id_clinician_assessments"),
                                    "clinician_assessments", ["supersedes_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_clinician_assessments_plan_hospital_id_referral_hospitals"),
                                    "referral_hospitals", ["plan_hospital_id"], ["id"])
        batch_op.create_unique_constraint("uq_clinician_assessments_analysis_version", ["analysis_id", "version"])
        batch_op.create_check_constraint(batch_op.f("ck_clinician_assessments_coded_or_legacy"),
                                         "diagnosis_code IS NOT NULL OR legacy_diagnosis <> ''")
        batch_op.create_check_constraint(batch_op.f("ck_clinician_assessments_coded_has_analysis"),
                                         "diagnosis_code IS NULL OR analysis_id IS NOT NULL")
        batch_op.create_check_constraint(batch_op.f("ck_clinician_assessments_version_positive"), "version >= 1")

    with op.batch_alter_table("image_captures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retracted_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retraction_reason", _enum(REASONS, "retraction_reason"), nullable=True))
        batch_op.add_column(sa.Column("retraction_note", sa.Text(), nullable=False, server_default=""))
        batch_op.create_foreign_key(batch_op.f("fk_image_captures_retracted_by_id_users"), "users",
                                    ["retracted_by_id"], ["id"])

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


def downgrade() -> None:
    op.drop_index("ix_histology_results_lesion_id", table_name="histology_results")
    op.drop_table("histology_results")
    op.drop_index("ix_follow_up_requests_status_due", table_name="follow_up_requests")
    op.drop_index("ix_follow_up_requests_patient_id", table_name="follow_up_requests")
    op.drop_table("follow_up_requests")
    with op.batch_alter_table("image_captures", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_image_captures_retracted_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("ck_image_captures_retraction_reason"), type_="check")
        batch_op.drop_column("retraction_note")
        batch_op.drop_column("retraction_reason")
        batch_op.drop_column("retracted_by_id")
        batch_op.drop_column("retracted_at")
    # a coded signature goes back as its code in the old free-text column
    op.execute("UPDATE clinician_assessments SET legacy_diagnosis = diagnosis_code WHERE diagnosis_code IS NOT NULL")
    with op.batch_alter_table("clinician_assessments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_clinician_assessments_version_positive"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_clinician_assessments_coded_has_analysis"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_clinician_assessments_coded_or_legacy"), type_="check")
        batch_op.drop_constraint("uq_clinician_assessments_analysis_version", type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_clinician_assessments_plan_hospital_id_referral_hospitals"),
                                 type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_clinician_assessments_supersedes_id_clinician_assessments"),
                                 type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("ck_clinician_assessments_plan_urgency"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_clinician_assessments_plan_kind"), type_="check")
        for column in ("plan_hospital_id", "plan_urgency", "plan_follow_up_months", "plan_kind",
                       "catalogue_version", "diagnosis_code", "supersedes_id", "version"):
            batch_op.drop_column(column)
        batch_op.alter_column("legacy_diagnosis", new_column_name="diagnosis", existing_type=sa.Text(),
                              type_=sa.String(200), existing_nullable=False)
