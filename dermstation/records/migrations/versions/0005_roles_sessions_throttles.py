"""Several roles per user (``user_roles``, filled from ``users.role``), signed-in sessions, sign-in throttles.

Models: ``UserRole`` in ``dermstation/records/models.py``; ``UserSession`` and ``SignInThrottle`` in
``dermstation/records/account_models.py``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 14:20:00
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLES = ("admin", "dermatologist", "receptionist")


def _role_column() -> sa.Enum:
    return sa.Enum(*_ROLES, name="role", native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", _role_column(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_roles")),
    )
    # every existing account keeps the role it had
    op.execute("INSERT INTO user_roles (user_id, role) SELECT id, role FROM users")
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: rebuilding ``users`` would DROP it, which with foreign keys on fails (patients
        # point at it) or cascades (user_roles). SQLite's documented in-place way instead: take the
        # CHECK out of the stored schema, then drop the column natively (SQLite >= 3.35).
        _sqlite_remove_check("users", "ck_users_role")
        op.execute("ALTER TABLE users DROP COLUMN role")
    else:
        op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
        op.drop_column("users", "role")

    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("workstation", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_user_sessions_token_sha256")),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"], unique=False)

    op.create_table(
        "sign_in_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("scope IN ('account', 'workstation')", name=op.f("ck_sign_in_throttles_scope_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_throttles")),
        sa.UniqueConstraint("scope", "subject", name=op.f("uq_sign_in_throttles_scope_subject")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttles")
    op.drop_index("ix_user_sessions_user_id", table_name="user_sessions")
    op.drop_table("user_sessions")
    checked = "role IN ('admin', 'dermatologist', 'receptionist')"
    if op.get_bind().dialect.name == "sqlite":  # ADD COLUMN in place (see upgrade)
        op.execute("ALTER TABLE users ADD COLUMN role VARCHAR(32) NOT NULL DEFAULT 'receptionist' "
                   f"CONSTRAINT ck_users_role CHECK ({checked})")
    else:
        op.add_column("users", sa.Column("role", sa.String(32), nullable=False, server_default="receptionist"))
        op.create_check_constraint(op.f("ck_users_role"), "users", checked)
    # a user with several roles goes back to the most powerful one they held
    op.execute(
        "UPDATE users SET role = (SELECT r.role FROM user_roles r WHERE r.user_id = users.id "
        "ORDER BY CASE r.role WHEN 'admin' THEN 0 WHEN 'dermatologist' THEN 1 ELSE 2 END LIMIT 1) "
        "WHERE EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = users.id)"
    )
    op.drop_table("user_roles")


def _sqlite_remove_check(table: str, name: str) -> None:
    """Remove one named CHECK constraint from a SQLite table's stored definition (no rebuild).

    The procedure of https://www.sqlite.org/lang_altertable.html ("removing CHECK ... constraints"):
    edit ``sqlite_master`` with ``writable_schema``, then bump ``schema_version``.
    """
    bind = op.get_bind()
    sql = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                       {"t": table}).scalar_one()
    edited = re.sub(rf"(,\s*|\s+)CONSTRAINT {name} CHECK \((?:[^()]|\([^()]*\))*\)", "", sql)
    if edited == sql:
        raise RuntimeError(f"constraint {name} not found in the definition of {table}")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :t"),
                 {"sql": edited, "t": table})
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
