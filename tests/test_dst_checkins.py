"""Daylight-saving changes never move, drop or double a user's daily check-in.

Each simulation runs the real dispatcher on a fake clock, ticking every step (skipping ticks
that would find nothing, as ``BotHarness.next_tick_at`` explains), and reads back
when every check-in row was actually sent (``ScheduledMessage.sent_at``): a user who chose
07:30 must see exactly one check-in per local day, at 07:30 on their own wall clock, before,
across and after the clock change.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db.models import CheckIn, ScheduledMessage, User
from bot.domain.kinds import MessageKind
from tests.harness.bot import BotHarness
from tests.helpers.seed import make_user

ROOT = Path(__file__).resolve().parent.parent
BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"


async def sent_checkins(harness: BotHarness, telegram_id: int) -> list[ScheduledMessage]:
    async with harness.services.sessions() as session:
        user_id = (
            await session.execute(select(User.id).where(User.telegram_id == telegram_id))
        ).scalar_one()
        rows = (
            (
                await session.execute(
                    select(ScheduledMessage)
                    .where(
                        ScheduledMessage.user_id == user_id,
                        ScheduledMessage.kind == MessageKind.CHECKIN,
                        ScheduledMessage.status == "sent",
                    )
                    .order_by(ScheduledMessage.sent_at)
                )
            )
            .scalars()
            .all()
        )
    return list(rows)


async def walk(
    harness: BotHarness,
    until: datetime,
    step: timedelta,
    answer_not_today: set[int] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Tick like a running bot; the listed users answer every new check-in with "Not today"."""
    seen = {uid: len(harness.telegram.messages(uid)) for uid in answer_not_today}
    while harness.clock.now() < until:
        harness.clock.set(await harness.next_tick_at(until, step))  # empty ticks skipped
        await harness.tick()
        for uid in answer_not_today:
            msgs = harness.telegram.messages(uid)
            fresh = [m for m in msgs[seen[uid] :] if any(d.endswith(":no") for _, d in m.buttons)]
            if fresh:
                user = harness.user(uid)
                await user.press("Not today", message=fresh[-1])
                await user.press("No time", message=harness.telegram.last_with_buttons(uid))
            seen[uid] = len(harness.telegram.messages(uid))


def assert_daily_at(
    rows: list[ScheduledMessage],
    zone: str,
    at: time,
    first: date,
    last: date,
    harness: BotHarness,
    telegram_id: int,
) -> None:
    tz = ZoneInfo(zone)
    sent_local = [r.sent_at.astimezone(tz) for r in rows if r.sent_at is not None]
    days = [s.date() for s in sent_local]
    assert len(days) == len(set(days)), f"a local day got two check-ins: {days}"
    expected = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert days == expected, f"missing or extra days: {sorted(set(expected) ^ set(days))}"
    wrong = [s.isoformat() for s in sent_local if s.time().replace(tzinfo=None) != at]
    assert not wrong, f"check-ins not at {at} local: {wrong}"
    # And the chat shows exactly those messages: one Telegram message per sent row.
    delivered = {m.message_id for m in harness.telegram.messages(telegram_id)}
    assert all(r.telegram_message_id in delivered for r in rows)
    assert len({r.telegram_message_id for r in rows}) == len(rows)


async def check_two_users_across(
    harness: BotHarness, start: datetime, end: datetime, step: timedelta
) -> None:
    harness.clock.set(start)
    await make_user(harness, 2001, zone=BERLIN, at=time(7, 30))
    await make_user(harness, 2002, zone=NEW_YORK, at=time(7, 30))
    await walk(harness, end, step, answer_not_today={2001})

    for tid, zone in ((2001, BERLIN), (2002, NEW_YORK)):
        first = start.astimezone(ZoneInfo(zone)).date()
        # The first local day only counts if 07:30 had not yet passed there at `start`.
        if start.astimezone(ZoneInfo(zone)).time() >= time(7, 30):
            first += timedelta(days=1)
        last_local = end.astimezone(ZoneInfo(zone))
        last = (
            last_local.date()
            if last_local.time() >= time(7, 30)
            else last_local.date() - timedelta(days=1)
        )
        assert_daily_at(
            await sent_checkins(harness, tid), zone, time(7, 30), first, last, harness, tid
        )
    # The Berlin user's answers were recorded against the right local day each time.
    async with harness.services.sessions() as session:
        uid = (await session.execute(select(User.id).where(User.telegram_id == 2001))).scalar_one()
        statuses = (
            (await session.execute(select(CheckIn.status).where(CheckIn.user_id == uid)))
            .scalars()
            .all()
        )
    assert statuses and set(statuses) == {"skipped"}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        # Spring: the US changes on 14 March, the EU on 28 March 2027.
        (datetime(2027, 3, 1, 0, 0, tzinfo=UTC), datetime(2027, 4, 10, 0, 0, tzinfo=UTC)),
        # Autumn: the EU changes on 31 October, the US on 7 November 2027.
        (datetime(2027, 10, 20, 0, 0, tzinfo=UTC), datetime(2027, 11, 15, 0, 0, tzinfo=UTC)),
    ],
    ids=["spring", "autumn"],
)
async def test_0730_stays_0730_local_for_weeks_across_the_2027_dst_changes(
    harness: BotHarness, start: datetime, end: datetime
) -> None:
    """Four weeks in half-hour ticks, on both databases (empty ticks are skipped)."""
    await check_two_users_across(harness, start, end, timedelta(minutes=30))


@pytest.mark.parametrize(
    "start",
    [
        datetime(2027, 3, 12, 0, 0, tzinfo=UTC),  # US spring forward, 14 March
        datetime(2027, 3, 26, 0, 0, tzinfo=UTC),  # EU spring forward, 28 March
        datetime(2027, 10, 29, 0, 0, tzinfo=UTC),  # EU fall back, 31 October
        datetime(2027, 11, 5, 0, 0, tzinfo=UTC),  # US fall back, 7 November
    ],
    ids=["us-spring", "eu-spring", "eu-autumn", "us-autumn"],
)
async def test_0730_stays_0730_local_on_each_dst_change(
    harness: BotHarness, start: datetime
) -> None:
    await check_two_users_across(harness, start, start + timedelta(days=4), timedelta(minutes=30))


async def test_0230_on_spring_forward_day_fires_once_at_the_jump(harness: BotHarness) -> None:
    # 02:30 does not exist in Berlin on 2027-03-28: clocks go 02:00 CET -> 03:00 CEST (01:00Z).
    harness.clock.set(datetime(2027, 3, 26, 12, 0, tzinfo=UTC))
    await make_user(harness, 2003, zone=BERLIN, at=time(2, 30))
    await walk(harness, datetime(2027, 3, 30, 12, 0, tzinfo=UTC), timedelta(minutes=30))
    sent = {r.local_date: r.sent_at for r in await sent_checkins(harness, 2003)}
    assert sent == {
        date(2027, 3, 27): datetime(2027, 3, 27, 1, 30, tzinfo=UTC),  # 02:30 CET
        date(2027, 3, 28): datetime(
            2027, 3, 28, 1, 0, tzinfo=UTC
        ),  # 03:00 CEST, the first valid instant
        date(2027, 3, 29): datetime(2027, 3, 29, 0, 30, tzinfo=UTC),  # 02:30 CEST
        date(2027, 3, 30): datetime(2027, 3, 30, 0, 30, tzinfo=UTC),
    }


async def test_0230_on_fall_back_day_fires_once(harness: BotHarness) -> None:
    # 02:30 happens twice in Berlin on 2027-10-31 (00:30Z in CEST, 01:30Z in CET): one check-in.
    harness.clock.set(datetime(2027, 10, 29, 12, 0, tzinfo=UTC))
    await make_user(harness, 2004, zone=BERLIN, at=time(2, 30))
    await walk(harness, datetime(2027, 11, 1, 12, 0, tzinfo=UTC), timedelta(minutes=30))
    sent = {r.local_date: r.sent_at for r in await sent_checkins(harness, 2004)}
    assert sent == {
        date(2027, 10, 30): datetime(2027, 10, 30, 0, 30, tzinfo=UTC),
        date(2027, 10, 31): datetime(2027, 10, 31, 0, 30, tzinfo=UTC),  # the first 02:30 only
        date(2027, 11, 1): datetime(2027, 11, 1, 1, 30, tzinfo=UTC),  # 02:30 CET
    }
    prompts = [
        m
        for m in harness.telegram.messages(2004)
        if ("✅ Did them all", "ci:20271031:done") in m.buttons
    ]
    assert len(prompts) == 1  # the chat shows one check-in for that day, not two


# --- `python -m bot schedule next`: the same maths from the shell ---------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("zone", "at", "after", "expected"),
    [
        (BERLIN, "02:30", "2027-03-28T00:00:00Z", "2027-03-28T01:00:00Z"),  # gap: at the jump
        (BERLIN, "02:30", "2027-10-31T00:00:00Z", "2027-10-31T00:30:00Z"),  # overlap: first one
        (BERLIN, "02:30", "2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z"),  # never the second one
        (NEW_YORK, "07:30", "2027-03-14T00:00:00Z", "2027-03-14T11:30:00Z"),  # EDT from today
        (NEW_YORK, "07:30", "2027-11-07T00:00:00+01:00", "2027-11-07T12:30:00Z"),  # EST again
    ],
)
def test_schedule_next_prints_the_utc_instant(
    zone: str, at: str, after: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    assert main(["schedule", "next", "--timezone", zone, "--time", at, "--after", after]) == 0
    assert capsys.readouterr().out.strip() == expected


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (("--timezone", "Europe/Berlln", "--time", "07:30"), "unknown timezone"),
        (("--timezone", BERLIN, "--time", "7.30pm"), "invalid time"),
        (("--timezone", BERLIN, "--time", "07:30", "--after", "tomorrow"), "invalid instant"),
        (
            ("--timezone", BERLIN, "--time", "07:30", "--after", "2027-03-28T00:00:00"),
            "no timezone",
        ),
    ],
)
def test_schedule_next_explains_bad_input_in_one_line(
    args: tuple[str, ...], complaint: str
) -> None:
    result = run_cli("schedule", "next", *args)
    assert result.returncode == 2
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
