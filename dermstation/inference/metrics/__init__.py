"""Lesion metrics: one small calculator per module, all on ``base.MetricCalculator``.

``compute_metrics(mask, image, pixel_spacing_mm)`` runs every registered calculator. A new metric is
a new module here with a ``@register``-ed class; nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np

from dermstation.core.i18n import _
from dermstation.inference.metrics.base import (
    REGISTRY,
    LesionContext,
    Measurement,
    MetricCalculator,
    register,
)

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")


def compute_metrics(
    mask: np.ndarray, image: np.ndarray | None = None, pixel_spacing_mm: float | None = None
) -> tuple[Measurement, ...]:
    """Every registered metric of the lesion in ``mask``; nothing for an empty mask."""
    ctx = LesionContext(mask, image, pixel_spacing_mm)
    if ctx.area_px == 0:
        return ()
    out: list[Measurement] = []
    for calc in REGISTRY.values():
        if calc.needs_image and image is None:
            continue
        out.extend(calc.compute(ctx))
    return tuple(out)


def metric_msgid(name: str) -> str:
    """The untranslated label of the measurement ``name`` (a renderer that translates itself takes this);
    a key no calculator knows (any more) is shown as itself."""
    for calc in REGISTRY.values():
        if name in calc.labels:
            return calc.labels[name]
    return name.replace("_", " ").capitalize()


def metric_label(name: str) -> str:
    """The label of the measurement ``name`` in the current language (stored analyses keep only the key)."""
    return _(metric_msgid(name))


__all__ = ["REGISTRY", "LesionContext", "Measurement", "MetricCalculator", "compute_metrics", "metric_label",
           "metric_msgid", "register"]
