"""Writing small DICOM files for tests (VL Photographic, uncompressed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

VL_PHOTOGRAPHIC = "1.2.840.10008.5.1.4.1.1.77.1.4"


def write_dicom(path: Path, pixels: np.ndarray, spacing: tuple[float, float] | None = (0.02, 0.02),
                photometric: str | None = None) -> Path:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = VL_PHOTOGRAPHIC
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = VL_PHOTOGRAPHIC
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "XC"
    ds.Rows, ds.Columns = pixels.shape[:2]
    if pixels.ndim == 3:
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = photometric or "RGB"
        ds.PlanarConfiguration = 0
    else:
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = photometric or "MONOCHROME2"
    bits = pixels.dtype.itemsize * 8
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    if spacing is not None:
        ds.PixelSpacing = list(spacing)
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path
