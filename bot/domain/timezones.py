"""Work out a user's IANA time zone from a shared location or whatever they type.

Reminders fire at the user's wall-clock time, so a wrong zone means a check-in
at 3 a.m. Resolution therefore errs towards asking: it answers confidently only
for exact names or clear matches, offers up to three candidates when a place
is ambiguous (two Portlands, "IST"), and explains fixed UTC offsets' drawback
(they ignore daylight saving) instead of silently accepting them.

Everything is offline: zone names come from ``zoneinfo``/``tzdata``, countries
from tzdata's ``zone.tab``, extra city names from ``bot/content/cities.toml``
and coordinates from ``timezonefinder``.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, available_timezones

from rapidfuzz import fuzz, process

from bot.domain.parsing import InputError

if TYPE_CHECKING:
    from timezonefinder import TimezoneFinder

CITIES_FILE = Path(__file__).resolve().parent.parent / "content" / "cities.toml"
MAX_PLACE_CHARS = 100
MAX_CANDIDATES = 3
CONFIDENT_SCORE = 85.0
CANDIDATE_SCORE = 70.0
CLEAR_LEAD = 6.0

_EXAMPLES = 'a nearby city like "Berlin" or "New York", or a time zone like Europe/Berlin'
_OFFSET_NOTE = (
    "A fixed UTC offset never changes for daylight saving time. If your clocks change in "
    "summer, send your city instead so your reminders stay at the right time."
)


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


@dataclass(frozen=True)
class _Place:
    zone: str
    label: str
    country: str
    region: str


# --- normalisation -----------------------------------------------------------------------

_COUNTRY_NAME_OVERRIDES = {
    "GB": "United Kingdom",
    "KR": "South Korea",
    "KP": "North Korea",
    "CZ": "Czechia",
    "CD": "DR Congo",
    "CG": "Republic of the Congo",
    "SZ": "Eswatini",
}
_COUNTRY_ALIASES = {
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "britain": "GB",
    "great britain": "GB",
    "gb": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "us": "US",
    "america": "US",
    "united states of america": "US",
    "uae": "AE",
    "emirates": "AE",
    "holland": "NL",
    "the netherlands": "NL",
    "korea": "KR",
    "czech republic": "CZ",
    "deutschland": "DE",
    "espana": "ES",
    "italia": "IT",
    "nz": "NZ",
    "aus": "AU",
    "oz": "AU",
    "brasil": "BR",
}
_REGION_ALIASES = {
    "ny": "new york",
    "ma": "massachusetts",
    "pa": "pennsylvania",
    "ga": "georgia",
    "fl": "florida",
    "nc": "north carolina",
    "oh": "ohio",
    "me": "maine",
    "al": "alabama",
    "tx": "texas",
    "mn": "minnesota",
    "mo": "missouri",
    "tn": "tennessee",
    "la": "louisiana",
    "wi": "wisconsin",
    "ut": "utah",
    "nm": "new mexico",
    "co": "colorado",
    "az": "arizona",
    "nv": "nevada",
    "ca": "california",
    "wa": "washington",
    "or": "oregon",
    "hi": "hawaii",
    "ak": "alaska",
    "il": "illinois",
    "mi": "michigan",
    "md": "maryland",
    "on": "ontario",
    "qc": "quebec",
    "bc": "british columbia",
    "ab": "alberta",
    "ns": "nova scotia",
    "nsw": "new south wales",
    "vic": "victoria",
    "qld": "queensland",
    "wa australia": "western australia",
    "sa": "south australia",
}


def _norm(text: str) -> str:
    """Compare place names the way people mean them: no accents, case, punctuation or 'St.'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    plain = re.sub(r"[_\-/.,'’()]+", " ", plain)
    tokens = ["saint" if token == "st" else token for token in plain.split()]
    return " ".join(tokens)


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


@dataclass(frozen=True)
class _Index:
    places: dict[str, tuple[_Place, ...]]
    keys: tuple[str, ...]
    iana: dict[str, str]
    country_names: dict[str, str]  # code -> display name
    country_codes: dict[str, str]  # normalised name or alias -> code
    country_zones: dict[str, tuple[str, ...]]  # code -> zones, most typed first


def _load_cities(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    cities = data.get("cities", [])
    if not isinstance(cities, list):
        raise ValueError(f"{path}: 'cities' must be a list")
    return cities


@lru_cache(maxsize=1)
def _index() -> _Index:
    """Build every lookup table once; about 2,000 names, a few milliseconds."""
    zones = available_timezones()
    # Slash-less legacy names ("Japan", "EST", "GB") go through the country and
    # abbreviation paths instead, which explain themselves better.
    iana = {zone.casefold(): zone for zone in zones if "/" in zone}

    country_names: dict[str, str] = {}
    for row in _read_tzdata_table("iso3166.tab"):
        if len(row) >= 2:
            country_names[row[0]] = _COUNTRY_NAME_OVERRIDES.get(row[0], row[1])
    country_codes = {_norm(name): code for code, name in country_names.items()}
    country_codes.update(_COUNTRY_ALIASES)

    zone_country: dict[str, str] = {}
    country_zone_list: dict[str, list[str]] = defaultdict(list)
    for row in _read_tzdata_table("zone.tab"):
        if len(row) >= 3 and row[2] in zones:
            zone_country[row[2]] = row[0]
            country_zone_list[row[0]].append(row[2])

    places: dict[str, list[_Place]] = defaultdict(list)

    def add(name: str, place: _Place) -> None:
        key = _norm(name)
        if key and all(p.zone != place.zone or p.label != place.label for p in places[key]):
            places[key].append(place)

    typed: Counter[str] = Counter()
    for city in _load_cities(CITIES_FILE):
        name, zone = str(city["name"]), str(city["zone"])
        if zone not in zones:
            raise ValueError(f"cities.toml: unknown zone {zone!r} for {name!r}")
        country, region = str(city.get("country", "")), str(city.get("region", ""))
        parts = [name, *([region] if region and region != name else []), country]
        place = _Place(zone, ", ".join(p for p in parts if p), country, region)
        typed[zone] += 1
        for alias in [name, *city.get("aliases", [])]:
            add(str(alias), place)

    # City part of every populated zone (Asia/Kolkata -> "Kolkata"), skipping names
    # cities.toml already maps to the same zone so the nicer label wins.
    zone_sources = zone_country.keys() or {
        z
        for z in zones
        if re.match(
            r"(Africa|America|Asia|Atlantic|Australia|Europe|Indian|"
            r"Pacific)/",
            z,
        )
    }
    for zone in sorted(zone_sources):
        zone_city = zone.rsplit("/", 1)[-1].replace("_", " ")
        if any(p.zone == zone for p in places.get(_norm(zone_city), ())):
            continue
        country = country_names.get(zone_country.get(zone, ""), "")
        label = f"{zone_city}, {country}" if country else zone_city
        add(zone_city, _Place(zone, label, country, ""))

    country_zones = {
        code: tuple(sorted(zs, key=lambda z: (-typed[z], zs.index(z))))
        for code, zs in country_zone_list.items()
    }
    frozen = {key: tuple(value) for key, value in places.items()}
    return _Index(frozen, tuple(frozen), iana, country_names, country_codes, country_zones)


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
    for place in index.places.get(_norm(city), ()):
        if place.zone == zone:
            return f"{place.label} ({zone})"
    return zone


def _offset_resolution(sign: int, hours: int, minutes: int, raw: str) -> TimezoneResolution:
    label = f"UTC{'+' if sign > 0 else '-'}{hours:02d}:{minutes:02d}"
    if minutes == 0 and (hours == 0 or (sign > 0 and hours <= 14) or (sign < 0 and hours <= 12)):
        # POSIX sign trap: Etc/GMT-2 is two hours *ahead* of UTC.
        zone = "Etc/UTC" if hours == 0 else f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"
        return TimezoneResolution((TimezoneMatch(zone, label, 100.0),), True, _OFFSET_NOTE)
    zone_for_offset = _FRACTIONAL_OFFSETS.get((sign, hours, minutes))
    if zone_for_offset is not None:
        match = TimezoneMatch(zone_for_offset, _zone_label(zone_for_offset), 90.0)
        note = f"{label} isn't a time zone name, but {match.label} uses it. Is that you?"
        return TimezoneResolution((match,), False, note)
    raise InputError(f'No place I know uses "{raw}". Please send {_EXAMPLES}.')


# --- matching -------------------------------------------------------------------------------


def _country_code(hint: str) -> str | None:
    return _index().country_codes.get(_norm(hint))


def _filter_by_hint(places: tuple[_Place, ...], hint: str) -> tuple[_Place, ...]:
    """Keep the places whose country or region matches "Oregon", "UK", "OR", ..."""
    index = _index()
    wanted = _norm(hint)
    wanted_region = _REGION_ALIASES.get(wanted, wanted)
    code = _country_code(hint)
    wanted_country = _norm(index.country_names[code]) if code in index.country_names else wanted
    return tuple(
        p
        for p in places
        if _norm(p.region) == wanted_region or _norm(p.country) in {wanted_country, wanted}
    )


def _from_places(places: tuple[_Place, ...], score: float, raw: str) -> TimezoneResolution:
    seen: dict[str, TimezoneMatch] = {}
    for place in places:
        seen.setdefault(place.zone, TimezoneMatch(place.zone, place.label, score))
    matches = tuple(seen.values())
    if len(matches) == 1:
        return TimezoneResolution(matches, True)
    return TimezoneResolution(
        matches[:MAX_CANDIDATES],
        False,
        f'There is more than one "{raw}". Which one do you mean?',
    )


def _exact(place: str, hint: str | None, raw: str) -> TimezoneResolution | None:
    places = _index().places.get(_norm(place))
    if not places:
        return None
    if hint:
        narrowed = _filter_by_hint(places, hint)
        if narrowed:
            places = narrowed
    return _from_places(places, 100.0, place.strip())


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
        f"{name} has more than one time zone. Pick one, or send the city you're in.",
    )


def _fuzzy(place: str) -> TimezoneResolution | None:
    index = _index()
    query = _norm(place)
    if len(query) < 3:
        return None
    hits = process.extract(
        query, index.keys, scorer=fuzz.ratio, limit=12, score_cutoff=CANDIDATE_SCORE
    )
    best: dict[tuple[str, str], TimezoneMatch] = {}
    for key, score, _ in hits:
        for p in index.places[key]:
            current = best.get((p.zone, p.label))
            if current is None or score > current.score:
                best[(p.zone, p.label)] = TimezoneMatch(p.zone, p.label, round(score, 1))
    if not best:
        return None
    by_zone: dict[str, TimezoneMatch] = {}
    for match in sorted(best.values(), key=lambda m: -m.score):
        by_zone.setdefault(match.zone, match)
    ranked = sorted(by_zone.values(), key=lambda m: -m.score)
    top = ranked[0]
    clear = len(ranked) == 1 or ranked[1].score <= top.score - CLEAR_LEAD
    if top.score >= CONFIDENT_SCORE and clear:
        return TimezoneResolution((top,), True)
    return TimezoneResolution(
        tuple(ranked[:MAX_CANDIDATES]),
        False,
        f'I\'m not sure which place "{place.strip()}" is. Is it one of these?',
    )


def resolve_timezone(text: object) -> TimezoneResolution:
    """Turn what the user typed into a zone or a short list of choices.

    Order: time-zone abbreviations (always ambiguous), UTC offsets, exact IANA
    names, exact place names (with an optional ", country/state" hint),
    countries, then typo-tolerant matching. Raises ``InputError`` when nothing
    is close.
    """
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"Please type where you are: {_EXAMPLES}.")
    raw = " ".join(text.split())
    if len(raw) > MAX_PLACE_CHARS:
        raise InputError(f"That's too long for a place name. Please send {_EXAMPLES}.")

    upper = raw.upper()
    if upper in _ABBREVIATIONS:
        matches = tuple(TimezoneMatch(z, _zone_label(z), 80.0) for z in _ABBREVIATIONS[upper])
        note = (
            f'"{raw}" is an abbreviation that several places use, and it says nothing about '
            "daylight saving. Pick your zone below, or send the city you're in."
        )
        return TimezoneResolution(matches, False, note)
    lowered = raw.casefold()
    if lowered in _UTC_WORDS:
        return TimezoneResolution((TimezoneMatch("Etc/UTC", "UTC", 100.0),), True, _OFFSET_NOTE)
    offset = _OFFSET.match(lowered.replace(" ", "") if len(lowered) < 20 else lowered)
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        hours, minutes = int(offset.group(2)), int(offset.group(3) or 0)
        if minutes >= 60 or hours > 14:
            raise InputError(f'"{raw}" isn\'t a valid UTC offset. Try UTC+2 or a city name.')
        return _offset_resolution(sign, hours, minutes, raw)

    index = _index()
    iana = index.iana.get(lowered.replace(" ", "_"))
    if iana is not None:
        return TimezoneResolution((TimezoneMatch(iana, iana, 100.0),), True)

    place, _, hint = raw.partition(",")
    hint = hint.strip()
    found = _exact(place, hint or None, raw)
    if found is None and not hint:
        # "Portland Oregon", "Birmingham UK": peel trailing words off as a hint.
        words = raw.split()
        for cut in (1, 2):
            if len(words) > cut:
                head, tail = " ".join(words[:-cut]), " ".join(words[-cut:])
                candidate = _exact(head, tail, head)
                if candidate is not None and _filter_by_hint(index.places[_norm(head)], tail):
                    found = candidate
                    break
    if found is None:
        found = _country(raw)
    if found is None:
        found = _fuzzy(place)
    if found is None and hint:
        found = _country(hint)
        if found is not None:
            found = TimezoneResolution(
                found.matches,
                False,
                f'I don\'t know "{place.strip()}", but here is what I found for {hint}.',
            )
    if found is None:
        raise InputError(
            f'I couldn\'t find a place called "{raw[:40]}". Please send {_EXAMPLES}, '
            "or share your location."
        )
    return found


# --- coordinates and confirmation -------------------------------------------------------


@lru_cache(maxsize=1)
def _finder() -> TimezoneFinder:
    """Building the finder loads polygon data; do it once, and only when someone shares a pin."""
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def resolve_location(lat: float, lon: float) -> str | None:
    """IANA zone for a shared Telegram location; None if no zone covers the point."""
    for value, limit, name in ((lat, 90.0, "latitude"), (lon, 180.0, "longitude")):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or abs(value) > limit
        ):
            raise InputError(
                f"That location's {name} doesn't look right. Please share it again, "
                f"or type {_EXAMPLES}."
            )
    return _finder().timezone_at(lng=float(lon), lat=float(lat))


def describe_local_time(zone: str, now_utc: datetime) -> str:
    """A confirmation line, e.g. "Europe/Berlin, where it's 14:05 on Friday"."""
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise ValueError("now_utc must be timezone-aware")
    local = now_utc.astimezone(ZoneInfo(zone))
    return f"{zone}, where it's {local:%H:%M} on {local:%A}"
