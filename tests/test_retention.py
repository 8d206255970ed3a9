"""The schedule forgets reminders that settled long ago, and nothing else.

Run on SQLite and PostgreSQL (the ``harness`` fixture): a user's answers survive, upcoming
reminders survive, recent history survives, and the daily check-ins carry on after a prune.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import scheduler.retention as retention
from bot.config import ConfigError, load_settings
from bot.db.models import ScheduledMessage
from scheduler.retention import prune_settled
from tests.harness.bot import BotHarness
from tests.helpers.seed import at_first_checkin, checkins


async def schedule(harness: BotHarness) -> list[ScheduledMessage]:
    async with harness.services.sessions() as session:
        rows = await session.execute(select(ScheduledMessage).order_by(ScheduledMessage.due_at))
        return list(rows.scalars())


async def a_few_days_with_one_answer(harness: BotHarness) -> None:
    alex = await at_first_checkin(harness)  # today's check-in arrives
    await alex.press("Did them all")
    await alex.press("3")
    await harness.advance(timedelta(days=3), step=timedelta(minutes=30))  # three more, unanswered


async def test_old_settled_reminders_go_answers_and_upcoming_ones_stay(
    harness: BotHarness,
) -> None:
    await a_few_days_with_one_answer(harness)
    before = await schedule(harness)
    settled = [r for r in before if r.status != "pending"]
    upcoming = [r for r in before if r.status == "pending"]
    assert settled and upcoming
    answers = [(c.local_date, c.status, c.pain) for c in await checkins(harness)]

    # Nothing is old enough yet.
    keep = harness.settings.schedule.keep_settled_days
    assert await prune_settled(harness.services.sessions, harness.clock.now(), keep) == 0

    later = max(r.due_at for r in settled) + timedelta(days=keep, minutes=1)
    assert await prune_settled(harness.services.sessions, later, keep) == len(settled)
    after = await schedule(harness)
    assert {r.id for r in after} == {r.id for r in upcoming}
    assert [(c.local_date, c.status, c.pain) for c in await checkins(harness)] == answers


async def test_only_rows_past_the_cutoff_go_and_the_checkins_carry_on(
    harness: BotHarness,
) -> None:
    await a_few_days_with_one_answer(harness)
    settled = sorted(
        (r for r in await schedule(harness) if r.status != "pending"), key=lambda r: r.due_at
    )
    keep = harness.settings.schedule.keep_settled_days
    # A cutoff between the first and second day's reminders: only the first day's go.
    cutoff_now = settled[0].due_at + timedelta(days=keep, hours=1)
    gone = [r for r in settled if r.due_at < cutoff_now - timedelta(days=keep)]
    assert 0 < len(gone) < len(settled)
    assert await prune_settled(harness.services.sessions, cutoff_now, keep) == len(gone)
    left = {r.id for r in await schedule(harness)}
    assert not left & {r.id for r in gone}
    # The bot goes on as before: the next evening's check-in still arrives.
    alex = harness.user(1001)
    count = len(alex.texts)
    await harness.advance(timedelta(days=1), step=timedelta(minutes=30))
    assert len(alex.texts) > count


async def test_pruning_works_in_chunks_and_zero_keeps_everything(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await a_few_days_with_one_answer(harness)
    settled = [r for r in await schedule(harness) if r.status != "pending"]
    far = harness.clock.now() + timedelta(days=400)
    assert await prune_settled(harness.services.sessions, far, 0) == 0
    assert len(await schedule(harness)) >= len(settled)
    monkeypatch.setattr(retention, "CHUNK", 2)
    assert len(settled) > 2
    assert await prune_settled(harness.services.sessions, far, 60) == len(settled)
    assert all(r.status == "pending" for r in await schedule(harness))


def test_retention_shorter_than_a_week_is_refused_with_one_line() -> None:
    def load(value: str) -> int:
        environ = {"PTCOACH_SCHEDULE_KEEP_SETTLED_DAYS": value}
        return load_settings(
            environ=environ, dotenv=Path("/nonexistent")
        ).schedule.keep_settled_days

    assert load("0") == 0 and load("7") == 7
    with pytest.raises(ConfigError, match=r"schedule\.keep_settled_days: expected 0"):
        load("3")
