"""Why a picture gets no AI score: stable reason codes and their plain explanations.

The models are decision support for dermoscopic images of skin lesions only. Every path (file import,
camera, DICOM, command line) refuses anything else with one of these codes; the codes are what is kept
and compared, the text is made at display time in the user's language.
"""

from __future__ import annotations

from enum import StrEnum

from dermstation.core.i18n import _


class Refusal(StrEnum):
    NOT_A_PHOTOGRAPH = "not_a_photograph"  # DICOM says CT, X-ray, ultrasound, MR, slide microscopy...
    EXTREME_SHAPE = "extreme_shape"  # a strip or sliver, not a camera picture
    TOO_SMALL = "too_small"  # too few pixels to see a lesion
    TOO_DARK = "too_dark"  # nearly black: nothing of the skin can be seen
    NO_COLOUR = "no_colour"  # greyscale: X-ray, CT, ultrasound, a grey scan
    GRAPHIC = "graphic"  # flat colours and hard edges: document, chart, drawing, test card
    NO_TEXTURE = "no_texture"  # no fine detail at all: a gradient, or a photo completely out of focus
    NOT_SKIN = "not_skin"  # little of the picture has the colours of skin
    NO_LESION = "no_lesion"  # skin, but no lesion found
    UNFAMILIAR = "unfamiliar"  # unlike every dermoscopic image the model learned from


def refusal_text(reason: Refusal | str) -> str:
    """What is wrong, in one sentence, for the user."""
    texts = {
        Refusal.NOT_A_PHOTOGRAPH: _("This is not a photograph of the skin (it is another kind of medical image)."),
        Refusal.EXTREME_SHAPE: _("The picture is a narrow strip, not the shape of a dermoscopic photograph."),
        Refusal.TOO_SMALL: _("The picture is too small to show a lesion."),
        Refusal.TOO_DARK: _("The picture is too dark to see the skin."),
        Refusal.NO_COLOUR: _("The picture has no colour, like an X-ray, CT or ultrasound image."),
        Refusal.GRAPHIC: _("The picture looks like a document, chart, drawing or test pattern, "
                           "not a photograph of skin."),
        Refusal.NO_TEXTURE: _("The picture has no fine detail at all: it is a gradient or a drawing, or a photograph "
                              "completely out of focus."),
        Refusal.NOT_SKIN: _("The colours of the picture are not those of skin."),
        Refusal.NO_LESION: _("No lesion was found in the picture."),
        Refusal.UNFAMILIAR: _("The picture does not look like the dermoscopic images the model was trained on "
                              "(it may be a clinical close-up, another kind of image, or not skin at all)."),
    }
    try:
        return texts[Refusal(reason)]
    except ValueError:
        return _("The picture cannot be judged by the model.")


def refusal_advice(reason: Refusal | str) -> str:
    """What to do about it."""
    if reason == Refusal.NO_LESION:
        return _("Centre the lesion in the dermatoscope and take the picture again.")
    if reason == Refusal.TOO_DARK:
        return _("Check the dermatoscope's light and the exposure, and take the picture again.")
    if reason == Refusal.NO_TEXTURE:
        return _("Focus the dermatoscope on the lesion and take the picture again.")
    if reason in (Refusal.EXTREME_SHAPE, Refusal.TOO_SMALL):
        return _("Import the original, uncropped dermoscopic picture.")
    return _("AI scores are given only for dermoscopic images of skin lesions: use a picture taken "
             "through a dermatoscope.")


def refusal_message(reasons: tuple[Refusal | str, ...]) -> str:
    """The full message for a refused picture: the first (most basic) reason and what to do."""
    first = reasons[0] if reasons else Refusal.UNFAMILIAR
    return _("Not scored. {problem} {advice}").format(problem=refusal_text(first), advice=refusal_advice(first))
