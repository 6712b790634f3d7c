"""Read a PDF's text layer (pypdf), normalised so that tests compare words, not glyph forms."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata

from pypdf import PdfReader


def pdf_pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def pdf_text(pdf: bytes) -> str:
    """All pages' text, NFKC-normalised (Arabic presentation forms -> letters), whitespace collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def pdftotext(pdf: bytes) -> str | None:
    """poppler's reading of the text layer, when pdftotext is installed."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    out = subprocess.run([exe, "-", "-"], input=pdf, capture_output=True, check=True, timeout=60).stdout
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", out.decode("utf-8")))


def norm(text: str) -> str:
    """``text`` normalised like ``pdf_text`` output, for comparing expected strings."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))
