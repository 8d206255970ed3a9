"""The dispatcher keeps its promise: every due message goes out once, whatever happens.

Restarts, a second instance, Telegram refusing (429, 403, 5xx, timeouts) and downtime are
each simulated with the offline Telegram and the fake clock; what is asserted is what a user
would see in their chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import CheckIn, ScheduledMessage, User
from bot.domain.kinds import MessageKind
from bot.services.outbox import Outbox
from scheduler.dispatcher import LEASE, backoff
from tests.conftest import make_settings
from tests.harness.bot import BotHarness
from tests.helpers.dispatch_worker import seed_due_checkins
from tests.helpers.seed import make_user

# make_user's default: 19:00 in Berlin, which is 18:00Z on the fixture's day (2026-11-27).
DUE = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)


async def rows_of(harness: BotHarness, telegram_id: int) -> list[ScheduledMessage]:
    async with harness.services.sessions() as session:
        uid = (
            await session.execute(select(User.id).where(User.telegram_id == telegram_id))
        ).scalar_one()
        rows = await session.execute(
            select(ScheduledMessage)
            .where(ScheduledMessage.user_id == uid)
            .order_by(ScheduledMessage.due_at)
        )
        return list(rows.scalars())


async def row_for(
    harness: BotHarness, telegram_id: int, kind: str, day: object
) -> ScheduledMessage | None:
    return next(
        (r for r in await rows_of(harness, telegram_id) if r.kind == kind and r.local_date == day),
        None,
    )


def sends(harness: BotHarness, chat_id: int) -> int:
    return len(harness.telegram.calls_to("sendMessage", chat_id))


# --- crash between claim and send -------------------------------------------------------------


async def test_a_restart_between_claim_and_send_loses_nothing(harness: BotHarness) -> None:
    for tid in (1001, 1002, 1003):
        await make_user(harness, tid)
    harness.clock.set(DUE)
    claimed = await Outbox(harness.services).claim(harness.clock.now())
    assert len(claimed) == 3
    # The process dies here: the rows are `sending`, nothing went out.
    harness = await harness.restart()
    try:
        await harness.tick()
        assert all(sends(harness, t) == 0 for t in (1001, 1002, 1003)), "a live lease was stolen"
        await harness.advance(LEASE + timedelta(minutes=2), step=timedelta(seconds=30))
        assert [len(harness.telegram.messages(t)) for t in (1001, 1002, 1003)] == [1, 1, 1]
        for tid in (1001, 1002, 1003):
            row = await row_for(harness, tid, MessageKind.CHECKIN, DUE.date())
            assert row is not None and row.status == "sent"
    finally:
        await harness.stop()


# --- two instances on one PostgreSQL database ------------------------------------------------


@pytest.fixture
async def pg_pair(pg_url: str, clock: FakeClock) -> AsyncIterator[tuple[BotHarness, BotHarness]]:
    """Two bot processes (separate engines and names) sharing one database and one Telegram."""
    settings = make_settings(pg_url)
    first = BotHarness(settings, clock)
    await first.start()
    second = BotHarness(settings, clock, first.telegram)
    await second.start()
    first.services.instance_id, second.services.instance_id = "instance-a", "instance-b"
    try:
        yield first, second
    finally:
        await first.stop()
        await second.stop()


async def tick_together(a: BotHarness, b: BotHarness, *, rounds: int = 100) -> None:
    for _ in range(rounds):
        sent = await asyncio.gather(a.tick(), b.tick())
        if not any(sent):
            return


async def test_two_dispatchers_send_2000_due_checkins_exactly_once(
    pg_pair: tuple[BotHarness, BotHarness],
) -> None:
    a, b = pg_pair
    chats = await seed_due_checkins(a.services.sessions, 2000, a.clock.now())
    await tick_together(a, b)
    per_chat = Counter(c.chat_id for c in a.telegram.calls_to("sendMessage"))
    assert set(per_chat) == set(chats)
    assert max(per_chat.values()) == 1
    async with a.services.sessions() as session:
        by = Counter(
            (
                await session.execute(
                    select(ScheduledMessage.claimed_by).where(ScheduledMessage.status == "sent")
                )
            ).scalars()
        )
    assert by.total() == 2000
    assert by["instance-a"] > 0 and by["instance-b"] > 0, f"one instance did all the work: {by}"


async def test_a_batch_of_checkins_goes_out_in_bulk_each_row_recorded_with_its_own_message(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """The fast path really runs (no silent row-by-row fallback), every row is marked sent
    with the id of the message that user got, and each user's next check-in is planned."""
    now = harness.clock.now()
    chats = await seed_due_checkins(harness.services.sessions, 150, now)
    with caplog.at_level(logging.WARNING):
        while await harness.tick():
            pass
    assert not [r for r in caplog.records if r.name.startswith("scheduler")], caplog.text
    got = {chat: harness.telegram.messages(chat) for chat in chats}
    assert all(len(msgs) == 1 for msgs in got.values())
    async with harness.services.sessions() as session:
        rows = (
            await session.execute(
                select(User.chat_id, ScheduledMessage)
                .join(User, User.id == ScheduledMessage.user_id)
                .where(ScheduledMessage.kind == MessageKind.CHECKIN)
            )
        ).all()
    today = {chat: row for chat, row in rows if row.status == "sent"}
    tomorrow = {chat: row for chat, row in rows if row.status == "pending"}
    assert set(today) == set(chats) == set(tomorrow)
    for chat in chats:
        assert today[chat].telegram_message_id == got[chat][0].message_id
        assert tomorrow[chat].local_date == today[chat].local_date + timedelta(days=1)
        assert tomorrow[chat].due_at == today[chat].due_at + timedelta(days=1)  # no DST here


# --- Telegram says no -------------------------------------------------------------------------


async def test_flood_control_defers_by_retry_after_then_delivers_once(harness: BotHarness) -> None:
    await make_user(harness, 1001)
    await make_user(harness, 1002)
    harness.telegram.inject(429, method="sendMessage", chat_id=1001, retry_after=40)
    harness.clock.set(DUE)
    await harness.tick()
    assert len(harness.telegram.messages(1001)) == 0 and len(harness.telegram.messages(1002)) == 1
    row = await row_for(harness, 1001, MessageKind.CHECKIN, DUE.date())
    assert row is not None and row.status == "pending" and row.due_at == DUE + timedelta(seconds=40)
    assert row.attempts == 0, "waiting out flood control is not a failed attempt"
    await harness.advance(timedelta(seconds=35), step=timedelta(seconds=5))
    assert len(harness.telegram.messages(1001)) == 0, "sent before retry_after passed"
    await harness.advance(timedelta(minutes=5), step=timedelta(seconds=5))
    assert len(harness.telegram.messages(1001)) == 1
    assert sends(harness, 1001) == 2 and len(harness.telegram.messages(1002)) == 1


async def test_a_user_who_blocked_the_bot_is_marked_blocked_and_hears_nothing_more(
    harness: BotHarness,
) -> None:
    await make_user(harness, 1001)
    await make_user(harness, 1002)
    harness.telegram.blocked.add(1001)  # blocked without us seeing the member update
    harness.clock.set(DUE)
    await harness.tick()
    async with harness.services.sessions() as session:
        status = (
            await session.execute(select(User.status).where(User.telegram_id == 1001))
        ).scalar_one()
    assert status == "blocked"
    rows = await rows_of(harness, 1001)
    assert rows and all(r.status in ("cancelled", "sent") for r in rows)
    assert not [r for r in rows if r.status in ("pending", "sending")]
    await harness.advance(timedelta(days=8), step=timedelta(minutes=30))
    assert sends(harness, 1001) == 1, "the bot kept knocking after a 403"
    assert sum(1 for m in harness.telegram.messages(1002) if "ci:" in str(m.buttons)) >= 8


async def test_5xx_and_timeouts_retry_with_backoff_then_give_up_without_stopping_others(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    for tid in (1001, 1002, 1003):
        await make_user(harness, tid)
    attempts = harness.settings.schedule.send_attempts
    harness.telegram.inject(500, method="sendMessage", chat_id=1001, times=None)
    harness.telegram.inject(0, method="sendMessage", chat_id=1002, times=2)  # two timeouts
    harness.clock.set(DUE)
    with caplog.at_level(logging.WARNING, logger="scheduler.dispatcher"):
        await harness.tick()
        assert len(harness.telegram.messages(1003)) == 1, "one user's failure held up another"
        first_retry = await row_for(harness, 1001, MessageKind.CHECKIN, DUE.date())
        assert first_retry is not None and first_retry.status == "pending"
        assert first_retry.due_at == DUE + timedelta(seconds=15)  # backoff, not the next tick
        # Every wait between attempts, and a little more.
        waits = sum((backoff(n) for n in range(1, attempts)), timedelta(minutes=1))
        await harness.advance(waits, step=timedelta(seconds=15))
    assert len(harness.telegram.messages(1002)) == 1 and sends(harness, 1002) == 3
    assert len(harness.telegram.messages(1001)) == 0 and sends(harness, 1001) == attempts
    gave_up = await row_for(harness, 1001, MessageKind.CHECKIN, DUE.date())
    assert gave_up is not None and gave_up.status == "failed"
    assert any("gave up" in r.getMessage() for r in caplog.records)
    # A bad day at Telegram must not end the user's daily check-ins for good.
    harness.telegram.clear_faults()
    await harness.advance(timedelta(days=1), step=timedelta(minutes=15))
    assert len(harness.telegram.messages(1001)) == 1


async def test_a_refused_message_does_not_end_the_daily_checkins(harness: BotHarness) -> None:
    await make_user(harness, 1001)
    harness.telegram.inject(400, method="sendMessage", chat_id=1001)  # e.g. "chat not found" once
    await harness.advance(timedelta(days=1, hours=11), step=timedelta(minutes=15))
    assert len(harness.telegram.messages(1001)) == 1  # the next day's check-in still came


# --- catching up after downtime ---------------------------------------------------------------


async def down_until(harness: BotHarness, until: datetime) -> BotHarness:
    """The bot is stopped now and started again at ``until``; nothing ticks in between."""
    fresh = await harness.restart()
    fresh.clock.set(until)
    await fresh.tick()
    return fresh


async def test_a_checkin_missed_by_downtime_is_sent_late_the_same_evening(
    harness: BotHarness,
) -> None:
    await make_user(harness, 1001)
    harness = await down_until(harness, DUE + timedelta(hours=1, minutes=30))  # 20:30 Berlin
    try:
        assert len(harness.telegram.messages(1001)) == 1
        row = await row_for(harness, 1001, MessageKind.CHECKIN, DUE.date())
        assert (
            row is not None
            and row.status == "sent"
            and row.sent_at == DUE + timedelta(hours=1, minutes=30)
        )
    finally:
        await harness.stop()


@pytest.mark.parametrize(
    "back_at",
    [
        DUE + timedelta(hours=3),  # 22:00 Berlin: quiet hours
        DUE + timedelta(hours=15),  # 09:00 the next day
        DUE + timedelta(days=2, hours=16),  # three days later, a weekly summary missed too
    ],
    ids=["quiet-hours", "next-morning", "days-later"],
)
async def test_a_stale_checkin_is_marked_missed_and_never_sent_in_a_burst(
    harness: BotHarness, back_at: datetime
) -> None:
    await make_user(harness, 1001)
    harness = await down_until(harness, back_at)
    try:
        await harness.advance(timedelta(minutes=30), step=timedelta(minutes=5))
        assert harness.telegram.messages(1001) == [], "a stale reminder went out after downtime"
        row = await row_for(harness, 1001, MessageKind.CHECKIN, DUE.date())
        assert row is not None and row.status == "missed"
        async with harness.services.sessions() as session:
            missed = (await session.execute(select(CheckIn.local_date, CheckIn.status))).all()
        assert (DUE.date(), "missed") in [tuple(m) for m in missed]
        pending = [
            r
            for r in await rows_of(harness, 1001)
            if r.status == "pending" and r.kind == MessageKind.CHECKIN
        ]
        assert len(pending) == 1 and pending[0].due_at > back_at
        # The next check-in comes at the user's time, alone.
        harness.clock.set(pending[0].due_at)
        await harness.tick()
        assert len(harness.telegram.messages(1001)) == 1
        assert harness.clock.now().astimezone(
            __import__("zoneinfo").ZoneInfo("Europe/Berlin")
        ).time() == time(19)
    finally:
        await harness.stop()


# --- `python -m bot schedule show` -------------------------------------------------------------


def test_schedule_show_prints_upcoming_messages_in_utc_and_local_time(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    async def seed() -> None:
        h = BotHarness(make_settings(db_url), FakeClock(datetime(2026, 11, 27, 8, 0, tzinfo=UTC)))
        await h.start()
        try:
            await make_user(h, 1001)
        finally:
            await h.stop()

    asyncio.run(seed())
    monkeypatch.setenv("PTCOACH_DATABASE_URL", db_url)
    assert main(["schedule", "show", "1001"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("checkin"))
    assert (
        "2026-11-27T18:00:00Z" in line
        and "2026-11-27 19:00 CET" in line
        and line.endswith("pending")
    )
    assert "weekly_summary" in out
    assert main(["schedule", "show", "999"]) == 1
    assert "no user with Telegram id 999" in capsys.readouterr().err
