"""User accounts (administrators manage them)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dermstation.core.domain import AuditAction, Role
from dermstation.core.errors import DuplicateRecord, PermissionDenied, RecordNotFound, ValidationError
from dermstation.core.i18n import _
from dermstation.records.account_models import SignInThrottle, UserSession
from dermstation.records.columns import utcnow
from dermstation.records.database import Database
from dermstation.records.models import User, UserRole
from dermstation.services import passwords
from dermstation.services.audit import AuditLog
from dermstation.services.permissions import ADMIN_ONLY, ALL_ROLES, authorize
from dermstation.services.types import CurrentUser, UserInfo

log = logging.getLogger(__name__)

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def normalise_username(username: str) -> str:
    """User names are case-insensitive: stored and compared trimmed and lower-case."""
    return username.strip().lower()


def check_username(username: str) -> None:
    if not _USERNAME.fullmatch(username):
        raise ValidationError(
            _("A user name has 1 to 64 letters, digits, dots, dashes or underscores."), field="username"
        )


def check_full_name(full_name: str) -> None:
    if not full_name.strip():
        raise ValidationError(_("Please enter the full name."), field="full_name")
    if len(full_name.strip()) > 200:
        raise ValidationError(_("The full name is too long."), field="full_name")


def check_roles(roles: Role | frozenset[Role] | set[Role]) -> frozenset[Role]:
    """The roles as a set; at least one, each a known role."""
    chosen = frozenset({roles}) if isinstance(roles, Role) else frozenset(roles)
    if not chosen or not all(isinstance(r, Role) for r in chosen):
        raise ValidationError(_("Please choose at least one role."), field="roles")
    return chosen


def user_info(user: User, locked_until: datetime | None = None) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        roles=user.roles,
        disabled=user.disabled,
        created_at=user.created_at,
        locked_until=locked_until,
    )


class UserService:
    def __init__(self, database: Database, audit: AuditLog, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = database
        self._audit = audit
        self._clock = clock

    def list_users(self, actor: CurrentUser) -> list[UserInfo]:
        """Every account, with the moment its sign-in lock or delay ends (if it has one now)."""
        now = self._clock()
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            rows = session.execute(
                select(User, SignInThrottle.blocked_until)
                .outerjoin(
                    SignInThrottle,
                    (SignInThrottle.scope == "account")
                    & (SignInThrottle.subject == User.username)
                    & (SignInThrottle.blocked_until > now),
                )
                .order_by(User.username)
            ).all()
            return [user_info(u, until) for u, until in rows]

    def list_dermatologists(self, actor: CurrentUser) -> list[UserInfo]:
        """Active dermatologists, for booking (any role may ask)."""
        with self._db.session() as session:
            authorize(session, actor, ALL_ROLES)
            rows = session.scalars(
                select(User)
                .join(UserRole)
                .where(UserRole.role == Role.DERMATOLOGIST, User.disabled.is_(False))
                .order_by(User.full_name, User.id)
            )
            return [user_info(u) for u in rows]

    def create_user(
        self, actor: CurrentUser, username: str, full_name: str, roles: Role | frozenset[Role], password: str
    ) -> UserInfo:
        """A new account holding ``roles`` (one role or several, e.g. dermatologist and administrator)."""
        name = normalise_username(username)
        check_username(name)
        check_full_name(full_name)
        chosen = check_roles(roles)
        passwords.check_policy(password)
        password_hash = passwords.hash_password(password)
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            if session.scalar(select(User.id).where(User.username == name)) is not None:
                raise DuplicateRecord(_("This user name is already taken."), details="users.username")
            user = User(username=name, full_name=full_name.strip(), password_hash=password_hash, disabled=False)
            user.set_roles(chosen)
            session.add(user)
            session.flush()
            self._audit.record(session, actor.id, AuditAction.CREATE, "users", user.id, f"roles={_roles_text(chosen)}")
            log.info("user %d created user %d (%s)", actor.id, user.id, _roles_text(chosen))
            return user_info(user)

    def set_roles(self, actor: CurrentUser, user_id: int, roles: Role | frozenset[Role]) -> UserInfo:
        """Change the roles an account holds. The last active administrator keeps that role."""
        chosen = check_roles(roles)
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            user = self._get(session, user_id)
            before = user.roles
            losing_admin = Role.ADMIN in before and Role.ADMIN not in chosen and not user.disabled
            if losing_admin and self._active_admins(session) <= 1:
                raise PermissionDenied(_("The last active administrator must stay an administrator."))
            user.set_roles(chosen)
            self._audit.record(
                session, actor.id, AuditAction.UPDATE, "users", user.id,
                f"roles {_roles_text(before)} -> {_roles_text(chosen)}",
            )
            return user_info(user)

    def set_disabled(self, actor: CurrentUser, user_id: int, disabled: bool) -> UserInfo:
        """Disable or re-enable an account. Nobody can lock out themself or the last active admin."""
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            user = self._get(session, user_id)
            if disabled and not user.disabled:
                if user.id == actor.id:
                    raise PermissionDenied(_("You cannot disable your own account."))
                if Role.ADMIN in user.roles and self._active_admins(session) <= 1:
                    raise PermissionDenied(_("The last active administrator cannot be disabled."))
            user.disabled = disabled
            if disabled:
                self._end_sessions(session, user.id)
            self._audit.record(
                session, actor.id, AuditAction.UPDATE, "users", user.id, "disabled" if disabled else "enabled"
            )
            return user_info(user)

    def reset_password(self, actor: CurrentUser, user_id: int, new_password: str) -> None:
        passwords.check_policy(new_password)
        password_hash = passwords.hash_password(new_password)
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            user = self._get(session, user_id)
            user.password_hash = password_hash
            if user.id != actor.id:  # whoever is signed in with the old password is signed out
                self._end_sessions(session, user.id)
            self._audit.record(session, actor.id, AuditAction.UPDATE, "users", user.id, "password reset")

    def _end_sessions(self, session: Session, user_id: int) -> None:
        session.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .values(ended_at=self._clock())
        )

    @staticmethod
    def _get(session: Session, user_id: int) -> User:
        user = session.get(User, user_id)
        if user is None:
            raise RecordNotFound(_("This user does not exist."), details=f"user {user_id}")
        return user

    @staticmethod
    def _active_admins(session: Session) -> int:
        # FOR UPDATE (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers) so two admins
        # disabling each other at the same moment cannot leave the clinic with none.
        rows = session.scalars(
            select(User.id)
            .join(UserRole)
            .where(UserRole.role == Role.ADMIN, User.disabled.is_(False))
            .with_for_update(of=User)
        ).all()
        return len(rows)


def _roles_text(roles: frozenset[Role]) -> str:
    return ",".join(sorted(r.value for r in roles))
