"""Which sections a role sees, and what they are called. Plain logic, tested without widgets."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from dermstation.core.domain import Role
from dermstation.core.i18n import _


class Section(StrEnum):
    PATIENTS = "patients"
    ANALYSIS = "analysis"
    SCHEDULE = "schedule"
    HOSPITALS = "hospitals"
    SETTINGS = "settings"


_SECTIONS_BY_ROLE: dict[Role, tuple[Section, ...]] = {
    # A receptionist books and registers patients; analyses and clinical notes stay hidden.
    Role.RECEPTIONIST: (Section.PATIENTS, Section.SCHEDULE, Section.HOSPITALS),
    Role.DERMATOLOGIST: (Section.PATIENTS, Section.ANALYSIS, Section.SCHEDULE, Section.HOSPITALS, Section.SETTINGS),
    # administration is not a clinical role: accounts, clinic settings and the hospital directory only
    Role.ADMIN: (Section.HOSPITALS, Section.SETTINGS),
}


def sections_for(roles: Iterable[Role]) -> tuple[Section, ...]:
    """The sections shown to someone holding ``roles`` (every section any of them sees), in navigation order."""
    shown = {s for role in roles for s in _SECTIONS_BY_ROLE.get(Role(role), ())}
    return tuple(s for s in Section if s in shown)


def sees_clinical_data(roles: Iterable[Role]) -> bool:
    """Clinical notes, lesions, captures and analyses: dermatologists only (not reception, not IT)."""
    return Role.DERMATOLOGIST in set(roles)


def manages_clinic(roles: Iterable[Role]) -> bool:
    """Clinic settings and user accounts."""
    return Role.ADMIN in set(roles)


def section_title(section: Section) -> str:
    return {
        Section.PATIENTS: _("Patients"),
        Section.ANALYSIS: _("Analysis"),
        Section.SCHEDULE: _("Schedule"),
        Section.HOSPITALS: _("Hospitals"),
        Section.SETTINGS: _("Settings"),
    }[section]


def roles_label(roles: Iterable[Role]) -> str:
    """"Dermatologist, Administrator": clinical roles first."""
    order = (Role.DERMATOLOGIST, Role.RECEPTIONIST, Role.ADMIN)
    held = set(roles)
    return ", ".join(role_label(r) for r in order if r in held)


def role_label(role: Role) -> str:
    return {
        Role.ADMIN: _("Administrator"),
        Role.DERMATOLOGIST: _("Dermatologist"),
        Role.RECEPTIONIST: _("Receptionist"),
    }[Role(role)]
