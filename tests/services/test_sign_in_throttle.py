"""Failed sign-ins slow down and lock, per account name and per workstation; sessions are real tokens.

Time is an injected clock moved by the tests (no sleeping); the database is a real SQLite file (and
PostgreSQL when the suite has a server).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dermstation.core.domain import AuditAction, Role
from dermstation.core.errors import AuthenticationFailed, PermissionDenied, SignInBlocked
from dermstation.records.account_models import UserSession
from dermstation.records.models import AuditEvent
from dermstation.services.auth import ACCOUNT_POLICY, WORKSTATION_POLICY, AuthService
from dermstation.services.container import Services
from dermstation.services.types import CurrentUser, PatientInput
from dermstation.services.users import UserService


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def desk(services: Services, clock: Clock, name: str = "desk-1") -> AuthService:
    """The sign-in service of one workstation, on the shared database."""
    return AuthService(services.database, services.audit, name, clock=clock)


def fail(auth: AuthService, username: str, times: int) -> list[Exception]:
    errors: list[Exception] = []
    for _ in range(times):
        with pytest.raises(AuthenticationFailed) as info:
            auth.sign_in(username, "not-the-password")
        errors.append(info.value)
    return errors


def audit_details(services: Services, action: AuditAction) -> list[str]:
    with services.database.session() as session:
        return list(session.scalars(select(AuditEvent.detail).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.id)))


def test_thirty_wrong_passwords_then_the_right_one_is_refused(services: Services, admin: CurrentUser,
                                                              clock: Clock) -> None:
    auth = desk(services, clock)
    blocked = 0
    for _ in range(30):
        with pytest.raises(AuthenticationFailed) as info:
            auth.sign_in("admin", "guess")
        blocked += isinstance(info.value, SignInBlocked)
        clock.advance(0.1)  # 30 tries in 3 s, as the tester did
    assert blocked == 30 - ACCOUNT_POLICY.free_failures
    refused = [d for d in audit_details(services, AuditAction.SIGN_IN_FAILED) if d.startswith("refused")]
    assert 30 - len(refused) <= ACCOUNT_POLICY.free_failures + 2  # only a handful of guesses were checked
    with pytest.raises(SignInBlocked):
        auth.sign_in("admin", "admin-password")


def test_delay_grows_then_the_account_locks_and_an_admin_unlocks(
    services: Services, admin: CurrentUser, dermatologist: CurrentUser, clock: Clock
) -> None:
    auth = desk(services, clock)
    first = fail(auth, "derm", ACCOUNT_POLICY.free_failures)
    assert not any(isinstance(e, SignInBlocked) for e in first)  # a few typing mistakes cost nothing
    waits = []
    for _ in range(ACCOUNT_POLICY.lock_after - ACCOUNT_POLICY.free_failures - 1):
        (error,) = fail(auth, "derm", 1)
        assert isinstance(error, SignInBlocked) and not error.locked
        assert "wait" in error.message
        waits.append(error.retry_after_s)
        # while blocked the right password is not even checked
        with pytest.raises(SignInBlocked):
            auth.sign_in("derm", "derm-password")
        clock.advance(error.retry_after_s)
    assert waits == sorted(waits) and waits[0] == 2 and waits[-1] > waits[0] * 8  # progressive
    (error,) = fail(auth, "derm", 1)
    assert isinstance(error, SignInBlocked) and error.locked
    assert "locked for 15 minutes" in error.message and "administrator" in error.message
    clock.advance(10 * 60)
    with pytest.raises(SignInBlocked) as still:
        auth.sign_in("derm", "derm-password")
    assert still.value.locked

    # the administrator sees the lock (list and account status) and lifts it, audited
    users = UserService(services.database, services.audit, clock=clock)
    (locked,) = [u for u in users.list_users(admin) if u.locked_until is not None]
    assert locked.username == "derm"
    (lock,) = auth.locks(admin)
    assert (lock.scope, lock.subject, lock.locked) == ("account", "derm", True)
    with pytest.raises(PermissionDenied):
        auth.unlock(dermatologist, "account", "derm")
    auth.unlock(admin, "account", "derm")
    assert auth.locks(admin) == []
    assert any("account unlocked" in d for d in audit_details(services, AuditAction.UPDATE))
    assert auth.sign_in("derm", "derm-password").id == dermatologist.id
    failures = audit_details(services, AuditAction.SIGN_IN_FAILED)
    assert any("account locked 15 min" in d for d in failures)
    assert any(d.startswith("refused, account") for d in failures)
    assert all("not-the-password" not in d for d in failures)


def test_the_lock_ends_by_itself_and_success_forgives(services: Services, admin: CurrentUser,
                                                      clock: Clock) -> None:
    auth = desk(services, clock)
    for _ in range(ACCOUNT_POLICY.lock_after):
        with pytest.raises(AuthenticationFailed):
            auth.sign_in("admin", "guess")
        clock.advance(70)  # longer than any delay: every try is checked
    clock.advance(ACCOUNT_POLICY.lock_for.total_seconds())
    assert auth.sign_in("admin", "admin-password").id == admin.id
    assert fail(auth, "admin", ACCOUNT_POLICY.free_failures)  # counting starts again from zero
    assert not any(isinstance(e, SignInBlocked) for e in fail(auth, "admin", 0))


def test_failures_on_two_workstations_add_up_for_one_account(services: Services, admin: CurrentUser,
                                                             dermatologist: CurrentUser, clock: Clock) -> None:
    one, two = desk(services, clock, "desk-1"), desk(services, clock, "desk-2")
    fail(one, "derm", 2)
    fail(two, "derm", 1)
    (error,) = fail(one, "derm", 1)  # the fourth failure, wherever it happened
    assert isinstance(error, SignInBlocked)
    with pytest.raises(SignInBlocked):
        two.sign_in("derm", "derm-password")
    # other accounts are not held up by it
    assert two.sign_in("admin", "admin-password").id == admin.id


def test_one_workstation_trying_many_names_is_locked_and_the_others_are_not(
    services: Services, admin: CurrentUser, clock: Clock
) -> None:
    busy, other = desk(services, clock, "desk-1"), desk(services, clock, "desk-2")
    blocked = None
    for n in range(WORKSTATION_POLICY.lock_after):
        try:
            busy.sign_in(f"name{n}", "guess")  # a new name each time: no account throttle applies
        except SignInBlocked as exc:
            blocked = exc
        except AuthenticationFailed:
            pass
        clock.advance(600)  # beyond any delay so each attempt is counted
    assert blocked is not None and blocked.locked and "workstation" in blocked.message
    with pytest.raises(SignInBlocked):
        busy.sign_in("admin", "admin-password")  # even a real user, on this workstation
    assert other.sign_in("admin", "admin-password").id == admin.id
    (lock,) = [x for x in busy.locks(admin) if x.scope == "workstation"]
    assert lock.subject == "desk-1"
    busy.unlock(admin, "workstation", "desk-1")
    assert busy.sign_in("admin", "admin-password").id == admin.id


def test_unknown_names_lock_like_real_ones(services: Services, admin: CurrentUser, clock: Clock) -> None:
    """A lock must not tell an attacker which names exist."""
    auth = desk(services, clock)
    real = fail(auth, "admin", ACCOUNT_POLICY.free_failures + 1)[-1]
    ghost = fail(auth, "ghost", ACCOUNT_POLICY.free_failures + 1)[-1]
    assert isinstance(real, SignInBlocked) and isinstance(ghost, SignInBlocked)
    assert real.message == ghost.message


def test_a_forged_user_object_grants_nothing(services: Services, admin: CurrentUser,
                                             receptionist: CurrentUser) -> None:
    """The tester's attack: the administrator's id and name, no password."""
    forged = CurrentUser(admin.id, admin.username, admin.full_name, frozenset({Role.ADMIN}))
    guessed = CurrentUser(admin.id, admin.username, admin.full_name, frozenset({Role.ADMIN}), "0" * 43)
    borrowed = CurrentUser(admin.id, admin.username, admin.full_name, frozenset({Role.ADMIN}), receptionist.token)
    for actor in (forged, guessed, borrowed):
        with pytest.raises(PermissionDenied):
            services.users.create_user(actor, "mallory", "Mallory", Role.ADMIN, "mallory-password")
        with pytest.raises(PermissionDenied):
            services.users.list_users(actor)
    with pytest.raises(AuthenticationFailed):
        services.auth.sign_in("mallory", "mallory-password")
    # tokens are stored only as hashes
    with services.database.session() as session:
        stored = session.scalars(select(UserSession.token_sha256)).all()
    assert admin.token not in stored and len(stored) == 2


def test_signed_out_token_is_dead_and_a_new_session_works(services: Services, admin: CurrentUser) -> None:
    services.auth.sign_out(admin)
    with pytest.raises(PermissionDenied):
        services.users.list_users(admin)
    again = services.auth.sign_in("admin", "admin-password")
    assert again.token != admin.token
    assert len(services.users.list_users(again)) == 1


def test_screen_unlock_checks_the_password_and_is_throttled(services: Services, admin: CurrentUser,
                                                            dermatologist: CurrentUser, clock: Clock) -> None:
    auth = desk(services, clock)
    auth.unlock_screen(dermatologist, "derm-password")
    for _ in range(ACCOUNT_POLICY.free_failures):
        with pytest.raises(AuthenticationFailed):
            auth.unlock_screen(dermatologist, "wrong")
    with pytest.raises(SignInBlocked):
        auth.unlock_screen(dermatologist, "wrong")
    with pytest.raises(SignInBlocked):
        auth.unlock_screen(dermatologist, "derm-password")
    clock.advance(5)
    auth.unlock_screen(dermatologist, "derm-password")
    # the same session goes on: the token still works
    assert services.patients.search(dermatologist, "") is not None
    services.auth.sign_out(dermatologist)
    with pytest.raises(PermissionDenied):
        auth.unlock_screen(dermatologist, "derm-password")


def test_administration_is_not_a_clinical_role(services: Services, admin: CurrentUser,
                                               dermatologist: CurrentUser, receptionist: CurrentUser) -> None:
    patient = services.patients.create(receptionist, PatientInput("MRN-1", "Anna", "Muster", None))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "back", "L1")
    for read in (lambda a: services.patients.search(a, ""), lambda a: services.patients.get(a, patient.id),
                 lambda a: services.patients.chart(a, patient.id)):
        with pytest.raises(PermissionDenied):
            read(admin)
    with pytest.raises(PermissionDenied):
        services.patients.add_lesion(admin, patient.id, "arm", "L2")
    assert services.patients.chart(dermatologist, patient.id).lesions[0].id == lesion.id

    # one person may hold several roles: the same administrator made a dermatologist too
    services.users.set_roles(admin, admin.id, frozenset({Role.ADMIN, Role.DERMATOLOGIST}))
    both = services.auth.sign_in("admin", "admin-password")
    assert both.roles == {Role.ADMIN, Role.DERMATOLOGIST}
    assert services.patients.chart(both, patient.id).patient.notes == ""
    assert len(services.users.list_users(both)) == 3
    # the change reaches the old session too (roles are re-read on every call)
    assert services.patients.get(admin, patient.id).id == patient.id
    assert any(u.roles == {Role.ADMIN, Role.DERMATOLOGIST} for u in services.users.list_dermatologists(both)) is True


def test_the_last_administrator_keeps_that_role(services: Services, admin: CurrentUser) -> None:
    with pytest.raises(PermissionDenied):
        services.users.set_roles(admin, admin.id, frozenset({Role.DERMATOLOGIST}))
    info = services.users.create_user(admin, "it2", "Second IT", frozenset({Role.ADMIN}), "it2-password")
    services.users.set_roles(admin, admin.id, frozenset({Role.DERMATOLOGIST}))
    assert info.roles == {Role.ADMIN}
    with pytest.raises(PermissionDenied):  # no longer an administrator, at once
        services.users.list_users(admin)
    roles_audit = audit_details(services, AuditAction.UPDATE)
    assert "roles admin -> dermatologist" in roles_audit


def test_a_password_reset_or_disabling_ends_the_users_sessions(services: Services, admin: CurrentUser,
                                                               dermatologist: CurrentUser) -> None:
    assert services.patients.search(dermatologist, "") == []
    services.users.reset_password(admin, dermatologist.id, "a-new-password")
    with pytest.raises(PermissionDenied):  # the session opened with the old password is over
        services.patients.search(dermatologist, "")
    again = services.auth.sign_in("derm", "a-new-password")
    services.users.set_disabled(admin, dermatologist.id, True)
    services.users.set_disabled(admin, dermatologist.id, False)
    with pytest.raises(PermissionDenied):  # re-enabling does not revive the old session
        services.patients.search(again, "")
    assert services.users.list_users(admin)  # the administrator's own session is untouched
