"""Clinic deployment: picture bytes in the database, clinic-wide settings, known workstations.

Model: ``dermstation/records/clinic_models.py``. On PostgreSQL the picture column is stored
uncompressed out of line (pictures do not compress; see benchmarks/README.md, bytea vs large objects).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 14:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_images",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_stored_images_size_not_negative")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_stored_images")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE stored_images ALTER COLUMN data SET STORAGE EXTERNAL")
    op.create_table(
        "clinic_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_clinic_settings_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_clinic_settings")),
    )
    op.create_table(
        "workstations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("app_version", sa.String(length=50), nullable=False),
        sa.Column("schema_revision", sa.String(length=100), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workstations")),
    )


def downgrade() -> None:
    op.drop_table("workstations")
    op.drop_table("clinic_settings")
    op.drop_table("stored_images")
