"""Preprocessing steps shared by training and the app, so both do exactly the same thing.

Every function takes and returns an RGB ``uint8`` array of shape (H, W, 3) unless it says otherwise.
Training imports these functions (``training/`` may import the app; never the reverse), and the
model card lists the steps with their parameters so inference rebuilds the very same pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive); may reach outside the image


def restore_aspect(image: np.ndarray, aspect: float = 4 / 3) -> np.ndarray:
    """Undo HAM10000's squeeze: its 600x450 photos were stored as 224x224. Training only."""
    h = image.shape[0]
    return cv2.resize(image, (round(h * aspect), h), interpolation=cv2.INTER_LINEAR)


def shades_of_grey(image: np.ndarray, p: float = 6.0) -> np.ndarray:
    """Shades of Grey colour constancy (Finlayson & Trezzi 2004): equalise the Minkowski p-norm per channel.

    Removes the colour cast of a dermatoscope's light source, the main difference between devices.
    """
    img = image.astype(np.float32)
    illum = np.power(np.mean(np.power(img, p), axis=(0, 1)), 1.0 / p)
    illum = np.maximum(illum, 1e-6)
    gain = np.sqrt(3.0) * illum / max(float(np.linalg.norm(illum)), 1e-6)
    out = img / gain[None, None, :]
    return np.clip(out, 0, 255).astype(np.uint8)


def shades_of_grey_gain(image: np.ndarray, p: float = 6.0) -> np.ndarray:
    """The per-channel divisor ``shades_of_grey`` applies (estimate it on a subsample for speed)."""
    img = image.reshape(-1, 3).astype(np.float32)
    illum = np.maximum(np.power(np.mean(np.power(img, p), axis=0), 1.0 / p), 1e-6)
    return np.sqrt(3.0) * illum / max(float(np.linalg.norm(illum)), 1e-6)


def hair_mask(image: np.ndarray, kernel_size: int = 17, threshold: int = 10) -> np.ndarray:
    """DullRazor hair detection: black-hat morphology on the grey image, thresholded (uint8 0/255)."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    # scale the structuring element with the image so hairs are found at any resolution
    k = max(3, int(round(kernel_size * max(image.shape[:2]) / 600)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    blackhat = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, kernel)
    _, mask = cv2.threshold(blackhat, threshold, 255, cv2.THRESH_BINARY)
    return mask


def remove_hair(image: np.ndarray, kernel_size: int = 17, threshold: int = 10) -> np.ndarray:
    """DullRazor: find dark thin hairs and inpaint them from their surroundings."""
    mask = hair_mask(image, kernel_size, threshold)
    if not mask.any():
        return image
    radius = max(1, int(round(3 * max(image.shape[:2]) / 600)))
    return cv2.inpaint(image, mask, radius, cv2.INPAINT_TELEA)


def largest_component(mask: np.ndarray) -> np.ndarray:
    """Keep the largest 8-connected foreground component of a boolean/0-255 mask (returns bool)."""
    binary = (mask > 0).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return np.zeros(mask.shape, dtype=bool)
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == biggest


def lesion_box(mask: np.ndarray, margin: float = 0.25, min_fraction: float = 0.25) -> Box:
    """A square box centred on the lesion, ``margin`` of its size added on every side.

    The box is at least ``min_fraction`` of the image's shorter side (tiny detections are not blown
    up into a few pixels). It is shifted inside the image where it fits; where the lesion is larger
    than the image, it reaches outside and ``crop_box`` pads by reflection. With no lesion in the
    mask, the centred square of the shorter side is returned.
    """
    h, w = mask.shape[:2]
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return centre_square_box(h, w)
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    side = max(x1 - x0, y1 - y0) * (1.0 + 2.0 * margin)
    side = int(round(max(side, min_fraction * min(h, w))))
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    bx0, by0 = int(round(cx - side / 2.0)), int(round(cy - side / 2.0))
    # shift inside the image along each axis where the box fits in it
    if side <= w:
        bx0 = min(max(bx0, 0), w - side)
    if side <= h:
        by0 = min(max(by0, 0), h - side)
    return bx0, by0, bx0 + side, by0 + side


def centre_square_box(h: int, w: int) -> Box:
    side = min(h, w)
    x0, y0 = (w - side) // 2, (h - side) // 2
    return x0, y0, x0 + side, y0 + side


def crop_box(image: np.ndarray, box: Box) -> np.ndarray:
    """Cut ``box`` out of ``image``, padding by reflection where the box reaches outside."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    pad_l, pad_t = max(0, -x0), max(0, -y0)
    pad_r, pad_b = max(0, x1 - w), max(0, y1 - h)
    if pad_l or pad_t or pad_r or pad_b:
        # reflection needs the pad to be smaller than the image; repeat it for very large boxes
        mode = cv2.BORDER_REFLECT_101 if max(pad_l, pad_r) < w and max(pad_t, pad_b) < h else cv2.BORDER_REPLICATE
        image = cv2.copyMakeBorder(image, pad_t, pad_b, pad_l, pad_r, mode)
        x0, x1, y0, y1 = x0 + pad_l, x1 + pad_l, y0 + pad_t, y1 + pad_t
    return image[y0:y1, x0:x1]


def resize_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize to exactly width x height (area filter when shrinking, which avoids aliasing)."""
    h, w = image.shape[:2]
    interp = cv2.INTER_AREA if (w > width or h > height) else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interp)


def to_tensor(image: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """RGB uint8 (H, W, 3) -> float32 (3, H, W), scaled to [0, 1] then normalised per channel."""
    arr = image.astype(np.float32) / 255.0
    arr = (arr - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(arr.transpose(2, 0, 1))


# --- pipelines built from a model card --------------------------------------------------------------

ImageStep = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class StepSpec:
    """One preprocessing step as the model card states it: ``{"step": name, ...params}``."""

    name: str
    params: Mapping[str, Any]

    @staticmethod
    def parse(raw: Mapping[str, Any]) -> StepSpec:
        params = {k: v for k, v in raw.items() if k != "step"}
        return StepSpec(str(raw["step"]), params)


def _step(spec: StepSpec) -> ImageStep:
    p = spec.params
    if spec.name == "remove_hair":
        return lambda im: remove_hair(im, int(p.get("kernel_size", 17)), int(p.get("threshold", 10)))
    if spec.name == "shades_of_grey":
        return lambda im: shades_of_grey(im, float(p.get("p", 6.0)))
    if spec.name == "resize":
        return lambda im: resize_to(im, int(p["width"]), int(p["height"]))
    raise ValueError(f"unknown image preprocessing step {spec.name!r}")


IMAGE_STEPS = ("remove_hair", "shades_of_grey", "resize")
"""Steps that map an image to an image; ``lesion_crop`` (needs a mask) and ``normalize`` (ends the
pipeline) are applied by the caller around them, in the order the card gives."""


def compose(specs: Sequence[StepSpec]) -> ImageStep:
    """Chain the image-to-image steps of a card into one callable."""
    steps = [_step(s) for s in specs if s.name in IMAGE_STEPS]

    def run(image: np.ndarray) -> np.ndarray:
        for step in steps:
            image = step(image)
        return image

    return run


# --- the steps around the image chain: lesion_crop (needs a mask) and normalize (ends it) ------------

def lesion_crop(
    image: np.ndarray, mask: np.ndarray | None, margin: float = 0.25, min_fraction: float = 0.25
) -> tuple[np.ndarray, Box]:
    """Crop the square ``lesion_box`` of ``mask`` out of ``image``; returns the crop and its box."""
    h, w = image.shape[:2]
    box = lesion_box(mask, margin, min_fraction) if mask is not None else centre_square_box(h, w)
    return crop_box(image, box), box


def normalize(image: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """The last step of every card: RGB uint8 -> normalised float32 (3, H, W)."""
    return to_tensor(image, mean, std)


def shrink_to(image: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink (area filter) so the longest side is at most ``max_side``; never enlarges."""
    h, w = image.shape[:2]
    if max(h, w) <= max_side:
        return image
    s = max_side / max(h, w)
    return cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class CardPipeline:
    """A card's preprocessing as one callable: (image, mask) -> (normalised CHW float32, crop box).

    Hair removal costs ~0.4 s at 765x572, so when the card resizes afterwards the crop is first shrunk
    to ``work_factor`` times the final size before it: hair_mask scales its kernel with the image,
    and HAM10000 training crops are ~200 px anyway. Every other step runs exactly as ``compose`` runs
    it (training's own evaluation uses ``compose``), so without hair removal the tensors are identical.
    """

    specs: tuple[StepSpec, ...]
    input_size: tuple[int, int] | None = None  # (height, width) when the card's input shape is static
    work_factor: float = 2.0

    @property
    def crop(self) -> StepSpec | None:
        return next((s for s in self.specs if s.name == "lesion_crop"), None)

    @property
    def output_size(self) -> tuple[int, int] | None:
        resize = next((s for s in self.specs if s.name == "resize"), None)
        if resize is not None:
            return int(resize.params["height"]), int(resize.params["width"])
        return self.input_size

    def image_steps(self) -> ImageStep:
        specs = list(self.specs)
        size = self.output_size
        chain: list[ImageStep] = []
        if size is not None and not any(s.name == "resize" for s in specs):
            specs.append(StepSpec("resize", {"height": size[0], "width": size[1]}))
        bound = int(round(max(size) * self.work_factor)) if size is not None else None
        shrunk = False
        for spec in specs:
            if spec.name not in IMAGE_STEPS:
                continue
            if spec.name == "remove_hair" and bound is not None and not shrunk:
                chain.append(lambda im, b=bound: shrink_to(im, b))
                shrunk = True
            chain.append(_step(spec))

        def run(image: np.ndarray) -> np.ndarray:
            for step in chain:
                image = step(image)
            return image

        return run

    def normalisation(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        spec = next((s for s in self.specs if s.name == "normalize"), None)
        if spec is None:
            return (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
        return tuple(float(v) for v in spec.params["mean"]), tuple(float(v) for v in spec.params["std"])

    def prepare(self, image: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, Box]:
        """Image (and lesion mask, for cards that crop) -> (normalised tensor, box in image coordinates)."""
        h, w = image.shape[:2]
        crop = self.crop
        if crop is not None:
            p = crop.params
            image, box = lesion_crop(image, mask, float(p.get("margin", 0.25)), float(p.get("min_fraction", 0.25)))
        else:
            box = (0, 0, w, h)
        image = self.image_steps()(image)
        mean, std = self.normalisation()
        return normalize(image, mean, std), box


def build_pipeline(specs: Sequence[StepSpec], input_size: tuple[int | None, int | None] | None = None) -> CardPipeline:
    """Check the card's step names and build its pipeline; unknown steps raise ``ValueError``."""
    known = (*IMAGE_STEPS, "lesion_crop", "normalize")
    for spec in specs:
        if spec.name not in known:
            raise ValueError(f"unknown preprocessing step {spec.name!r}")
    size = None
    if input_size is not None and input_size[0] is not None and input_size[1] is not None:
        size = (int(input_size[0]), int(input_size[1]))
    return CardPipeline(tuple(specs), size)
