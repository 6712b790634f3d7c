"""Follow-up: how a lesion changed between two analyses (growth in area and diameter, colours)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dermstation.inference.metrics.base import Measurement
from dermstation.inference.metrics.colours import ABCD_COLOURS, MIN_COLOUR_SHARE

SIGNIFICANT_GROWTH_PCT = 10.0
"""Diameter or area growth above this is reported as growth (below it, measurement noise dominates)."""


@dataclass(frozen=True)
class LesionComparison:
    """``after`` relative to ``before``. Percentages are None when a value is missing in either."""

    area_change_pct: float | None
    diameter_change_pct: float | None
    colour_count_change: int | None
    colours_added: tuple[str, ...]
    colours_lost: tuple[str, ...]
    colour_shift: float | None  # sum of absolute changes of the six colour shares (0..2)
    malignancy_change: float | None
    units: str  # "mm" when both had a pixel size, else "px" (only meaningful at equal magnification)
    comparable: bool  # False when one analysis is in mm and the other in px

    @property
    def grew(self) -> bool:
        return any(v is not None and v > SIGNIFICANT_GROWTH_PCT
                   for v in (self.area_change_pct, self.diameter_change_pct))


def _by_name(metrics: Sequence[Measurement]) -> dict[str, Measurement]:
    return {m.name: m for m in metrics}


def _pct(before: Measurement | None, after: Measurement | None) -> float | None:
    if before is None or after is None or before.value <= 0:
        return None
    return 100.0 * (after.value - before.value) / before.value


def _present(m: dict[str, Measurement]) -> set[str]:
    return {c for c in ABCD_COLOURS if f"colour_{c}" in m and m[f"colour_{c}"].value >= MIN_COLOUR_SHARE}


def compare_metrics(
    before: Sequence[Measurement], after: Sequence[Measurement],
    malignancy_before: float | None = None, malignancy_after: float | None = None,
) -> LesionComparison:
    b, a = _by_name(before), _by_name(after)
    units_b = b["diameter"].unit if "diameter" in b else ""
    units_a = a["diameter"].unit if "diameter" in a else ""
    comparable = units_a == units_b and units_a != ""
    has_colours = any(k.startswith("colour_") for k in b) and any(k.startswith("colour_") for k in a)
    cb, ca = _present(b), _present(a)
    shift = None
    if has_colours:
        shift = sum(abs(a.get(f"colour_{c}", Measurement("", 0, "", "")).value
                        - b.get(f"colour_{c}", Measurement("", 0, "", "")).value) for c in ABCD_COLOURS)
    return LesionComparison(
        area_change_pct=_pct(b.get("area"), a.get("area")) if comparable else None,
        diameter_change_pct=_pct(b.get("diameter"), a.get("diameter")) if comparable else None,
        colour_count_change=(len(ca) - len(cb)) if has_colours else None,
        colours_added=tuple(c for c in ABCD_COLOURS if c in ca - cb),
        colours_lost=tuple(c for c in ABCD_COLOURS if c in cb - ca),
        colour_shift=shift,
        malignancy_change=(malignancy_after - malignancy_before)
        if malignancy_before is not None and malignancy_after is not None else None,
        units=units_a if comparable else "",
        comparable=comparable,
    )


def compare(before, after) -> LesionComparison:  # noqa: ANN001 - AnalysisResult, imported lazily
    """Compare two ``AnalysisResult`` of the same lesion (``after`` is the later one)."""
    return compare_metrics(before.metrics, after.metrics, before.malignancy, after.malignancy)
