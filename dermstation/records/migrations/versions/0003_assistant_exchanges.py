"""Assistant exchanges: explanations asked for an analysis and the clinician's revisions.

Model: ``dermstation/records/assistant_models.py``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assistant_exchanges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("revises_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("notice", sa.String(length=500), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "origin IN ('perplexity', 'offline', 'clinician')",
            name=op.f("ck_assistant_exchanges_origin_known"),
        ),
        sa.ForeignKeyConstraint(
            ["analysis_id"], ["analyses.id"], name=op.f("fk_assistant_exchanges_analysis_id_analyses")
        ),
        sa.ForeignKeyConstraint(
            ["revises_id"], ["assistant_exchanges.id"],
            name=op.f("fk_assistant_exchanges_revises_id_assistant_exchanges"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_assistant_exchanges_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_exchanges")),
    )
    op.create_index(
        "ix_assistant_exchanges_analysis_created", "assistant_exchanges", ["analysis_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_assistant_exchanges_analysis_created", table_name="assistant_exchanges")
    op.drop_table("assistant_exchanges")
