"""Fuzz the picture path (issue 17 item 4): mutated PNG, JPEG, TIFF, GIF, BMP, WebP and DICOM files, made
here, go through the one decoder (``captures.prepare_file`` -> ``image_io.decode_image`` /
``dicom.importer``) and through ``ImportService.import_files`` on a real database and image store.

Every file must end in one of two outcomes:
- a clear refusal: the project's error type (``ImageReadError``; ``DicomReadError`` is one), its message
  naming the file, and in the import nothing stored (no capture row, no picture file, no audit event);
- pixels: an (H, W, 3) uint8 RGB picture; the unmutated files give the reference pixels (exactly for
  lossless formats, closely for JPEG), and a PNG whose checksums still hold gives exactly them too.

The normal test run uses a small, derandomized (repeatable) number of examples per format;
``DERMSTATION_FUZZ_EXAMPLES=2000`` runs the long version (see benchmarks/README.md for the last run).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import func, select

from dermstation.core.errors import DermStationError, ImageReadError
from dermstation.records.models import AuditEvent, ImageCapture
from dermstation.services.captures import prepare_file
from dermstation.services.imports import ImportService
from dermstation.services.types import PatientInput

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dicom_samples import write_dicom  # noqa: E402

EXAMPLES = int(os.environ.get("DERMSTATION_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FORMATS = ("png", "jpeg", "tiff", "gif", "bmp", "webp", "dicom")
LOSSLESS = frozenset({"png", "tiff", "gif", "bmp", "webp", "dicom"})
PALETTE = np.array([[120, 72, 50], [160, 110, 80], [200, 160, 130], [90, 50, 40],
                    [220, 190, 170], [60, 35, 30], [180, 130, 100], [140, 90, 70]], np.uint8)


def reference() -> np.ndarray:
    """A 64x48 skin-toned picture with a dark blob, in 8 colours (so GIF holds it exactly)."""
    yy, xx = np.mgrid[0:48, 0:64]
    index = ((xx // 8 + yy // 6) % 5).astype(np.uint8)
    index[(yy - 24) ** 2 + (xx - 32) ** 2 < 140] = 5
    index[(yy - 22) ** 2 + (xx - 30) ** 2 < 30] = 3
    return PALETTE[index]


REFERENCE = reference()


def encode(fmt: str, rgb: np.ndarray = REFERENCE) -> bytes:
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if fmt in ("png", "bmp"):
        return cv2.imencode(f".{fmt}", bgr)[1].tobytes()
    if fmt == "jpeg":
        return cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    buf = io.BytesIO()
    if fmt == "tiff":
        Image.fromarray(rgb).save(buf, format="TIFF", compression="tiff_lzw")
    elif fmt == "webp":
        Image.fromarray(rgb).save(buf, format="WEBP", lossless=True)
    elif fmt == "gif":
        palette_image = Image.fromarray(rgb).quantize(colors=8, method=Image.Quantize.MEDIANCUT, dither=0)
        palette_image.save(buf, format="GIF")
    elif fmt == "dicom":
        write_dicom(buf, rgb)  # pydicom writes to a file-like object as well
    return buf.getvalue()


ORIGINALS = {fmt: encode(fmt) for fmt in FORMATS}
SUFFIX = {"jpeg": ".jpg", "dicom": ".dcm"}


@st.composite
def mutations(draw: st.DrawFn, fmt: str) -> bytes:
    """The file of ``fmt`` with one to three damages: bit flips, overwritten or zeroed runs, cuts,
    inserted or repeated bytes, or a header size field set to a huge value."""
    data = bytearray(ORIGINALS[fmt])
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        kind = draw(st.sampled_from(("flip", "overwrite", "zero", "truncate", "insert", "repeat", "huge")))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[at:at + len(chunk)] = chunk
        elif kind == "zero":
            length = draw(st.integers(1, 64))
            data[at:at + length] = bytes(min(length, len(data) - at))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif kind == "repeat":
            end = min(len(data), at + draw(st.integers(1, 256)))
            data[end:end] = data[at:end]
        else:  # "huge": a 4-byte size field near the start claims an enormous picture
            pos = draw(st.integers(0, min(len(data), 200) - 1))
            data[pos:pos + 4] = draw(st.sampled_from((b"\xff\xff\xff\xff", b"\x00\x01\x00\x00", b"\x7f\xff\x00\x00")))
    return bytes(data)


def check_pixels(fmt: str, pixels: np.ndarray, mutated: bool) -> None:
    assert isinstance(pixels, np.ndarray) and pixels.dtype == np.uint8
    assert pixels.ndim == 3 and pixels.shape[2] == 3 and pixels.shape[0] >= 2 and pixels.shape[1] >= 2
    if mutated and fmt != "png":
        return  # damaged pixels in a format without checksums may decode to other values: shape is all we know
    if pixels.shape != REFERENCE.shape:
        assert mutated, f"{fmt}: the unmutated file decoded to {pixels.shape}"
        return
    if fmt in LOSSLESS:
        # a PNG's CRCs and zlib checksum protect every pixel: if it decodes at full size, it is exact
        assert np.array_equal(pixels, REFERENCE), f"{fmt}: pixels differ from the reference"
    else:
        assert np.abs(pixels.astype(int) - REFERENCE).mean() < 4, "jpeg: far from the reference"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unmutated_files_give_the_reference_pixels(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"photo{SUFFIX.get(fmt, '.' + fmt)}"
    path.write_bytes(ORIGINALS[fmt])
    check_pixels(fmt, prepare_file(path).image.pixels, mutated=False)


def decode_or_refuse(fmt: str, data: bytes, folder: Path) -> np.ndarray | None:
    """The one decoder on ``data`` saved under a telling name: pixels, or None after a proper refusal."""
    path = folder / f"case-{fmt}{SUFFIX.get(fmt, '.' + fmt)}"
    path.write_bytes(data)
    try:
        prepared = prepare_file(path)
    except ImageReadError as exc:
        assert path.name in exc.message, f"the refusal does not name the file: {exc.message!r}"
        return None
    # anything else (cv2.error, ValueError, MemoryError, a pydicom exception...) fails the test here
    check_pixels(fmt, prepared.image.pixels, mutated=data != ORIGINALS[fmt])
    return prepared.image.pixels


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_decoder_refuses_clearly_or_gives_pixels(fmt: str, tmp_path: Path) -> None:
    @FUZZ
    @given(data=mutations(fmt))
    def run(data: bytes) -> None:
        decode_or_refuse(fmt, data, tmp_path)

    run()


@pytest.fixture
def lesion_id(services, dermatologist) -> int:  # noqa: ANN001
    patient = services.patients.create(dermatologist, PatientInput("FZ-1", "Fuzz", "Case", None))
    return services.patients.add_lesion(dermatologist, patient.id, "upper back", "L1").id


def stored(services) -> tuple[int, int, int]:  # noqa: ANN001
    """(capture rows, picture files, audit events): what an import leaves behind."""
    with services.database.session() as session:
        rows = session.scalar(select(func.count()).select_from(ImageCapture))
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    files = sum(1 for p in services.paths.image_store.rglob("*") if p.is_file())
    return rows, files, events


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_import_stores_a_picture_or_nothing_and_names_the_file(
    fmt: str, services, dermatologist, lesion_id: int, tmp_path: Path  # noqa: ANN001
) -> None:
    imports = ImportService(services.captures)
    counter = iter(range(10**9))

    @FUZZ
    @given(data=mutations(fmt))
    def run(data: bytes) -> None:
        folder = tmp_path / f"batch{next(counter)}"
        folder.mkdir()
        path = folder / f"visit-{fmt}{SUFFIX.get(fmt, '.' + fmt)}"
        path.write_bytes(data)
        before = stored(services)
        report = imports.import_files(dermatologist, lesion_id, [path])
        after = stored(services)
        assert report.total == 1
        if report.failures:
            (failure,) = report.failures
            assert path.name in failure.message, failure.message
            # not the import's catch-all for unexpected exceptions: a known refusal with its reason
            assert "could not be imported (" not in failure.message, failure.details
            assert after[:2] == before[:2], "a refused file left a capture or a picture behind"
            assert after[2] == before[2], "a refused file left an audit event"
        else:
            (summary,) = report.imported
            assert after[0] == before[0] + 1
            assert (summary.height, summary.width)[0] >= 2
            # the stored picture is the same one the decoder accepted
            pixels = decode_or_refuse(fmt, data, tmp_path)
            assert pixels is not None
            again = imports.import_files(dermatologist, lesion_id, [path])  # a duplicate is refused by name
            assert not again.imported and path.name in again.failures[0].message
            assert stored(services)[:2] == after[:2]

    run()


def test_decode_errors_are_the_projects_error_type() -> None:
    """The refusals above are DermStationErrors with a plain message (not a traceback)."""
    assert issubclass(ImageReadError, DermStationError)


def test_regressions_found_by_the_long_run(tmp_path: Path) -> None:
    """Files the long fuzz runs found escaping the decoder as foreign exceptions (now clear refusals)."""
    # a GIF frame claiming 65535 x 65535 pixels inside a 64 x 48 screen (PIL DecompressionBombError)
    gif = bytearray(ORIGINALS["gif"])
    at = gif.index(b"\x2c\x00\x00\x00\x00")  # the image descriptor: separator, left, top, width, height
    gif[at + 5:at + 9] = b"\xff\xff\xff\xff"
    # a DICOM header naming a UID that is no transfer syntax (pydicom ValueError)
    dicom = ORIGINALS["dicom"].replace(b"1.2.840.10008.1.2.1\x00", b"1.2.840.10008.9.9.9\x00", 1)
    # ... and one whose transfer syntax became two values (a backslash: pydicom AttributeError)
    two = ORIGINALS["dicom"].replace(b"1.2.840.10008.1.2.1\x00", b"1.2.840.10008\\1.2.1\x00", 1)
    assert dicom != ORIGINALS["dicom"] and two != ORIGINALS["dicom"]
    for fmt, data in (("gif", bytes(gif)), ("dicom", dicom), ("dicom", two)):
        assert decode_or_refuse(fmt, data, tmp_path) is None
