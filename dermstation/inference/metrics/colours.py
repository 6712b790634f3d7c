"""The ABCD rule's colours (white, red, light brown, dark brown, blue-grey, black) and variegation.

Lesion pixels are colour-normalised (Shades of Grey, as the classifier sees them) and assigned to the
nearest reference colour in CIELAB; a colour counts when it covers at least 5 % of the lesion.
"""

from __future__ import annotations

import cv2
import numpy as np

from dermstation.core.i18n import N_, _
from dermstation.inference.metrics.base import LesionContext, Measurement, MetricCalculator, register
from dermstation.inference.preprocess import shades_of_grey_gain

# RGB references used in dermoscopy colour studies (e.g. Seidenari et al.; Kasmi & Mokrani 2016)
ABCD_COLOURS: dict[str, tuple[int, int, int]] = {
    "white": (255, 255, 255),
    "red": (204, 51, 51),
    "light_brown": (153, 102, 51),
    "dark_brown": (85, 34, 17),
    "blue_grey": (51, 153, 153),
    "black": (0, 0, 0),
}
MIN_COLOUR_SHARE = 0.05
MAX_SAMPLES = 20_000


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 (..., 3) -> CIELAB float32 (L in 0-100)."""
    flat = rgb.reshape(-1, 1, 3).astype(np.float32) / 255.0
    return cv2.cvtColor(flat, cv2.COLOR_RGB2LAB).reshape(-1, 3)


REFERENCE_LAB = to_lab(np.array(list(ABCD_COLOURS.values()), np.uint8))


def colour_shares(pixels: np.ndarray) -> dict[str, float]:
    """Share of ``pixels`` (N, 3 RGB uint8) nearest to each ABCD colour."""
    lab = to_lab(pixels)
    # |lab - ref|^2 = |lab|^2 - 2 lab.ref + |ref|^2; |lab|^2 is the same for every reference
    nearest = ((REFERENCE_LAB**2).sum(1)[None, :] - 2.0 * lab @ REFERENCE_LAB.T).argmin(1)
    counts = np.bincount(nearest, minlength=len(ABCD_COLOURS))
    total = max(int(counts.sum()), 1)
    return {name: counts[i] / total for i, name in enumerate(ABCD_COLOURS)}


@register
class Colours(MetricCalculator):
    name = "colours"
    needs_image = True
    # "each ≥5 %", not "≥5 % each": babel reads "% e" as a printf placeholder and pybabel compile then fails
    labels = {"colour_count": N_("Colours (ABCD, each ≥5 %)"), "colour_variegation": N_("Colour variegation (SD in CIELAB)"),
              "colour_white": N_("White"), "colour_red": N_("Red"), "colour_light_brown": N_("Light brown"),
              "colour_dark_brown": N_("Dark brown"), "colour_blue_grey": N_("Blue-grey"), "colour_black": N_("Black")}

    def compute(self, ctx: LesionContext) -> tuple[Measurement, ...]:
        image = ctx.image
        assert image is not None
        xs, ys = ctx.points[:, 0].astype(np.intp), ctx.points[:, 1].astype(np.intp)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        # colour constancy estimated over the lesion and a rim of skin around it (the illuminant)
        pad = max(4, (max(y1 - y0, x1 - x0)) // 4)
        h, w = ctx.mask.shape
        window = image[max(0, y0 - pad) : min(h, y1 + pad), max(0, x0 - pad) : min(w, x1 + pad)]
        step = max(1, int(np.sqrt(window.shape[0] * window.shape[1] / 40_000)))
        gain = shades_of_grey_gain(window[::step, ::step], 6.0)
        stride = len(xs) // MAX_SAMPLES + 1  # an even subsample is plenty for 5 % shares
        pixels = image[ys[::stride], xs[::stride]]
        pixels = np.clip(pixels.astype(np.float32) / gain, 0, 255).astype(np.uint8)
        shares = colour_shares(pixels)
        lab = to_lab(pixels)
        variegation = float(np.sqrt(lab.var(axis=0).sum()))
        count = sum(1 for s in shares.values() if s >= MIN_COLOUR_SHARE)
        out = [
            Measurement("colour_count", float(count), "count", _(self.labels["colour_count"])),
            Measurement("colour_variegation", variegation, "ΔE", _(self.labels["colour_variegation"])),
        ]
        out += [Measurement(f"colour_{name}", share, "", _(self.labels[f"colour_{name}"]))
                for name, share in shares.items()]
        return tuple(out)
