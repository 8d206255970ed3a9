"""Wall-clock scheduling maths: when is "07:30 in Berlin" next, in UTC?

Users think in local wall-clock time ("remind me at 7:30"), the scheduler and
database think in UTC instants. Everything here converts between the two and
owns the daylight-saving edge cases so that no other module has to.

Rules, applied everywhere in this module (``next_daily``, ``next_weekly``,
``local_instant``, ``start_of_local_day``):

* **Normal day**: the wall time maps to exactly one instant.
* **Spring-forward gap** (the wall time never shows, e.g. 02:30 in
  Europe/Berlin on 2027-03-28): the day still gets exactly one firing, at the
  first valid instant after the gap, i.e. the moment the clocks jump
  (03:00 local = 01:00Z). APScheduler's CronTrigger on its own would fire at
  03:30 local (it reads the missing time with the pre-jump offset); we prefer
  "as soon as the wanted time has passed" because a reminder half an hour late
  for no visible reason looks like a bug to the user.
* **Fall-back overlap** (the wall time shows twice, e.g. 02:30 in
  Europe/Berlin on 2027-10-31): the day gets one firing, at the first
  occurrence. CronTrigger alone would fire at both occurrences, which would
  send the user a duplicate check-in.

All inputs must be timezone-aware and all returned datetimes are aware UTC.
Nothing here reads the system clock: callers pass the current instant in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

_ONE_MICROSECOND = timedelta(microseconds=1)


@lru_cache(maxsize=512)
def _zone(zone: str) -> ZoneInfo:
    """Cache ZoneInfo lookups; the scheduler asks for the same few zones all day."""
    return ZoneInfo(zone)


def _require_aware(value: datetime, name: str) -> None:
    """Naive datetimes are ambiguous by construction, so refuse them loudly."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def _wall_time(t: time) -> time:
    """Drop any tzinfo/microseconds from a wall time: only h:m:s are meaningful."""
    return time(t.hour, t.minute, t.second)


def _exists(naive: datetime, tz: tzinfo, fold: int) -> datetime | None:
    """Return the UTC instant for ``naive`` with ``fold`` if that wall time really occurs."""
    utc = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == naive:
        return utc
    return None


def _gap_end(naive: datetime, tz: tzinfo) -> datetime:
    """Find the instant the clocks jump over a non-existent wall time.

    Reading the missing time with the post-jump offset gives an instant before
    the transition and with the pre-jump offset one after it; the transition
    sits between them, so bisect on whole seconds (tz transitions are whole
    seconds).
    """
    a = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    b = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)
    lo_offset = lo.astimezone(tz).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + timedelta(seconds=((hi - lo).total_seconds() // 2))
        if mid.astimezone(tz).utcoffset() == lo_offset:
            lo = mid
        else:
            hi = mid
    return hi


def _wall_instants(day: date, local_time: time, tz: tzinfo) -> list[datetime]:
    """Every UTC instant at which the wall clock shows ``local_time`` on ``day`` (0, 1 or 2)."""
    naive = datetime.combine(day, _wall_time(local_time))
    found: list[datetime] = []
    for fold in (0, 1):
        instant = _exists(naive, tz, fold)
        if instant is not None and instant not in found:
            found.append(instant)
    return sorted(found)


def local_instant(day: date, local_time: time, zone: str) -> datetime:
    """The single UTC instant that represents ``local_time`` on local ``day`` in ``zone``.

    Uses the module's gap/fold rules, so every local day has exactly one answer.
    """
    tz = _zone(zone)
    instants = _wall_instants(day, local_time, tz)
    if instants:
        return instants[0]
    return _gap_end(datetime.combine(day, _wall_time(local_time)), tz)


def start_of_local_day(day: date, zone: str) -> datetime:
    """UTC instant at which local ``day`` begins (midnight, or the gap end if it is skipped)."""
    return local_instant(day, time(0, 0), zone)


def local_date(instant: datetime, zone: str) -> date:
    """The calendar date the user sees at ``instant``; streaks and check-ins count these."""
    _require_aware(instant, "instant")
    return instant.astimezone(_zone(zone)).date()


def _next_canonical(
    trigger: CronTrigger, local_time: time, zone: str, after: datetime, step_days: int
) -> datetime:
    """Let CronTrigger find the candidate day, then apply our gap/fold rules around it.

    CronTrigger may return a fold=1 duplicate or a gap time read with the old
    offset; the canonical firing for the candidate's local day (or, if that one
    already passed, the next period's) is the correct answer.
    """
    _require_aware(after, "after")
    after_utc = after.astimezone(UTC)
    # get_next_fire_time(None, now) returns the first fire time >= now; nudge
    # by a microsecond so a fire time equal to `after` is excluded.
    candidate = trigger.get_next_fire_time(None, after_utc + _ONE_MICROSECOND)
    if candidate is None:  # pragma: no cover - an unbounded cron always fires again
        raise RuntimeError("CronTrigger returned no next fire time")
    wall_day = candidate.replace(tzinfo=None).date()
    for offset in (-step_days, 0, step_days, 2 * step_days):
        instant = local_instant(wall_day + timedelta(days=offset), local_time, zone)
        if instant > after_utc:
            return instant
    raise RuntimeError(  # pragma: no cover - unreachable with real tz data
        f"no firing found for {local_time} in {zone} after {after_utc}"
    )


@lru_cache(maxsize=8192)
def next_daily(local_time: time, zone: str, after: datetime) -> datetime:
    """Next UTC instant strictly after ``after`` when ``zone``'s wall clock shows ``local_time``.

    Memoized: thousands of users share a zone and a check-in time, so the dispatcher asks
    the same question once per user after a batch goes out.
    """
    t = _wall_time(local_time)
    trigger = CronTrigger(hour=t.hour, minute=t.minute, second=t.second, timezone=_zone(zone))
    return _next_canonical(trigger, t, zone, after, step_days=1)


@lru_cache(maxsize=4096)
def next_weekly(weekday: int, local_time: time, zone: str, after: datetime) -> datetime:
    """Like ``next_daily`` but only on ``weekday`` (Monday=0, as in ``date.weekday()``)."""
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0..6 (Monday=0), got {weekday}")
    t = _wall_time(local_time)
    trigger = CronTrigger(
        day_of_week=weekday,  # APScheduler 3 also counts Monday as 0
        hour=t.hour,
        minute=t.minute,
        second=t.second,
        timezone=_zone(zone),
    )
    return _next_canonical(trigger, t, zone, after, step_days=7)


def in_quiet_hours(instant: datetime, zone: str, start: time, end: time) -> bool:
    """Whether ``instant`` falls in the user's do-not-disturb window [start, end).

    The window may wrap midnight (21:00-08:00). ``start == end`` means no quiet
    hours at all, not a 24-hour silence, so a misconfiguration never mutes a user.
    """
    _require_aware(instant, "instant")
    wall = instant.astimezone(_zone(zone)).time().replace(microsecond=0)
    s, e = _wall_time(start), _wall_time(end)
    if s == e:
        return False
    if s < e:
        return s <= wall < e
    return wall >= s or wall < e


def next_outside_quiet_hours(instant: datetime, zone: str, start: time, end: time) -> datetime:
    """``instant`` itself if it is allowed, otherwise the moment the quiet window ends (UTC)."""
    _require_aware(instant, "instant")
    if not in_quiet_hours(instant, zone, start, end):
        return instant.astimezone(UTC)
    tz = _zone(zone)
    today = instant.astimezone(tz).date()
    e = _wall_time(end)
    candidates: list[datetime] = []
    for day in (today, today + timedelta(days=1)):
        shown = _wall_instants(day, e, tz)
        # A skipped `end` means the window ends when the clocks jump past it.
        candidates.extend(shown or [_gap_end(datetime.combine(day, e), tz)])
    return min(c for c in candidates if c > instant)


def is_rest_weekday(day: date, rest_weekdays: list[int] | tuple[int, ...] | None) -> bool:
    """A weekday the user marked as a planned rest day (0 = Monday): no exercises are due,
    so no check-in asks about them and the day never counts against a streak."""
    return day.weekday() in set(rest_weekdays or ())


def format_utc(dt: datetime) -> str:
    """ISO 8601 in UTC with a trailing "Z", e.g. "2027-03-28T01:00:00Z", for logs and the CLI."""
    _require_aware(dt, "dt")
    utc = dt.astimezone(UTC)
    timespec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"
