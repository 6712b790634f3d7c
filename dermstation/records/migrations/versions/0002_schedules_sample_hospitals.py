"""Working hours per dermatologist; sample flag on referral hospitals.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dermatologist_schedules",
        sa.Column("dermatologist_id", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "slot_minutes BETWEEN 5 AND 240", name=op.f("ck_dermatologist_schedules_slot_minutes_range")
        ),
        sa.ForeignKeyConstraint(
            ["dermatologist_id"], ["users.id"], name=op.f("fk_dermatologist_schedules_dermatologist_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_dermatologist_schedules_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("dermatologist_id", name=op.f("pk_dermatologist_schedules")),
    )
    with op.batch_alter_table("referral_hospitals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sample", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        # the patient-overlap check and the chart's appointment list read by patient and time
        batch_op.drop_index(batch_op.f("ix_appointments_patient_id"))
        batch_op.create_index("ix_appointments_patient_start", ["patient_id", "start_utc"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_patient_start")
        batch_op.create_index(batch_op.f("ix_appointments_patient_id"), ["patient_id"], unique=False)
    with op.batch_alter_table("referral_hospitals", schema=None) as batch_op:
        batch_op.drop_column("sample")
    op.drop_table("dermatologist_schedules")
