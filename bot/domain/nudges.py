"""Which nudge to send, on which days and at what time: pure policy, no I/O.

Nudges only help if they feel personal and rare, so the policy never repeats a message
until the user has seen every message suited to their situation, spreads the few nudge
days of a week apart, and gives each user a different time of day (outside their quiet
hours) so the bot neither nags nor fires for every user in the same second.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from itertools import combinations, pairwise

from bot.domain.content import PHASES, SITUATIONS, TRIGGERS, Nudge

CADENCE: dict[str, int] = {"off": 0, "low": 2, "normal": 4}

DEFAULT_WINDOW_START = time(10, 0)
DEFAULT_WINDOW_END = time(19, 30)
_DAY_SECONDS = 24 * 60 * 60


EXERCISING_MIN_ADHERENCE = 0.5
"""Exercised on at least half the planned days of the last two weeks: "exercising"."""


def situation_tags(
    *,
    check_ins: int,
    adherence: float | None,
    recent_pain: bool,
    flare_reason: str | None = None,
) -> frozenset[str]:
    """The situation tags (``requires`` in nudges.toml) that hold for a user right now.

    ``check_ins`` counts answered check-ins; ``adherence`` is the share of planned days done
    over the last two weeks (None: nothing planned yet); ``recent_pain`` is a score above the
    comfortable band in the last week; ``flare_reason`` is "score" or "morning" for a flare.
    """
    tags: set[str] = set()
    if check_ins > 0:
        tags.add("has_checkins")
        if adherence is not None and adherence >= EXERCISING_MIN_ADHERENCE:
            tags.add("exercising")
    tags.add("recent_pain" if recent_pain else "no_recent_pain")
    if flare_reason in ("score", "morning"):
        tags.add(f"flare_{flare_reason}")
    return frozenset(tags)


@dataclass(frozen=True)
class NudgeContext:
    """What the policy needs to know about the user right now."""

    first_name: str
    injury_label: str
    rehab_day: int
    phase: str
    trigger: str
    injury_area: str = "other"
    situation: frozenset[str] = frozenset({"no_recent_pain"})

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"unknown phase {self.phase!r}")
        if self.trigger not in TRIGGERS:
            raise ValueError(f"unknown trigger {self.trigger!r}")
        unknown = self.situation - set(SITUATIONS)
        if unknown:
            raise ValueError(f"unknown situation tags {sorted(unknown)}")


def fits(nudge: Nudge, ctx: NudgeContext) -> bool:
    """Whether a nudge suits this user: trigger, phase, injury area and situation tags.

    The one place that decides it; nothing reaches a user that this refuses.
    """
    return (
        nudge.trigger == ctx.trigger
        and ctx.phase in nudge.phases
        and (not nudge.areas or ctx.injury_area in nudge.areas)
        and ctx.injury_area not in nudge.not_areas
        and set(nudge.requires) <= ctx.situation
    )


@dataclass(frozen=True)
class RenderedNudge:
    """A chosen nudge with the personal fields already filled in."""

    id: str
    theme: str
    trigger: str
    text: str


def phase_for_day(rehab_day: int, returning: bool = False) -> str:
    """Rehab phase from the day count; a user back to running is always in that phase."""
    if returning:
        return "return_to_running"
    if rehab_day <= 7:
        return "first_week"
    if rehab_day <= 28:
        return "weeks_2_4"
    return "month_2_plus"


def _candidates(nudges: Sequence[Nudge], ctx: NudgeContext) -> list[Nudge]:
    # No fallback to other phases or areas: better no nudge than one that does not fit.
    return [n for n in nudges if fits(n, ctx)]


def _used_in_current_cycle(candidate_ids: set[str], sent_ids: Sequence[str]) -> set[str]:
    """Replay history: a cycle ends when all candidates were seen or one shows up again."""
    used: set[str] = set()
    for sent in sent_ids:
        if sent not in candidate_ids:
            continue
        if sent in used:
            used = set()
        used.add(sent)
        if used >= candidate_ids:
            used = set()
    return used


def choose_nudge(
    nudges: Sequence[Nudge],
    ctx: NudgeContext,
    sent_ids: Sequence[str],
    rng: random.Random,
) -> RenderedNudge | None:
    """Pick an unseen nudge that fits (see ``fits``), or None if none is written for it."""
    candidates = _candidates(nudges, ctx)
    if not candidates:
        return None
    candidate_ids = {n.id for n in candidates}
    used = _used_in_current_cycle(candidate_ids, sent_ids)
    pool = [n for n in candidates if n.id not in used]
    last = sent_ids[-1] if sent_ids else None
    if len(pool) > 1:
        pool = [n for n in pool if n.id != last] or pool
    chosen = rng.choice(pool)
    text = chosen.render(
        first_name=ctx.first_name,
        day=ctx.rehab_day,
        injury=ctx.injury_label,
    )
    return RenderedNudge(id=chosen.id, theme=chosen.theme, trigger=chosen.trigger, text=text)


# ------------------------------------------------------------------------------ cadence


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator that depends only on the user seed and the parts (stable across runs)."""
    return random.Random(":".join([str(seed), *map(str, parts)]))


def _adjacent_pairs(days: Sequence[int]) -> int:
    return sum(1 for a, b in pairwise(days) if b - a == 1)


def nudge_days_for_week(week_start: date, cadence: str, seed: int) -> list[date]:
    """The days (within the 7 days from week_start) that get a nudge, sorted.

    Days are chosen so no two are consecutive when the count allows it; the choice
    varies from week to week but is the same every time it is computed for a user.
    """
    try:
        count = CADENCE[cadence]
    except KeyError:
        raise ValueError(
            f"unknown cadence {cadence!r}; expected one of {sorted(CADENCE)}"
        ) from None
    if count == 0:
        return []
    options = list(combinations(range(7), count))
    fewest = min(_adjacent_pairs(option) for option in options)
    best = [option for option in options if _adjacent_pairs(option) == fewest]
    picked = _rng(seed, "days", week_start.isoformat()).choice(best)
    return [week_start + timedelta(days=offset) for offset in picked]


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _quiet_intervals(quiet_start: time, quiet_end: time) -> list[tuple[int, int]]:
    start, end = _seconds(quiet_start), _seconds(quiet_end)
    if start == end:
        return []
    if start < end:
        return [(start, end)]
    return [(start, _DAY_SECONDS), (0, end)]


def _subtract(
    segments: list[tuple[int, int]], holes: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    for hole_start, hole_end in holes:
        remaining: list[tuple[int, int]] = []
        for start, end in segments:
            if hole_end <= start or hole_start >= end:
                remaining.append((start, end))
                continue
            if start < hole_start:
                remaining.append((start, hole_start))
            if hole_end < end:
                remaining.append((hole_end, end))
        segments = remaining
    return segments


def is_quiet(moment: time, quiet_start: time, quiet_end: time) -> bool:
    """True when a local time falls in quiet hours (start inclusive, end exclusive)."""
    second = _seconds(moment)
    return any(a <= second < b for a, b in _quiet_intervals(quiet_start, quiet_end))


def nudge_local_time(
    day: date,
    seed: int,
    quiet_start: time,
    quiet_end: time,
    window_start: time = DEFAULT_WINDOW_START,
    window_end: time = DEFAULT_WINDOW_END,
) -> time:
    """A local send time inside the daytime window and never inside quiet hours.

    The second is drawn uniformly from the allowed time, seeded by user and day, so
    users spread out and one user's time moves a little from day to day. If quiet hours
    swallow the whole window, any non-quiet time of day is used instead.
    """
    if _seconds(window_start) >= _seconds(window_end):
        raise ValueError("window_start must be before window_end")
    holes = _quiet_intervals(quiet_start, quiet_end)
    allowed = _subtract([(_seconds(window_start), _seconds(window_end))], holes)
    if not allowed:
        allowed = _subtract([(0, _DAY_SECONDS)], holes)
    total = sum(end - start for start, end in allowed)
    offset = _rng(seed, "time", day.isoformat()).randrange(total)
    for start, end in allowed:
        if offset < end - start:
            second = start + offset
            return time(second // 3600, (second % 3600) // 60, second % 60)
        offset -= end - start
    raise AssertionError("unreachable: offset is always inside an allowed segment")
