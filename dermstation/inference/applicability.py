"""Is this a dermoscopic image of a skin lesion? Only then does it get an AI score.

The answer is built from several kinds of evidence, cheapest first, each able to refuse on its own:

1. geometry: a strip (10000 x 50) or a thumbnail is refused, never squeezed into the model;
2. colour statistics, measured at most ``EVIDENCE_SIDE`` px, ignoring the dark vignette of a
   dermatoscope: no colour (X-ray, CT, ultrasound), flat colours and hard edges (documents, charts,
   drawings, test cards), no texture at all (gradients; a photo completely out of focus), few
   skin-coloured pixels;
3. a learned "not dermoscopy" score (``LinearScore``, logistic) on the picture's appearance (hue and
   chroma histogram, lightness histogram, edge density and direction, centre against surround; see
   ``appearance``) and the colour statistics of 2, fitted against photographs of everything (animals,
   food, buildings, objects on black, paintings, wallpapers) that pass 2;
4. a learned "lesion-free skin" score (logistic) on the evidence (the segmenter's confidence, the
   lesion's colour contrast with the skin around it, its size, chroma and skin share, the feature
   distance of 5), the principal components of the classifier's pooled features and the appearance of
   3, fitted against crops of skin clear of the lesion. The segmenter alone cannot say "no lesion": trained on pictures
   that all hold one, it outlines something in plain skin too;
5. an unsupervised out-of-distribution score: the Mahalanobis distance of the classifier's pooled
   features (square-rooted) from those of dermoscopy.
   Each learned part refuses at most 0.5 % of each source of held-out calibration dermoscopy. (An
   earlier "not dermoscopy" score on the classifier's features instead of the appearance refused
   2.7-3.3 % of the dermoscopy of clinics it had not seen, and was dropped.)

A lesion that runs off the picture's edge is NOT refused (full-frame lesions are common in real
dermoscopy, 14 % of PH2): the result carries the quality flag ``lesion_cut`` instead.

The learned parts (``models/applicability.json`` + ``.npz``) belong to one classifier file (sha256);
for any other classifier they are not used and every result says the check was incomplete. The
constants of 1-2 were set on dermoscopy (HAM10000 val, ISIC 2017 train) so that each refuses well
under 0.5 % of it; ``training/calibrate_applicability.py`` fits 3-5 and measures everything. The
card ``models/applicability.json`` says what it was tuned on and how it did on held-out pictures.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import cv2
import numpy as np

from dermstation.core.errors import NotApplicable
from dermstation.core.refusals import Refusal, refusal_message

log = logging.getLogger(__name__)

CARD_FILE = "applicability.json"

EVIDENCE_SIDE = 256
"""Longest side at which colour statistics are measured (JPEG noise and resolution stop mattering)."""
MAX_ASPECT = 2.5
"""Longest over shortest side. Camera and dermatoscope pictures are 1:1 to 16:9 (1.78)."""
MIN_SIDE = 96
"""Shortest side in pixels; the data sets' smallest pictures are 224 px."""
VIGNETTE_LEVEL = 40
"""Pixels whose brightest channel is below this are the dermatoscope's dark surround, not the scene."""
MIN_SCENE_SHARE = 0.35
"""Share of non-vignette, non-white pixels: dermoscopy's smallest is 0.48 (a small round field of view)."""
MIN_CHROMA = 4.5
"""90th percentile of the CIELAB chroma of the scene: the greyest dermoscopy measures 5.1, grey images 0-1."""
MAX_FLAT_SHARE = 0.45
"""Share of scene pixels in a perfectly flat 3x3 neighbourhood: dermoscopy at most 0.30, drawings 0.6+."""
MAX_TOP_COLOURS = 0.9
"""Share of the scene covered by its 8 commonest colours (5 bits per channel): dermoscopy at most 0.85."""
MAX_SMOOTH_SHARE = 0.85
"""Share of scene pixels without any texture (|Laplacian| <= 2 in every channel): dermoscopy at most 0.72
(skin has pores, hairs and sensor noise), gradients, drawings and test cards 0.9+."""
MIN_COLOUR_SPREAD = 2.0
"""90th percentile of how far a pixel's colour (CIELAB a*, b*) lies from the median colour of the pixels of
its lightness: a tinted grey picture (an X-ray film on a light box, a sepia scan) has one colour per
lightness and measures about 1; dermoscopy (skin, pigment, vessels side by side) 3 or more."""
MIN_SKIN_SHARE = 0.005
"""Share of coloured scene pixels with a skin-like hue (CIELAB hue -30 to 100 degrees)."""
MAX_CUT_SHARE = 0.2
"""Share of the lesion's outline lying on the picture's edge above which the lesion is flagged as cut
off (a warning on the result, not a refusal)."""


class OodStatus(StrEnum):
    CHECKED = "checked"
    STALE = "stale"  # statistics fitted for another classifier file
    UNAVAILABLE = "unavailable"  # no statistics, or a classifier without a ``features`` output


@dataclass(frozen=True)
class ImageEvidence:
    height: int
    width: int
    scene_share: float
    chroma: float
    flat_share: float
    top_colours: float
    skin_share: float
    smooth_share: float = 0.0  # share of scene pixels with no texture at all (|Laplacian| <= 2)
    dark_share: float = float("nan")  # share of pixels darker than VIGNETTE_LEVEL
    colour_spread: float = float("nan")  # see MIN_COLOUR_SPREAD
    appearance: tuple[float, ...] = ()  # see appearance(): what the "not dermoscopy" score reads

    @property
    def aspect(self) -> float:
        return max(self.height, self.width) / max(1, min(self.height, self.width))


@dataclass(frozen=True)
class LesionEvidence:
    lesion_share: float  # lesion area / picture area
    cut_share: float  # share of the lesion's outline on the picture's edge
    contrast: float = float("nan")  # CIELAB distance of the lesion's median colour from the skin around it
    confidence: float = float("nan")  # the segmenter's mean lesion probability inside the mask


@dataclass(frozen=True)
class Applicability:
    """The verdict, and what it was based on."""

    reasons: tuple[Refusal, ...]
    image: ImageEvidence
    lesion: LesionEvidence | None = None
    ood_distance: float | None = None
    ood_threshold: float | None = None
    ood_status: OodStatus = OodStatus.UNAVAILABLE
    appearance_score: float | None = None  # the "not dermoscopy" score (log-odds); refused above its threshold
    appearance_threshold: float | None = None

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def message(self) -> str:
        return refusal_message(self.reasons) if self.reasons else ""

    def to_dict(self) -> dict[str, object]:
        e = self.image
        return {
            "applicable": self.ok,
            "reasons": [str(r) for r in self.reasons],
            "ood_distance": None if self.ood_distance is None else round(self.ood_distance, 3),
            "ood_threshold": self.ood_threshold,
            "ood_status": str(self.ood_status),
            "appearance_score": _rounded(self.appearance_score, 3),
            "appearance_threshold": self.appearance_threshold,
            "evidence": {
                "aspect": round(e.aspect, 3), "scene_share": round(e.scene_share, 4), "chroma": round(e.chroma, 2),
                "flat_share": round(e.flat_share, 4), "top_colours": round(e.top_colours, 4),
                "skin_share": round(e.skin_share, 4), "smooth_share": round(e.smooth_share, 4),
                "colour_spread": _rounded(e.colour_spread, 2),
                "lesion_share": None if self.lesion is None else round(self.lesion.lesion_share, 4),
                "lesion_cut_share": None if self.lesion is None else round(self.lesion.cut_share, 4),
                "lesion_contrast": _rounded(None if self.lesion is None else self.lesion.contrast, 2),
                "lesion_confidence": _rounded(None if self.lesion is None else self.lesion.confidence, 4),
            },
        }

    def refuse(self) -> NotApplicable:
        """The error that carries this verdict."""
        details = ", ".join(str(r) for r in self.reasons)
        if self.ood_distance is not None:
            details += f"; feature distance {self.ood_distance:.2f} (threshold {self.ood_threshold})"
        if self.appearance_score is not None:
            details += f"; appearance score {self.appearance_score:.2f} (threshold {self.appearance_threshold})"
        return NotApplicable(self.message, tuple(str(r) for r in self.reasons), details, self)


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


# --- evidence ---------------------------------------------------------------------------------------

def _small(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    s = EVIDENCE_SIDE / max(h, w)
    if s >= 1.0:
        return image
    return cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def _quantile(values: np.ndarray, q: float) -> float:
    """np.percentile's linear interpolation, by partial sorting."""
    n = values.size
    pos = q * (n - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, n - 1)
    part = np.partition(values, (lo, hi))
    return float(part[lo] + (part[hi] - part[lo]) * (pos - lo))


def _channel_max(a: np.ndarray) -> np.ndarray:
    # three element-wise maxima are several times faster than a reduction over the last (strided) axis
    return np.maximum(np.maximum(a[..., 0], a[..., 1]), a[..., 2])


def measure_image(image: np.ndarray) -> ImageEvidence:
    """Colour and geometry statistics of an RGB uint8 picture."""
    h, w = image.shape[:2]
    small = _small(image)
    brightest = _channel_max(small)
    scene = (brightest >= VIGNETTE_LEVEL) & (np.minimum(np.minimum(small[..., 0], small[..., 1]), small[..., 2]) < 250)
    n = int(np.count_nonzero(scene))
    dark = float(np.count_nonzero(brightest < VIGNETTE_LEVEL)) / scene.size
    if n < 50:
        return ImageEvidence(h, w, n / scene.size, 0.0, 1.0, 1.0, 0.0, 1.0, dark, 0.0, (0.0,) * APPEARANCE_SIZE)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB)
    a = lab[..., 1].astype(np.float32) - 128.0
    b = lab[..., 2].astype(np.float32) - 128.0
    chroma = np.hypot(a, b)
    hue = np.degrees(np.arctan2(b, a))
    coloured = scene & (chroma > 4.0)
    skin = float(np.count_nonzero(((hue > -30) & (hue < 100)) & coloured)) / max(1, int(np.count_nonzero(coloured)))
    kernel = np.ones((3, 3), np.uint8)
    spread = cv2.dilate(small, kernel).astype(np.int16) - cv2.erode(small, kernel)
    flat = float(np.count_nonzero((_channel_max(spread) <= 1) & scene)) / n
    q = small >> 3  # 5 bits per channel -> one 15-bit code per pixel
    codes = (q[..., 0].astype(np.uint16) << 10) | (q[..., 1].astype(np.uint16) << 5) | q[..., 2]
    counts = np.bincount(codes[scene], minlength=32768)
    top = float(np.partition(counts, counts.size - 8)[-8:].sum()) / n
    laplacian = _channel_max(np.abs(cv2.Laplacian(small.astype(np.int16), cv2.CV_16S, ksize=1)))
    smooth = float(np.count_nonzero((laplacian <= 2) & scene)) / n
    spread = _colour_spread(lab[..., 0][scene], a[scene], b[scene])
    look = appearance(lab[..., 0], a, b, chroma, hue, scene)
    return ImageEvidence(h, w, n / scene.size, _quantile(chroma[scene], 0.9), flat, top, skin, smooth, dark, spread,
                         look)


HUE_BINS = 12
CHROMA_BANDS = (4.0, 12.0, 24.0)
APPEARANCE_SIZE = 1 + HUE_BINS * len(CHROMA_BANDS) + 8 + 3 + 2 + 3 + 2
"""grey share, hue x chroma histogram, lightness histogram, edge shares, edge orientation concentration,
centre-surround colour difference, spread of the cells' mean lightness and chroma."""


def appearance(lightness: np.ndarray, a: np.ndarray, b: np.ndarray, chroma: np.ndarray, hue: np.ndarray,
               scene: np.ndarray) -> tuple[float, ...]:
    """A fixed-length description of what the scene looks like, for the learned "not dermoscopy" score.

    Dermoscopy is skin-coloured light everywhere (hues of red to yellow at moderate chroma), lit evenly,
    with soft edges and a darker, differently coloured lesion near the middle. Photographs of the world
    have other hues (sky, plants), strong straight edges of one orientation (buildings, objects) and
    their subject anywhere. Each part is a share of the scene's pixels (or a CIELAB difference), so it
    does not depend on the picture's resolution beyond ``EVIDENCE_SIDE``."""
    n = max(1, int(np.count_nonzero(scene)))
    c, hh, light = chroma[scene], hue[scene], lightness[scene]
    grey = float(np.count_nonzero(c < CHROMA_BANDS[0])) / n
    band = np.digitize(c, CHROMA_BANDS) - 1  # -1 grey, 0..2 the chroma bands
    hue_bin = ((hh + 360.0) % 360.0 * HUE_BINS / 360.0).astype(np.int64) % HUE_BINS
    keep = band >= 0
    colours = np.bincount(band[keep] * HUE_BINS + hue_bin[keep], minlength=HUE_BINS * len(CHROMA_BANDS)) / n
    lights = np.bincount(light.astype(np.int64) >> 5, minlength=8) / n
    lf = lightness.astype(np.float32) * (100.0 / 255.0)
    gx = cv2.Sobel(lf, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(lf, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)[scene]
    edges = [float(np.count_nonzero(magnitude > t)) / n for t in (10.0, 30.0, 90.0)]
    strong = magnitude > 30.0
    if np.count_nonzero(strong) >= 20:
        angle = (np.degrees(np.arctan2(gy[scene][strong], gx[scene][strong])) + 180.0) % 180.0
        orient = np.sort(np.bincount((angle / 22.5).astype(np.int64) % 8, minlength=8))[::-1] / angle.size
        orientation = [float(orient[0]), float(orient[0] + orient[1])]
    else:
        orientation = [0.25, 0.5]  # too few edges to have a direction: neutral
    h, w = scene.shape
    centre = np.zeros_like(scene)
    centre[h // 3:h - h // 3, w // 3:w - w // 3] = True
    inner, outer = centre & scene, ~centre & scene
    if np.count_nonzero(inner) >= 20 and np.count_nonzero(outer) >= 20:
        surround = [float(np.median(ch[inner]) - np.median(ch[outer])) for ch in (lf, a, b)]
    else:
        surround = [0.0, 0.0, 0.0]
    cells = []
    for ch in (lf, chroma):
        means = [float(ch[y:y + h // 4, x:x + w // 4][scene[y:y + h // 4, x:x + w // 4]].mean())
                 for y in range(0, h - h // 4 + 1, max(1, h // 4)) for x in range(0, w - w // 4 + 1, max(1, w // 4))
                 if np.count_nonzero(scene[y:y + h // 4, x:x + w // 4]) >= 10]
        cells.append(float(np.std(means)) if len(means) >= 2 else 0.0)
    return (grey, *map(float, colours), *map(float, lights), *edges, *orientation, *surround, *cells)


def _colour_spread(lightness: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """See MIN_COLOUR_SPREAD: distances from the median (a*, b*) of each band of 8 lightness levels."""
    bands = lightness >> 3
    centre_a, centre_b = np.zeros(32, np.float32), np.zeros(32, np.float32)
    for band in np.unique(bands):
        inside = bands == band
        centre_a[band], centre_b[band] = np.median(a[inside]), np.median(b[inside])
    return _quantile(np.hypot(a - centre_a[bands], b - centre_b[bands]), 0.9)


def image_reasons(e: ImageEvidence) -> tuple[Refusal, ...]:
    """What the geometry and colours alone rule out (most basic first)."""
    if e.aspect > MAX_ASPECT:
        return (Refusal.EXTREME_SHAPE,)
    if min(e.height, e.width) < MIN_SIDE:
        return (Refusal.TOO_SMALL,)
    if e.scene_share < MIN_SCENE_SHARE:  # too little left to measure: black, or blank white
        return (Refusal.TOO_DARK,) if e.dark_share > 0.5 else (Refusal.GRAPHIC,)
    reasons: list[Refusal] = []
    if e.chroma < MIN_CHROMA:
        reasons.append(Refusal.NO_COLOUR)
    if e.flat_share > MAX_FLAT_SHARE or e.top_colours > MAX_TOP_COLOURS:
        reasons.append(Refusal.GRAPHIC)  # flat colours have one colour per lightness too: say graphic
    elif e.colour_spread < MIN_COLOUR_SPREAD and Refusal.NO_COLOUR not in reasons:  # nan (not measured) passes
        reasons.insert(0, Refusal.NO_COLOUR)
    elif e.smooth_share > MAX_SMOOTH_SHARE:
        reasons.append(Refusal.NO_TEXTURE)
    if e.skin_share < MIN_SKIN_SHARE and Refusal.NO_COLOUR not in reasons:
        reasons.append(Refusal.NOT_SKIN)
    return tuple(reasons)


def _lab(rgb: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    lab[..., 1:] -= 128.0
    return lab


def measure_lesion(mask: np.ndarray, image: np.ndarray | None = None,
                   probability: np.ndarray | None = None) -> LesionEvidence:
    """Size, edge contact, contrast with the surrounding skin and the segmenter's confidence of a mask."""
    m = mask.astype(bool)
    area = float(m.mean())
    if not m.any():
        return LesionEvidence(0.0, 0.0)
    outline = m ^ (cv2.erode(m.astype(np.uint8), np.ones((3, 3), np.uint8), borderValue=0) > 0)
    on_edge = np.concatenate([outline[0, :], outline[-1, :], outline[1:-1, 0], outline[1:-1, -1]])
    cut = float(np.count_nonzero(on_edge)) / max(1, int(np.count_nonzero(outline)))
    contrast = float("nan")
    if image is not None:
        small = _small(image)
        sm = cv2.resize(m.astype(np.uint8), (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST)
        band = max(3, round(0.06 * min(small.shape[:2])))
        ring = (cv2.dilate(sm, np.ones((2 * band + 1, 2 * band + 1), np.uint8)) > 0) & (sm == 0)
        ring &= small.max(axis=2) >= VIGNETTE_LEVEL
        inside = sm > 0
        if np.count_nonzero(ring) >= 20 and np.count_nonzero(inside) >= 20:
            lab = _lab(small)
            contrast = float(np.linalg.norm(np.median(lab[inside], axis=0) - np.median(lab[ring], axis=0)))
    confidence = float("nan")
    if probability is not None:
        p = np.asarray(probability, np.float32)
        pm = cv2.resize(m.astype(np.uint8), (p.shape[1], p.shape[0]), interpolation=cv2.INTER_NEAREST) > 0
        if pm.any():
            confidence = float(p[pm].mean())
    return LesionEvidence(area, cut, contrast, confidence)


def lesion_is_cut(e: LesionEvidence | None) -> bool:
    return e is not None and e.cut_share > MAX_CUT_SHARE


# --- learned out-of-distribution score --------------------------------------------------------------

def feature_transform(features: np.ndarray) -> np.ndarray:
    """Square root of the (non-negative, post-ReLU) pooled features: their distribution is skewed, and
    the root made dermoscopy from other clinics (ISIC, PH2) look less foreign than the raw values did."""
    return np.sqrt(np.maximum(np.asarray(features, np.float64), 0.0))


SCORE_EVIDENCE = ("confidence", "log_contrast", "sqrt_share", "distance_ratio", "chroma", "skin_share")
"""The evidence the learned scores read, before the classifier's principal feature components. Not the
texture statistics (flat, smooth, commonest colours): they depend on the picture's resolution, which
would teach the scores "a sharp camera picture is not dermoscopy". Not the lesion's edge contact: the
segmenter's spurious outlines in lesion-free skin often touch the edge, which would teach the "no lesion"
score to refuse real lesions cut by the frame (those get a warning, not a refusal)."""


def score_evidence(image: ImageEvidence, lesion: LesionEvidence | None, distance_ratio: float) -> np.ndarray:
    """The learned scores' evidence inputs; unmeasurable values take neutral ones."""
    lesion = lesion if lesion is not None else LesionEvidence(0.0, 0.0)
    contrast = lesion.contrast if np.isfinite(lesion.contrast) else 30.0
    confidence = lesion.confidence if np.isfinite(lesion.confidence) else 0.5
    return np.array([confidence, np.log1p(contrast), np.sqrt(lesion.lesion_share), distance_ratio, image.chroma,
                     image.skin_share])


APPEARANCE_EVIDENCE = ("chroma", "log_colour_spread", "skin_share", "scene_share", "sqrt_dark_share")
"""The colour statistics the "not dermoscopy" score reads after the appearance description."""
_SHARES = APPEARANCE_SIZE - 5  # the appearance's leading values are shares of the scene; the last 5 are not


def appearance_inputs(image: ImageEvidence) -> np.ndarray:
    """The "not dermoscopy" score's inputs: square roots of the appearance's shares (skewed towards 0),
    signed square roots of its differences, then ``APPEARANCE_EVIDENCE``."""
    look = np.asarray(image.appearance, np.float64)
    spread = image.colour_spread if np.isfinite(image.colour_spread) else 2 * MIN_COLOUR_SPREAD
    dark = image.dark_share if np.isfinite(image.dark_share) else 0.0
    return np.concatenate([np.sqrt(np.clip(look[:_SHARES], 0.0, None)),
                           np.sign(look[_SHARES:]) * np.sqrt(np.abs(look[_SHARES:])),
                           [image.chroma, np.log1p(spread), image.skin_share, image.scene_share, np.sqrt(dark)]])


@dataclass(frozen=True, eq=False)
class LinearScore:
    """A logistic score (log-odds) on standardised inputs; refuses above ``threshold``."""

    centre: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float

    def __call__(self, x: np.ndarray) -> float:
        return float(((x - self.centre) / self.scale) @ self.weights + self.bias)


@dataclass(frozen=True, eq=False)
class FeatureDistance:
    """The learned parts (fitted by the calibration): the Mahalanobis distance of the classifier's pooled
    features from dermoscopy's, and the logistic "lesion-free skin" score on the evidence plus the
    features' principal components."""

    classifier_sha256: str
    mean: np.ndarray  # (C,) of the transformed features
    precision: np.ndarray  # (C, C), shrunk covariance inverted
    threshold: float
    version: str = ""
    axes: np.ndarray | None = None  # (K, C) principal axes of dermoscopy's features, whitened
    no_lesion: LinearScore | None = None
    not_dermoscopy: LinearScore | None = None  # reads appearance_inputs()

    def appearance_score(self, image: ImageEvidence) -> float | None:
        if self.not_dermoscopy is None or len(image.appearance) != APPEARANCE_SIZE:
            return None
        return self.not_dermoscopy(appearance_inputs(image))

    def looks_unlike_dermoscopy(self, image: ImageEvidence) -> bool:
        score = self.appearance_score(image)
        return score is not None and score > self.not_dermoscopy.threshold  # type: ignore[union-attr]

    def distance(self, features: np.ndarray) -> float:
        d = feature_transform(features).reshape(-1) - self.mean
        return float(np.sqrt(max(0.0, d @ self.precision @ d)))

    def score_inputs(self, image: ImageEvidence, lesion: LesionEvidence | None, features: np.ndarray,
                     distance: float) -> np.ndarray:
        """The "no lesion" score's inputs: the evidence, the features' principal components, the appearance."""
        x = score_evidence(image, lesion, distance / self.threshold)
        if self.axes is None:
            return x
        return np.concatenate([x, self.axes @ (feature_transform(features).reshape(-1) - self.mean),
                               appearance_inputs(image)])


def fit_feature_distance(features: np.ndarray, shrinkage: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(mean, precision) of (N, C) features (transformed); the covariance is shrunk towards its mean variance."""
    x = feature_transform(features)
    mean = x.mean(axis=0)
    cov = np.cov(x - mean, rowvar=False)
    target = np.eye(cov.shape[0]) * np.trace(cov) / cov.shape[0]
    return mean, np.linalg.inv((1 - shrinkage) * cov + shrinkage * target)


def load_feature_distance(models_dir: Path, classifier_sha256: str) -> tuple[FeatureDistance | None, OodStatus]:
    """The fitted statistics for this classifier file, or why there are none (logged)."""
    card_path = Path(models_dir) / CARD_FILE
    if not card_path.is_file():
        log.warning("no %s: the applicability check runs without its feature-distance part", CARD_FILE)
        return None, OodStatus.UNAVAILABLE
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        ood = card["feature_distance"]
        if str(ood["classifier_sha256"]).lower() != classifier_sha256.lower():
            log.warning("%s was calibrated for another classifier file (%s, this one is %s): rerun "
                        "python -m training.calibrate_applicability", CARD_FILE, ood["classifier_sha256"][:12],
                        classifier_sha256[:12])
            return None, OodStatus.STALE
        stats_path = card_path.parent / str(ood["file"])
        data = stats_path.read_bytes()
        if hashlib.sha256(data).hexdigest() != str(ood["sha256"]).lower():
            log.warning("%s does not match the sha256 in %s", stats_path.name, CARD_FILE)
            return None, OodStatus.STALE
        with np.load(stats_path) as npz:
            mean, precision = npz["mean"].astype(np.float64), npz["precision"].astype(np.float64)
            axes = npz["axes"].astype(np.float64) if "axes" in npz.files else None
        no_lesion = _linear_score(card.get("lesion_score"))
        inputs = len(SCORE_EVIDENCE) + (0 if axes is None else axes.shape[0] + APPEARANCE_SIZE
                                        + len(APPEARANCE_EVIDENCE))
        if no_lesion is not None and no_lesion.weights.shape != (inputs,):
            raise ValueError(f"its score does not read the {inputs} inputs of this version: rerun the calibration")
        not_dermoscopy = _linear_score(card.get("appearance_score"))
        inputs = APPEARANCE_SIZE + len(APPEARANCE_EVIDENCE)
        if not_dermoscopy is not None and not_dermoscopy.weights.shape != (inputs,):
            raise ValueError(f"its appearance score does not read the {inputs} inputs of this version: rerun the "
                             "calibration")
        return FeatureDistance(classifier_sha256.lower(), mean, precision, float(ood["threshold"]),
                               str(card.get("version", "")), axes, no_lesion, not_dermoscopy), OodStatus.CHECKED
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("%s cannot be used: %s", CARD_FILE, exc)
        return None, OodStatus.UNAVAILABLE


def _linear_score(entry: dict[str, object] | None) -> LinearScore | None:
    if entry is None:
        return None
    return LinearScore(np.asarray(entry["centre"], np.float64), np.asarray(entry["scale"], np.float64),
                       np.asarray(entry["weights"], np.float64), float(entry["bias"]),  # type: ignore[arg-type]
                       float(entry["threshold"]))  # type: ignore[arg-type]


def judge(image: ImageEvidence, lesion: LesionEvidence | None = None, features: np.ndarray | None = None,
          ood: FeatureDistance | None = None, ood_status: OodStatus = OodStatus.UNAVAILABLE) -> Applicability:
    """Combine every piece of evidence into one verdict."""
    reasons = list(image_reasons(image))
    distance = look = None
    status = ood_status
    if ood is not None and features is not None:
        distance = ood.distance(features)
        look = ood.appearance_score(image)
        status = OodStatus.CHECKED
        if not reasons:
            # unlike dermoscopy is the more basic finding; "no lesion" presumes dermoscopy of skin
            if distance > ood.threshold or ood.looks_unlike_dermoscopy(image):
                reasons.append(Refusal.UNFAMILIAR)
            elif lesion is not None and ood.no_lesion is not None and len(image.appearance) == APPEARANCE_SIZE and \
                    ood.no_lesion(ood.score_inputs(image, lesion, features, distance)) > ood.no_lesion.threshold:
                reasons.append(Refusal.NO_LESION)
    elif status == OodStatus.CHECKED:
        status = OodStatus.UNAVAILABLE
    return Applicability(tuple(reasons), image, lesion, distance, None if ood is None else ood.threshold, status,
                         look, None if look is None or ood is None or ood.not_dermoscopy is None
                         else ood.not_dermoscopy.threshold)


def raise_if_refused(verdict: Applicability) -> None:
    if not verdict.ok:
        raise verdict.refuse()
