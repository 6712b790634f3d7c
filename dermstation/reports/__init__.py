"""PDF reports (reportlab): lesion report, patient summary, referral letter. No Qt, no database.

Each ``render_*`` takes one frozen value from ``reports.data`` and returns PDF bytes; they hold no
shared state besides reportlab's font registry (filled once, under a lock), so they run on any worker
thread.
"""

from dermstation.reports.data import (
    Assessment,
    ClinicInfo,
    HospitalInfo,
    MetricLine,
    ModelLine,
    PatientIdentifiers,
    PatientSummaryData,
    ReferralData,
    ReferralLesion,
    ReportData,
    SummaryExplanation,
)
from dermstation.reports.lesion_report import render_lesion_report
from dermstation.reports.patient_summary import render_patient_summary
from dermstation.reports.referral_letter import render_referral_letter

__all__ = [
    "Assessment",
    "ClinicInfo",
    "HospitalInfo",
    "MetricLine",
    "ModelLine",
    "PatientIdentifiers",
    "PatientSummaryData",
    "ReferralData",
    "ReferralLesion",
    "ReportData",
    "SummaryExplanation",
    "render_lesion_report",
    "render_patient_summary",
    "render_referral_letter",
]
