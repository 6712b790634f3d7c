"""Pictures that are NOT dermoscopy of a skin lesion, for tuning and testing the applicability check.

Three kinds, each split into a tuning part and a held-out part by the picture it comes from (never
by augmentation, so variants of one picture never sit on both sides):

- installed sample images: scikit-image's and scikit-learn's data folders (photographs, microscopy, a
  retina, text, grey test images), OpenCV's sample pictures when the Debian package ``opencv-doc`` is
  installed (photographs, renders, logos, calibration boards), each also as two random close-up crops,
  and pydicom's bundled test files (CT, MR, CR/DX, US, NM, RT, secondary captures);
- optional Debian picture collections (``INSTALLED_COLLECTIONS``, GCompris's resources): Tux Paint's
  cut-out photographs and drawings of everything, GCompris's photographs, paintings and drawings,
  wallpapers, ImageMagick's examples (kind "picture"), whole and as one close-up crop;
- synthetic pictures drawn here: documents, an invoice over a gradient, charts, gradients, colour test
  bars, cartoons (some drawn in skin colours with a "mole"), X-ray-like grey pictures, noise;
- skin without a lesion: PH2 crops that avoid the expert lesion mask (the largest square, two smaller
  squares and the largest with another camera's colour balance), and, held out entirely (never tuned on:
  another clinic's dermatoscopes), crops of the full-resolution ISIC archive photos clear of the
  segmenter's (dilated) lesion mask (needs the shared data).

numpy/OpenCV only (the tests use the synthetic generators); scikit-image is a dev/train extra.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

HELD_OUT_EVERY = 3
"""One source picture in three is held out from tuning (chosen by a hash of its name)."""


@dataclass(frozen=True)
class Negative:
    name: str  # unique, stable
    kind: str  # document, chart, gradient, test_bars, cartoon, xray_like, noise, photo, picture, dicom, skin
    source: str  # the picture it was made from (the unit of the split)
    make: Callable[[], np.ndarray]  # -> RGB uint8
    always_held_out: bool = False  # a family kept only for measuring

    @property
    def held_out(self) -> bool:
        digest = hashlib.sha256(self.source.encode()).digest()
        return self.always_held_out or digest[0] % HELD_OUT_EVERY == 0


# --- synthetic -----------------------------------------------------------------------------------

_WORDS = ("invoice", "total", "patient", "date", "amount", "report", "page", "summary", "lorem", "ipsum",
          "dolor", "sit", "amet", "EUR", "4711", "2026", "qty", "price", "VAT", "due", "account", "#",
          "Figure", "Table", "results", "method", "0.95", "mm", "n=150")
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
          cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_PLAIN)


def _rng(seed: int, salt: str) -> np.random.Generator:
    return np.random.default_rng(int(hashlib.sha256(f"{salt}:{seed}".encode()).hexdigest()[:12], 16))


def _colour(rng: np.random.Generator, skin: bool = False) -> tuple[int, int, int]:
    if skin:  # light to dark skin tones
        base = np.array([224, 172, 140]) * rng.uniform(0.45, 1.1)
        return tuple(int(v) for v in np.clip(base + rng.normal(0, 12, 3), 0, 255))
    return tuple(int(v) for v in rng.integers(0, 256, 3))


def _text_lines(img: np.ndarray, rng: np.random.Generator, top: int, colour: tuple[int, int, int]) -> None:
    h, w = img.shape[:2]
    scale = rng.uniform(0.5, 1.1) * w / 900
    font = _FONTS[int(rng.integers(len(_FONTS)))]
    step = int(34 * scale) + 8
    y = top
    while y < h - 20:
        x = int(rng.integers(20, 60))
        while x < w - 80:
            word = _WORDS[int(rng.integers(len(_WORDS)))]
            cv2.putText(img, word, (x, y), font, scale, colour, max(1, int(2 * scale)), cv2.LINE_AA)
            x += int(cv2.getTextSize(word, font, scale, 1)[0][0] + 14 * scale)
            if rng.random() < 0.06:
                break
        y += step
        if rng.random() < 0.1:
            y += step  # paragraph break


def document(seed: int) -> np.ndarray:
    rng = _rng(seed, "document")
    h, w = (1100, 850) if rng.random() < 0.7 else (600, 900)
    paper = rng.uniform(225, 255) - np.array([0, rng.uniform(0, 10), rng.uniform(0, 25)])
    img = np.empty((h, w, 3), np.uint8)
    img[:] = paper.astype(np.uint8)
    ink = (0, 0, 0) if rng.random() < 0.7 else _colour(rng)
    cv2.putText(img, "REPORT" if rng.random() < 0.5 else "Invoice #4711", (40, 80), _FONTS[0], 1.6, ink, 3,
                cv2.LINE_AA)
    _text_lines(img, rng, 140, ink)
    if rng.random() < 0.5:  # a table
        for y in range(h // 2, h - 60, 40):
            cv2.line(img, (40, y), (w - 40, y), ink, 1)
    return img


def invoice_gradient(seed: int) -> np.ndarray:
    """A gradient with the words "Invoice #4711" (one of the pictures the issue was filed with)."""
    rng = _rng(seed, "invoice")
    h, w = int(rng.integers(400, 900)), int(rng.integers(500, 1200))
    a = np.array(_colour(rng, skin=rng.random() < 0.5), np.float32)
    b = np.array(_colour(rng), np.float32)
    t = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    img = (a * (1 - t) + b * t).repeat(h, axis=0).astype(np.uint8)
    cv2.putText(img, "Invoice #4711", (w // 10, h // 2), _FONTS[int(rng.integers(4))], w / 500, (20, 20, 20),
                max(2, w // 300), cv2.LINE_AA)
    return img


def chart(seed: int) -> np.ndarray:
    rng = _rng(seed, "chart")
    h, w = 600, 800
    img = np.full((h, w, 3), 255, np.uint8)
    kind = seed % 3
    cv2.line(img, (80, 520), (760, 520), (0, 0, 0), 2)
    cv2.line(img, (80, 520), (80, 40), (0, 0, 0), 2)
    if kind == 0:  # bars
        n = int(rng.integers(3, 12))
        width = 600 // n
        for i in range(n):
            top = int(rng.integers(80, 500))
            cv2.rectangle(img, (100 + i * width, top), (100 + (i + 1) * width - 10, 519), _colour(rng), -1)
    elif kind == 1:  # lines
        for _ in range(int(rng.integers(1, 4))):
            ys = np.cumsum(rng.normal(0, 30, 20)) + 300
            pts = np.stack([np.linspace(90, 750, 20), np.clip(ys, 50, 510)], 1).astype(np.int32)
            cv2.polylines(img, [pts], False, _colour(rng), 3, cv2.LINE_AA)
    else:  # pie
        img[:] = 255
        start = 0.0
        for frac in rng.dirichlet(np.ones(int(rng.integers(2, 7)))):
            cv2.ellipse(img, (400, 300), (220, 220), 0, start, start + 360 * frac, _colour(rng), -1, cv2.LINE_AA)
            start += 360 * frac
    for i in range(5):
        cv2.putText(img, f"{i * 25}", (30, 520 - i * 100), _FONTS[0], 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    return img


def gradient(seed: int) -> np.ndarray:
    """Linear or radial gradients, half of them in skin tones (a radial one can look like a soft mole)."""
    rng = _rng(seed, "gradient")
    h, w = int(rng.integers(300, 1000)), int(rng.integers(300, 1000))
    a = np.array(_colour(rng, skin=seed % 2 == 0), np.float32)
    b = np.array(_colour(rng, skin=seed % 2 == 0), np.float32) * (0.4 if seed % 4 == 0 else 1.0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if seed % 3 == 0:
        t = np.hypot(xx - w / 2, yy - h / 2) / np.hypot(w / 2, h / 2)
    else:
        angle = rng.uniform(0, np.pi)
        t = (xx * np.cos(angle) + yy * np.sin(angle))
        t = (t - t.min()) / max(float(np.ptp(t)), 1.0)
    return np.clip(b * (1 - t[..., None]) + a * t[..., None], 0, 255).astype(np.uint8)


def colour_bars(seed: int) -> np.ndarray:
    """Colour test bars (SMPTE-like) at several sizes, sometimes with a grey ramp below."""
    rng = _rng(seed, "bars")
    h, w = int(rng.integers(300, 1080)), int(rng.integers(400, 1920))
    colours = [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192), (192, 0, 0),
               (0, 0, 192)]
    if seed % 2:
        colours = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0), (255, 0, 255), (255, 0, 0),
                   (0, 0, 255), (0, 0, 0)]
    img = np.zeros((h, w, 3), np.uint8)
    bw = w / len(colours)
    for i, c in enumerate(colours):
        img[:, int(i * bw):int((i + 1) * bw)] = c
    if seed % 3 == 0:
        img[int(h * 0.75):] = np.linspace(0, 255, w, dtype=np.uint8)[None, :, None]
    return img


def cartoon(seed: int) -> np.ndarray:
    """Flat-coloured drawings with outlines; some are a skin-coloured face or a skin patch with a 'mole'."""
    rng = _rng(seed, "cartoon")
    h, w = int(rng.integers(400, 900)), int(rng.integers(400, 900))
    background = _colour(rng, skin=seed % 3 == 0)
    img = np.empty((h, w, 3), np.uint8)
    img[:] = background
    if seed % 3 == 0:  # a drawn mole on skin
        centre = (w // 2 + int(rng.integers(-50, 50)), h // 2 + int(rng.integers(-50, 50)))
        axes = (int(rng.integers(40, w // 4)), int(rng.integers(40, h // 4)))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, (90, 55, 35), -1, cv2.LINE_AA)
        cv2.ellipse(img, centre, axes, 0, 0, 360, (40, 25, 15), 3, cv2.LINE_AA)
    elif seed % 3 == 1:  # a face
        skin = _colour(rng, skin=True)
        cv2.circle(img, (w // 2, h // 2), min(h, w) // 3, skin, -1, cv2.LINE_AA)
        cv2.circle(img, (w // 2, h // 2), min(h, w) // 3, (0, 0, 0), 4, cv2.LINE_AA)
        for dx in (-1, 1):
            cv2.circle(img, (w // 2 + dx * min(h, w) // 8, h // 2 - min(h, w) // 12), min(h, w) // 30,
                       (0, 0, 0), -1, cv2.LINE_AA)
        cv2.ellipse(img, (w // 2, h // 2 + min(h, w) // 10), (min(h, w) // 8, min(h, w) // 16), 0, 0, 180,
                    (150, 30, 30), 5, cv2.LINE_AA)
    for _ in range(int(rng.integers(2, 9))):  # assorted shapes
        c = _colour(rng)
        pts = rng.integers(0, [w, h], (int(rng.integers(3, 7)), 2)).astype(np.int32)
        cv2.fillPoly(img, [pts], c, cv2.LINE_AA)
        cv2.polylines(img, [pts], True, (0, 0, 0), 3, cv2.LINE_AA)
    return img


def xray_like(seed: int) -> np.ndarray:
    """Grey radiograph-like pictures: soft bright bones on a dark field, noise; some lightly tinted
    (a photo of a film on a light box)."""
    rng = _rng(seed, "xray")
    h, w = int(rng.integers(400, 1200)), int(rng.integers(400, 1200))
    img = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(4, 14))):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(10, w // 3)), int(rng.integers(10, h // 6)))
        cv2.ellipse(img, centre, axes, float(rng.uniform(0, 180)), 0, 360, float(rng.uniform(0.3, 1.0)), -1)
    img = cv2.GaussianBlur(img, (0, 0), max(2.0, min(h, w) / 80))
    img += rng.normal(0, 0.03, img.shape).astype(np.float32)
    grey = np.clip(img / max(float(img.max()), 1e-3) * 230 + 10, 0, 255).astype(np.uint8)
    rgb = cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
    if seed % 4 == 0:
        tint = np.array([0.92, 0.97, 1.0]) if seed % 8 == 0 else np.array([1.0, 0.96, 0.88])
        rgb = np.clip(rgb * tint, 0, 255).astype(np.uint8)
    return rgb


def noise(seed: int) -> np.ndarray:
    rng = _rng(seed, "noise")
    h, w = int(rng.integers(200, 800)), int(rng.integers(200, 800))
    if seed % 2:
        return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    cells = int(rng.integers(4, 24))
    board = ((np.indices((h, w)) // (min(h, w) // cells)).sum(0) % 2).astype(np.uint8) * 255
    return cv2.cvtColor(board, cv2.COLOR_GRAY2RGB)


SYNTHETIC: dict[str, Callable[[int], np.ndarray]] = {
    "document": document, "invoice": invoice_gradient, "chart": chart, "gradient": gradient,
    "test_bars": colour_bars, "cartoon": cartoon, "xray_like": xray_like, "noise": noise,
}


def synthetic(per_kind: int = 12) -> Iterator[Negative]:
    for kind, make in SYNTHETIC.items():
        for seed in range(per_kind):
            yield Negative(f"{kind}-{seed}", kind if kind != "invoice" else "document", f"{kind}-{seed}",
                           lambda make=make, seed=seed: make(seed))


# --- installed sample images -------------------------------------------------------------------------

def _read_rgb(path: Path) -> np.ndarray:
    from dermstation.inference.image_io import read_image

    return read_image(path).pixels


OPENCV_SAMPLES = Path("/usr/share/doc/opencv-doc/examples/data")
"""Debian's opencv-doc sample pictures (optional: ``apt-get install opencv-doc``)."""
_DRAWN = {"LinuxLogo", "WindowsLogo", "opencv-logo", "opencv-logo-white", "digits", "sudoku", "notes", "ml", "cards",
          "chessboard", "gradient", "ellipses", "detect_blob", "imageTextN", "imageTextR", "pic1", "pic2", "pic3",
          "pic4", "pic5", "pic6", "text_defect", "mask", "logo", "text", "horse", "page", "checkerboard"}
_MICROSCOPY = {"ihc", "cell", "cells3d", "microaneurysms", "kidney", "lily", "skin"}
_PAIRED = re.compile(r"(?:_?(?:left|right|original|modified|[LRAB])?\d*)$")


def _sample_kind(stem: str) -> str:
    return "drawing" if stem in _DRAWN else "microscopy" if stem in _MICROSCOPY else "photo"


def _crop(image: np.ndarray, seed: str) -> np.ndarray:
    """A random square close-up (40-70 % of the short side), as a camera held near something would see."""
    rng = _rng(0, seed)
    h, w = image.shape[:2]
    side = int(min(h, w) * rng.uniform(0.4, 0.7))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    return np.ascontiguousarray(image[y:y + side, x:x + side])


def sample_images() -> Iterator[Negative]:
    """Every picture in the installed sample folders, whole and as two close-up crops; pictures of one
    scene (a stereo pair, left01/right01) share a source, so they fall on one side of the split."""
    folders: list[tuple[str, Path]] = []
    try:
        import skimage.data

        folders.append(("skimage", Path(skimage.data.__file__).parent))
    except ImportError:
        pass
    try:
        import sklearn.datasets

        folders.append(("sklearn", Path(sklearn.datasets.__file__).parent / "images"))
    except ImportError:
        pass
    if OPENCV_SAMPLES.is_dir():
        folders.append(("opencv", OPENCV_SAMPLES))
    for prefix, folder in folders:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in (".png", ".jpg") or path.stat().st_size < 2000:
                continue
            kind = _sample_kind(path.stem)
            source = f"{prefix}-{_PAIRED.sub('', path.stem) or 'pair'}"
            yield Negative(f"{prefix}-{path.stem}", kind, source, lambda p=path: _read_rgb(p))
            if kind != "drawing":
                for i in range(2):
                    yield Negative(f"{prefix}-{path.stem}-crop{i}", kind, source,
                                   lambda p=path, k=f"{path.stem}{i}": _crop(_read_rgb(p), k))


INSTALLED_COLLECTIONS: dict[str, Path] = {
    "wallpaper": Path("/usr/share/backgrounds"),  # Debian mate-backgrounds, gnome-backgrounds
    "stamp": Path("/usr/share/tuxpaint/stamps"),  # Debian tuxpaint-stamps-default: cut-out photos and drawings
    "imagemagick": Path("/usr/share/doc/imagemagick-6-common/html/images"),  # Debian imagemagick-6-doc
}
"""Optional picture collections from Debian packages (``apt-get install mate-backgrounds gnome-backgrounds
tuxpaint-stamps-default imagemagick-6-doc gcompris-qt-data``): photographs of everything, for the
"not dermoscopy" score. Without them the calibration has only the sample pictures above."""
GCOMPRIS_RESOURCES = Path("/usr/share/gcompris-qt/rcc")
_DRAWN_PARTS = ("cartoon", "symbols", "alphabets", "clipart", "abstract", "desktop", "flags", "signs")


def _drawn(path: Path) -> bool:
    lowered = str(path).lower()
    return path.suffix.lower() == ".svg" or any(p in lowered for p in _DRAWN_PARTS)


def installed_collections(limit: int = 400) -> Iterator[Negative]:
    """Pictures of the optional Debian collections (at most ``limit`` per collection, spread evenly),
    each whole and, unless its folder says it is drawn, as one close-up crop. Each picture is its own
    source. Their kind is "picture": the collections mix photographs, paintings and drawings, and nobody
    sorted them by hand."""
    for prefix, folder in INSTALLED_COLLECTIONS.items():
        if not folder.is_dir():
            continue
        paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")
                       and p.stat().st_size >= 8000 and "_3840x" not in p.name and "_5640x" not in p.name)
        for path in paths[::max(1, len(paths) // limit)]:
            name = f"{prefix}-{path.relative_to(folder).with_suffix('')}".replace("/", "-")
            yield Negative(name, "picture", name, lambda p=path: _read_rgb(p))
            if not _drawn(path):
                yield Negative(f"{name}-crop0", "picture", name, lambda p=path, k=name: _crop(_read_rgb(p), k))
    yield from _gcompris_pictures(limit)


def _gcompris_pictures(limit: int) -> Iterator[Negative]:
    """GCompris's webp pictures (mostly photographs of animals, food, objects, places), read from its Qt
    resource files."""
    if not GCOMPRIS_RESOURCES.is_dir():
        return
    from PySide6.QtCore import QDirIterator, QFile, QIODevice, QResource

    for rcc in sorted(GCOMPRIS_RESOURCES.glob("*.rcc")):
        QResource.registerResource(str(rcc))
    found = []
    walk = QDirIterator(":/gcompris", QDirIterator.IteratorFlag.Subdirectories)
    while walk.hasNext():
        name = walk.next()
        if name.lower().endswith(".webp"):
            found.append(name)
    found.sort()

    def read(resource: str) -> np.ndarray:
        f = QFile(resource)
        if not f.open(QIODevice.OpenModeFlag.ReadOnly):
            raise OSError(f"cannot read {resource}")
        data = bytes(f.readAll().data())
        f.close()
        from dermstation.inference.image_io import decode_image

        return decode_image(data, resource).pixels

    for resource in found[::max(1, len(found) // limit)]:
        name = "gcompris-" + resource.removeprefix(":/gcompris/").rsplit(".", 1)[0].replace("/", "-")
        yield Negative(name, "picture", name, lambda r=resource: read(r))


def dicom_files() -> Iterator[Path]:
    """pydicom's bundled test files that hold a decodable image (whatever their modality)."""
    import pydicom
    from pydicom.data import get_testdata_files

    for name in sorted(get_testdata_files("*.dcm")):
        try:
            ds = pydicom.dcmread(name, stop_before_pixels=True)
        except Exception:  # noqa: BLE001, S112 - broken samples on purpose
            continue
        if "PixelData" in ds or ds.get("Rows"):
            yield Path(name)


def dicom_images() -> Iterator[Negative]:
    """The pixels of pydicom's test files (as a PNG exported from a PACS would show them)."""
    from dermstation.dicom.importer import read_dicom_image  # the app's one DICOM decoder

    for path in dicom_files():
        try:
            pixels = read_dicom_image(path).pixels
        except Exception:  # noqa: BLE001, S112 - some samples are deliberately broken
            continue
        if min(pixels.shape[:2]) < 16:
            continue
        yield Negative(f"dicom-{path.stem}", "dicom", f"dicom-{path.stem}", lambda p=pixels: p)


# --- skin without a lesion ----------------------------------------------------------------------------

def skin_crops(ph2_root: Path, limit: int = 150) -> Iterator[Negative]:
    """Squares of each PH2 image that stay clear of the (dilated) expert lesion mask: the largest, two
    smaller ones at random places, and the largest with another camera's colour balance."""
    for image_path in sorted((ph2_root / "images").glob("IMD*.jpg"))[:limit]:
        mask_path = ph2_root / "masks" / f"{image_path.stem}.png"
        if not mask_path.exists():
            continue
        source = f"skin-{image_path.stem}"
        for variant in ("", "-small0", "-small1", "-colour"):
            yield Negative(f"{source}{variant}", "skin", source,
                           lambda i=image_path, m=mask_path, v=variant: _skin_crop(i, m, v))


def _skin_crop(image_path: Path, mask_path: Path, variant: str = "") -> np.ndarray:
    image = _read_rgb(image_path)
    mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE) > 127
    return _clear_square(image, mask, variant, image_path.stem)


def _clear_square(image: np.ndarray, mask: np.ndarray, variant: str, seed: str, margin: int = 41) -> np.ndarray:
    """A square clear of ``mask`` (dilated by ``margin``) and of the dark vignette, at 512 x 512."""
    keep_out = cv2.dilate(mask.astype(np.uint8), np.ones((margin, margin), np.uint8)) > 0
    # vignette corners are not skin either
    dark = image.max(axis=2) < 50
    free = ~(keep_out | dark)
    dist = cv2.distanceTransform(free.astype(np.uint8), cv2.DIST_C, 3)
    rng = _rng(0, f"{seed}{variant}")
    if variant.startswith("-small"):  # a random point with room around it, half of what it has
        ys, xs = np.nonzero(dist >= 32)
        if ys.size:
            k = int(rng.integers(ys.size))
            y, x = int(ys[k]), int(xs[k])
            r = max(24, int(dist[y, x] * rng.uniform(0.5, 1.0)))
        else:
            y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
            r = max(int(dist[y, x]), 24)
    else:
        y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
        r = max(int(dist[y, x]), 24)
    crop = cv2.resize(image[max(0, y - r):y + r, max(0, x - r):x + r], (512, 512), interpolation=cv2.INTER_CUBIC)
    if variant == "-colour":  # another sensor's white balance and tone curve
        gains = rng.uniform(0.8, 1.2, 3)
        gamma = rng.uniform(0.8, 1.25)
        crop = np.clip(255.0 * ((crop / 255.0) ** gamma) * gains, 0, 255).astype(np.uint8)
    return crop


def archive_skin_crops(photos: list[Path], segment: Callable[[np.ndarray], np.ndarray]) -> Iterator[Negative]:
    """Held out entirely: the largest square of each full-resolution ISIC archive photo clear of the
    segmenter's lesion mask dilated by a tenth of the short side (no expert masks there; a crop that still
    holds some of the lesion makes the measured refusal rate lower, never higher)."""
    for image_path in photos:
        yield Negative(f"archive-skin-{image_path.stem}", "skin_other_clinic", f"archive-skin-{image_path.stem}",
                       lambda p=image_path: _archive_crop(p, segment), always_held_out=True)


def _archive_crop(path: Path, segment: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    image = _read_rgb(path)
    mask = segment(image)
    margin = max(41, min(image.shape[:2]) // 10) | 1
    return _clear_square(image, mask, "", path.stem, margin)


def all_negatives(ph2_root: Path | None = None, per_kind: int = 12,
                  archive: tuple[list[Path], Callable[[np.ndarray], np.ndarray]] | None = None) -> list[Negative]:
    """Every negative; ``archive``: (ISIC archive photos, segmenter returning a bool mask) adds the held-out
    lesion-free skin of another clinic."""
    found = [*synthetic(per_kind), *sample_images(), *dicom_images(), *installed_collections()]
    if ph2_root is not None and ph2_root.is_dir():
        found.extend(skin_crops(ph2_root))
    if archive is not None:
        found.extend(archive_skin_crops(*archive))
    return found
