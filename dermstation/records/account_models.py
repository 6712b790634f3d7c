"""Signed-in sessions and sign-in throttles (migration ``0005_roles_sessions_throttles.py``).

A session row is what makes a ``CurrentUser`` real: services look up the hash of its token on every
call, so an object built by hand with someone's id and name grants nothing. Only the SHA-256 of the
token is stored, so reading the table does not let anyone act as a signed-in user.

A throttle row counts recent failed sign-ins for one account name or one workstation; it holds the
moment before which the next attempt is refused (a growing delay, then a temporary lock).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dermstation.records.columns import utcnow
from dermstation.records.models import Base

THROTTLE_SCOPES = ("account", "workstation")


class UserSession(Base):
    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    workstation: Mapped[str] = mapped_column(String(128), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()


class SignInThrottle(Base):
    __tablename__ = "sign_in_throttles"
    __table_args__ = (
        UniqueConstraint("scope", "subject"),
        CheckConstraint("scope IN ('account', 'workstation')", name="scope_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    # the normalised user name (also for names that do not exist, so a lock tells nobody which
    # names are real), or the workstation's name
    subject: Mapped[str] = mapped_column(String(128))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column()
