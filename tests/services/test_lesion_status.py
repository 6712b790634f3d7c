"""The body map's lesion status, from stored data only (both database backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import cv2
import pytest
from analysis_rows import measured
from sample_data import ph2_case

from dermstation.core.assessments import Plan, PlanKind
from dermstation.core.domain import CaptureSource, ReferralUrgency
from dermstation.inference.metrics import Measurement
from dermstation.records.models import AnalysisRecord, ReferralHospital
from dermstation.services.assessments import AssessmentService
from dermstation.services.container import Services
from dermstation.services.lesion_status import LesionStatus, size_change
from dermstation.services.types import CurrentUser, PatientInput


def _sizes(diameter: float, unit: str = "mm") -> tuple[Measurement, ...]:
    return (Measurement("diameter", diameter, unit, ""),
            Measurement("area", diameter * diameter, "mm²" if unit == "mm" else "px²", ""))


def test_size_change_needs_millimetres_on_both() -> None:
    assert size_change(_sizes(5.0), _sizes(6.0)) == pytest.approx((20.0, 44.0))
    assert size_change(_sizes(5.0), _sizes(600.0, "px")) is None
    assert size_change(_sizes(300.0, "px"), _sizes(600.0, "px")) is None
    assert size_change((), _sizes(6.0)) is None
    assert size_change(_sizes(0.0), _sizes(6.0)) is None  # no size to compare with


def test_the_latest_signed_plan_decides_then_the_sizes(services: Services, dermatologist: CurrentUser) -> None:
    """Referred in January; in July (signed: monitor) the lesion has grown: it shows as changed, not referred."""
    signer = AssessmentService(services.database, services.audit)
    patient = services.patients.create(dermatologist, PatientInput("MRN-S", "Ana", "Silva", date(1970, 1, 1)))
    lesion = services.patients.add_lesion(dermatologist, patient.id, "left calf", "")
    rgb, _mask = ph2_case("IMD002")
    png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()

    def picture(when: datetime, diameter: float) -> int:
        capture = services.captures.add_capture(dermatologist, lesion.id, png, CaptureSource.FILE, rgb.shape[1],
                                                rgb.shape[0], "x.png", 0.02, when)
        with services.database.session() as session:
            row = AnalysisRecord(capture_id=capture.id, model_name="m", model_version="1",
                                 probabilities={"nv": 1.0}, prediction="nv", malignancy_score=0.1,
                                 measurements=measured({m.name: (m.value, m.unit) for m in _sizes(diameter)}),
                                 quality_flags=[], provider="CPU")
            session.add(row)
            session.flush()
            return row.id

    def status() -> LesionStatus:
        return LesionStatus(services.patients.chart(dermatologist, patient.id).lesions[0].status)

    assert status() == LesionStatus.NEW  # no picture at all
    first = picture(datetime(2026, 1, 5, tzinfo=UTC), 5.0)
    assert status() == LesionStatus.NEW
    with services.database.session() as session:
        hospital = ReferralHospital(name="General", city="Porto", country="Portugal")
        session.add(hospital)
        session.flush()
        hospital_id = hospital.id
    signer.sign(dermatologist, first, "nv.common",
                Plan(PlanKind.REFERRAL, urgency=ReferralUrgency.ROUTINE, hospital_id=hospital_id))
    assert status() == LesionStatus.REFERRED
    second = picture(datetime(2026, 7, 5, tzinfo=UTC), 6.5)
    assert status() == LesionStatus.REFERRED  # the newer picture is not signed yet: the referral stands
    signer.sign(dermatologist, second, "nv.common", Plan(PlanKind.MONITOR, follow_up_months=6))
    assert status() == LesionStatus.CHANGED  # +30 % diameter, beyond the 14 % repeat-capture noise
    third = picture(datetime(2027, 1, 5, tzinfo=UTC), 6.6)
    assert status() == LesionStatus.STABLE  # the last two pictures: +1.5 %
    signer.sign(dermatologist, third, "nv.common", Plan(PlanKind.BIOPSY))
    assert status() == LesionStatus.EXCISED
