"""What the analysis view shows for a picture the models must not judge: the picture and why, no score."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dermstation.core.errors import NotApplicable
from dermstation.core.i18n import _
from dermstation.core.refusals import refusal_advice, refusal_text
from dermstation.ui.analysis.image_view import LesionImageView
from dermstation.ui.analysis.panels import BANNER_STYLE, _escape

REFUSAL_STYLE = BANNER_STYLE["severe"]


class RefusalView(QWidget):
    """The refused picture beside a plain explanation; deliberately no class, probability or flag."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image_view = LesionImageView()
        self.image_view.contour_toggle.hide()
        self.image_view.heatmap_toggle.hide()
        self.image_view.opacity.hide()
        self.image_view.opacity_label.hide()
        self.banner = QLabel()
        self.banner.setObjectName("refusalBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setStyleSheet(f"QLabel#refusalBanner {{ {REFUSAL_STYLE} }}")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        side = QVBoxLayout()
        side.addWidget(self.banner)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(self.image_view, 3)
        layout.addLayout(side, 2)
        self.reasons: tuple[str, ...] = ()

    def clear(self) -> None:
        """Nothing refused on screen (another lesion or patient was chosen)."""
        self.reasons = ()
        self.banner.clear()
        self.image_view.clear()

    def show_refusal(self, image: np.ndarray | None, error: NotApplicable) -> None:
        self.reasons = error.reasons
        if image is not None:
            self.image_view.show_image(image)
        else:
            self.image_view.clear()
        first = error.reasons[0] if error.reasons else ""
        problem = refusal_text(first) if first else error.message
        others = [refusal_text(r) for r in error.reasons[1:]]
        extra = "".join(f"<li>{_escape(t)}</li>" for t in others)
        self.banner.setText(
            f"<b>{_escape(_('Not scored: the AI is only for dermoscopic images of skin lesions.'))}</b>"
            f"<p>{_escape(problem)}</p>" + (f"<ul style='margin:0 0 0 -20px'>{extra}</ul>" if extra else "")
            + f"<p>{_escape(refusal_advice(first))}</p>"
            + f"<p style='color:#5A5A5A'>{_escape(KEPT())}</p>")


def KEPT() -> str:  # noqa: N802 - reads as the sentence it returns
    return _("The picture is kept in this lesion’s history as a photograph, without a class, probabilities "
             "or a malignancy flag.")
