"""Hospital connections: PACS / DICOMweb / FHIR destinations, the DICOM send queue, the study of each
lesion's follow-up, and worklist steps linked to appointments (issue 22).

Model: ``dermstation/records/pacs_models.py``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pacs_destinations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ae_title", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("calling_ae", sa.String(length=16), nullable=False),
        sa.Column("tls", sa.Boolean(), nullable=False),
        sa.Column("ca_file", sa.String(length=500), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("send", sa.Boolean(), nullable=False),
        sa.Column("query", sa.Boolean(), nullable=False),
        sa.Column("worklist", sa.Boolean(), nullable=False),
        sa.Column("auto_send", sa.Boolean(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('dimse', 'dicomweb', 'fhir')", name=op.f("ck_pacs_destinations_kind_known")),
        sa.CheckConstraint("port IS NULL OR (port BETWEEN 1 AND 65535)",
                           name=op.f("ck_pacs_destinations_port_range")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_pacs_destinations_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pacs_destinations")),
    )
    op.create_table(
        "pacs_lesion_studies",
        sa.Column("lesion_id", sa.Integer(), nullable=False),
        sa.Column("study_uid", sa.String(length=64), nullable=False),
        sa.Column("photo_series_uid", sa.String(length=64), nullable=False),
        sa.Column("overlay_series_uid", sa.String(length=64), nullable=False),
        sa.Column("report_series_uid", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lesion_id"], ["lesions.id"], name=op.f("fk_pacs_lesion_studies_lesion_id_lesions")),
        sa.PrimaryKeyConstraint("lesion_id", name=op.f("pk_pacs_lesion_studies")),
        sa.UniqueConstraint("study_uid", name=op.f("uq_pacs_lesion_studies_study_uid")),
    )
    op.create_table(
        "worklist_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("accession_number", sa.String(length=64), nullable=False),
        sa.Column("requested_procedure_id", sa.String(length=64), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("study_uid", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.id"],
                                name=op.f("fk_worklist_links_appointment_id_appointments")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_worklist_links_created_by_id_users")),
        sa.ForeignKeyConstraint(["destination_id"], ["pacs_destinations.id"],
                                name=op.f("fk_worklist_links_destination_id_pacs_destinations")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_worklist_links_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worklist_links")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_worklist_links_appointment_id")),
        sa.UniqueConstraint("destination_id", "accession_number", "step_id", name="uq_worklist_links_step"),
    )
    op.create_index(op.f("ix_worklist_links_patient_id"), "worklist_links", ["patient_id"], unique=False)
    op.create_table(
        "pacs_send_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("lesion_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sop_class_uid", sa.String(length=64), nullable=False),
        sa.Column("sop_instance_uid", sa.String(length=64), nullable=False),
        sa.Column("study_uid", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('photo', 'overlay', 'report')", name=op.f("ck_pacs_send_items_kind_known")),
        sa.CheckConstraint("state IN ('queued', 'retrying', 'sent', 'failed', 'cancelled')",
                           name=op.f("ck_pacs_send_items_state_known")),
        sa.ForeignKeyConstraint(["analysis_id"], ["analyses.id"], name=op.f("fk_pacs_send_items_analysis_id_analyses")),
        sa.ForeignKeyConstraint(["capture_id"], ["image_captures.id"],
                                name=op.f("fk_pacs_send_items_capture_id_image_captures")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_pacs_send_items_created_by_id_users")),
        sa.ForeignKeyConstraint(["destination_id"], ["pacs_destinations.id"],
                                name=op.f("fk_pacs_send_items_destination_id_pacs_destinations")),
        sa.ForeignKeyConstraint(["lesion_id"], ["lesions.id"], name=op.f("fk_pacs_send_items_lesion_id_lesions")),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], name=op.f("fk_pacs_send_items_patient_id_patients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pacs_send_items")),
    )
    op.create_index(op.f("ix_pacs_send_items_destination_id"), "pacs_send_items", ["destination_id"], unique=False)
    op.create_index(op.f("ix_pacs_send_items_patient_id"), "pacs_send_items", ["patient_id"], unique=False)
    op.create_index(op.f("ix_pacs_send_items_sop_instance_uid"), "pacs_send_items", ["sop_instance_uid"],
                    unique=False)
    op.create_index("ix_pacs_send_items_state_due", "pacs_send_items", ["state", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_pacs_send_items_state_due", table_name="pacs_send_items")
    op.drop_index(op.f("ix_pacs_send_items_sop_instance_uid"), table_name="pacs_send_items")
    op.drop_index(op.f("ix_pacs_send_items_patient_id"), table_name="pacs_send_items")
    op.drop_index(op.f("ix_pacs_send_items_destination_id"), table_name="pacs_send_items")
    op.drop_table("pacs_send_items")
    op.drop_index(op.f("ix_worklist_links_patient_id"), table_name="worklist_links")
    op.drop_table("worklist_links")
    op.drop_table("pacs_lesion_studies")
    op.drop_table("pacs_destinations")
