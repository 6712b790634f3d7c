"""Asymmetry about the two principal axes: how much of the lesion its mirror image fails to cover."""

from __future__ import annotations

import cv2
import numpy as np

from dermstation.core.i18n import N_, _
from dermstation.inference.metrics.base import LesionContext, Measurement, MetricCalculator, register

ASYMMETRIC_AXIS = 0.10
"""An axis counts as asymmetric (ABCD rule "A" score) when this share of the union is unmatched."""


def mirror_mismatch(mask: np.ndarray, centre: np.ndarray, axis: np.ndarray) -> float:
    """1 - IoU of ``mask`` and its reflection about the line through ``centre`` along unit ``axis``."""
    u = axis / np.linalg.norm(axis)
    reflect = 2.0 * np.outer(u, u) - np.eye(2)
    offset = centre - reflect @ centre
    matrix = np.hstack([reflect, offset[:, None]]).astype(np.float64)
    src = mask.astype(np.uint8)
    mirrored = cv2.warpAffine(src, matrix, (src.shape[1], src.shape[0]), flags=cv2.INTER_NEAREST,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    a, b = src.astype(bool), mirrored.astype(bool)
    union = np.count_nonzero(a | b)
    return 1.0 - np.count_nonzero(a & b) / union if union else 0.0


@register
class Asymmetry(MetricCalculator):
    name = "asymmetry"
    labels = {"asymmetry": N_("Asymmetry (mirror mismatch)"), "asymmetry_major_axis": N_("Asymmetry about the long axis"),
              "asymmetry_minor_axis": N_("Asymmetry about the short axis"),
              "asymmetric_axes": N_("Asymmetric axes (0-2)")}

    def compute(self, ctx: LesionContext) -> tuple[Measurement, ...]:
        # work on a padded window around the lesion so the mirror never leaves the canvas
        pts = ctx.points
        c = ctx.centroid
        reach = int(np.ceil(np.sqrt(((pts - c) ** 2).sum(1)).max())) + 2
        x0, y0 = int(np.floor(c[0])) - reach, int(np.floor(c[1])) - reach
        size = 2 * reach + 2
        window = np.zeros((size, size), bool)
        window[(pts[:, 1] - y0).astype(int), (pts[:, 0] - x0).astype(int)] = True
        local_c = c - np.array([x0, y0], np.float64)
        major, minor = ctx.principal_axes
        a_major = mirror_mismatch(window, local_c, major)
        a_minor = mirror_mismatch(window, local_c, minor)
        axes = int(a_major > ASYMMETRIC_AXIS) + int(a_minor > ASYMMETRIC_AXIS)
        return (
            Measurement("asymmetry", (a_major + a_minor) / 2.0, "", _(self.labels["asymmetry"])),
            Measurement("asymmetry_major_axis", a_major, "", _(self.labels["asymmetry_major_axis"])),
            Measurement("asymmetry_minor_axis", a_minor, "", _(self.labels["asymmetry_minor_axis"])),
            Measurement("asymmetric_axes", float(axes), "count", _(self.labels["asymmetric_axes"])),
        )
