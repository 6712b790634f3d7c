"""ReferralService: create with the patient's own analyses, status transitions, who sees the reason."""

from __future__ import annotations

from datetime import date

import pytest

from dermstation.core.domain import CaptureSource, ReferralStatus, ReferralUrgency, Sex
from dermstation.core.errors import PermissionDenied, ValidationError
from dermstation.records.columns import utcnow
from dermstation.records.models import AnalysisRecord, ImageCapture, Lesion
from dermstation.services.container import Services
from dermstation.services.reception_types import HospitalInput, ReferralInput
from dermstation.services.types import CurrentUser, PatientInput


def add_analysis(services: Services, patient_id: int, prediction: str = "mel") -> int:
    with services.database.session() as session:
        lesion = Lesion(patient_id=patient_id, body_site="back")
        session.add(lesion)
        session.flush()
        capture = ImageCapture(lesion_id=lesion.id, taken_at=utcnow(), source=CaptureSource.FILE,
                               sha256="0" * 64, size_bytes=1, width=1, height=1)
        session.add(capture)
        session.flush()
        analysis = AnalysisRecord(capture_id=capture.id, model_name="m", model_version="1", probabilities={},
                                  prediction=prediction, malignancy_score=0.8)
        session.add(analysis)
        session.flush()
        return analysis.id


@pytest.fixture
def setup(services: Services, admin: CurrentUser, dermatologist: CurrentUser):  # type: ignore[no-untyped-def]
    reception = services.reception
    hospital = reception.hospitals.add(admin, HospitalInput(name="Onco", specialties=("dermato_oncology",)))
    anna = services.patients.create(dermatologist, PatientInput("MRN-1", "Anna", "Müller", date(1980, 1, 1), Sex.FEMALE))
    ben = services.patients.create(dermatologist, PatientInput("MRN-2", "Ben", "Becker", None))
    return reception.referrals, reception.hospitals, hospital, anna.id, ben.id


def test_create_with_own_analyses_and_track_status(services, setup, dermatologist, receptionist) -> None:  # type: ignore[no-untyped-def]
    referrals, _hospitals, hospital, anna, _ben = setup
    a1, a2 = add_analysis(services, anna), add_analysis(services, anna, "bcc")
    assert [c.id for c in referrals.analyses_for_patient(dermatologist, anna)] == [a2, a1]
    r = referrals.create(dermatologist, ReferralInput(anna, hospital.id, ReferralUrgency.URGENT, " Suspected melanoma ", (a1, a2)))
    assert (r.status, r.reason, r.analysis_ids, r.hospital_name) == (ReferralStatus.DRAFT, "Suspected melanoma", (a1, a2), "Onco")
    for status in (ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.SEEN, ReferralStatus.CLOSED):
        r = referrals.set_status(receptionist, r.id, status)
    assert r.status is ReferralStatus.CLOSED and r.reason == ""  # reception never sees the clinical reason
    with pytest.raises(ValidationError):
        referrals.set_status(dermatologist, r.id, ReferralStatus.SENT)
    listed = referrals.for_patient(dermatologist, anna)
    assert [x.id for x in listed] == [r.id] and listed[0].reason == "Suspected melanoma"
    assert referrals.for_patient(receptionist, anna)[0].reason == ""


def test_invalid_transitions_are_refused(setup, dermatologist) -> None:  # type: ignore[no-untyped-def]
    referrals, _h, hospital, anna, _ben = setup
    r = referrals.create(dermatologist, ReferralInput(anna, hospital.id, ReferralUrgency.ROUTINE, "Review"))
    with pytest.raises(ValidationError) as info:
        referrals.set_status(dermatologist, r.id, ReferralStatus.SEEN)
    assert "Draft" in info.value.message and "Seen" in info.value.message
    assert referrals.set_status(dermatologist, r.id, ReferralStatus.CLOSED).status is ReferralStatus.CLOSED


def test_refused_inputs(services, setup, admin, dermatologist, receptionist) -> None:  # type: ignore[no-untyped-def]
    referrals, hospitals, hospital, anna, ben = setup
    bens = add_analysis(services, ben)
    with pytest.raises(ValidationError) as info:
        referrals.create(dermatologist, ReferralInput(anna, hospital.id, ReferralUrgency.SOON, "x", (bens,)))
    assert info.value.field == "analyses"
    with pytest.raises(ValidationError) as info:
        referrals.create(dermatologist, ReferralInput(anna, hospital.id, ReferralUrgency.SOON, "  "))
    assert info.value.field == "reason"
    with pytest.raises(PermissionDenied):
        referrals.create(receptionist, ReferralInput(anna, hospital.id, ReferralUrgency.SOON, "x"))
    hospitals.retire(admin, hospital.id)
    with pytest.raises(ValidationError) as info:
        referrals.create(dermatologist, ReferralInput(anna, hospital.id, ReferralUrgency.SOON, "x"))
    assert info.value.field == "hospital"
    assert referrals.for_patient(dermatologist, anna) == []
