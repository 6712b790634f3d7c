"""The body diagram marks the site on the right view and side."""

from __future__ import annotations

from reportlab.graphics.shapes import Circle, Drawing

from dermstation.core.body_sites import BodySite, Laterality, View
from dermstation.reports.body_diagram import body_diagram, site_point


def _markers(d: Drawing) -> list[tuple[int, Circle]]:
    out = []
    for view_index, group in enumerate(c for c in d.contents if hasattr(c, "contents")):
        out += [(view_index, c) for c in group.contents if isinstance(c, Circle) and c.strokeColor is not None
                and c.fillColor is None]
    return out


def test_marker_on_back_view_for_back_sites() -> None:
    assert [i for i, _c in _markers(body_diagram("left upper back", 150))] == [1]
    assert [i for i, _c in _markers(body_diagram("right forearm", 150))] == [0]
    assert _markers(body_diagram("somewhere odd", 150)) == []


def test_sides_mirror_between_views() -> None:
    # front view: the patient's right is on the viewer's left; back view: the same side as the viewer
    assert site_point(BodySite("forearm", Laterality.RIGHT, View.FRONT))[0] < 50
    assert site_point(BodySite("forearm", Laterality.LEFT, View.FRONT))[0] > 50
    assert site_point(BodySite("upper_back", Laterality.LEFT, View.BACK))[0] < 50
    assert site_point(BodySite("face", Laterality.UNKNOWN, View.FRONT))[0] == 50
    assert site_point(BodySite("foot", Laterality.LEFT, View.FRONT))[1] < site_point(
        BodySite("knee", Laterality.LEFT, View.FRONT))[1]
