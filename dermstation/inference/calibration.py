"""How large one pixel is: measured on a picture of a ruler or of a round reference sticker.

Ruler: the tick marks are the strongest periodic pattern in the picture. The 2-D spectrum's highest peak
(away from the slow light fall-off) gives their direction and a rough period; the picture is then turned
so the ticks stand upright, averaged into one profile across the ticks, and the profile's zero-padded
spectrum gives the period to a fraction of a pixel. The clinician confirms how many millimetres lie
between two ticks (1 mm on most rulers), and ``mm / period`` is the pixel size.

Sticker: the roundest large blob (dark on light or light on dark) is the sticker; its area gives the
diameter in pixels (sub-pixel, since the area counts every edge pixel), and its known diameter the scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _

MIN_PERIOD_PX = 5.0
"""Ticks closer than this are not resolved well enough to measure (and JPEG blocks and sensor patterns live
there); 1 mm ticks through a dermatoscope are 30-100 pixels apart."""
MAX_PERIOD_FRACTION = 0.125
"""Ticks farther apart than this share of the picture's side give too few periods to trust."""
MIN_PEAK_CONTRAST = 55.0
"""The tick peak must stand this many times above the spectrum's median (otherwise: no ruler found). Synthetic
rulers reach 61-640 (faint ticks on a narrow strip to crisp ones); regular globules and fine texture in PH² and
ISIC pictures stay below 45. A pigment network can pass it; the regularity test below refuses it.
Measured: 0 of 150 PH², 557 ISIC archive and 400 ISIC 2017 pictures are taken for a ruler."""
MIN_REGULARITY = 0.45
"""Ticks repeat: the profile across them correlates with itself shifted by one and by two periods at least
this much (synthetic rulers 0.55-0.86; pigment networks and skin lines that made a spectral peak 0.26-0.30
at one period and below 0 at two)."""
ANALYSIS_SIDE = 1024
"""The spectrum is taken on at most this side (a 24-megapixel photograph takes too long otherwise)."""
MIN_CIRCULARITY = 0.85
MIN_PEAKINESS = 3.0
"""A tick peak is at least this many times stronger than the spectrum 10-30 % nearer or farther on its ray."""
RAY_STEPS = (0.7, 0.75, 0.8, 0.85, 0.9, 1.1, 1.15, 1.2, 1.25, 1.3)


@dataclass(frozen=True)
class RulerMeasurement:
    period_px: float  # tick spacing, in pixels of the picture as given
    angle_deg: float  # direction along the ruler (0 = ticks side by side horizontally)
    contrast: float  # how far the tick peak stands above the spectrum (higher = surer)

    def mm_per_pixel(self, tick_mm: float = 1.0) -> float:
        return tick_mm / self.period_px


@dataclass(frozen=True)
class StickerMeasurement:
    diameter_px: float
    centre: tuple[float, float]  # (x, y)
    circularity: float

    def mm_per_pixel(self, diameter_mm: float) -> float:
        return diameter_mm / self.diameter_px


def _grey(rgb: np.ndarray) -> np.ndarray:
    if rgb.ndim == 3:
        return cv2.cvtColor(np.ascontiguousarray(rgb[:, :, :3]), cv2.COLOR_RGB2GRAY).astype(np.float32)
    return rgb.astype(np.float32)


def _peak_offset(left: float, centre: float, right: float) -> float:
    """Sub-bin position of a spectral peak from its two neighbours (parabola through three log magnitudes)."""
    a, b, c = (math.log(max(v, 1e-12)) for v in (left, centre, right))
    denom = a - 2 * b + c
    return 0.0 if denom == 0 else max(-0.5, min(0.5, 0.5 * (a - c) / denom))


def _ray_neighbours(spectrum: np.ndarray) -> np.ndarray:
    """The strongest value 10-30 % nearer to or farther from the centre on each point's ray."""
    h, w = spectrum.shape
    cy, cx = h // 2, w // 2
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = np.zeros_like(spectrum)
    for step in RAY_STEPS:
        out = np.maximum(out, cv2.remap(spectrum, cx + (xx - cx) * step, cy + (yy - cy) * step, cv2.INTER_LINEAR))
    return out


def measure_ruler(rgb: np.ndarray) -> RulerMeasurement:
    """The tick spacing of the ruler in ``rgb`` (ValidationError when no regular ticks are found)."""
    grey = _grey(rgb)
    h, w = grey.shape
    if min(h, w) < 32:
        raise ValidationError(_("The calibration picture is too small."), field="calibration")
    scale = min(1.0, ANALYSIS_SIDE / max(h, w))
    small = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA) if scale < 1.0 else grey
    sh, sw = small.shape
    # remove the light's slow fall-off, then window so the picture's edges make no false lines
    flat = small - cv2.GaussianBlur(small, (0, 0), max(sh, sw) / 40.0)
    window = np.outer(np.hanning(sh), np.hanning(sw)).astype(np.float32)
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(flat * window))).astype(np.float32)
    fy = (np.arange(sh) - sh // 2) / sh  # cycles per (small) pixel
    fx = (np.arange(sw) - sw // 2) / sw
    radius = np.hypot(fx[None, :], fy[:, None])
    # frequencies in cycles per analysed pixel: periods from MIN_PERIOD_PX (full-size pixels) up to a share
    # of the side
    lowest = 1.0 / (MAX_PERIOD_FRACTION * max(sh, sw))
    highest = 1.0 / (MIN_PERIOD_PX * scale)
    allowed = (radius >= lowest) & (radius <= min(highest, 0.5)) & (fy[:, None] >= 0)
    # the ruler's edges and the skin's outlines are far stronger than the ticks, but their spectrum falls
    # smoothly along each direction; a tick period is a peak standing above its neighbours on the same ray
    peakiness = spectrum / (_ray_neighbours(spectrum) + 1e-6)
    median = float(np.median(spectrum[allowed])) if np.any(allowed) else 0.0
    candidates = np.where(allowed & (peakiness >= MIN_PEAKINESS), spectrum, 0.0)
    iy, ix = np.unravel_index(int(np.argmax(candidates)), candidates.shape)
    peak = float(candidates[iy, ix])
    contrast = peak / median if median > 0 else 0.0
    if contrast < MIN_PEAK_CONTRAST:
        raise ValidationError(_("No regular ruler ticks were found in the picture. Photograph a millimetre "
                                "ruler flat, in focus and filling most of the picture."), field="calibration")
    f_small = float(radius[iy, ix])
    # a ruler whose every fifth tick is longer can put the strongest peak at a harmonic; the fundamental is
    # the lowest frequency along the same direction that is nearly as strong
    vy, vx = fy[iy] / f_small, fx[ix] / f_small
    for divisor in (2, 3):
        sub = f_small / divisor
        if sub < lowest:
            break
        jy, jx = round(vy * sub * sh + sh // 2), round(vx * sub * sw + sw // 2)
        if 0 <= jy < sh and 0 <= jx < sw and spectrum[jy, jx] >= 0.6 * peak:
            f_small = sub
    angle = math.degrees(math.atan2(vy, vx))
    period_full = 1.0 / (f_small * scale)

    # refine on the full picture: turn it so the wave runs along x, average the rows into one profile
    centre = (w / 2.0, h / 2.0)
    turn = cv2.getRotationMatrix2D(centre, angle, 1.0)
    upright = cv2.warpAffine(grey, turn, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    inset_y, inset_x = h // 6, w // 6  # the turned corners hold reflected, not real, picture
    band = upright[inset_y:h - inset_y, inset_x:w - inset_x]
    profile = band.mean(axis=0) - cv2.GaussianBlur(band.mean(axis=0)[None, :], (0, 0), period_full * 3).ravel()
    n = profile.size
    if n < 4 * period_full:
        raise ValidationError(_("Too few ruler ticks are in the picture to measure their spacing."),
                              field="calibration")
    padded = 16 * int(2 ** math.ceil(math.log2(n)))
    line = np.abs(np.fft.rfft(profile * np.hanning(n), padded))
    guess = padded / period_full
    lo, hi = max(1, int(guess * 0.85)), min(line.size - 2, int(guess * 1.15) + 1)
    k = lo + int(np.argmax(line[lo:hi + 1]))
    k_fine = k + _peak_offset(line[k - 1], line[k], line[k + 1])
    period = padded / k_fine
    if min(_self_similarity(profile, period), _self_similarity(profile, 2 * period)) < MIN_REGULARITY:
        raise ValidationError(_("No regular ruler ticks were found in the picture. Photograph a millimetre "
                                "ruler flat, in focus and filling most of the picture."), field="calibration")
    return RulerMeasurement(period, angle, contrast)


def _self_similarity(profile: np.ndarray, lag: float) -> float:
    """Correlation of ``profile`` with itself shifted by ``lag`` (fractional) samples."""
    x = np.arange(profile.size, dtype=np.float64)
    keep = x + lag <= profile.size - 1
    if np.count_nonzero(keep) < 8:
        return 0.0
    shifted = np.interp(x[keep] + lag, x, profile)
    a, b = profile[keep] - profile[keep].mean(), shifted - shifted.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom > 0 else 0.0


def measure_sticker(rgb: np.ndarray) -> StickerMeasurement:
    """The round reference sticker in ``rgb``: the roundest large blob, dark on light or light on dark."""
    grey = _grey(rgb).astype(np.uint8)
    h, w = grey.shape
    blurred = cv2.GaussianBlur(grey, (5, 5), 0)
    _threshold, binary = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    best: StickerMeasurement | None = None
    for mask in (binary, 255 - binary):
        contours, _hierarchy = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        for contour in contours:
            area = cv2.contourArea(contour)
            perimeter = cv2.arcLength(contour, True)
            if area < 0.0005 * h * w or perimeter == 0:
                continue
            x, y, cw, ch = cv2.boundingRect(contour)
            if x == 0 or y == 0 or x + cw >= w or y + ch >= h:
                continue  # cut by the edge: neither round nor whole
            circularity = 4 * math.pi * area / perimeter**2
            if circularity < MIN_CIRCULARITY:
                continue
            # the polygon through the boundary pixels' centres loses half a pixel all round
            diameter = 2 * math.sqrt(area / math.pi) + 1.0
            (cx, cy), _r = cv2.minEnclosingCircle(contour)
            found = StickerMeasurement(diameter, (float(cx), float(cy)), min(1.0, circularity))
            if best is None or found.diameter_px > best.diameter_px:
                best = found
    if best is None:
        raise ValidationError(_("No round reference sticker was found in the picture."), field="calibration")
    return best


def spacing_at(profile_mm_per_pixel: float, profile_size: tuple[int, int], image_size: tuple[int, int],
               tolerance: float = 0.01) -> float | None:
    """The pixel size of a picture of ``image_size`` (width, height) taken with a profile calibrated at
    ``profile_size``: the same field of view scaled (either orientation), or None when the shapes differ
    (another crop or sensor mode: the profile does not apply)."""
    pw, ph = profile_size
    iw, ih = image_size
    if min(pw, ph, iw, ih) <= 0:
        return None
    if abs((iw / ih) / (pw / ph) - 1.0) <= tolerance:
        return profile_mm_per_pixel * pw / iw
    if abs((ih / iw) / (pw / ph) - 1.0) <= tolerance:  # the camera held the other way round
        return profile_mm_per_pixel * pw / ih
    return None
