"""Who may do what.

Every service call checks its ``actor`` here, inside the call's own database session: the actor's
session token must belong to a signed-in session of that user that has not ended (so an object built
by hand with someone's id and name grants nothing), the account must be active, and its roles are
re-read, so a disabled account or a changed role takes effect at once.

Administration is not a clinical role: an IT administrator sees no patient, image, report or note
unless they also hold a clinical role. One user may hold several roles; holding any allowed role is
enough.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from dermstation.core.domain import Role
from dermstation.core.errors import PermissionDenied
from dermstation.core.i18n import _
from dermstation.records.account_models import UserSession
from dermstation.records.models import User
from dermstation.services.types import CurrentUser

CLINICAL_ROLES = frozenset({Role.DERMATOLOGIST})
"""Images, analyses, reports, clinical notes, signing."""
PATIENT_DESK = frozenset({Role.DERMATOLOGIST, Role.RECEPTIONIST})
"""Patient demographics, appointments and referrals: the people who see patients."""
ALL_ROLES = frozenset(Role)
"""Not about patients: one's own password, the hospital directory, who the dermatologists are."""
ADMIN_ONLY = frozenset({Role.ADMIN})
"""Accounts, clinic settings, the audit log."""


def token_digest(token: str) -> str:
    """What is stored for a session token: its SHA-256 (the token itself never reaches the database)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def authorize(session: Session, actor: CurrentUser, allowed: frozenset[Role]) -> User:
    """The actor's user row if its session is live, the account active and one of its roles allowed."""
    user = session.get(User, actor.id) if isinstance(actor, CurrentUser) else None
    live = None
    if user is not None and isinstance(actor.token, str) and actor.token:
        live = session.scalar(
            select(UserSession.id).where(
                UserSession.token_sha256 == token_digest(actor.token),
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
            )
        )
    if user is None or live is None or user.disabled or user.username != actor.username:
        raise PermissionDenied(
            _("Your account is not active. Please sign in again."),
            details=f"user {getattr(actor, 'id', '?')}: no live session or account disabled",
        )
    if not user.roles & allowed:
        raise PermissionDenied(
            _("Your role does not allow this."),
            details=f"user {actor.id} roles {sorted(r.value for r in user.roles)}",
        )
    return user


def can_read_notes(user: User) -> bool:
    return bool(user.roles & CLINICAL_ROLES)

