"""Wiring for the scheduling and referral services (added to the container by ``build_reception_services``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dermstation.records.columns import utcnow
from dermstation.services.appointments import AppointmentService
from dermstation.services.assessments import AssessmentService
from dermstation.services.container import Services
from dermstation.services.hospital_link import HospitalLink
from dermstation.services.hospitals import HospitalService
from dermstation.services.referrals import ReferralService


@dataclass(frozen=True)
class ReceptionServices:
    appointments: AppointmentService
    hospitals: HospitalService
    referrals: ReferralService
    hospital_link: HospitalLink | None = None  # the worklist (issue 22), when wired
    follow_ups: AssessmentService | None = None  # follow-up requests from signed plans (issue 14)


def build_reception_services(services: Services, clock: Callable[[], datetime] = utcnow) -> ReceptionServices:
    """Appointments, the hospital directory and referrals on the same database, audit log and settings.

    ``clock`` (aware UTC "now") is for tests that book on fixed dates.
    """
    return ReceptionServices(
        appointments=AppointmentService(services.database, services.audit, services.settings_store, clock),
        hospitals=HospitalService(services.database, services.audit, services.settings_store),
        referrals=ReferralService(services.database, services.audit),
        follow_ups=AssessmentService(services.database, services.audit),
    )
