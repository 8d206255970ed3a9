"""Blocking the bot stops everything; unblocking brings the user back where they were."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.db.models import ScheduledMessage, User
from tests.harness.bot import BotHarness
from tests.helpers.onboarding import onboarded


async def _state(harness: BotHarness) -> tuple[str, int]:
    async with harness.services.sessions() as session:
        user = (await session.execute(select(User).where(User.telegram_id == 1001))).scalar_one()
        pending = (
            (
                await session.execute(
                    select(ScheduledMessage).where(
                        ScheduledMessage.user_id == user.id, ScheduledMessage.status == "pending"
                    )
                )
            )
            .scalars()
            .all()
        )
        return user.status, len(pending)


async def test_block_cancels_schedule_and_unblock_restores_active(harness: BotHarness) -> None:
    user = await onboarded(harness)
    status, pending = await _state(harness)
    assert status == "active" and pending > 0
    await user.block()
    assert await _state(harness) == ("blocked", 0)
    await user.unblock()
    status, pending = await _state(harness)
    assert status == "active" and pending > 0


async def test_unblock_keeps_a_pause_that_still_runs(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/pause 10")
    await user.block()
    await user.unblock()
    assert await _state(harness) == ("paused", 0)


async def test_unblock_after_the_pause_ended_resumes(harness: BotHarness) -> None:
    user = await onboarded(harness)
    await user.say("/pause 2")
    await user.block()
    harness.clock.advance(timedelta(days=5))
    await user.unblock()
    status, pending = await _state(harness)
    assert status == "active" and pending > 0


async def test_block_from_a_stranger_stores_nothing(harness: BotHarness) -> None:
    stranger = harness.user(4242, "Kim")
    await stranger.block()
    await stranger.unblock()
    async with harness.services.sessions() as session:
        assert (await session.execute(select(User))).first() is None
