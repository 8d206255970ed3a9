"""``Outbox.next_work_at``: the instant a tick first finds work, which the test harness (and
any clock-driven caller) may jump to. If it were late, a check-in or a pause's end would be
missed or delayed; these tests tick a second before it and at it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from bot.db.models import ScheduledMessage, User
from bot.domain.kinds import MessageKind
from bot.services.outbox import Outbox
from bot.services.pausing import pause_user
from scheduler.dispatcher import LEASE
from tests.harness.bot import BotHarness
from tests.helpers.seed import make_user

SECOND = timedelta(seconds=1)


async def _checkin_due(harness: BotHarness) -> datetime:
    async with harness.services.sessions() as session:
        return (
            await session.execute(
                select(ScheduledMessage.due_at).where(
                    ScheduledMessage.kind == MessageKind.CHECKIN,
                    ScheduledMessage.status == "pending",
                )
            )
        ).scalar_one()


async def test_the_check_in_goes_out_at_the_instant_given_and_not_a_second_before(
    harness: BotHarness,
) -> None:
    await make_user(harness)  # check-in at 19:00 Berlin
    work_at = await Outbox(harness.services).next_work_at(harness.clock.now())
    assert work_at == await _checkin_due(harness)

    harness.clock.set(work_at - SECOND)
    assert await harness.tick() == 0
    harness.clock.set(work_at)
    assert await harness.tick() == 1
    assert "exercises" in (harness.telegram.last(1001).text or "").lower()


async def test_an_orphaned_claim_is_work_when_its_lease_runs_out(harness: BotHarness) -> None:
    await make_user(harness)
    crashed_at = harness.clock.now()
    async with harness.services.sessions() as session:  # a process died holding the claim
        await session.execute(
            update(ScheduledMessage)
            .where(ScheduledMessage.kind == MessageKind.CHECKIN)
            .values(status="sending", claimed_at=crashed_at)
        )
        await session.commit()
    outbox = Outbox(harness.services)
    assert await outbox.next_work_at(crashed_at) == crashed_at + LEASE

    harness.clock.set(crashed_at + LEASE)  # claimable only once strictly past the lease
    assert await harness.tick() == 0
    harness.clock.set(crashed_at + LEASE + SECOND)
    assert await harness.tick() == 1


async def test_a_pause_ends_at_the_users_local_midnight_after_its_last_day(
    harness: BotHarness,
) -> None:
    user_id = await make_user(harness, zone="America/New_York")
    async with harness.services.sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        await pause_user(session, user, date(2026, 11, 29), harness.clock.now(), harness.settings)
        await session.commit()

    work_at = await Outbox(harness.services).next_work_at(harness.clock.now())
    assert work_at == datetime.fromisoformat("2026-11-30T05:00:00+00:00")  # 00:00 in New York

    async def status() -> str:
        async with harness.services.sessions() as session:
            return (await session.execute(select(User.status))).scalar_one()

    harness.clock.set(work_at - SECOND)
    await harness.tick()
    assert await status() == "paused"
    harness.clock.set(work_at)
    await harness.tick()
    assert await status() == "active"


async def test_nothing_planned_means_no_work_at_all(harness: BotHarness) -> None:
    assert await Outbox(harness.services).next_work_at(harness.clock.now()) is None
