"""Clinic settings, read by anyone and changed by administrators."""

from __future__ import annotations

from dermstation.core.config import Paths, Settings, load_settings, save_settings
from dermstation.core.domain import Role
from dermstation.core.errors import PermissionDenied, ValidationError
from dermstation.core.i18n import _
from dermstation.services.types import CurrentUser


class SettingsStore:
    def __init__(self, paths: Paths) -> None:
        self._paths = paths

    def load(self) -> Settings:
        return load_settings(self._paths)

    def save(self, actor: CurrentUser, settings: Settings) -> None:
        """Persist clinic-wide settings (administrators only)."""
        if actor.role != Role.ADMIN:
            raise PermissionDenied(_("Only an administrator can change the clinic settings."))
        _check(settings)
        save_settings(self._paths, settings)

    def set_clinic_name(self, name: str) -> Settings:
        """Set the clinic's name; meant for first-run set-up, before any user exists."""
        name = name.strip()
        if not name:
            raise ValidationError(_("Please enter the clinic's name."), field="clinic_name")
        settings = self.load().with_changes(clinic_name=name)
        _check(settings)
        save_settings(self._paths, settings)
        return settings


def _check(settings: Settings) -> None:
    if len(settings.clinic_name) > 200:
        raise ValidationError(_("The clinic's name is too long."), field="clinic_name")
    lat, lon = settings.clinic_latitude, settings.clinic_longitude
    if lat is not None and not -90 <= lat <= 90:
        raise ValidationError(_("The latitude must be between -90 and 90."), field="clinic_latitude")
    if lon is not None and not -180 <= lon <= 180:
        raise ValidationError(_("The longitude must be between -180 and 180."), field="clinic_longitude")
    if settings.execution_provider not in ("auto", "cpu"):
        raise ValidationError(_("Unknown execution provider."), field="execution_provider")
