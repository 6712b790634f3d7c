"""The one way in for pixels: bytes or arrays -> RGB uint8, the same pixels on every path.

``decode_image(data, name)`` is the only decoder of image files: the CLI (``read_image``), an import,
a stored capture shown again, a report and the history all call it, so the same bytes give the same
pixels everywhere. Arrays (camera frames, DICOM pixels) come in through ``load_array``, which applies
the same conversions. Rules, in one place:

- EXIF orientation is honoured (JPEG by OpenCV, PNG/TIFF/WebP read with Pillow).
- 16-bit is scaled to 8-bit, grey repeated to RGB.
- Alpha: fully transparent border rows/columns are cropped away, then what is left of transparency is
  composited over black (the colour of a dermatoscope's vignette). So a photo with a transparent
  border gives exactly the pixels of the same photo without it.
- GIF: the first frame (palette and transparency through Pillow). HEIC/HEIF through pillow-heif.
  JPEG XL, AVIF and JPEG 2000 files are refused by name.

A decoder's success proves little: OpenCV returns a half-grey picture for a truncated JPEG and will
allocate gigabytes for a 100 000 x 100 000 PNG header. So the header is read first (dimensions checked
before any pixel is decoded) and the end of the file is checked before decoding. Every refusal names
the file and says what is wrong with it.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dermstation.core.errors import ImageReadError
from dermstation.core.i18n import _

MAX_PIXELS = 100_000_000
"""Refuse images above this many pixels (decompression-bomb guard)."""
WORKING_MAX_SIDE = 2048
"""Larger images are analysed at this longest side; the pixel spacing is scaled to match."""
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".heic", ".heif",
                    ".jxl", ".avif", ".jp2", ".j2k")
"""What a folder import or analysis picks up, never skipping a picture silently: the last four only to be
refused by name (a file given by name is tried whatever its extension)."""


@dataclass(frozen=True)
class LoadedImage:
    """An RGB uint8 image ready for analysis, and how it relates to the original pixels."""

    pixels: np.ndarray  # (H, W, 3) uint8 RGB, at working size
    original_size: tuple[int, int]  # (height, width) of the stored image, after EXIF orientation
    scale: float = 1.0  # working pixels per original pixel (<= 1)
    source: str = ""

    def pixel_spacing(self, original_spacing_mm: float | None) -> float | None:
        """The size of one working pixel in mm, given the original pixel's size."""
        if original_spacing_mm is None:
            return None
        return original_spacing_mm / self.scale


# --- headers --------------------------------------------------------------------------------------

def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    n = len(data)
    while i + 9 < n:
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        seg_len = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return h, w
        if marker == 0xDA:  # start of scan before any frame header: malformed
            return None
        i += 2 + seg_len
    return None


def header_size(data: bytes) -> tuple[str, tuple[int, int] | None]:
    """(format, (height, width)) from the file header, without decoding pixels; size None if unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        if len(data) < 24 or data[12:16] != b"IHDR":
            return "png", None
        w, h = struct.unpack(">II", data[16:24])
        return "png", (h, w)
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg", _jpeg_size(data)
    if data[:2] == b"BM" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return "bmp", (abs(h), abs(w))
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff", None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", None
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return "gif", (h, w)
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "avif", None
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return "heif", None
    if data[:2] == b"\xff\x0a" or data[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n":
        return "jxl", None
    if data[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n" or data[:4] == b"\xff\x4f\xff\x51":
        return "jpeg2000", None
    return "unknown", None


_REFUSED_FORMATS = {"jxl": "JPEG XL", "avif": "AVIF", "jpeg2000": "JPEG 2000"}


def _jpeg_complete(data: bytes) -> bool:
    """A complete JPEG has its EOI marker after the last scan (trailing bytes after it are tolerated)."""
    # inside entropy-coded data 0xFF is always stuffed, so EOI after the last scan header is the real end
    last_scan = data.rfind(b"\xff\xda")
    return last_scan != -1 and data.find(b"\xff\xd9", last_scan) != -1


def _grey_fill_at_bottom(rgb: np.ndarray) -> bool:
    """libjpeg fills the missing rest of a truncated scan with mid grey (128, 128, 128)."""
    h = rgb.shape[0]
    rows = max(8, h // 20)
    if h <= rows or not np.all(rgb[h - rows :] == 128):
        return False
    # a picture that is flat grey all over (a test card, a blank frame) is not a truncated one
    return not np.all(rgb == 128)


# --- pixel conversions ----------------------------------------------------------------------------

def to_rgb8(array: np.ndarray, bgr: bool = False, name: str = "The image") -> np.ndarray:
    """Any 2-D/3-D array (uint8/uint16/float, grey/RGB/RGBA) -> contiguous RGB uint8 (alpha: module rules)."""
    img = np.asarray(array)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] == 2:  # grey + alpha
        img = np.dstack([img[:, :, 0]] * 3 + [img[:, :, 1]])
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (3, 4)):
        raise ImageReadError(_("{name} is not a picture (its data has the shape {shape})").format(
            name=name, shape="x".join(map(str, img.shape))), f"array of shape {img.shape}")
    if img.shape[0] < 2 or img.shape[1] < 2:
        raise ImageReadError(_("{name} is too small to be a picture ({w}x{h} pixels)").format(
            name=name, w=img.shape[1] if img.ndim > 1 else 0, h=img.shape[0]), f"array of shape {img.shape}")
    if img.dtype == np.uint8:
        pass
    elif img.dtype == np.uint16:
        img = ((img.astype(np.uint32) + 128) // 257).astype(np.uint8)
    elif img.dtype == bool:
        img = img.astype(np.uint8) * 255
    elif np.issubdtype(img.dtype, np.floating):
        finite = np.nan_to_num(img.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        top = 1.0 if finite.max(initial=0.0) <= 1.0 else 255.0
        img = np.clip(np.round(finite * (255.0 / top)), 0, 255).astype(np.uint8)
    elif np.issubdtype(img.dtype, np.integer):
        lo, hi = int(img.min()), int(img.max())
        top = 255 if hi <= 255 and lo >= 0 else max(hi, 1)
        img = np.clip(img.astype(np.float64) * (255.0 / top), 0, 255).astype(np.uint8)
    else:
        raise ImageReadError(_("{name} is not a picture (pixel type {dtype})").format(name=name, dtype=img.dtype),
                             f"pixel type {img.dtype}")
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:
        img = _flatten_alpha(img, name)
    if bgr:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(img)


def _flatten_alpha(rgba: np.ndarray, name: str) -> np.ndarray:
    """Crop fully transparent border rows/columns, then composite the rest over black (module rules)."""
    alpha = rgba[:, :, 3]
    rows = np.flatnonzero(alpha.any(axis=1))
    if rows.size == 0:
        raise ImageReadError(_("{name} is fully transparent: there is no picture in it").format(name=name),
                             "alpha is 0 everywhere")
    cols = np.flatnonzero(alpha.any(axis=0))
    rgba = rgba[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if rgba.shape[0] < 2 or rgba.shape[1] < 2:
        raise ImageReadError(_("{name} is too small to be a picture ({w}x{h} visible pixels)").format(
            name=name, w=rgba.shape[1], h=rgba.shape[0]), "after cropping the transparent border")
    a = rgba[:, :, 3:4].astype(np.uint16)
    if int(a.min()) == 255:
        return np.ascontiguousarray(rgba[:, :, :3])
    return ((rgba[:, :, :3].astype(np.uint16) * a + 127) // 255).astype(np.uint8)


def fit_working_size(rgb: np.ndarray, max_side: int = WORKING_MAX_SIDE) -> tuple[np.ndarray, float]:
    """Shrink so the longest side is at most ``max_side``; returns the image and the scale applied."""
    h, w = rgb.shape[:2]
    longest = max(h, w)
    if longest <= max_side:
        return rgb, 1.0
    scale = max_side / longest
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale


# EXIF orientation (2-8) -> how to turn the stored pixels upright (1 = already upright)
_UPRIGHT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],
    8: lambda a: np.rot90(a, 1),
}


def exif_orientation(data: bytes) -> int:
    """The EXIF orientation tag of a PNG/TIFF/WebP file (1 = upright, also when absent or unreadable).

    OpenCV applies it for JPEG only (IMREAD_COLOR); phones and some dermatoscopes also write it into PNG
    and TIFF files, which we decode unchanged to keep 16-bit depth, so we read the tag with Pillow.
    """
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            value = int(im.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - a broken EXIF block must not stop the image from loading
        return 1
    return value if value in range(1, 9) else 1


def apply_exif_orientation(rgb: np.ndarray, orientation: int) -> np.ndarray:
    turn = _UPRIGHT.get(orientation)
    return rgb if turn is None else np.ascontiguousarray(turn(rgb))


def load_array(
    array: np.ndarray, *, bgr: bool = False, max_side: int = WORKING_MAX_SIDE, source: str = "The image"
) -> LoadedImage:
    """Accept a pixel array from DICOM or a camera (RGB unless ``bgr``; any depth; grey; RGBA).

    ``source`` names the picture in messages (a file name, "The camera frame").
    """
    arr = np.asarray(array)
    if arr.ndim >= 2 and arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        raise ImageReadError(
            _("{name} is too large to analyse safely").format(name=source),
            f"{arr.shape[1]}x{arr.shape[0]} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels",
        )
    rgb = to_rgb8(arr, bgr=bgr, name=source)
    original = rgb.shape[:2]
    rgb, scale = fit_working_size(rgb, max_side)
    return LoadedImage(rgb, (int(original[0]), int(original[1])), scale, source)


def read_image(path: str | Path, *, max_side: int = WORKING_MAX_SIDE, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Read an image file once and decode it with ``decode_image``."""
    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ImageReadError(_("The image {name} does not exist").format(name=name), str(path)) from exc
    except IsADirectoryError as exc:
        raise ImageReadError(_("{name} is a folder, not an image").format(name=name), str(path)) from exc
    except OSError as exc:
        raise ImageReadError(_("The image {name} cannot be read").format(name=name), f"{path}: {exc}") from exc
    loaded = decode_image(data, name, max_side=max_side, max_pixels=max_pixels)
    return LoadedImage(loaded.pixels, loaded.original_size, loaded.scale, str(path))


def _damaged(name: str, fmt: str, why: str) -> ImageReadError:
    return ImageReadError(_("The image {name} is damaged: its {format} data cannot be decoded").format(
        name=name, format=fmt.upper()), why)


def _decode_with_pillow(data: bytes, name: str, fmt: str, max_pixels: int) -> np.ndarray:
    """GIF (first frame) and HEIC/HEIF: RGB or RGBA pixels, upright."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if fmt == "heif":
        try:
            import pillow_heif
        except ImportError as exc:
            raise ImageReadError(_("{name} is a HEIC photo, which this installation cannot read; export it as "
                                   "JPEG or PNG").format(name=name), "pillow-heif is not installed") from exc
        pillow_heif.register_heif_opener()
    try:
        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
            if w <= 0 or h <= 0:
                raise ImageReadError(_("The image {name} has no pixels (its header says {w}x{h})").format(
                    name=name, w=w, h=h), f"{fmt} {w}x{h}")
            if w * h > max_pixels:
                raise ImageReadError(_("The image {name} is too large to analyse safely").format(name=name),
                                     f"{w}x{h} pixels; the limit is {max_pixels // 1_000_000} megapixels")
            im.seek(0)
            frame = ImageOps.exif_transpose(im) if fmt != "heif" else im  # pillow-heif turns HEIF itself
            has_alpha = frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info
            frame = frame.convert("RGBA" if has_alpha else "RGB")
            return np.asarray(frame)
    except ImageReadError:
        raise
    except Image.DecompressionBombError as exc:  # a frame inside claims more pixels than the header (fuzz find)
        raise ImageReadError(_("The image {name} is too large to analyse safely").format(name=name),
                             f"{type(exc).__name__}: {exc}") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise _damaged(name, fmt, f"{type(exc).__name__}: {exc}") from exc


def decode_image(data: bytes, name: str = "The image", *, max_side: int = WORKING_MAX_SIDE,
                 max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """The only decoder of image files: bytes -> RGB uint8 at working size (module rules).

    Refuses, with ``ImageReadError`` naming ``name``, empty, unknown, unsupported, damaged, truncated,
    degenerate (0x0, 1x1) and oversized files.
    """
    if not data:
        raise ImageReadError(_("The image {name} is empty (0 bytes)").format(name=name), "0 bytes")
    fmt, size = header_size(data)
    if fmt in _REFUSED_FORMATS:
        raise ImageReadError(_("{name} is a {format} image, which DermStation cannot read; export it as JPEG or "
                               "PNG").format(name=name, format=_REFUSED_FORMATS[fmt]), f"format {fmt}")
    if fmt == "unknown":
        raise ImageReadError(_("{name} is not an image file DermStation can read").format(name=name),
                             f"unknown format, starts with {data[:8].hex()}")
    if fmt in ("png", "jpeg", "bmp", "gif") and size is None:
        raise ImageReadError(_("The image {name} is damaged: it has no valid {format} header").format(
            name=name, format=fmt.upper()), f"no valid {fmt} header")
    if size is not None:
        h, w = size
        if h <= 0 or w <= 0:
            raise ImageReadError(_("The image {name} has no pixels (its header says {w}x{h})").format(
                name=name, w=w, h=h), f"header says {w}x{h}")
        if h * w > max_pixels:
            raise ImageReadError(
                _("The image {name} is too large to analyse safely").format(name=name),
                f"{w}x{h} pixels; the limit is {max_pixels // 1_000_000} megapixels",
            )
    if fmt == "jpeg" and not _jpeg_complete(data):
        raise ImageReadError(_("The image {name} is truncated (incomplete file)").format(name=name),
                             "no JPEG end marker")
    if fmt == "png" and b"IEND" not in data[-64:]:
        raise ImageReadError(_("The image {name} is truncated (incomplete file)").format(name=name),
                             "no PNG end chunk")

    buf = np.frombuffer(data, np.uint8)
    if fmt == "jpeg":
        # IMREAD_COLOR applies the EXIF orientation; a reduced decode saves memory on huge photos
        reduce_flag = cv2.IMREAD_COLOR
        if size is not None:
            longest = max(size)
            for factor, flag in ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
                                 (2, cv2.IMREAD_REDUCED_COLOR_2)):
                if longest / factor >= max_side:
                    reduce_flag = flag
                    break
        try:
            decoded = cv2.imdecode(buf, reduce_flag)
        except cv2.error as exc:
            raise _damaged(name, fmt, str(exc)) from exc
        if decoded is None:
            raise _damaged(name, fmt, "the JPEG decoder failed")
        rgb = to_rgb8(decoded, bgr=True, name=name)
        if _grey_fill_at_bottom(rgb):
            raise ImageReadError(_("The image {name} is truncated (incomplete file)").format(name=name),
                                 "grey-filled rows")
    elif fmt in ("gif", "heif"):
        rgb = to_rgb8(_decode_with_pillow(data, name, fmt, max_pixels), name=name)
    else:
        # keep 16-bit depth and alpha; convert ourselves
        try:
            decoded = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
        except cv2.error as exc:
            raise _damaged(name, fmt, str(exc)) from exc
        if decoded is None:
            raise _damaged(name, fmt, f"the {fmt} decoder failed")
        if decoded.shape[0] * decoded.shape[1] > max_pixels:
            raise ImageReadError(_("The image {name} is too large to analyse safely").format(name=name),
                                 f"{decoded.shape}")
        bgr = decoded.ndim == 3
        if bgr and decoded.shape[2] == 4:
            decoded = cv2.cvtColor(decoded, cv2.COLOR_BGRA2RGBA)
            bgr = False
        rgb = apply_exif_orientation(to_rgb8(decoded, bgr=bgr, name=name), exif_orientation(data))
    # the original size after orientation: if we decoded reduced, scale the header size accordingly
    if fmt == "jpeg" and size is not None:
        oh, ow = size
        if (rgb.shape[0] > rgb.shape[1]) != (oh > ow) and oh != ow:
            oh, ow = ow, oh  # EXIF rotated by 90 degrees
    else:
        oh, ow = rgb.shape[:2]  # after orientation and transparent-border cropping
    work, _scale = fit_working_size(rgb, max_side)
    scale = max(work.shape[:2]) / max(oh, ow)
    return LoadedImage(np.ascontiguousarray(work), (int(oh), int(ow)), float(scale), name)
