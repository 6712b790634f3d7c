"""The one decoder (``image_io.decode_image``): every container of one photo gives the same pixels,
and every odd file gets a refusal that names it and says what is wrong."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from sample_data import ISIC_NEVUS, read_rgb

from dermstation.core.errors import ImageReadError
from dermstation.inference.image_io import decode_image, load_array, read_image


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A real dermoscopy photo (CC0 ISIC), shrunk to keep the lossless encodings fast."""
    rgb = read_rgb(ISIC_NEVUS)
    return np.ascontiguousarray(cv2.resize(rgb, (320, 240), interpolation=cv2.INTER_AREA))


def _png(rgb_or_rgba: np.ndarray) -> bytes:
    code = cv2.COLOR_RGBA2BGRA if rgb_or_rgba.shape[2] == 4 else cv2.COLOR_RGB2BGR
    return cv2.imencode(".png", cv2.cvtColor(rgb_or_rgba, code))[1].tobytes()


def test_same_bytes_same_pixels_through_file_and_bytes(photo: np.ndarray, tmp_path: Path) -> None:
    data = _png(photo)
    (tmp_path / "p.png").write_bytes(data)
    from_file = read_image(tmp_path / "p.png")
    from_bytes = decode_image(data, "p.png")
    assert np.array_equal(from_file.pixels, from_bytes.pixels)
    assert np.array_equal(from_bytes.pixels, photo)
    assert np.array_equal(load_array(photo).pixels, photo)  # a camera frame / DICOM array: same pixels


def test_transparent_border_gives_the_photo_without_it(photo: np.ndarray) -> None:
    h, w = photo.shape[:2]
    framed = np.zeros((h + 40, w + 60, 4), np.uint8)
    framed[..., :3] = (255, 255, 255)  # colour under the transparent border must not matter
    framed[20 : 20 + h, 30 : 30 + w, :3] = photo
    framed[20 : 20 + h, 30 : 30 + w, 3] = 255
    bordered = decode_image(_png(framed), "framed.png")
    assert bordered.original_size == (h, w)
    assert np.array_equal(bordered.pixels, photo)
    # an opaque RGBA copy is the RGB photo too
    opaque = np.dstack([photo, np.full((h, w), 255, np.uint8)])
    assert np.array_equal(decode_image(_png(opaque), "opaque.png").pixels, photo)


def test_palette_gif_is_accepted_with_its_palette_colours(photo: np.ndarray) -> None:
    pal = Image.fromarray(photo).quantize(colors=256)
    buf = io.BytesIO()
    pal.save(buf, format="GIF")
    expected = np.asarray(pal.convert("RGB"))
    decoded = decode_image(buf.getvalue(), "lesion.gif")
    assert np.array_equal(decoded.pixels, expected)


def test_gif_with_transparent_border_follows_the_alpha_rule(photo: np.ndarray) -> None:
    h, w = photo.shape[:2]
    small = Image.fromarray(photo).quantize(colors=200)
    canvas = Image.new("P", (w + 20, h + 20), 255)
    canvas.putpalette(small.getpalette())
    canvas.paste(small, (10, 10))
    buf = io.BytesIO()
    canvas.save(buf, format="GIF", transparency=255)
    decoded = decode_image(buf.getvalue(), "bordered.gif")
    assert decoded.original_size == (h, w)
    assert np.array_equal(decoded.pixels, np.asarray(small.convert("RGB")))


def test_heic_photo_is_accepted(photo: np.ndarray) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, format="HEIF", quality=-1)  # lossless
    decoded = decode_image(buf.getvalue(), "phone.heic")
    assert decoded.pixels.shape == photo.shape
    # HEVC stores YCbCr: lossless in its own space, a few levels off in RGB
    assert np.abs(decoded.pixels.astype(int) - photo).mean() < 3.0


@pytest.mark.parametrize(("data", "words"), [
    (b"\xff\x0a" + bytes(64), "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n" + bytes(64), "JPEG XL"),
    (b"\x00\x00\x00\x1cftypavif" + bytes(64), "AVIF"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(64), "JPEG 2000"),
])
def test_unsupported_formats_are_refused_by_name(data: bytes, words: str) -> None:
    with pytest.raises(ImageReadError) as caught:
        decode_image(data, "odd-file.img")
    assert words in caught.value.message and "odd-file.img" in caught.value.message


def test_degenerate_sizes_name_the_file_and_the_size() -> None:
    one = _png(np.zeros((1, 1, 3), np.uint8))
    with pytest.raises(ImageReadError) as caught:
        decode_image(one, "dot.png")
    assert "dot.png" in caught.value.message and "1x1" in caught.value.message
    zero = bytearray(_png(np.zeros((4, 4, 3), np.uint8)))
    zero[16:24] = bytes(8)  # IHDR width and height 0
    with pytest.raises(ImageReadError) as caught:
        decode_image(bytes(zero), "zero.png")
    assert "zero.png" in caught.value.message and "0x0" in caught.value.message


def test_fully_transparent_image_is_refused() -> None:
    with pytest.raises(ImageReadError, match="clear.png is fully transparent"):
        decode_image(_png(np.zeros((8, 8, 4), np.uint8)), "clear.png")


def test_corrupt_data_is_called_damaged_with_the_file_name(photo: np.ndarray) -> None:
    data = bytearray(_png(photo))
    data[60:4000] = bytes(3940)  # the image data chunk zeroed, header and end intact
    with pytest.raises(ImageReadError) as caught:
        decode_image(bytes(data), "broken.png")
    assert "broken.png" in caught.value.message and "damaged" in caught.value.message
    bad_gif = b"GIF89a" + (64).to_bytes(2, "little") * 2 + bytes(20)
    with pytest.raises(ImageReadError, match="bad.gif is damaged"):
        decode_image(bad_gif, "bad.gif")
