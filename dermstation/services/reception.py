"""The Schedule and Hospitals pages' view of the container (``Services.reception``)."""

from __future__ import annotations

from dataclasses import dataclass

from dermstation.services.appointments import AppointmentService
from dermstation.services.assessments import AssessmentService
from dermstation.services.hospital_link import HospitalLink
from dermstation.services.hospitals import HospitalService
from dermstation.services.referrals import ReferralService


@dataclass(frozen=True)
class ReceptionServices:
    appointments: AppointmentService
    hospitals: HospitalService
    referrals: ReferralService
    hospital_link: HospitalLink | None = None  # the worklist (issue 22)
    follow_ups: AssessmentService | None = None  # follow-up requests from signed plans (issue 14)
