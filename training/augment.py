"""Augmentations for device shift (numpy/OpenCV). Colour ones run BEFORE shades_of_grey in training."""

from __future__ import annotations

import cv2
import numpy as np


def colour_jitter(img: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Another dermatoscope: light colour cast, brightness, contrast, saturation, gamma."""
    x = img.astype(np.float32) / 255.0
    gains = np.exp(rng.normal(0.0, 0.12 * strength, 3)).astype(np.float32)  # illuminant colour
    x = x * gains * np.float32(np.exp(rng.normal(0.0, 0.15 * strength)))  # brightness
    mean = x.mean()
    x = (x - mean) * np.float32(np.exp(rng.normal(0.0, 0.15 * strength))) + mean  # contrast
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * np.float32(np.exp(rng.normal(0.0, 0.2 * strength)))  # saturation
    x = np.clip(x, 0.0, 1.0) ** np.float32(np.exp(rng.normal(0.0, 0.12 * strength)))  # gamma
    return (np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def blur_noise(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Focus and sensor differences: occasional Gaussian blur, occasional noise, JPEG-like softening."""
    if rng.random() < 0.3:
        s = rng.uniform(0.3, 1.5)
        img = cv2.GaussianBlur(img, (0, 0), s)
    if rng.random() < 0.2:
        img = np.clip(img.astype(np.float32) + rng.normal(0, rng.uniform(2, 8), img.shape), 0, 255).astype(np.uint8)
    return img


def random_affine(h_in: int, w_in: int, w_out: int, h_out: int, rng: np.random.Generator,
                  scale: tuple[float, float] = (0.75, 1.3), max_shift: float = 0.1) -> np.ndarray:
    """2x3 matrix: plain resize of the whole input to the output, then rotation/flip/zoom/shift about the centre."""
    sx, sy = w_out / w_in, h_out / h_in
    base = np.array([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], np.float64)
    ang = rng.uniform(0, 360)
    s = np.exp(rng.uniform(np.log(scale[0]), np.log(scale[1])))
    c = (w_out / 2.0, h_out / 2.0)
    rot = np.vstack([cv2.getRotationMatrix2D(c, ang, s), [0, 0, 1]])
    if rng.random() < 0.5:
        rot = rot @ np.array([[-1, 0, w_out], [0, 1, 0], [0, 0, 1]], np.float64)
    rot[0, 2] += rng.uniform(-max_shift, max_shift) * w_out
    rot[1, 2] += rng.uniform(-max_shift, max_shift) * h_out
    return (rot @ base)[:2]
