"""The one interface every lesion metric implements, and the shared geometry they use.

A calculator takes a ``LesionContext`` (mask, image, pixel size) and returns ``Measurement`` values.
Each calculator lives in its own module in this package and registers itself with ``@register``;
the package imports every module, so adding a metric touches one file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from dermstation.inference.segmentation import outer_contour


@dataclass(frozen=True)
class Measurement:
    """One number about the lesion: ``name`` is stable (for code), ``label`` for people."""

    name: str
    value: float
    unit: str  # "mm", "mm²", "px", "px²", "" (ratio), "count", "ΔE"
    label: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))


class LesionContext:
    """Everything a metric may need, with the expensive shared parts computed once."""

    def __init__(self, mask: np.ndarray, image: np.ndarray | None = None, pixel_spacing_mm: float | None = None):
        self.mask = np.asarray(mask).astype(bool)
        self.image = image
        self.pixel_spacing_mm = pixel_spacing_mm

    @property
    def has_spacing(self) -> bool:
        return self.pixel_spacing_mm is not None and self.pixel_spacing_mm > 0

    @property
    def length_unit(self) -> str:
        return "mm" if self.has_spacing else "px"

    def length(self, pixels: float) -> float:
        return pixels * self.pixel_spacing_mm if self.has_spacing else pixels  # type: ignore[operator]

    def area(self, pixels: float) -> float:
        return pixels * self.pixel_spacing_mm**2 if self.has_spacing else pixels  # type: ignore[operator]

    @cached_property
    def area_px(self) -> int:
        return int(np.count_nonzero(self.mask))

    @cached_property
    def contour(self) -> np.ndarray:
        return outer_contour(self.mask)

    @cached_property
    def points(self) -> np.ndarray:
        """(N, 2) float64 (x, y) of the mask's pixels."""
        ys, xs = np.nonzero(self.mask)
        return np.stack([xs, ys], axis=1).astype(np.float64)

    @cached_property
    def centroid(self) -> np.ndarray:
        return self.points.mean(axis=0)

    @cached_property
    def principal_axes(self) -> np.ndarray:
        """2x2, rows are unit vectors (major axis first) of the mask's second moments."""
        pts = self.points - self.centroid
        cov = pts.T @ pts / max(len(pts), 1)
        vals, vecs = np.linalg.eigh(cov)
        order = np.argsort(vals)[::-1]
        return vecs[:, order].T

    @cached_property
    def hull(self) -> np.ndarray:
        return cv2.convexHull(self.contour.reshape(-1, 1, 2)).reshape(-1, 2).astype(np.float64)


class MetricCalculator(ABC):
    """Computes one group of measurements from a lesion mask (and image, pixel size)."""

    name: str = ""
    needs_image: bool = False
    # the label of each measurement it returns, marked with N_ and translated where shown (stored
    # analyses keep only the key)
    labels: dict[str, str] = {}

    @abstractmethod
    def compute(self, ctx: LesionContext) -> tuple[Measurement, ...]: ...


REGISTRY: dict[str, MetricCalculator] = {}


def register(cls: type[MetricCalculator]) -> type[MetricCalculator]:
    """Class decorator: make the calculator part of every analysis."""
    REGISTRY[cls.name] = cls()
    return cls
