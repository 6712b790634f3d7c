"""The audit trail: one event per read or change of patient data, written in the same transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermstation.core.domain import AuditAction
from dermstation.records.database import Database
from dermstation.records.models import AuditEvent, User
from dermstation.services.permissions import ADMIN_ONLY, authorize
from dermstation.services.types import AuditEntry, CurrentUser

MAX_DETAIL = 200


class AuditLog:
    def __init__(self, database: Database) -> None:
        self._db = database

    def record(
        self,
        session: Session,
        actor_id: int | None,
        action: AuditAction,
        table: str,
        record_id: int | None,
        detail: str = "",
    ) -> None:
        """Add an event to ``session``'s transaction. ``detail`` must not hold names or notes."""
        session.add(
            AuditEvent(
                user_id=actor_id,
                action=action,
                table_name=table,
                record_id=record_id,
                detail=detail[:MAX_DETAIL],
            )
        )

    def recent(self, actor: CurrentUser, limit: int = 100) -> list[AuditEntry]:
        """The newest events first (admin only)."""
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            rows = session.execute(
                select(AuditEvent, User.username)
                .outerjoin(User, AuditEvent.user_id == User.id)
                .order_by(AuditEvent.id.desc())
                .limit(max(1, min(limit, 10_000)))
            ).all()
            return [
                AuditEntry(
                    id=event.id,
                    at=event.at,
                    user_id=event.user_id,
                    username=username or "",
                    action=event.action,
                    table=event.table_name,
                    record_id=event.record_id,
                    detail=event.detail,
                )
                for event, username in rows
            ]
