"""Signing in and out, first-run set-up, changing one's own password, unlocking the screen.

Failed attempts are throttled per account name and per workstation (see ``ThrottlePolicy``): after a
few free mistakes each further failure makes the next attempt wait longer, and many failures lock
sign-in for a while. While blocked, no password is even checked. An administrator can lift a lock
early. Every attempt, refusal, lock and unlock leaves an audit event. Time comes from an injected
clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dermstation.core.domain import AuditAction, Role
from dermstation.core.errors import AuthenticationFailed, PermissionDenied, SignInBlocked, ValidationError
from dermstation.core.i18n import _
from dermstation.records.account_models import SignInThrottle, UserSession
from dermstation.records.columns import utcnow
from dermstation.records.database import Database
from dermstation.records.models import User
from dermstation.services import passwords
from dermstation.services.audit import AuditLog
from dermstation.services.permissions import ADMIN_ONLY, ALL_ROLES, authorize, token_digest
from dermstation.services.types import CurrentUser
from dermstation.services.users import check_full_name, check_username, normalise_username

log = logging.getLogger(__name__)

# A hash of a random password: verifying against it when the user does not exist keeps the time
# taken the same, so response time does not tell which user names exist.
_DUMMY_HASH: str | None = None
_SETUP_LOCK = 0x44455254  # advisory lock key for first-run set-up
_SUBJECT_MAX = 128  # throttle keys: longer typed names cannot exist as accounts anyway

ACCOUNT = "account"
WORKSTATION = "workstation"


@dataclass(frozen=True)
class ThrottlePolicy:
    """How failed sign-ins slow down and then lock one account name or one workstation."""

    free_failures: int  # mistakes allowed with no wait
    lock_after: int  # this many failures in a row lock sign-in for ``lock_for``
    lock_for: timedelta
    forget_after: timedelta  # a quiet spell this long starts the count again
    max_delay: timedelta = timedelta(minutes=1)  # the longest wait before the lock

    def block_after(self, failures: int) -> tuple[timedelta, bool]:
        """How long the next attempt waits after ``failures`` failures, and whether that is a lock."""
        if failures >= self.lock_after:
            return self.lock_for, True
        if failures <= self.free_failures:
            return timedelta(0), False
        # 2 s, 4 s, 8 s ... up to ``max_delay``
        return min(timedelta(seconds=2 ** min(failures - self.free_failures, 20)), self.max_delay), False


# A person mistyping gets three free tries; a guesser gets about a dozen an hour.
ACCOUNT_POLICY = ThrottlePolicy(
    free_failures=3, lock_after=10, lock_for=timedelta(minutes=15), forget_after=timedelta(hours=1)
)
# Per workstation, over every name typed there: catches one machine trying many names.
WORKSTATION_POLICY = ThrottlePolicy(
    free_failures=10, lock_after=30, lock_for=timedelta(minutes=15), forget_after=timedelta(hours=1)
)
_POLICIES = {ACCOUNT: ACCOUNT_POLICY, WORKSTATION: WORKSTATION_POLICY}


@dataclass(frozen=True)
class SignInLock:
    """A throttle that currently refuses sign-in (shown to administrators)."""

    scope: str  # ACCOUNT or WORKSTATION
    subject: str  # the user name or the workstation's name
    failures: int
    blocked_until: datetime
    locked: bool  # a lock (not just a short delay)


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = passwords.hash_password("not-a-real-password-0123456789")
    return _DUMMY_HASH


def _wait_text(seconds: int) -> str:
    if seconds >= 120:
        return _("{n} minutes").format(n=math.ceil(seconds / 60))
    return _("{n} seconds").format(n=seconds)


def _blocked_message(seconds: int, locked: bool, scope: str) -> str:
    if locked and scope == WORKSTATION:
        return _(
            "Too many failed sign-ins on this workstation. Sign-in here is locked for {wait}; "
            "an administrator can unlock it sooner."
        ).format(wait=_wait_text(seconds))
    if locked:
        return _(
            "Too many failed sign-ins. This account is locked for {wait}; an administrator can unlock it sooner."
        ).format(wait=_wait_text(seconds))
    return _("Too many failed sign-ins. Please wait {wait} before trying again.").format(wait=_wait_text(seconds))


class AuthService:
    def __init__(
        self,
        database: Database,
        audit: AuditLog,
        workstation: str = "",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._db = database
        self._audit = audit
        self.workstation = (workstation.strip() or "workstation")[:_SUBJECT_MAX]
        self._clock = clock

    # --- first run ------------------------------------------------------------------------------
    def needs_setup(self) -> bool:
        """True until the first (admin) account exists."""
        with self._db.session() as session:
            return session.scalar(select(func.count()).select_from(User)) == 0

    def set_up_clinic(
        self,
        admin_username: str,
        admin_full_name: str,
        password: str,
        also: frozenset[Role] = frozenset(),
    ) -> CurrentUser:
        """Create the first administrator (who may ``also`` hold clinical roles); refused once any user exists."""
        username = normalise_username(admin_username)
        check_username(username)
        check_full_name(admin_full_name)
        passwords.check_policy(password)
        password_hash = passwords.hash_password(password)
        roles = frozenset({Role.ADMIN}) | frozenset(also)
        with self._db.session() as session:
            if self._db.backend == "postgresql":  # two workstations finishing set-up at once
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SETUP_LOCK})
            if session.scalar(select(func.count()).select_from(User)) != 0:
                raise PermissionDenied(_("This clinic is already set up."))
            user = User(username=username, full_name=admin_full_name.strip(), password_hash=password_hash, disabled=False)
            user.set_roles(roles)
            session.add(user)
            session.flush()
            self._audit.record(
                session, user.id, AuditAction.CREATE, "users", user.id,
                "first administrator; roles=" + ",".join(sorted(r.value for r in roles)),
            )
            log.info("clinic set up; administrator is user %d", user.id)
            return self._start_session(session, user)

    # --- sign in / out ----------------------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> CurrentUser:
        """A new session for the user, if the name and password match an active account.

        Raises ``SignInBlocked`` while the account name or this workstation is throttled (the
        password is not checked then), ``AuthenticationFailed`` for a wrong name or password.
        """
        name = normalise_username(username)[:_SUBJECT_MAX]
        with self._db.session() as session:
            user = session.scalar(select(User).where(User.username == name))
            blocked = self._refusal(session, name, user)
            if blocked is None:
                if user is None:
                    passwords.verify_password(_dummy_hash(), password)
                    ok = False
                else:
                    ok = passwords.verify_password(user.password_hash, password) and not user.disabled
                if ok:
                    assert user is not None
                    if passwords.needs_rehash(user.password_hash):
                        user.password_hash = passwords.hash_password(password)
                    self._clear(session, name)
                    self._audit.record(session, user.id, AuditAction.SIGN_IN, "users", user.id,
                                       f"workstation {self.workstation}")
                    log.info("user %d signed in", user.id)
                    return self._start_session(session, user)
                reason = "unknown user" if user is None else ("disabled" if user.disabled else "wrong password")
                blocked = self._count_failure(session, name, user, reason)
        # the audit events are committed with the transaction above; the error is raised after it
        if blocked is not None:
            raise blocked
        log.info("failed sign-in")
        raise AuthenticationFailed(_("The user name or password is wrong, or the account is disabled."))

    def sign_out(self, user: CurrentUser) -> None:
        """End the session: its token grants nothing from now on."""
        with self._db.session() as session:
            row = self._live_session(session, user)
            if row is not None:
                row.ended_at = self._clock()
                self._audit.record(session, user.id, AuditAction.SIGN_OUT, "users", user.id)

    def unlock_screen(self, user: CurrentUser, password: str) -> None:
        """Check the password of the user whose screen was locked (idle); throttled like a sign-in.

        The session stays the same, so work typed before the lock is kept.
        """
        with self._db.session() as session:
            row = session.get(User, user.id)
            live = self._live_session(session, user) if row is not None else None
            if row is None or live is None or row.disabled or row.username != user.username:
                raise PermissionDenied(_("Your account is not active. Please sign in again."))
            blocked = self._refusal(session, row.username, row)
            if blocked is None:
                if passwords.verify_password(row.password_hash, password):
                    self._clear(session, row.username)
                    self._audit.record(session, row.id, AuditAction.SIGN_IN, "users", row.id,
                                       f"screen unlocked on workstation {self.workstation}")
                    return
                blocked = self._count_failure(session, row.username, row, "wrong password (screen lock)")
        if blocked is not None:
            raise blocked
        raise AuthenticationFailed(_("The password is wrong."))

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

    # --- locks (administrators) -----------------------------------------------------------------
    def locks(self, actor: CurrentUser) -> list[SignInLock]:
        """Account names and workstations whose sign-in is refused right now."""
        now = self._clock()
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            rows = session.scalars(
                select(SignInThrottle)
                .where(SignInThrottle.blocked_until > now)
                .order_by(SignInThrottle.scope, SignInThrottle.subject)
            )
            return [_lock_info(r) for r in rows]

    def unlock(self, actor: CurrentUser, scope: str, subject: str) -> None:
        """Lift a delay or lock and forget the failures counted against an account name or workstation."""
        if scope not in _POLICIES:
            raise ValidationError(_("Unknown kind of lock."), field="scope")
        with self._db.session() as session:
            authorize(session, actor, ADMIN_ONLY)
            row = session.scalar(
                select(SignInThrottle).where(SignInThrottle.scope == scope, SignInThrottle.subject == subject)
            )
            if row is None:
                return
            was = f"{row.failures} failures"
            row.failures = 0
            row.blocked_until = None
            user_id = session.scalar(select(User.id).where(User.username == subject)) if scope == ACCOUNT else None
            self._audit.record(session, actor.id, AuditAction.UPDATE, "sign_in_throttles", row.id,
                               f"{scope} unlocked ({was}); user {user_id}" if user_id else f"{scope} unlocked ({was})")
            log.info("user %d unlocked a %s throttle", actor.id, scope)

    # --- internals ------------------------------------------------------------------------------
    def _start_session(self, session: Session, user: User) -> CurrentUser:
        token = secrets.token_urlsafe(32)
        session.add(UserSession(user_id=user.id, token_sha256=token_digest(token),
                                workstation=self.workstation, started_at=self._clock()))
        session.flush()
        return CurrentUser(id=user.id, username=user.username, full_name=user.full_name,
                           roles=user.roles, token=token)

    def _live_session(self, session: Session, user: CurrentUser) -> UserSession | None:
        if not user.token:
            return None
        return session.scalar(
            select(UserSession).where(
                UserSession.token_sha256 == token_digest(user.token),
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
            )
        )

    def _subjects(self, name: str) -> tuple[tuple[str, str], ...]:
        return ((ACCOUNT, name), (WORKSTATION, self.workstation))

    def _refusal(self, session: Session, name: str, user: User | None) -> SignInBlocked | None:
        """The error to raise (after auditing) if the name or this workstation is blocked now."""
        now = self._clock()
        for scope, subject in self._subjects(name):
            row = session.scalar(
                select(SignInThrottle).where(SignInThrottle.scope == scope, SignInThrottle.subject == subject)
            )
            if row is not None and row.blocked_until is not None and row.blocked_until > now:
                wait = math.ceil((row.blocked_until - now).total_seconds())
                locked = row.failures >= _POLICIES[scope].lock_after
                self._audit.record(session, user.id if user else None, AuditAction.SIGN_IN_FAILED, "users",
                                   user.id if user else None,
                                   f"refused, {scope} {'locked' if locked else 'delayed'} {wait} s; "
                                   f"workstation {self.workstation}")
                return SignInBlocked(_blocked_message(wait, locked, scope), wait, locked, details=scope)
        return None

    def _count_failure(self, session: Session, name: str, user: User | None, reason: str) -> SignInBlocked | None:
        """Count one failure against the name and this workstation; the block that follows, if any."""
        now = self._clock()
        worst: tuple[timedelta, bool, str] = (timedelta(0), False, ACCOUNT)
        notes = []
        for scope, subject in self._subjects(name):
            policy = _POLICIES[scope]
            row = self._throttle_for_update(session, scope, subject, now)
            if now - row.last_failure_at > policy.forget_after:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            wait, locked = policy.block_after(row.failures)
            row.blocked_until = now + wait if wait else None
            if locked:
                notes.append(f"{scope} locked {int(wait.total_seconds() // 60)} min")
            elif wait:
                notes.append(f"{scope} delay {int(wait.total_seconds())} s")
            if (locked, wait) > (worst[1], worst[0]):
                worst = (wait, locked, scope)
        self._audit.record(session, user.id if user else None, AuditAction.SIGN_IN_FAILED, "users",
                           user.id if user else None,
                           "; ".join([reason, *notes, f"workstation {self.workstation}"]))
        wait, locked, scope = worst
        if not wait:
            return None
        seconds = math.ceil(wait.total_seconds())
        message = _("The user name or password is wrong, or the account is disabled.") + " " + _blocked_message(
            seconds, locked, scope
        )
        return SignInBlocked(message, seconds, locked, details=scope)

    def _throttle_for_update(self, session: Session, scope: str, subject: str, now: datetime) -> SignInThrottle:
        # insert-if-missing first, so two workstations failing at once both count (no lost update)
        insert = pg_insert if self._db.backend == "postgresql" else sqlite_insert
        session.execute(
            insert(SignInThrottle)
            .values(scope=scope, subject=subject, failures=0, last_failure_at=now, blocked_until=None)
            .on_conflict_do_nothing()
        )
        row = session.scalar(
            select(SignInThrottle)
            .where(SignInThrottle.scope == scope, SignInThrottle.subject == subject)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None
        return row

    def _clear(self, session: Session, name: str) -> None:
        """A correct password forgives earlier mistakes on this name and this workstation."""
        for scope, subject in self._subjects(name):
            row = session.scalar(
                select(SignInThrottle).where(SignInThrottle.scope == scope, SignInThrottle.subject == subject)
            )
            if row is not None and row.failures:
                row.failures = 0
                row.blocked_until = None


def _lock_info(row: SignInThrottle) -> SignInLock:
    assert row.blocked_until is not None
    return SignInLock(row.scope, row.subject, row.failures, row.blocked_until,
                      row.failures >= _POLICIES[row.scope].lock_after)
