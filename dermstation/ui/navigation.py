"""Which sections a role sees, and what they are called. Plain logic, tested without widgets."""

from __future__ import annotations

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
    Role.ADMIN: (Section.PATIENTS, Section.ANALYSIS, Section.SCHEDULE, Section.HOSPITALS, Section.SETTINGS),
}


def sections_for(role: Role) -> tuple[Section, ...]:
    """The sections shown to ``role``, in navigation order."""
    return _SECTIONS_BY_ROLE.get(Role(role), (Section.PATIENTS,))


def sees_clinical_data(role: Role) -> bool:
    """Clinical notes, lesions, captures and analyses: everyone but the reception desk."""
    return Role(role) in (Role.DERMATOLOGIST, Role.ADMIN)


def manages_clinic(role: Role) -> bool:
    """Clinic name and user accounts."""
    return Role(role) is Role.ADMIN


def section_title(section: Section) -> str:
    return {
        Section.PATIENTS: _("Patients"),
        Section.ANALYSIS: _("Analysis"),
        Section.SCHEDULE: _("Schedule"),
        Section.HOSPITALS: _("Hospitals"),
        Section.SETTINGS: _("Settings"),
    }[section]


def role_label(role: Role) -> str:
    return {
        Role.ADMIN: _("Administrator"),
        Role.DERMATOLOGIST: _("Dermatologist"),
        Role.RECEPTIONIST: _("Receptionist"),
    }[Role(role)]
