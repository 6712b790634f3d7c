from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from dermstation.core.domain import AuditAction, Role
from dermstation.core.errors import AuthenticationFailed, PermissionDenied, ValidationError
from dermstation.records.models import AuditEvent, User
from dermstation.services import passwords
from dermstation.services.container import Services
from dermstation.services.types import CurrentUser


def stored_hash(services: Services, username: str) -> str:
    with services.database.session() as session:
        return session.scalars(select(User.password_hash).where(User.username == username)).one()


def audit_actions(services: Services) -> list[tuple[AuditAction, int | None]]:
    with services.database.session() as session:
        return [(e.action, e.user_id) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_first_run_setup_creates_one_admin_then_is_refused(services: Services) -> None:
    assert services.auth.needs_setup()
    admin = services.auth.set_up_clinic("  Admin ", "Ada Admin", "admin-password")
    assert admin.roles == {Role.ADMIN}
    assert admin.username == "admin"
    assert not services.auth.needs_setup()
    with pytest.raises(PermissionDenied):
        services.auth.set_up_clinic("second", "Second Admin", "admin-password")
    assert [u.username for u in services.users.list_users(admin)] == ["admin"]


def test_setup_enforces_password_policy(services: Services) -> None:
    with pytest.raises(ValidationError) as info:
        services.auth.set_up_clinic("admin", "Ada", "short")
    assert info.value.field == "password"
    assert services.auth.needs_setup()


def test_password_is_stored_as_argon2id_hash(services: Services, admin: CurrentUser) -> None:
    hashed = stored_hash(services, "admin")
    assert hashed != "admin-password"
    assert "admin-password" not in hashed
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "admin-password")
    assert not passwords.verify_password(hashed, "admin-passwore")


def test_sign_in_returns_user_and_is_audited(services: Services, admin: CurrentUser) -> None:
    user = services.auth.sign_in("ADMIN", "admin-password")
    assert user == admin
    assert audit_actions(services)[-1] == (AuditAction.SIGN_IN, admin.id)


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong-password"), ("nobody", "admin-password"), ("", "")],
)
def test_bad_credentials_fail_with_one_message_and_are_audited(
    services: Services, admin: CurrentUser, username: str, password: str
) -> None:
    with pytest.raises(AuthenticationFailed) as info:
        services.auth.sign_in(username, password)
    assert info.value.message == "The user name or password is wrong, or the account is disabled."
    assert audit_actions(services)[-1][0] is AuditAction.SIGN_IN_FAILED


def test_disabled_account_cannot_sign_in(
    services: Services, admin: CurrentUser, dermatologist: CurrentUser
) -> None:
    services.users.set_disabled(admin, dermatologist.id, True)
    with pytest.raises(AuthenticationFailed) as info:
        services.auth.sign_in("derm", "derm-password")
    assert info.value.message == "The user name or password is wrong, or the account is disabled."
    with services.database.session() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last is not None
        assert (last.action, last.user_id) == (AuditAction.SIGN_IN_FAILED, dermatologist.id)
        assert last.detail.startswith("disabled;")
    services.users.set_disabled(admin, dermatologist.id, False)
    assert services.auth.sign_in("derm", "derm-password") == dermatologist


def test_hash_is_upgraded_when_parameters_change(services: Services, admin: CurrentUser) -> None:
    old_hash = stored_hash(services, "admin")
    passwords.use_hasher(PasswordHasher(time_cost=2, memory_cost=128, parallelism=1))
    services.auth.sign_in("admin", "admin-password")
    new_hash = stored_hash(services, "admin")
    assert new_hash != old_hash
    assert "m=128,t=2" in new_hash
    assert services.auth.sign_in("admin", "admin-password") == admin


def test_change_password(services: Services, admin: CurrentUser) -> None:
    with pytest.raises(AuthenticationFailed):
        services.auth.change_password(admin, "not-the-password", "brand-new-password")
    with pytest.raises(ValidationError):
        services.auth.change_password(admin, "admin-password", "short")
    services.auth.change_password(admin, "admin-password", "brand-new-password")
    with pytest.raises(AuthenticationFailed):
        services.auth.sign_in("admin", "admin-password")
    assert services.auth.sign_in("admin", "brand-new-password") == admin


def test_sign_out_is_audited(services: Services, admin: CurrentUser) -> None:
    services.auth.sign_out(admin)
    assert audit_actions(services)[-1] == (AuditAction.SIGN_OUT, admin.id)
