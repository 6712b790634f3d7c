"""Image decoding: every bad input is refused with a clear ImageReadError; odd-but-valid ones work."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from dermstation.core.errors import ImageReadError
from dermstation.inference.image_io import MAX_PIXELS, header_size, load_array, read_image


def _write_bgr(path: Path, rgb: np.ndarray, params: list[int] | None = None) -> Path:
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params or [])
    return path


def _exif_orientation_segment(orientation: int) -> bytes:
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHI", 0x0112, 3, 1) + struct.pack(">HH", orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def test_ph2_image_decodes_as_rgb(test_data: Path) -> None:
    path = test_data / "ph2" / "images" / "IMD006.jpg"
    loaded = read_image(path)
    ref = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    assert loaded.pixels.dtype == np.uint8 and loaded.pixels.shape == ref.shape
    assert np.array_equal(loaded.pixels, ref)
    assert loaded.scale == 1.0 and loaded.original_size == ref.shape[:2]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="does not exist"):
        read_image(tmp_path / "nothing.jpg")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty"):
        read_image(tmp_path / "empty.jpg")


def test_text_file_named_jpg(tmp_path: Path) -> None:
    (tmp_path / "notes.jpg").write_text("this is not a picture\n")
    with pytest.raises(ImageReadError, match="not an image"):
        read_image(tmp_path / "notes.jpg")


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError):
        read_image(tmp_path)


def test_truncated_jpeg_is_refused(test_data: Path, tmp_path: Path) -> None:
    data = (test_data / "ph2" / "images" / "IMD006.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) * 6 // 10])
    with pytest.raises(ImageReadError, match="truncated"):
        read_image(tmp_path / "cut.jpg")


def test_truncated_jpeg_with_end_marker_is_caught_by_grey_fill(test_data: Path, tmp_path: Path) -> None:
    # a cut file with an EOI glued on: the decoder "succeeds" and fills the rest with grey
    data = (test_data / "ph2" / "images" / "IMD006.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2] + b"\xff\xd9")
    with pytest.raises(ImageReadError, match="truncated"):
        read_image(tmp_path / "cut.jpg")


def test_truncated_png_is_refused(test_data: Path, tmp_path: Path) -> None:
    path = test_data / "ph2" / "masks" / "IMD006.png"
    data = path.read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="truncated"):
        read_image(tmp_path / "cut.png")


def _png_with_size(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    data = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = b"IDAT" + zlib.compress(b"\x00" * 64)
    data += struct.pack(">I", len(idat) - 4) + idat + struct.pack(">I", zlib.crc32(idat))
    return data + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))


def test_huge_png_header_is_refused_before_decoding(tmp_path: Path) -> None:
    (tmp_path / "bomb.png").write_bytes(_png_with_size(50_000, 50_000))
    assert header_size((tmp_path / "bomb.png").read_bytes()) == ("png", (50_000, 50_000))
    with pytest.raises(ImageReadError, match="too large") as info:
        read_image(tmp_path / "bomb.png")
    assert "50000x50000" in info.value.details


def test_huge_jpeg_header_is_refused(test_data: Path, tmp_path: Path) -> None:
    data = bytearray((test_data / "ph2" / "images" / "IMD006.jpg").read_bytes())
    fmt, (h, w) = header_size(bytes(data))
    assert fmt == "jpeg"
    sof = data.find(struct.pack(">HH", h, w))
    data[sof : sof + 4] = struct.pack(">HH", 60_000, 60_000)
    (tmp_path / "bomb.jpg").write_bytes(bytes(data))
    with pytest.raises(ImageReadError, match="too large"):
        read_image(tmp_path / "bomb.jpg")


def test_16_bit_png(tmp_path: Path) -> None:
    rgb16 = np.zeros((50, 60, 3), np.uint16)
    rgb16[..., 0] = 65535
    rgb16[..., 1] = 257 * 100
    path = tmp_path / "deep.png"
    assert cv2.imwrite(str(path), rgb16[..., ::-1])
    pixels = read_image(path).pixels
    assert pixels.dtype == np.uint8 and pixels.shape == (50, 60, 3)
    assert tuple(pixels[10, 10]) == (255, 100, 0)


def test_greyscale_png(tmp_path: Path) -> None:
    grey = np.tile(np.arange(64, dtype=np.uint8) * 4, (32, 1))
    path = tmp_path / "grey.png"
    assert cv2.imwrite(str(path), grey)
    pixels = read_image(path).pixels
    assert pixels.shape == (32, 64, 3)
    assert np.array_equal(pixels[..., 0], grey) and np.array_equal(pixels[..., 2], grey)


def test_rgba_png_transparent_border_is_cropped_and_holes_go_black(tmp_path: Path) -> None:
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., 0] = 200  # red
    rgba[:, :10, 3] = 255  # left half opaque, right half a transparent border
    rgba[5, 2, 3] = 0  # a transparent hole inside the picture
    path = tmp_path / "alpha.png"
    assert cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    loaded = read_image(path)
    assert loaded.pixels.shape == (20, 10, 3) and loaded.original_size == (20, 10)
    assert tuple(loaded.pixels[6, 2]) == (200, 0, 0)
    assert tuple(loaded.pixels[5, 2]) == (0, 0, 0)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    rgb = np.zeros((40, 80, 3), np.uint8)
    rgb[:, :40] = (255, 0, 0)  # left half red
    rgb[:, 40:] = (0, 0, 255)  # right half blue
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    data = buf.tobytes()
    path = tmp_path / "rotated.jpg"
    path.write_bytes(data[:2] + _exif_orientation_segment(6) + data[2:])  # 6 = rotate 90° clockwise
    loaded = read_image(path)
    assert loaded.pixels.shape == (80, 40, 3)
    top, bottom = loaded.pixels[10, 20].astype(int), loaded.pixels[70, 20].astype(int)
    assert top[0] > 200 and top[2] < 60  # the left (red) side is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert loaded.original_size == (80, 40)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_of_png_matches_pillow(tmp_path: Path, orientation: int) -> None:
    """Phones write EXIF orientation into PNG too; OpenCV ignores it there. Compare with Pillow's own
    exif_transpose on an asymmetric lossless image, for all eight orientations."""
    from PIL import Image, ImageOps

    rgb = np.random.default_rng(orientation).integers(0, 255, (30, 50, 3), dtype=np.uint8)
    im = Image.fromarray(rgb)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.png"
    im.save(path, exif=exif)
    with Image.open(path) as stored:
        expected = np.asarray(ImageOps.exif_transpose(stored).convert("RGB"))
    loaded = read_image(path)
    np.testing.assert_array_equal(loaded.pixels, expected)
    assert loaded.original_size == expected.shape[:2]


def test_large_image_is_shrunk_and_spacing_follows(tmp_path: Path) -> None:
    rgb = np.random.default_rng(0).integers(0, 255, (1200, 1600, 3), dtype=np.uint8)  # noise: no shortcut
    path = _write_bgr(tmp_path / "big.png", rgb, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    loaded = read_image(path, max_side=400)
    assert loaded.pixels.shape == (300, 400, 3)
    assert loaded.original_size == (1200, 1600)
    assert loaded.scale == pytest.approx(0.25)
    assert loaded.pixel_spacing(0.01) == pytest.approx(0.04)


def test_large_jpeg_uses_reduced_decoding(tmp_path: Path) -> None:
    rgb = np.full((2400, 3200, 3), 120, np.uint8)
    cv2.circle(rgb, (1600, 1200), 500, (60, 30, 20), -1)
    path = _write_bgr(tmp_path / "big.jpg", rgb)
    loaded = read_image(path, max_side=800)
    assert loaded.pixels.shape == (600, 800, 3)
    assert loaded.scale == pytest.approx(0.25)


def test_load_array_variants() -> None:
    grey16 = (np.arange(100 * 120, dtype=np.uint16).reshape(100, 120) * 5)
    assert load_array(grey16).pixels.shape == (100, 120, 3)
    rgba = np.full((30, 40, 4), 255, np.uint8)
    assert load_array(rgba).pixels.shape == (30, 40, 3)
    floats = np.full((30, 40, 3), 0.5, np.float32)
    assert load_array(floats).pixels[0, 0, 0] == 128
    bgr = np.zeros((10, 10, 3), np.uint8)
    bgr[..., 0] = 255
    assert tuple(load_array(bgr, bgr=True).pixels[0, 0]) == (0, 0, 255)


@pytest.mark.parametrize("bad", [np.zeros((0, 0, 3), np.uint8), np.zeros((5, 5, 7), np.uint8),
                                 np.zeros(10, np.uint8), np.array([["a"]])])
def test_load_array_refuses_non_images(bad: np.ndarray) -> None:
    with pytest.raises(ImageReadError):
        load_array(bad)


def test_load_array_refuses_oversized() -> None:
    big = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), shape=(20_000, 10_001), strides=(0, 0))
    assert big.shape[0] * big.shape[1] > MAX_PIXELS
    with pytest.raises(ImageReadError, match="too large"):
        load_array(big)


def test_uniform_grey_jpeg_is_not_mistaken_for_truncated(tmp_path: Path) -> None:
    path = _write_bgr(tmp_path / "grey.jpg", np.full((64, 64, 3), 128, np.uint8))
    assert read_image(path).pixels.shape == (64, 64, 3)
