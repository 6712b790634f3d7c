"""Area and diameter (maximum Feret diameter), in mm when the pixel size is known, else in pixels."""

from __future__ import annotations

import numpy as np

from dermstation.core.i18n import N_, _
from dermstation.inference.metrics.base import LesionContext, Measurement, MetricCalculator, register


def max_feret(hull: np.ndarray) -> float:
    """Largest distance between two hull points (pixel centres) plus one pixel for their extent."""
    if len(hull) < 2:
        return 1.0 if len(hull) else 0.0
    diff = hull[:, None, :] - hull[None, :, :]
    return float(np.sqrt((diff**2).sum(-1)).max()) + 1.0


@register
class Area(MetricCalculator):
    name = "area"
    labels = {"area": N_("Area")}

    def compute(self, ctx: LesionContext) -> tuple[Measurement, ...]:
        unit = "mm²" if ctx.has_spacing else "px²"
        return (Measurement("area", ctx.area(ctx.area_px), unit, _(self.labels["area"])),)


@register
class Diameter(MetricCalculator):
    name = "diameter"
    labels = {"diameter": N_("Diameter (max Feret)")}

    def compute(self, ctx: LesionContext) -> tuple[Measurement, ...]:
        return (Measurement("diameter", ctx.length(max_feret(ctx.hull)), ctx.length_unit,
                            _(self.labels["diameter"])),)
