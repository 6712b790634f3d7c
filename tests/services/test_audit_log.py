from __future__ import annotations

import pytest

from dermstation.core.domain import AuditAction
from dermstation.core.errors import PermissionDenied
from dermstation.services.container import Services
from dermstation.services.types import CurrentUser


def test_recent_is_newest_first_with_usernames(
    services: Services, admin: CurrentUser, dermatologist: CurrentUser
) -> None:
    services.patients.search(dermatologist, "")
    entries = services.audit.recent(admin, 3)
    assert len(entries) == 3
    assert entries[0].action is AuditAction.SEARCH
    assert (entries[0].username, entries[0].table, entries[0].record_id) == ("derm", "patients", None)
    assert [e.id for e in entries] == sorted((e.id for e in entries), reverse=True)
    assert entries[0].at.tzinfo is not None


def test_failed_sign_in_of_unknown_user_has_no_user(services: Services, admin: CurrentUser) -> None:
    with pytest.raises(Exception):  # noqa: B017 - AuthenticationFailed, checked in test_auth_service
        services.auth.sign_in("ghost", "whatever-password")
    (last,) = services.audit.recent(admin, 1)
    assert (last.action, last.user_id, last.username) == (AuditAction.SIGN_IN_FAILED, None, "")


def test_only_admins_read_the_trail(
    services: Services, dermatologist: CurrentUser, receptionist: CurrentUser
) -> None:
    for actor in (dermatologist, receptionist):
        with pytest.raises(PermissionDenied):
            services.audit.recent(actor, 10)


def test_record_truncates_detail(services: Services, admin: CurrentUser) -> None:
    with services.database.session() as session:
        services.audit.record(session, admin.id, AuditAction.EXPORT, "patients", 1, "x" * 500)
    (last,) = services.audit.recent(admin, 1)
    assert last.action is AuditAction.EXPORT and len(last.detail) == 200
