"""Free-text body sites read into region, side and view."""

from __future__ import annotations

import pytest

from dermstation.core.body_sites import Laterality, View, parse_body_site


@pytest.mark.parametrize(("text", "region", "side", "view"), [
    ("scalp", "scalp", Laterality.UNKNOWN, View.FRONT),
    ("Left forearm", "forearm", Laterality.LEFT, View.FRONT),
    ("R thigh", "thigh", Laterality.RIGHT, View.FRONT),
    ("back of right hand", "hand", Laterality.RIGHT, View.BACK),
    ("upper back", "upper_back", Laterality.UNKNOWN, View.BACK),
    ("lower back, left", "lower_back", Laterality.LEFT, View.BACK),
    ("posterior left calf", "lower_leg", Laterality.LEFT, View.BACK),
    ("Rücken links", "upper_back", Laterality.LEFT, View.BACK),
    ("mejilla derecha", "face", Laterality.RIGHT, View.FRONT),
    ("épaule gauche", "shoulder", Laterality.LEFT, View.FRONT),
    ("chest", "chest", Laterality.UNKNOWN, View.FRONT),
])
def test_parse(text: str, region: str, side: Laterality, view: View) -> None:
    site = parse_body_site(text)
    assert site is not None
    assert (site.region, site.laterality, site.view) == (region, side, view)


def test_unknown() -> None:
    assert parse_body_site("") is None
    assert parse_body_site("somewhere") is None
