"""Device profiles (mm per pixel of a dermatoscope + camera + resolution), the profile and spacing source of
each capture, and the annotation layer of a capture (rulers, arrows, free marks in picture pixels).

Existing captures keep their pixel spacing; where one is recorded its source stays unknown (NULL).

Models: ``DeviceProfileRow`` and ``CaptureAnnotation`` in ``dermstation/records/device_models.py``;
``ImageCapture.device_profile_id`` / ``spacing_source`` in ``dermstation/records/models.py``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 17:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE_CHECK = "spacing_source IS NULL OR spacing_source IN ('profile', 'dicom', 'manual')"


def upgrade() -> None:
    op.create_table(
        "device_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("dermatoscope", sa.String(length=100), nullable=False),
        sa.Column("camera", sa.String(length=100), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("mm_per_pixel", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("width > 0 AND height > 0", name=op.f("ck_device_profiles_positive_size")),
        sa.CheckConstraint("mm_per_pixel > 0", name=op.f("ck_device_profiles_positive_spacing")),
        sa.CheckConstraint("method IN ('ruler', 'sticker', 'dicom', 'manual')",
                           name=op.f("ck_device_profiles_method_known")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_device_profiles_created_by_id_users")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_device_profiles_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_profiles")),
        sa.UniqueConstraint("name", name=op.f("uq_device_profiles_name")),
    )
    op.create_table(
        "capture_annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('ruler', 'arrow', 'mark')", name=op.f("ck_capture_annotations_kind_known")),
        sa.ForeignKeyConstraint(["capture_id"], ["image_captures.id"],
                                name=op.f("fk_capture_annotations_capture_id_image_captures")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_capture_annotations_created_by_id_users")),
        sa.ForeignKeyConstraint(["removed_by_id"], ["users.id"],
                                name=op.f("fk_capture_annotations_removed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture_annotations")),
    )
    op.create_index("ix_capture_annotations_capture_id", "capture_annotations", ["capture_id"], unique=False)
    # ADD COLUMN in place (as 0007 does): SQLite cannot add constraints later, and rebuilding image_captures
    # fails while foreign keys are enforced, so there the column carries its constraints in its definition
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE image_captures ADD COLUMN device_profile_id INTEGER CONSTRAINT "
                   "fk_image_captures_device_profile_id_device_profiles REFERENCES device_profiles (id)")
        op.execute("ALTER TABLE image_captures ADD COLUMN spacing_source VARCHAR(16) CONSTRAINT "
                   f"ck_image_captures_spacing_source_known CHECK ({SOURCE_CHECK})")
        return
    op.add_column("image_captures", sa.Column("device_profile_id", sa.Integer(), nullable=True))
    op.add_column("image_captures", sa.Column("spacing_source", sa.String(length=16), nullable=True))
    op.create_foreign_key(op.f("fk_image_captures_device_profile_id_device_profiles"), "image_captures",
                          "device_profiles", ["device_profile_id"], ["id"])
    op.create_check_constraint(op.f("ck_image_captures_spacing_source_known"), "image_captures", SOURCE_CHECK)


def downgrade() -> None:
    """Back to 0008 (on SQLite with pictures stored, with foreign keys off: image_captures is rebuilt)."""
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("image_captures", recreate="always") as batch_op:
            batch_op.drop_constraint(batch_op.f("ck_image_captures_spacing_source_known"), type_="check")
            batch_op.drop_column("spacing_source")
            batch_op.drop_column("device_profile_id")
    else:
        op.drop_constraint(op.f("ck_image_captures_spacing_source_known"), "image_captures", type_="check")
        op.drop_constraint(op.f("fk_image_captures_device_profile_id_device_profiles"), "image_captures",
                           type_="foreignkey")
        op.drop_column("image_captures", "spacing_source")
        op.drop_column("image_captures", "device_profile_id")
    op.drop_index("ix_capture_annotations_capture_id", table_name="capture_annotations")
    op.drop_table("capture_annotations")
    op.drop_table("device_profiles")
