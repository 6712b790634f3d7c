"""One photo, every container: the same pixels and the same answer through the CLI path and the GUI path.

A real dermoscopy photo (CC0 ISIC melanoma) is written as PNG, PNG with a transparent border, 16-bit TIFF,
BMP, lossless WebP, uncompressed DICOM and JPEG 2000 (reversible) DICOM: every one must decode to exactly
the photo's pixels and get exactly its analysis, whether analysed as a file (``dermstation analyze``) or
imported, stored and analysed from the store (the Analysis page). Lossy copies (JPEG, lossless HEIC's
YCbCr rounding, irreversible JPEG 2000, a 256-colour GIF) must give the same decision.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from sample_data import ISIC_MELANOMA, read_rgb

from dermstation.core.config import PROJECT_ROOT
from dermstation.services.analysis import AnalysisService
from dermstation.services.imports import decode_capture
from dermstation.services.types import PatientInput

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from dicom_samples import write_dicom  # noqa: E402
from test_picture_path import _jpeg2000_dicom  # noqa: E402


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Pixels do not depend on the backend (test_picture_path stores on both): SQLite is enough here."""
    return sqlite_url


@pytest.fixture(scope="module")
def analysis() -> AnalysisService:
    return AnalysisService(models_dir=PROJECT_ROOT / "models", provider="cpu")


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return read_rgb(ISIC_MELANOMA)


def _outcome(fn, *args):  # noqa: ANN001, ANN202
    """(top class, probabilities, malignancy, suspicious): a dermoscopy photo is analysed, never refused."""
    r = fn(*args)
    return (r.top_class, tuple(round(p, 6) for _c, p in r.probabilities), round(r.malignancy, 6), r.is_suspicious)


def _bgr(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _lossless_copies(photo: np.ndarray, folder: Path) -> list[Path]:
    h, w = photo.shape[:2]
    cv2.imwrite(str(folder / "copy.png"), _bgr(photo))
    framed = np.zeros((h + 50, w + 80, 4), np.uint8)
    framed[..., :3] = 255  # hidden colour under the transparent border
    framed[25:-25, 40:-40, :3], framed[25:-25, 40:-40, 3] = photo, 255
    cv2.imwrite(str(folder / "framed.png"), cv2.cvtColor(framed, cv2.COLOR_RGBA2BGRA))
    cv2.imwrite(str(folder / "deep.tif"), _bgr(photo).astype(np.uint16) * 257)
    cv2.imwrite(str(folder / "copy.bmp"), _bgr(photo))
    cv2.imwrite(str(folder / "copy.webp"), _bgr(photo), [cv2.IMWRITE_WEBP_QUALITY, 101])  # > 100: lossless
    write_dicom(folder / "plain.dcm", photo, None)
    _jpeg2000_dicom(folder / "rct.dcm", photo, "YBR_RCT")
    return sorted(folder.iterdir())


def test_lossless_copies_get_exactly_the_photos_answer_on_both_paths(analysis, photo, services, dermatologist,
                                                                      tmp_path) -> None:
    reference = _outcome(analysis.analyze_image, photo)
    folder = tmp_path / "copies"
    folder.mkdir()
    copies = _lossless_copies(photo, folder)
    for path in copies:  # the CLI path
        assert _outcome(analysis.analyze_file, path) == reference, path.name
    ws = replace(services, analysis=analysis).workstation
    patient = services.patients.create(dermatologist, PatientInput("R9", "Mo", "Same", None))
    report = None
    for i, path in enumerate(copies):  # the GUI path: import, store, decode from the store, analyse
        lesion = services.patients.add_lesion(dermatologist, patient.id, "back", f"L{i}")
        report = ws.imports.import_files(dermatologist, lesion.id, [path])
        assert not report.failures, report.failures
        stored = decode_capture(ws.records.capture_image(dermatologist, report.imported[0].id))
        assert np.array_equal(stored.pixels, photo), path.name
        assert _outcome(analysis.analyze_loaded, stored) == reference, path.name


def test_lossy_copies_get_the_same_decision(analysis, photo, tmp_path) -> None:
    reference = _outcome(analysis.analyze_image, photo)
    cv2.imwrite(str(tmp_path / "copy.jpg"), _bgr(photo), [cv2.IMWRITE_JPEG_QUALITY, 95])
    Image.fromarray(photo).quantize(colors=256).save(tmp_path / "copy.gif")
    heif = pytest.importorskip("pillow_heif")
    heif.register_heif_opener()
    Image.fromarray(photo).save(tmp_path / "copy.heic", format="HEIF", quality=-1)
    _jpeg2000_dicom(tmp_path / "ict.dcm", photo, "YBR_ICT")
    for path in sorted(tmp_path.iterdir()):
        got = _outcome(analysis.analyze_file, path)
        assert got[0] == reference[0] and got[3] == reference[3], (path.name, got, reference)
        assert abs(got[2] - reference[2]) < 0.05, (path.name, got[2], reference[2])
