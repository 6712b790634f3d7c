from __future__ import annotations

import pytest

from dermstation.core.domain import Role
from dermstation.core.errors import DuplicateRecord, PermissionDenied, RecordNotFound, ValidationError
from dermstation.services.container import Services
from dermstation.services.types import CurrentUser


def test_admin_creates_and_lists_users(services: Services, admin: CurrentUser) -> None:
    info = services.users.create_user(admin, "Derm2", "Dr Two", Role.DERMATOLOGIST, "password-2")
    assert (info.username, info.roles, info.disabled) == ("derm2", {Role.DERMATOLOGIST}, False)
    assert info.created_at.tzinfo is not None
    assert [u.username for u in services.users.list_users(admin)] == ["admin", "derm2"]


def test_duplicate_user_name_is_refused(services: Services, admin: CurrentUser) -> None:
    services.users.create_user(admin, "derm", "Dr One", Role.DERMATOLOGIST, "password-1")
    with pytest.raises(DuplicateRecord):
        services.users.create_user(admin, "DERM", "Dr Other", Role.RECEPTIONIST, "password-1")
    assert len(services.users.list_users(admin)) == 2


@pytest.mark.parametrize(
    ("username", "field"), [("", "username"), ("has space", "username"), ("ok", "password")]
)
def test_user_input_is_validated(services: Services, admin: CurrentUser, username: str, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        services.users.create_user(
            admin, username, "Name", Role.RECEPTIONIST, "short" if field == "password" else "long-password"
        )
    assert info.value.field == field


def test_only_admins_manage_users(
    services: Services, admin: CurrentUser, dermatologist: CurrentUser, receptionist: CurrentUser
) -> None:
    for actor in (dermatologist, receptionist):
        with pytest.raises(PermissionDenied):
            services.users.list_users(actor)
        with pytest.raises(PermissionDenied):
            services.users.create_user(actor, "x", "X", Role.ADMIN, "password-x")
        with pytest.raises(PermissionDenied):
            services.users.set_disabled(actor, admin.id, True)
        with pytest.raises(PermissionDenied):
            services.users.reset_password(actor, admin.id, "password-x")
    assert len(services.users.list_users(admin)) == 3


def test_forged_role_grants_nothing(services: Services, receptionist: CurrentUser) -> None:
    forged = CurrentUser(receptionist.id, receptionist.username, receptionist.full_name, frozenset({Role.ADMIN}),
                         receptionist.token)
    with pytest.raises(PermissionDenied):
        services.users.list_users(forged)


def test_admin_cannot_disable_self_or_last_admin(services: Services, admin: CurrentUser) -> None:
    with pytest.raises(PermissionDenied):
        services.users.set_disabled(admin, admin.id, True)
    second = services.users.create_user(admin, "admin2", "Second", Role.ADMIN, "password-2")
    actor2 = services.auth.sign_in("admin2", "password-2")
    services.users.set_disabled(actor2, admin.id, True)  # two active admins: allowed
    with pytest.raises(PermissionDenied):
        services.users.set_disabled(actor2, second.id, True)
    active_admins = [u for u in services.users.list_users(actor2) if Role.ADMIN in u.roles and not u.disabled]
    assert [u.id for u in active_admins] == [second.id]


def test_disabled_user_loses_access_immediately(
    services: Services, admin: CurrentUser, dermatologist: CurrentUser
) -> None:
    assert services.patients.search(dermatologist, "") == []
    services.users.set_disabled(admin, dermatologist.id, True)
    with pytest.raises(PermissionDenied):
        services.patients.search(dermatologist, "")


def test_reset_password(services: Services, admin: CurrentUser, dermatologist: CurrentUser) -> None:
    services.users.reset_password(admin, dermatologist.id, "fresh-password")
    assert services.auth.sign_in("derm", "fresh-password") == dermatologist
    with pytest.raises(RecordNotFound):
        services.users.reset_password(admin, 9999, "fresh-password")


def test_any_role_lists_active_dermatologists(
    services: Services, admin: CurrentUser, dermatologist: CurrentUser, receptionist: CurrentUser
) -> None:
    away = services.users.create_user(admin, "derm2", "Dr Away", Role.DERMATOLOGIST, "password-2")
    listed = services.users.list_dermatologists(receptionist)
    assert [u.username for u in listed] == ["derm2", "derm"]  # by full name
    services.users.set_disabled(admin, away.id, True)
    assert [u.id for u in services.users.list_dermatologists(receptionist)] == [dermatologist.id]
    assert all(Role.DERMATOLOGIST in u.roles for u in services.users.list_dermatologists(dermatologist))
