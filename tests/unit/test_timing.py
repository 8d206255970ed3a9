"""Reminders must land at the user's wall-clock time, once a day, through every DST change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.timing import (
    format_utc,
    in_quiet_hours,
    local_date,
    local_instant,
    next_daily,
    next_outside_quiet_hours,
    next_weekly,
    start_of_local_day,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
SYDNEY = "Australia/Sydney"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def wall(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


# --- spring forward / fall back, one zone at a time -------------------------------------


def test_berlin_spring_forward_gap_fires_when_clocks_jump() -> None:
    # 02:30 does not exist in Berlin on 2027-03-28: clocks go 02:00 CET -> 03:00 CEST (01:00Z).
    due = next_daily(time(2, 30), BERLIN, utc(2027, 3, 27, 12))
    assert due == utc(2027, 3, 28, 1, 0)
    assert wall(due, BERLIN).strftime("%H:%M") == "03:00"


def test_berlin_gap_day_fires_only_once() -> None:
    first = next_daily(time(2, 30), BERLIN, utc(2027, 3, 27, 12))
    second = next_daily(time(2, 30), BERLIN, first)
    assert second == utc(2027, 3, 29, 0, 30)  # 02:30 CEST the next day


def test_berlin_gap_not_refired_if_after_lands_inside_shifted_window() -> None:
    # CronTrigger on its own would offer 01:30Z (02:30 read with the CET offset).
    assert next_daily(time(2, 30), BERLIN, utc(2027, 3, 28, 1, 15)) == utc(2027, 3, 29, 0, 30)


def test_berlin_fall_back_fires_first_occurrence_only() -> None:
    first = next_daily(time(2, 30), BERLIN, utc(2027, 10, 30, 12))
    assert first == utc(2027, 10, 31, 0, 30)  # 02:30 CEST, the first time 02:30 shows
    # From just after the first firing, the second 02:30 (CET, 01:30Z) must not fire.
    assert next_daily(time(2, 30), BERLIN, first) == utc(2027, 11, 1, 1, 30)
    assert next_daily(time(2, 30), BERLIN, utc(2027, 10, 31, 1, 0)) == utc(2027, 11, 1, 1, 30)


@pytest.mark.parametrize(
    ("zone", "before", "after_change", "expected_before", "expected_after"),
    [
        # Berlin: CET=UTC+1, CEST=UTC+2; changes 2027-03-28 and 2027-10-31.
        (BERLIN, date(2027, 3, 27), date(2027, 3, 28), "06:30", "05:30"),
        (BERLIN, date(2027, 10, 30), date(2027, 10, 31), "05:30", "06:30"),
        # New York: EST=UTC-5, EDT=UTC-4; changes 2027-03-14 and 2027-11-07.
        (NEW_YORK, date(2027, 3, 13), date(2027, 3, 14), "12:30", "11:30"),
        (NEW_YORK, date(2027, 11, 6), date(2027, 11, 7), "11:30", "12:30"),
        # Sydney: AEDT=UTC+11 until 2027-04-04, AEST=UTC+10 until 2027-10-03.
        (SYDNEY, date(2027, 4, 3), date(2027, 4, 4), "20:30", "21:30"),
        (SYDNEY, date(2027, 10, 2), date(2027, 10, 3), "21:30", "20:30"),
    ],
)
def test_0730_stays_0730_local_across_dst(
    zone: str, before: date, after_change: date, expected_before: str, expected_after: str
) -> None:
    start = start_of_local_day(before, zone)
    first = next_daily(time(7, 30), zone, start)
    second = next_daily(time(7, 30), zone, first)
    assert wall(first, zone).strftime("%H:%M") == "07:30"
    assert wall(second, zone).strftime("%H:%M") == "07:30"
    assert local_date(first, zone) == before
    assert local_date(second, zone) == after_change
    # Sydney's 07:30 is the previous UTC day, so compare the UTC clock only.
    assert first.strftime("%H:%M") == expected_before
    assert second.strftime("%H:%M") == expected_after
    assert second - first != timedelta(days=1)  # the UTC gap really moved


def test_new_york_spring_gap_and_fall_overlap() -> None:
    # 2027-03-14: 02:00 EST -> 03:00 EDT at 07:00Z, so 02:30 fires at 03:00 EDT.
    assert next_daily(time(2, 30), NEW_YORK, utc(2027, 3, 13, 12)) == utc(2027, 3, 14, 7, 0)
    # 2027-11-07: 01:30 shows at 05:30Z (EDT) and 06:30Z (EST); only the first fires.
    first = next_daily(time(1, 30), NEW_YORK, utc(2027, 11, 6, 12))
    assert first == utc(2027, 11, 7, 5, 30)
    assert next_daily(time(1, 30), NEW_YORK, first) == utc(2027, 11, 8, 6, 30)


def test_sydney_spring_gap_and_fall_overlap() -> None:
    # 2027-10-03: 02:00 AEST -> 03:00 AEDT (16:00Z on 10-02).
    assert next_daily(time(2, 15), SYDNEY, utc(2027, 10, 2, 12)) == utc(2027, 10, 2, 16, 0)
    # 2027-04-04: 03:00 AEDT -> 02:00 AEST; 02:15 shows at 15:15Z and 16:15Z on 04-03.
    first = next_daily(time(2, 15), SYDNEY, utc(2027, 4, 3, 12))
    assert first == utc(2027, 4, 3, 15, 15)
    assert next_daily(time(2, 15), SYDNEY, first) == utc(2027, 4, 4, 16, 15)


# --- the 365-day walk ----------------------------------------------------------------------

WALK_TIMES = [
    time(0, 0),
    time(0, 30),
    time(1, 59),
    time(2, 0),
    time(2, 30),
    time(2, 59),
    time(3, 0),
    time(7, 30),
    time(12, 0),
    time(19, 45),
    time(23, 59),
]


def _expected_local(day: date, t: time, zone: str) -> str:
    """What the user should see on the clock: t, or the jump-to time if t is skipped."""
    naive = datetime.combine(day, t)
    tz = ZoneInfo(zone)
    roundtrip = naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if roundtrip == naive:
        return t.strftime("%H:%M")
    return "03:00"  # all three zones jump from 02:00 to 03:00


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK, SYDNEY])
@pytest.mark.parametrize("t", WALK_TIMES, ids=lambda t: t.strftime("%H%M"))
def test_365_day_walk_fires_once_per_local_day_at_the_right_wall_time(zone: str, t: time) -> None:
    first_day = date(2027, 1, 1)
    cursor = start_of_local_day(first_day, zone) - timedelta(microseconds=1)
    seen: list[date] = []
    for _ in range(365):
        due = next_daily(t, zone, cursor)
        assert due > cursor
        assert due.tzinfo is UTC
        day = local_date(due, zone)
        assert wall(due, zone).strftime("%H:%M") == _expected_local(day, t, zone)
        assert due == local_instant(day, t, zone)
        seen.append(day)
        cursor = due
    assert seen == [first_day + timedelta(days=i) for i in range(365)]


def test_walk_with_minute_steps_never_double_fires_on_fall_back() -> None:
    # Polling every 5 minutes through the Berlin overlap, as a scheduler loop would.
    fired: set[datetime] = set()
    probe = utc(2027, 10, 30, 22, 0)
    while probe < utc(2027, 10, 31, 4, 0):
        fired.add(next_daily(time(2, 30), BERLIN, probe))
        probe += timedelta(minutes=5)
    assert sorted(fired) == [utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30)]


def test_minute_steps_through_spring_gap_give_one_firing() -> None:
    fired: set[datetime] = set()
    probe = utc(2027, 3, 27, 22, 0)
    while probe < utc(2027, 3, 28, 3, 0):
        fired.add(next_daily(time(2, 30), BERLIN, probe))
        probe += timedelta(minutes=5)
    assert sorted(fired) == [utc(2027, 3, 28, 1, 0), utc(2027, 3, 29, 0, 30)]


# --- strictly after ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (utc(2027, 6, 1, 5, 29, 59, 999999), utc(2027, 6, 1, 5, 30)),
        (utc(2027, 6, 1, 5, 30), utc(2027, 6, 2, 5, 30)),
        (utc(2027, 6, 1, 5, 30, 0, 1), utc(2027, 6, 2, 5, 30)),
    ],
    ids=["just-before", "exactly-at", "just-after"],
)
def test_next_daily_is_strictly_after(after: datetime, expected: datetime) -> None:
    assert next_daily(time(7, 30), BERLIN, after) == expected


def test_after_in_another_offset_is_understood() -> None:
    after = datetime(2027, 6, 1, 7, 29, tzinfo=ZoneInfo(BERLIN))
    assert next_daily(time(7, 30), BERLIN, after) == utc(2027, 6, 1, 5, 30)


def test_naive_after_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_daily(time(7, 30), BERLIN, datetime(2027, 6, 1, 12))


# --- weekly ---------------------------------------------------------------------------


def test_next_weekly_hits_the_requested_weekday_at_local_time() -> None:
    # 2027-06-02 is a Wednesday; ask for Sunday (6) 18:00 in New York.
    due = next_weekly(6, time(18, 0), NEW_YORK, utc(2027, 6, 2, 12))
    assert wall(due, NEW_YORK).strftime("%A %H:%M") == "Sunday 18:00"
    assert local_date(due, NEW_YORK) == date(2027, 6, 6)


def test_next_weekly_is_strictly_after_and_steps_a_week() -> None:
    due = next_weekly(0, time(9, 0), BERLIN, utc(2027, 6, 1, 12))
    assert next_weekly(0, time(9, 0), BERLIN, due) == due + timedelta(days=7)


def test_weekly_across_fall_back_fires_first_occurrence_once() -> None:
    # 2027-10-31 is a Sunday; 02:30 shows twice in Berlin.
    first = next_weekly(6, time(2, 30), BERLIN, utc(2027, 10, 25))
    assert first == utc(2027, 10, 31, 0, 30)
    assert next_weekly(6, time(2, 30), BERLIN, first) == utc(2027, 11, 7, 1, 30)


def test_weekly_rejects_bad_weekday() -> None:
    with pytest.raises(ValueError):
        next_weekly(7, time(9, 0), BERLIN, utc(2027, 6, 1))


# --- local day helpers -------------------------------------------------------------------


def test_local_date_differs_from_utc_date_near_midnight() -> None:
    instant = utc(2027, 6, 1, 23, 30)
    assert local_date(instant, BERLIN) == date(2027, 6, 2)
    assert local_date(instant, NEW_YORK) == date(2027, 6, 1)


def test_start_of_local_day() -> None:
    assert start_of_local_day(date(2027, 6, 2), BERLIN) == utc(2027, 6, 1, 22, 0)
    assert start_of_local_day(date(2027, 1, 2), SYDNEY) == utc(2027, 1, 1, 13, 0)


def test_start_of_day_when_midnight_is_skipped() -> None:
    # Santiago springs forward at 24:00 -> 01:00; 2027-09-05 has no 00:00.
    day = date(2027, 9, 5)
    start = start_of_local_day(day, "America/Santiago")
    assert local_date(start, "America/Santiago") == day
    assert wall(start, "America/Santiago").strftime("%H:%M") == "01:00"


def test_local_instant_is_aware_utc() -> None:
    instant = local_instant(date(2027, 3, 28), time(2, 30), BERLIN)
    assert instant == utc(2027, 3, 28, 1, 0)
    assert instant.tzinfo is UTC


# --- quiet hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_hm", "expected"),
    [
        ("20:59", False),
        ("21:00", True),
        ("23:59", True),
        ("00:00", True),
        ("07:59", True),
        ("08:00", False),
        ("12:00", False),
    ],
)
def test_quiet_hours_wrapping_midnight(local_hm: str, expected: bool) -> None:
    hour, minute = map(int, local_hm.split(":"))
    instant = datetime(2027, 6, 1, hour, minute, tzinfo=ZoneInfo(BERLIN))
    assert in_quiet_hours(instant, BERLIN, time(21, 0), time(8, 0)) is expected


def test_quiet_hours_same_day_window() -> None:
    inside = datetime(2027, 6, 1, 13, 30, tzinfo=ZoneInfo(NEW_YORK))
    outside = datetime(2027, 6, 1, 15, 0, tzinfo=ZoneInfo(NEW_YORK))
    assert in_quiet_hours(inside, NEW_YORK, time(13, 0), time(15, 0))
    assert not in_quiet_hours(outside, NEW_YORK, time(13, 0), time(15, 0))


def test_empty_quiet_window_never_mutes() -> None:
    instant = utc(2027, 6, 1, 3, 0)
    assert not in_quiet_hours(instant, BERLIN, time(8, 0), time(8, 0))


def test_next_outside_quiet_hours_moves_late_evening_to_morning() -> None:
    late = datetime(2027, 6, 1, 22, 15, tzinfo=ZoneInfo(BERLIN))
    moved = next_outside_quiet_hours(late, BERLIN, time(21, 0), time(8, 0))
    assert moved == datetime(2027, 6, 2, 8, 0, tzinfo=ZoneInfo(BERLIN))
    assert moved.tzinfo is UTC


def test_next_outside_quiet_hours_early_morning_is_same_day() -> None:
    early = datetime(2027, 6, 2, 5, 0, tzinfo=ZoneInfo(BERLIN))
    moved = next_outside_quiet_hours(early, BERLIN, time(21, 0), time(8, 0))
    assert moved == datetime(2027, 6, 2, 8, 0, tzinfo=ZoneInfo(BERLIN))


def test_next_outside_quiet_hours_leaves_allowed_time_alone() -> None:
    noon = utc(2027, 6, 2, 10, 0)
    assert next_outside_quiet_hours(noon, BERLIN, time(21, 0), time(8, 0)) == noon


def test_next_outside_quiet_hours_across_spring_forward() -> None:
    # Quiet until 02:30, which does not exist on 2027-03-28: released at the jump.
    instant = datetime(2027, 3, 28, 1, 45, tzinfo=ZoneInfo(BERLIN))
    moved = next_outside_quiet_hours(instant, BERLIN, time(22, 0), time(2, 30))
    assert moved == utc(2027, 3, 28, 1, 0)


# --- formatting ---------------------------------------------------------------------------


def test_format_utc() -> None:
    assert format_utc(local_instant(date(2027, 3, 28), time(2, 30), BERLIN)) == (
        "2027-03-28T01:00:00Z"
    )
    assert format_utc(datetime(2027, 6, 1, 9, 0, tzinfo=ZoneInfo(BERLIN))) == (
        "2027-06-01T07:00:00Z"
    )


def test_format_utc_refuses_naive() -> None:
    with pytest.raises(ValueError):
        format_utc(datetime(2027, 6, 1, 9, 0))
