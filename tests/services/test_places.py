"""Offline place names for hospital distances (issue 20): the shipped GeoNames gazetteer, no network."""

import pytest

from dermstation.core.errors import ValidationError
from dermstation.services.places import find_place, resolve_location


@pytest.mark.parametrize(("typed", "name", "country"), [
    ("Berlin", "Berlin", "DE"),
    ("berlin", "Berlin", "DE"),
    ("München", "Munich", "DE"),       # the German name of a town listed in English
    ("Zurich", "Zürich", "CH"),         # accents optional
    ("Paris, US", "Paris", "US"),       # a country narrows it
    ("Paris, France", "Paris", "FR"),
    ("பெர்லின்", "Berlin", "DE"),        # Tamil script
    ("برلين", "Berlin", "DE"),           # Arabic script
])
def test_towns_by_name(typed: str, name: str, country: str) -> None:
    place = find_place(typed)
    assert place is not None and (place.name, place.country_code) == (name, country)


def test_coordinates_still_work_and_unknown_names_say_what_to_do() -> None:
    place = resolve_location("52,52 13,40")
    assert (place.latitude, place.longitude) == (52.52, 13.40)
    with pytest.raises(ValidationError) as unknown:
        resolve_location("Xyzzyville")
    assert unknown.value.field == "location" and "latitude, longitude" in unknown.value.message
    with pytest.raises(ValidationError):
        resolve_location("Paris, Atlantis")
    with pytest.raises(ValidationError):
        resolve_location("91, 200")
