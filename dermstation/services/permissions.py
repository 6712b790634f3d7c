"""Who may do what. Roles are re-read from the database on every call, so a disabled account or a
changed role takes effect at once, and a forged ``CurrentUser`` grants nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from dermstation.core.domain import Role
from dermstation.core.errors import PermissionDenied
from dermstation.core.i18n import _
from dermstation.records.models import User
from dermstation.services.types import CurrentUser

CLINICAL_ROLES = frozenset({Role.ADMIN, Role.DERMATOLOGIST})
ALL_ROLES = frozenset(Role)
ADMIN_ONLY = frozenset({Role.ADMIN})


def authorize(session: Session, actor: CurrentUser, allowed: frozenset[Role]) -> User:
    """The actor's user row if the account is active and its role is allowed; else PermissionDenied."""
    user = session.get(User, actor.id)
    if user is None or user.disabled or user.username != actor.username:
        raise PermissionDenied(
            _("Your account is not active. Please sign in again."), details=f"user {actor.id}"
        )
    if user.role not in allowed:
        raise PermissionDenied(
            _("Your role does not allow this."), details=f"user {actor.id} role {user.role.value}"
        )
    return user


def can_read_notes(user: User) -> bool:
    return user.role in CLINICAL_ROLES
