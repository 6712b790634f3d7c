"""Migration 0005 moves each user's single role into ``user_roles`` and keeps every account's role."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from dermstation.core.domain import Role
from dermstation.records import migrate
from dermstation.records.database import Database
from dermstation.records.models import User


def test_existing_users_keep_their_roles(database_url: str) -> None:
    db = Database.open(database_url)
    try:
        cfg = migrate.alembic_config()
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")  # the schema before several roles per user
        with db.engine.begin() as conn:
            for n, role in enumerate(("admin", "dermatologist", "receptionist", "dermatologist"), start=1):
                conn.execute(
                    text("INSERT INTO users (id, username, full_name, role, password_hash, disabled, created_at, "
                         "updated_at) VALUES (:id, :u, :f, :r, 'x', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"id": n, "u": f"user{n}", "f": f"User {n}", "r": role},
                )
            # rows pointing at users: a rebuild of ``users`` (batch mode) would fail or cascade on them
            conn.execute(text(
                "INSERT INTO patients (id, record_number, given_name, family_name, name_key, sort_key, sex, phone, "
                "email, address, notes, created_by_id, created_at, updated_at) VALUES (1, 'M1', 'A', 'B', ' a b ', "
                "'b a', 'unknown', '', '', '', '', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with db.session() as session:
            roles = {u.username: u.roles for u in session.query(User)}
            assert session.execute(text("SELECT created_by_id FROM patients")).scalar() == 1
        assert roles == {
            "user1": {Role.ADMIN},
            "user2": {Role.DERMATOLOGIST},
            "user3": {Role.RECEPTIONIST},
            "user4": {Role.DERMATOLOGIST},
        }
        # a person given a second role goes back to the stronger one if the upgrade is undone
        with db.session() as session:
            session.get(User, 2).set_roles(frozenset({Role.DERMATOLOGIST, Role.ADMIN}))
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        with db.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT username, role FROM users ORDER BY id")).all())
        assert rows == {"user1": "admin", "user2": "admin", "user3": "receptionist", "user4": "dermatologist"}
    finally:
        db.close()
