"""Pure figures about a user's check-ins: streak, adherence, pain trend.

These numbers appear in the chart caption, the weekly summary, /today and the PT
report, so they live in one place and follow one set of rules:

- A day counts as *done* when its status is ``done``, ``partial`` or ``run`` (a logged run
  in the return-to-running phase): the streak counts days that followed the plan.
- ``paused``, ``rest`` and ``hold`` (a safety hold: no check-in went out) days are not
  planned: they never break a streak and never lower adherence (pausing on a therapist's
  advice, or stopping because the bot said to see a clinician, must not feel like failing).
- Only days present in the input exist; the caller decides where the history starts.
- ``none`` (nothing recorded) on the last day of a window is "not yet", not a miss.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Literal, TypeAlias

from bot.domain.wording import counted, say
from bot.reports.data import (
    CHECK_IN_STATUSES,
    DONE_STATUSES,
    NOT_PLANNED_STATUSES,
    DayRecord,
)

PainTrend: TypeAlias = Literal["improving", "steady", "worsening", "not enough data"]

PAIN_TREND_THRESHOLD = 1.0
"""Change in average pain (0-10 scale) between the two halves of the window that counts
as a real change. Smaller shifts are within day-to-day noise of a self-rated score."""

PAIN_TREND_MIN_SCORES = 3
"""Scores needed in *each* half before we dare call a trend."""

PARTIAL_WEIGHT = 0.5


def by_day(days: Iterable[DayRecord]) -> dict[date, DayRecord]:
    """Index records by date; a later duplicate wins, as the latest edit should."""
    return {record.day: record for record in days}


def _is_done(record: DayRecord | None) -> bool:
    return record is not None and record.status in DONE_STATUSES


def streak(days: Iterable[DayRecord], today: date) -> int:
    """Consecutive planned days done, counting back from today.

    Today only counts once it is done; an unanswered today (``none`` or absent) does
    not break the streak, we simply start from yesterday. Paused, rest and hold days are
    stepped over without adding to the streak or breaking it.
    """
    index = by_day(days)
    if not index:
        return 0
    earliest = min(index)
    current = today
    today_record = index.get(today)
    if today_record is None or today_record.status == "none":
        current = today - timedelta(days=1)
    count = 0
    while current >= earliest:
        record = index.get(current)
        if record is not None and record.status in NOT_PLANNED_STATUSES:
            current -= timedelta(days=1)
            continue
        if not _is_done(record):
            break
        count += 1
        current -= timedelta(days=1)
    return count


def streak_may_go_further(days: Sequence[DayRecord], today: date) -> bool:
    """Whether the streak counted on ``days`` runs into their first day, so that older days
    (outside what was loaded) might lengthen it."""
    if not days:
        return False
    earliest = min(d.day for d in days)
    broken = [replace(d, status="missed") if d.day == earliest else d for d in days]
    return streak(broken, today) != streak(days, today)


def _window(days: Iterable[DayRecord], end: date, window: int) -> list[DayRecord]:
    start = end - timedelta(days=window - 1)
    return sorted(
        (record for record in by_day(days).values() if start <= record.day <= end),
        key=lambda record: record.day,
    )


def _planned(records: Sequence[DayRecord], end: date) -> list[DayRecord]:
    """Planned days: not paused, rest or on hold, and not an unanswered ``end`` day."""
    return [
        record
        for record in records
        if record.status not in NOT_PLANNED_STATUSES
        and not (record.day == end and record.status == "none")
    ]


def _credit(record: DayRecord) -> float:
    if record.status in ("done", "run"):
        return 1.0
    if record.status == "partial":
        return PARTIAL_WEIGHT
    return 0.0


def adherence(days: Iterable[DayRecord], end: date, window: int) -> float | None:
    """Share (0..1) of planned days in the ``window`` days ending at ``end`` that were done.

    Partial days count half. Returns None when no day in the window was planned, so
    callers can say "no planned days yet" instead of a misleading 0 %.
    """
    if window < 1:
        raise ValueError("window must be at least 1 day")
    planned = _planned(_window(days, end, window), end)
    if not planned:
        return None
    return sum(_credit(record) for record in planned) / len(planned)


def done_and_planned(days: Iterable[DayRecord], end: date, window: int) -> tuple[int, int]:
    """(days done, planned days) in the window: the same days ``adherence`` divides, so a
    summary never says "6 of 7 days" beside "100 %"."""
    planned = _planned(_window(days, end, window), end)
    return sum(1 for record in planned if _is_done(record)), len(planned)


MIN_ADHERENCE_DAYS = 3
"""Planned days needed before an adherence percentage means anything."""


def adherence_text(days: Iterable[DayRecord], end: date) -> str:
    """Adherence as people read it: over 7 and 28 days, or over the days there really are.

    ``days`` starts where the user's history starts (``load_days`` clips it), so a user
    two days in reads "too early" rather than "100 % over 28 days".
    """
    records = list(days)
    _done, planned = done_and_planned(records, end, 28)
    if planned == 0:
        return say("stats.adherence_none")
    if planned < MIN_ADHERENCE_DAYS:
        return say(
            "stats.adherence_too_early",
            planned=counted(planned, "planned_day"),
            min=MIN_ADHERENCE_DAYS,
        )
    # Days of history so far; an unanswered today is "not yet", as in ``adherence``.
    known = sum(1 for r in _window(records, end, 28) if not (r.day == end and r.status == "none"))
    week = percent(adherence(records, end, 7))
    month_days = _window(records, end, 28)
    notes = [
        say(key)
        for key, status in (("stats.partial_note", "partial"), ("stats.hold_note", "hold"))
        if any(r.status == status for r in month_days)
    ]
    note = "".join(" " + n for n in notes)
    month = percent(adherence(records, end, 28))
    first = counted(known, "day")
    if known < 7:
        return say("stats.adherence_first_days", week=week, known=first, note=note)
    if known < 28:
        return say("stats.adherence_first_weeks", week=week, month=month, known=first, note=note)
    return say("stats.adherence", week=week, month=month, note=note)


def _mean(values: Sequence[int]) -> float:
    return sum(values) / len(values)


def pain_trend(days: Iterable[DayRecord], end: date, window: int = 14) -> PainTrend:
    """Compare average exercise pain in the recent half of the window with the earlier half.

    With ``window=14`` that is the last 7 days against the 7 before. Each half needs
    at least ``PAIN_TREND_MIN_SCORES`` scores; a drop of at least
    ``PAIN_TREND_THRESHOLD`` points is "improving", a rise of as much "worsening".
    """
    if window < 2:
        raise ValueError("window must be at least 2 days")
    recent_days = window // 2
    split = end - timedelta(days=recent_days - 1)
    earlier: list[int] = []
    recent: list[int] = []
    for record in _window(days, end, window):
        if record.pain is None:
            continue
        (recent if record.day >= split else earlier).append(record.pain)
    if len(earlier) < PAIN_TREND_MIN_SCORES or len(recent) < PAIN_TREND_MIN_SCORES:
        return "not enough data"
    change = _mean(recent) - _mean(earlier)
    if change <= -PAIN_TREND_THRESHOLD:
        return "improving"
    if change >= PAIN_TREND_THRESHOLD:
        return "worsening"
    return "steady"


_DOSE_START = re.compile(r"\s+(?=\d)|\s+[x×]\s|\s+\(|\s+[-–—]\s")


def exercise_name(plan_item: str) -> str:
    """Strip the dose from a plan entry: "Clamshells 3 × 15" -> "Clamshells".

    The first whitespace followed by a digit starts the dose, so names that begin
    with a number ("90/90 hip switch 2 × 8") keep it.
    """
    text = plan_item.strip()
    match = _DOSE_START.search(text)
    return text[: match.start()].strip() if match and match.start() > 0 else text


def _key(name: str) -> str:
    return " ".join(exercise_name(name).casefold().split())


def exercise_adherence(
    days: Iterable[DayRecord], plan: Sequence[str]
) -> list[tuple[str, int, int]]:
    """Per plan entry: (entry as written, times done, planned days).

    Names are matched without dose and case, so a check-in that stores "clamshells"
    counts for "Clamshells 3 × 15". A ``done`` day with no exercise list counts for
    every exercise, because "did everything" is how most users answer.
    """
    records = list(by_day(days).values())
    # A run day planned a run, not the home exercises.
    planned = [
        r
        for r in records
        if r.status not in NOT_PLANNED_STATUSES and r.status not in ("none", "run")
    ]
    counts: Counter[str] = Counter()
    plan_keys = [_key(item) for item in plan]
    for record in planned:
        if record.status == "done" and not record.exercises_done:
            counts.update(set(plan_keys))
            continue
        counts.update({_key(name) for name in record.exercises_done})
    return [(item, counts[key], len(planned)) for item, key in zip(plan, plan_keys, strict=True)]


def morning_counts(days: Iterable[DayRecord]) -> dict[str, int]:
    """How often the next morning felt better / the same / worse (all three keys present)."""
    counts = Counter(record.morning for record in by_day(days).values() if record.morning)
    return {answer: counts.get(answer, 0) for answer in ("better", "same", "worse")}


def check_in_count(days: Iterable[DayRecord]) -> int:
    """Days on which the user actually told us something (done, partial or skipped)."""
    return sum(1 for record in by_day(days).values() if record.status in CHECK_IN_STATUSES)


MIN_CHECK_INS = 3
"""Check-ins needed before a progress chart is worth drawing."""


def has_enough_data(days: Iterable[DayRecord]) -> bool:
    """True once there are enough check-ins for a chart worth looking at."""
    return check_in_count(days) >= MIN_CHECK_INS


def percent(value: float | None) -> str:
    """'86 %' style; 'n/a' when there were no planned days to measure."""
    return "n/a" if value is None else f"{round(value * 100)} %"


def caption(
    days: Iterable[DayRecord], today: date, rehab_day: int, *, streak_days: int | None = None
) -> str:
    """One line under the chart and in summaries, built from the same rules as above.
    ``streak_days`` is the user's whole streak (``bot.services.history.current_streak``);
    None while a safety concern is open: no streak talk.

    ``rehab_day`` comes from ``bot.services.context.rehab_day``, so the chart says the same
    day number as the check-in and /today.
    """
    records = list(days)
    parts = (
        [say("common.streak", streak=counted(streak_days, "day"))]
        if streak_days is not None
        else []
    )
    parts.append(adherence_text(records, today))
    trend = pain_trend(records, today)
    if trend == "not enough data":
        scored = sum(1 for r in _window(records, today, 14) if r.pain is not None)
        parts.append(say("stats.pain_trend_wait", min=PAIN_TREND_MIN_SCORES, scored=scored))
    else:
        parts.append(say("stats.pain_trend", trend=say(f"stats.trend_{trend}")))
    parts.append(say("stats.rehab_day", day=rehab_day))
    return " · ".join(parts)
