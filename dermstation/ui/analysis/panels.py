"""Small read-only panels beside the image: headline, quality banner, lesion metrics, model line."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from dermstation.core.i18n import _, format_number, isolate
from dermstation.ui.analysis.probability_chart import class_label, percent
from dermstation.ui.text import breakable
from dermstation.ui.theme import refresh_style

if TYPE_CHECKING:
    from dermstation.inference.metrics.base import Measurement
    from dermstation.services.analysis_records import PixelScale, StoredAnalysis

# Shown first, in this order; colour shares are summarised by the colour count.
METRIC_ORDER = ("diameter", "area", "perimeter", "asymmetry", "border_irregularity", "compactness",
                "colour_count", "colour_variegation")
QUALITY_LABELS = {
    "blurred": "The image is blurred.",
    "underexposed": "The image is too dark.",
    "overexposed": "The image is too bright.",
    "no_lesion": "No lesion was found in the image.",
    "lesion_too_small": "The lesion is very small in the image.",
    "lesion_fills_frame": "The lesion fills the frame or touches its edges.",
}
# the result cannot be relied on at all
SEVERE_ISSUES = frozenset({"no_lesion", "blurred"})

BANNER_STYLE = {
    "warning": "background:#FFF4E0; border:1px solid #E8A33D; border-left:6px solid #E8A33D; border-radius:6px;"
               "color:#5A3B00; padding:8px 10px;",
    "severe": "background:#FDECEA; border:1px solid #D9534F; border-left:6px solid #B3261E; border-radius:6px;"
              "color:#6E1410; padding:8px 10px;",
    "suspicious": "background:#FDECEA; border:1px solid #D9534F; border-radius:6px; color:#6E1410;"
                  "padding:6px 10px; font-weight:600;",
    "neutral": "background:#F1F4F7; border:1px solid #C5CED6; border-radius:6px; color:#1F2A33;"
               "padding:6px 10px; font-weight:600;",
    "reassuring": "background:#EAF4EE; border:1px solid #9CC8AE; border-radius:6px; color:#1E4D33;"
                  "padding:6px 10px; font-weight:600;",
}


def quality_text(flags: tuple[str, ...], messages: tuple[str, ...]) -> list[str]:
    """One plain sentence per quality issue (the analyser's own message when it gave one)."""
    if messages and len(messages) == len(flags):
        return [_(m) for m in messages]
    return [_(QUALITY_LABELS.get(f, f)) for f in flags]


def spacing_text(mm_per_pixel: float) -> str:
    """A pixel size with three significant digits (0.0100, 0.0123, 0.125)."""
    digits = min(7, max(1, 2 - math.floor(math.log10(mm_per_pixel))))
    return format_number(mm_per_pixel, digits)


def scale_text(scale: PixelScale) -> str:
    """Where the picture's pixel size came from, or that its sizes are in pixels."""
    if not scale.mm_per_pixel:
        return _("Size in pixels (no scale).")
    spacing = spacing_text(scale.mm_per_pixel)
    if scale.source == "profile" and scale.device_profile:
        return _("Pixel size {spacing} mm, from the device profile “{profile}”.").format(
            spacing=spacing, profile=isolate(scale.device_profile))
    if scale.source == "dicom":
        return _("Pixel size {spacing} mm, from the DICOM file's pixel spacing.").format(spacing=spacing)
    if scale.source == "manual":
        return _("Pixel size {spacing} mm, typed in when the picture was stored.").format(spacing=spacing)
    if scale.source == "profile":  # a profile no longer found
        return _("Pixel size {spacing} mm, from a device profile.").format(spacing=spacing)
    return _("Pixel size {spacing} mm.").format(spacing=spacing)  # stored before the source was recorded


def metric_value(m: Measurement) -> str:
    if m.unit == "count":
        return format_number(m.value, 0)
    digits = 2 if m.unit in ("", "ΔE") else 1
    unit = f" {m.unit}" if m.unit and m.unit != "count" else ""
    return f"{format_number(m.value, digits)}{unit}"


class QualityBanner(QLabel):
    """Prominent: amber for "check this", red when the result cannot be relied on; hidden when all is well."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qualityBanner")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.level = ""
        self.hide()

    def show_flags(self, flags: tuple[str, ...], messages: tuple[str, ...] = ()) -> None:
        if not flags:
            self.level = ""
            self.clear()
            self.hide()
            return
        self.level = "severe" if SEVERE_ISSUES & set(flags) else "warning"
        lead = (_("Do not rely on this result:") if self.level == "severe"
                else _("Check the image before relying on this result:"))
        items = "".join(f"<li>{_escape(t)}</li>" for t in quality_text(flags, messages))
        self.setText(f"<b>⚠ {_escape(lead)}</b><ul style='margin:4px 0 0 -20px'>{items}</ul>")
        self.setStyleSheet(f"QLabel#qualityBanner {{ {BANNER_STYLE[self.level]} }}")
        self.show()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Headline(QLabel):
    """The top class and whether the malignancy score is above the operating threshold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultHeadline")
        self.setWordWrap(True)
        self.style_name = ""

    def show_analysis(self, a: StoredAnalysis) -> None:
        top = dict(a.probabilities).get(a.prediction, 0.0)
        text = _("Most likely: {name} ({p})").format(name=class_label(a.prediction), p=percent(top))
        if a.threshold is not None:
            text += "\n" + (_("Malignancy score above the operating threshold: consider excision or referral.")
                            if a.suspicious else _("Malignancy score below the operating threshold."))
        if a.quality_flags and not a.suspicious:
            # a low score from a poor picture must not look like reassurance
            text += "\n" + _("The picture has quality problems (see above): the score may be wrong.")
            style = "neutral"
        else:
            style = "suspicious" if a.suspicious else "reassuring"
        self.setText(text)
        self.style_name = style
        self.setStyleSheet(f"QLabel#resultHeadline {{ {BANNER_STYLE[style]} }}")
        refresh_style(self)


class MetricsPanel(QFrame):
    """Lesion size, shape and colour measurements, with their units.

    A grid, not a form layout: a form row takes the height its wrapped label had at another width, so a long
    name (Tamil "Diameter (max Feret)") was cut at the top and bottom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(4)
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(1, 2)
        self.values: dict[str, QLabel] = {}
        self.scale: QLabel | None = None  # where the pixel size came from (None: not told)

    def clear(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()
                item.widget().deleteLater()
        self.values = {}
        self.scale = None

    def show_metrics(self, metrics: tuple[Measurement, ...], scale: PixelScale | None = None) -> None:
        """The measurements; with ``scale``, a line under them says where the pixel size came from."""
        self.clear()
        by_name = {m.name: m for m in metrics}
        names = [n for n in METRIC_ORDER if n in by_name]
        for row, name in enumerate(names):
            m = by_name[name]
            label = QLabel(breakable(_(m.label)))
            label.setProperty("role", "fieldName")
            label.setWordWrap(True)
            value = QLabel(metric_value(m))
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[name] = value
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(value, row, 1, Qt.AlignmentFlag.AlignVCenter)
        note = None
        if not names:
            note = QLabel(_("No measurements (no lesion outline)."))
        elif scale is not None:
            note = self.scale = QLabel(breakable(scale_text(scale)))
            note.setObjectName("pixelScale")
            note.setProperty("role", "subtitle")
            note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            note.setAccessibleName(_("Pixel size"))
            if not scale.mm_per_pixel:
                note.setToolTip(_("Choose a device profile before importing or capturing pictures to measure "
                                  "them in mm."))
        elif by_name.get("diameter") is not None and by_name["diameter"].unit == "px":
            note = QLabel(_("Sizes are in pixels: the image has no known scale."))
            note.setProperty("role", "subtitle")
        if note is not None:
            note.setWordWrap(True)
            self.grid.addWidget(note, len(names), 0, 1, 2)


class ModelLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelLine")
        self.setProperty("role", "subtitle")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def show_analysis(self, a: StoredAnalysis) -> None:
        models = [f"{a.model_name} {a.model_version}".strip()] + [f"{n} {v}" for n, v in a.other_models]
        self.setText(breakable(_("Models: {models} · runs on {provider}").format(
            models=", ".join(m for m in models if m), provider=a.provider or _("unknown"))))


def section(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "section")
    return label


def vbox(*widgets: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout()
    for w in widgets:
        layout.addWidget(w)
    return layout
