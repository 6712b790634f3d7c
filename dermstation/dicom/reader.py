"""Read the image of a DICOM file (dermoscopy is usually VL Photographic / VL Microscopic) for analysis.

Only pixels and pixel size come out: nothing here returns patient identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

from dermstation.core.errors import DicomReadError

DICOM_EXTENSIONS = (".dcm", ".dicom")


@dataclass(frozen=True)
class DicomImage:
    pixels: np.ndarray  # (H, W, 3) uint8 RGB
    pixel_spacing_mm: float | None  # mean of row/column spacing, when the file states it
    modality: str
    frames: int


def is_dicom_file(path: str | Path) -> bool:
    """By extension or by the 'DICM' preamble."""
    path = Path(path)
    if path.suffix.lower() in DICOM_EXTENSIONS:
        return True
    try:
        with open(path, "rb") as fh:
            fh.seek(128)
            return fh.read(4) == b"DICM"
    except OSError:
        return False


def _spacing(ds: pydicom.Dataset) -> float | None:
    for keyword in ("PixelSpacing", "ImagerPixelSpacing", "NominalScannedPixelSpacing"):
        value = ds.get(keyword)
        if value is not None:
            try:
                vals = [float(v) for v in value]
            except (TypeError, ValueError):
                continue
            vals = [v for v in vals if v > 0]
            if vals:
                return float(np.mean(vals))
    return None


def _to_rgb8(pixels: np.ndarray, ds: pydicom.Dataset) -> np.ndarray:
    photometric = str(ds.get("PhotometricInterpretation", "")).upper()
    arr = pixels
    samples = int(ds.get("SamplesPerPixel", 1))
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        arr = arr[0]  # first frame
    if samples == 1:
        arr = arr.astype(np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)
        if photometric == "MONOCHROME1":
            arr = 255.0 - arr
        grey = np.clip(np.round(arr), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if arr.ndim != 3 or arr.shape[2] < 3:
        raise DicomReadError("The DICOM image has an unexpected layout", f"pixel array shape {arr.shape}")
    arr = arr[:, :, :3]
    if photometric.startswith("YBR"):
        from pydicom.pixels import convert_color_space

        arr = convert_color_space(arr, photometric, "RGB")
    if arr.dtype != np.uint8:
        bits = int(ds.get("BitsStored", 8) or 8)
        arr = np.clip(arr.astype(np.float64) * (255.0 / (2**bits - 1)), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr)


def read_dicom(path: str | Path) -> DicomImage:
    """Pixels (RGB uint8) and pixel size of a DICOM file; non-image, malformed or truncated files
    raise ``DicomReadError``."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise DicomReadError(f"The DICOM file {name} does not exist", str(path))
    try:
        ds = pydicom.dcmread(path)
    except InvalidDicomError as exc:
        raise DicomReadError(f"{name} is not a DICOM file", f"{path}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds on damaged files
        raise DicomReadError(f"The DICOM file {name} is damaged or truncated", f"{path}: {exc}") from exc
    if "PixelData" not in ds:
        raise DicomReadError(f"The DICOM file {name} holds no image", f"{path}: no Pixel Data element")
    try:
        # raw samples: ds.pixel_array would already turn YBR into RGB, and _to_rgb converts YBR itself
        from pydicom.pixels import pixel_array

        pixels = pixel_array(ds, as_rgb=False)
    except Exception as exc:  # noqa: BLE001 - truncated data, unsupported transfer syntax
        raise DicomReadError(f"The image in the DICOM file {name} cannot be decoded", f"{path}: {exc}") from exc
    rgb = _to_rgb8(np.asarray(pixels), ds)
    if rgb.shape[0] < 2 or rgb.shape[1] < 2:
        raise DicomReadError(f"The DICOM file {name} holds an empty image", f"{path}: {rgb.shape}")
    return DicomImage(rgb, _spacing(ds), str(ds.get("Modality", "")), int(ds.get("NumberOfFrames", 1) or 1))
