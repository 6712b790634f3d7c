"""Signing in and out, first-run set-up, changing one's own password."""

from __future__ import annotations

import logging

from sqlalchemy import func, select, text

from dermstation.core.domain import AuditAction, Role
from dermstation.core.errors import AuthenticationFailed, PermissionDenied
from dermstation.core.i18n import _
from dermstation.records.database import Database
from dermstation.records.models import User
from dermstation.services import passwords
from dermstation.services.audit import AuditLog
from dermstation.services.permissions import ALL_ROLES, authorize
from dermstation.services.types import CurrentUser
from dermstation.services.users import check_full_name, check_username, normalise_username

log = logging.getLogger(__name__)

# A hash of a random password: verifying against it when the user does not exist keeps the time
# taken the same, so response time does not tell which user names exist.
_DUMMY_HASH: str | None = None
_SETUP_LOCK = 0x44455254  # advisory lock key for first-run set-up


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = passwords.hash_password("not-a-real-password-0123456789")
    return _DUMMY_HASH


def current_user(user: User) -> CurrentUser:
    return CurrentUser(id=user.id, username=user.username, full_name=user.full_name, role=user.role)


class AuthService:
    def __init__(self, database: Database, audit: AuditLog) -> None:
        self._db = database
        self._audit = audit

    def needs_setup(self) -> bool:
        """True until the first (admin) account exists."""
        with self._db.session() as session:
            return session.scalar(select(func.count()).select_from(User)) == 0

    def set_up_clinic(self, admin_username: str, admin_full_name: str, password: str) -> CurrentUser:
        """Create the first administrator; refused once any user exists."""
        username = normalise_username(admin_username)
        check_username(username)
        check_full_name(admin_full_name)
        passwords.check_policy(password)
        password_hash = passwords.hash_password(password)
        with self._db.session() as session:
            if self._db.backend == "postgresql":  # two workstations finishing set-up at once
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SETUP_LOCK})
            if session.scalar(select(func.count()).select_from(User)) != 0:
                raise PermissionDenied(_("This clinic is already set up."))
            user = User(
                username=username,
                full_name=admin_full_name.strip(),
                role=Role.ADMIN,
                password_hash=password_hash,
                disabled=False,
            )
            session.add(user)
            session.flush()
            self._audit.record(session, user.id, AuditAction.CREATE, "users", user.id, "first administrator")
            log.info("clinic set up; administrator is user %d", user.id)
            return current_user(user)

    def sign_in(self, username: str, password: str) -> CurrentUser:
        """The user, if the name and password match an active account; else AuthenticationFailed."""
        name = normalise_username(username)
        with self._db.session() as session:
            user = session.scalar(select(User).where(User.username == name))
            if user is None:
                passwords.verify_password(_dummy_hash(), password)
                ok = False
            else:
                ok = passwords.verify_password(user.password_hash, password) and not user.disabled
            if ok:
                assert user is not None
                if passwords.needs_rehash(user.password_hash):
                    user.password_hash = passwords.hash_password(password)
                self._audit.record(session, user.id, AuditAction.SIGN_IN, "users", user.id)
                log.info("user %d signed in", user.id)
                return current_user(user)
            # the failure is committed with this transaction; the error is raised after it
            reason = "unknown user" if user is None else ("disabled" if user.disabled else "wrong password")
            self._audit.record(
                session,
                user.id if user is not None else None,
                AuditAction.SIGN_IN_FAILED,
                "users",
                user.id if user is not None else None,
                reason,
            )
        log.info("failed sign-in (%s)", reason)
        raise AuthenticationFailed(_("The user name or password is wrong, or the account is disabled."))

    def sign_out(self, user: CurrentUser) -> None:
        with self._db.session() as session:
            if session.get(User, user.id) is not None:
                self._audit.record(session, user.id, AuditAction.SIGN_OUT, "users", user.id)

    def change_password(self, user: CurrentUser, old: str, new: str) -> None:
        """Change one's own password; the old one must be given."""
        passwords.check_policy(new)
        new_hash = passwords.hash_password(new)
        with self._db.session() as session:
            row = authorize(session, user, ALL_ROLES)
            if not passwords.verify_password(row.password_hash, old):
                raise AuthenticationFailed(_("The current password is wrong."))
            row.password_hash = new_hash
            self._audit.record(session, user.id, AuditAction.UPDATE, "users", user.id, "password changed")
