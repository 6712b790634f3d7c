"""Draw what the model saw: CAM heatmap (JET) blended onto the image, lesion contour on top."""

from __future__ import annotations

import cv2
import numpy as np

CONTOUR_RGB = (0, 255, 0)


def heatmap_rgb(cam: np.ndarray) -> np.ndarray:
    """Float map in [0, 1] -> RGB uint8 JET colours."""
    scaled = np.clip(np.nan_to_num(cam) * 255.0, 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(scaled, cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)


def render_overlay(
    image: np.ndarray,
    contour: np.ndarray | None = None,
    cam: np.ndarray | None = None,
    alpha: float = 0.4,
    contour_rgb: tuple[int, int, int] = CONTOUR_RGB,
) -> np.ndarray:
    """RGB uint8 image with the heatmap blended where the CAM is non-zero and the contour drawn.

    ``cam`` is float32 in [0, 1] at the image's resolution; ``contour`` (K, 2) int (x, y) points.
    """
    out = np.ascontiguousarray(image[:, :, :3]).copy()
    h, w = out.shape[:2]
    if cam is not None and cam.size:
        if cam.shape[:2] != (h, w):
            cam = cv2.resize(cam.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        heat = heatmap_rgb(cam)
        # weight by the CAM itself so cold areas keep the original image
        weight = (alpha * np.clip(cam, 0, 1))[:, :, None]
        out = (out * (1.0 - weight) + heat * weight).astype(np.uint8)
    if contour is not None and len(contour) >= 2:
        thickness = max(1, round(max(h, w) / 300))
        cv2.polylines(out, [np.asarray(contour, np.int32).reshape(-1, 1, 2)], True, contour_rgb, thickness,
                      lineType=cv2.LINE_AA)
    return out


def encode_png(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()
