"""A simple front and back body outline with the lesion site marked (reportlab graphics)."""

from __future__ import annotations

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, String
from reportlab.lib import colors

from dermstation.core.body_sites import BodySite, Laterality, View, parse_body_site
from dermstation.reports.fonts import BASE_FONT, BOLD_FONT, register_fonts
from dermstation.reports.layout import ALERT, MUTED, Label, LabelledDrawing

FIGURE_W, FIGURE_H = 100.0, 224.0  # figure units; feet at y=0, top of the head at ~216
SKIN = colors.HexColor("#eef1f5")
EDGE = colors.HexColor("#7d8794")

# region -> (distance from the midline, height) in figure units; a lateral region sits on one side
SITE_POINTS: dict[str, tuple[float, float]] = {
    "scalp": (0, 211), "face": (0, 200), "nose": (0, 199), "lip": (0, 194), "ear": (13, 201),
    "eyelid": (5, 203), "neck": (0, 185), "shoulder": (22, 172), "chest": (10, 160), "breast": (11, 152),
    "abdomen": (7, 130), "upper_back": (10, 160), "lower_back": (8, 128), "buttock": (10, 106),
    "upper_arm": (29, 152), "elbow": (32, 136), "forearm": (35, 121), "wrist": (37, 107),
    "hand": (38, 96), "finger": (39, 86), "genital": (0, 101), "trunk": (0, 140), "thigh": (10, 78),
    "knee": (10, 58), "lower_leg": (10, 36), "ankle": (10, 13), "foot": (11, 6), "toe": (12, 3),
}
MIDLINE_REGIONS = frozenset({"scalp", "face", "nose", "lip", "neck", "genital", "trunk"})


def _outline() -> Group:
    g = Group()

    def poly(points: list[float]) -> None:
        g.add(Polygon(points, fillColor=SKIN, strokeColor=EDGE, strokeWidth=0.8))

    poly([44, 178, 56, 178, 56, 192, 44, 192])  # neck
    poly([27, 180, 73, 180, 71, 140, 69, 100, 31, 100, 29, 140])  # torso
    poly([27, 180, 19, 176, 11, 100, 18, 99, 27, 145])  # arm (viewer's left)
    poly([73, 180, 81, 176, 89, 100, 82, 99, 73, 145])  # arm (viewer's right)
    poly([31, 100, 49.5, 100, 46, 8, 36, 8])  # leg
    poly([50.5, 100, 69, 100, 64, 8, 54, 8])  # leg
    poly([36, 8, 46, 8, 47, 0, 31, 0])  # foot
    poly([54, 8, 64, 8, 69, 0, 53, 0])  # foot
    g.add(Circle(14.5, 93, 5, fillColor=SKIN, strokeColor=EDGE, strokeWidth=0.8))  # hands
    g.add(Circle(85.5, 93, 5, fillColor=SKIN, strokeColor=EDGE, strokeWidth=0.8))
    g.add(Circle(50, 203, 13, fillColor=SKIN, strokeColor=EDGE, strokeWidth=0.8))  # head
    return g


def site_point(site: BodySite) -> tuple[float, float]:
    """Where ``site`` lies on its view, in figure units (x from the figure's left edge)."""
    dx, y = SITE_POINTS.get(site.region, (0.0, 140.0))
    if site.region in MIDLINE_REGIONS and site.laterality == Laterality.UNKNOWN:
        dx = 0.0
    elif site.region in MIDLINE_REGIONS:
        dx = 6.0
    # seen from the front the patient's right is on the viewer's left; from the back it is not
    if site.laterality == Laterality.UNKNOWN and site.region not in MIDLINE_REGIONS:
        sign = -1.0  # a side must be drawn: the viewer's left, with "side not stated" in the caption
    elif site.laterality == Laterality.RIGHT:
        sign = -1.0 if site.view == View.FRONT else 1.0
    else:
        sign = 1.0 if site.view == View.FRONT else -1.0
    return 50.0 + sign * dx, y


def body_diagram(site_text: str, height: float, front_label: str = "Front", back_label: str = "Back",
                 unknown_label: str = "Site not on the diagram") -> LabelledDrawing:
    """Front and back outlines ``height`` points tall with the site of ``site_text`` marked in red."""
    register_fonts()
    scale = (height - 14) / FIGURE_H
    fig_w = FIGURE_W * scale
    gap = 8.0
    d = Drawing(2 * fig_w + gap, height)
    labels: list[Label] = []
    site = parse_body_site(site_text)
    for i, (view, label) in enumerate(((View.FRONT, front_label), (View.BACK, back_label))):
        g = _outline()
        if site is not None and site.view == view:
            x, y = site_point(site)
            g.add(Circle(x, y, 6.5, fillColor=None, strokeColor=ALERT, strokeWidth=2.2))
            g.add(Circle(x, y, 2.2, fillColor=ALERT, strokeColor=None))
        # R / L as the viewer sees them on this view
        left_mark, right_mark = ("R", "L") if view == View.FRONT else ("L", "R")
        g.add(String(2, 206, left_mark, fontName=BOLD_FONT, fontSize=11, fillColor=MUTED))
        g.add(String(FIGURE_W - 9, 206, right_mark, fontName=BOLD_FONT, fontSize=11, fillColor=MUTED))
        g.transform = (scale, 0, 0, scale, i * (fig_w + gap), 14)
        d.add(g)
        labels.append(Label(i * (fig_w + gap) + fig_w / 2, 3, label, 7.5, anchor="centre", colour=MUTED))
    if site is None:
        d.add(Line(0, height - 1, 2 * fig_w + gap, height - 1, strokeColor=None))
        labels.append(Label(fig_w + gap / 2, height / 2, unknown_label, 6.5, anchor="centre", colour=ALERT))
    return LabelledDrawing(d, labels)


__all__ = ["body_diagram", "site_point", "BASE_FONT"]
