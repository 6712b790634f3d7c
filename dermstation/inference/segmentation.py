"""Segmenter output -> one clean lesion mask at the input's full resolution, and its contour."""

from __future__ import annotations

import cv2
import numpy as np

from dermstation.inference.preprocess import largest_component


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill every hole of a bool mask (the outer contours drawn filled)."""
    binary = mask.astype(np.uint8)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = np.zeros_like(binary)
    cv2.drawContours(out, contours, -1, 1, thickness=cv2.FILLED)
    return out.astype(bool)


def smooth_mask(mask: np.ndarray, fraction: float = 0.01) -> np.ndarray:
    """Smooth the outline: Gaussian blur of the mask re-thresholded at 0.5 (sigma = ``fraction`` of size).

    Removes pixel staircase and spurs from upsampling without moving a smooth border.
    """
    h, w = mask.shape
    sigma = max(0.5, fraction * min(h, w))
    blurred = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigmaX=sigma, sigmaY=sigma)
    return blurred >= 0.5


def mask_from_probability(
    probability: np.ndarray, size: tuple[int, int], threshold: float = 0.5, smooth: float = 0.01,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """(h, w) probability at model resolution -> bool mask of ``size`` (H, W): smoothed, resized back
    (bilinear), thresholded, ``exclude`` (H, W bool, e.g. synthetic padding) removed, largest component,
    holes filled (a hole is never filled with excluded pixels).

    Smoothing the small probability map (sigma = ``smooth`` of its shorter side) before upsampling
    gives a smooth outline at a fraction of the cost of smoothing the full-resolution mask.
    """
    height, width = size
    prob = np.asarray(probability, dtype=np.float32)
    if smooth > 0:
        sigma = max(0.5, smooth * min(prob.shape))
        prob = cv2.GaussianBlur(prob, (0, 0), sigmaX=sigma, sigmaY=sigma)
    if prob.shape != (height, width):
        prob = cv2.resize(prob, (width, height), interpolation=cv2.INTER_LINEAR)
    mask = prob > threshold
    if exclude is None or not exclude.any():
        return clean_mask(mask, smooth=0.0)
    return clean_mask(mask & ~exclude, smooth=0.0) & ~exclude


def clean_mask(mask: np.ndarray, smooth: float = 0.01) -> np.ndarray:
    """Largest component, holes filled, outline smoothed (bool in, bool out)."""
    mask = largest_component(mask)
    if not mask.any():
        return mask
    mask = fill_holes(mask)
    if smooth > 0:
        smoothed = largest_component(smooth_mask(mask, smooth))
        if smoothed.any():  # a thin sliver can vanish when smoothed; keep the raw one then
            mask = fill_holes(smoothed)
    return mask


def outer_contour(mask: np.ndarray) -> np.ndarray:
    """The outline of the largest region as (K, 2) int32 (x, y) points; empty (0, 2) for an empty mask."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return np.zeros((0, 2), np.int32)
    biggest = max(contours, key=cv2.contourArea)
    return biggest.reshape(-1, 2).astype(np.int32)
