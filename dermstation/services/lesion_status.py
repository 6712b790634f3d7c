"""A lesion's status for the body map, from what is stored: signed plans and the last two analysed pictures.

Cheap by design: the chart lists every lesion, so nothing here decodes or aligns a picture. Change is the
stored sizes (mm) of the last two analysed pictures against the repeatability limits the aligned
comparison uses; History's aligned comparison is the one to trust for a single lesion.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy.orm import Session

from dermstation.core.assessments import PlanKind
from dermstation.inference.follow_up import AREA_NOISE_PCT, DIAMETER_NOISE_PCT
from dermstation.inference.metrics import Measurement
from dermstation.records.models import Lesion
from dermstation.services.assessments import signed_assessment_of
from dermstation.services.stored_analyses import StoredAnalysis, stored_analysis


class LesionStatus(StrEnum):
    NEW = "new"  # one analysed picture (or none): not followed up yet
    STABLE = "stable"  # last two pictures' sizes (mm) within capture-to-capture noise
    CHANGED = "changed"  # beyond that noise
    NOT_COMPARED = "not_compared"  # followed up, but the sizes have no common scale (no pixel size)
    EXCISED = "excised"  # the latest signed plan is excision or biopsy
    REFERRED = "referred"  # the latest signed plan is a referral


def _mm(metrics: Sequence[Measurement], name: str, unit: str) -> float | None:
    found = next((m for m in metrics if m.name == name), None)
    return found.value if found is not None and found.unit == unit and found.value > 0 else None


def size_change(before: Sequence[Measurement], after: Sequence[Measurement]) -> tuple[float, float] | None:
    """(diameter %, area %) between two stored metric sets, or None without both sizes in mm."""
    d0, d1 = _mm(before, "diameter", "mm"), _mm(after, "diameter", "mm")
    a0, a1 = _mm(before, "area", "mm²"), _mm(after, "area", "mm²")
    if None in (d0, d1, a0, a1):
        return None
    return 100.0 * (d1 - d0) / d0, 100.0 * (a1 - a0) / a0  # type: ignore[operator]


def lesion_status(session: Session, lesion: Lesion) -> LesionStatus:
    """The body-map status of ``lesion`` (retracted pictures do not count)."""
    live = [c for c in sorted(lesion.captures, key=lambda c: (c.taken_at, c.id)) if c.retracted_at is None]
    # the latest analysis of each live picture, oldest picture first
    analysed: list[StoredAnalysis] = [stored_analysis(max(c.analyses, key=lambda a: (a.created_at, a.id)), c)
                                      for c in live if c.analyses]
    signed = [s for c in live for a in c.analyses if (s := signed_assessment_of(session, a.id)) is not None]
    latest = max(signed, key=lambda s: (s.signed_at, s.id), default=None)
    if latest is not None and latest.plan is not None:
        if latest.plan.kind in (PlanKind.EXCISION, PlanKind.BIOPSY):
            return LesionStatus.EXCISED
        if latest.plan.kind == PlanKind.REFERRAL:
            return LesionStatus.REFERRED
    if len(analysed) < 2:
        return LesionStatus.NEW
    change = size_change(analysed[-2].metrics, analysed[-1].metrics)
    if change is None:
        return LesionStatus.NOT_COMPARED
    diameter, area = change
    return LesionStatus.CHANGED if abs(diameter) > DIAMETER_NOISE_PCT or abs(area) > AREA_NOISE_PCT \
        else LesionStatus.STABLE

