"""Measurements for analysis rows that tests write directly (the typed form of migration 0008)."""

from __future__ import annotations

from dermstation.records.models import AnalysisMeasurement


def measured(values: dict[str, tuple[float, str]]) -> list[AnalysisMeasurement]:
    """{metric key: (value, unit)} as the analysis's measurement rows, in this order."""
    return [AnalysisMeasurement(position=i, name=name, value=value, unit=unit)
            for i, (name, (value, unit)) in enumerate(values.items())]
