"""A clinic with one patient, one picture analysed by the model as "bkl", a hospital, and a signing helper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import cv2
import pytest
from sample_data import ph2_path

from dermstation.core.assessments import Plan, PlanKind, SignedAssessment
from dermstation.core.domain import CaptureSource, ReferralUrgency
from dermstation.records.models import AnalysisRecord, ReferralHospital
from dermstation.services.assessments import AssessmentService
from dermstation.services.container import Services
from dermstation.services.reports import ReportService
from dermstation.services.types import CurrentUser, PatientInput

# The model's opinion in every test here: "benign keratosis", confidently, with a low malignancy score.
MODEL_SAYS = {"akiec": 0.01, "bcc": 0.01, "bkl": 0.9, "df": 0.02, "mel": 0.03, "nv": 0.02, "vasc": 0.01}
HOSPITAL = "Addenbrooke's Hospital"


@dataclass(frozen=True)
class Clinic:
    patient_id: int
    lesion_id: int
    analysis_id: int
    hospital_id: int


@pytest.fixture
def clinic(services: Services, dermatologist: CurrentUser, admin: CurrentUser) -> Clinic:
    services.settings_store.set_clinic_name("Riverside Dermatology Clinic")
    patient = services.patients.create(dermatologist, PatientInput(
        "MRN-004711", "Adaeze", "Okonkwo", date(1979, 4, 23), phone="+44 7700 900123",
        email="adaeze.okonkwo@example.org", address="4 Orchard Way, Cambridge CB1 2AB"))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left upper back", "L1")
    image = cv2.imread(str(ph2_path("IMD002")))
    png = cv2.imencode(".png", image)[1].tobytes()
    capture = services.captures.add_capture(dermatologist, lesion.id, png, CaptureSource.FILE,
                                            image.shape[1], image.shape[0], "IMD002.png", 0.02)
    with services.database.session() as session:
        analysis = AnalysisRecord(capture_id=capture.id, model_name="ham10000-effnet-b0", model_version="1.3.0",
                                  threshold=0.28, probabilities=MODEL_SAYS, prediction="bkl",
                                  malignancy_score=0.05, quality_flags=[], provider="CPU")
        hospital = ReferralHospital(name=HOSPITAL, address="Hills Road", city="Cambridge", country="United Kingdom",
                                    accepts_referrals=True)
        session.add_all([analysis, hospital])
        session.flush()
        return Clinic(patient.id, lesion.id, analysis.id, hospital.id)


@pytest.fixture
def assessments(services: Services) -> AssessmentService:
    return AssessmentService(services.database, services.audit)


@pytest.fixture
def reports(services: Services) -> ReportService:
    return ReportService(services.database, services.audit, services.image_store, services.settings_store)


def plan_for(kind: str, clinic: Clinic) -> Plan:
    """A complete plan for a plan text key ("monitor", "referral_urgent", ...)."""
    if kind in ("monitor", "dermoscopic_follow_up"):
        return Plan(PlanKind(kind), follow_up_months=3)
    if kind.startswith("referral"):
        urgency = ReferralUrgency.URGENT if kind == "referral_urgent" else ReferralUrgency.ROUTINE
        return Plan(PlanKind.REFERRAL, urgency=urgency, hospital_id=clinic.hospital_id)
    return Plan(PlanKind(kind))


def sign(assessments: AssessmentService, actor: CurrentUser, clinic: Clinic, code: str,
         plan: str = "reassure_self_exam", notes: str = "") -> SignedAssessment:
    return assessments.sign(actor, clinic.analysis_id, code, plan_for(plan, clinic), notes)
