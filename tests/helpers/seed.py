"""Users written straight into the database, for tests that need not go through onboarding,
and the first steps such tests take with them (to the first check-in, to the PT prompt)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, Exercise, RehabProfile, User
from bot.services.nudge_planner import plan_next_nudge
from bot.services.planner import schedule_user
from tests.harness.bot import BotHarness, SimUser
from tests.harness.fake_telegram import SentMessage

THREE_EXERCISES = ("Clamshells", "Glute bridges", "Wall sit")


async def add_onboarded_user(
    session: AsyncSession,
    telegram_id: int,
    now: datetime,
    *,
    stopped_running_on: date,
    first_name: str = "Alex",
    zone: str = "Europe/Berlin",
    checkin_time: time = time(19, 0),
    cadence: str = "off",
    nudge_seed: int = 7,
    quiet: tuple[time, time] = (time(21, 0), time(8, 0)),
    injury_area: str = "knee",
    pt_sessions_per_week: int = 2,
    pt_weekdays: Sequence[int] = (),
    pt_time: time | None = None,
    exercises: Sequence[str] = THREE_EXERCISES,
) -> User:
    """Add an active user who finished onboarding three days before ``now``, and flush.

    The state built: a ``users`` row (consented, chat id = telegram id, no rest days, the weekly
    summary on Sunday 19:00), its rehab profile (not returning to run) and a plan of
    ``exercises`` at 3 x 15, in that order. Nothing is scheduled and nothing is committed: the
    caller schedules what its test needs and commits.
    """
    user = User(
        telegram_id=telegram_id,
        chat_id=telegram_id,
        first_name=first_name,
        timezone=zone,
        checkin_time=checkin_time,
        status="active",
        consent_at=now,
        onboarded_at=now - timedelta(days=3),
        nudge_cadence=cadence,
        nudge_seed=nudge_seed,
        quiet_start=quiet[0],
        quiet_end=quiet[1],
        rest_weekdays=[],
        weekly_summary_weekday=6,
        weekly_summary_time=time(19, 0),
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    session.add(
        RehabProfile(
            user_id=user.id,
            injury_area=injury_area,
            stopped_running_on=stopped_running_on,
            pt_sessions_per_week=pt_sessions_per_week,
            pt_weekdays=list(pt_weekdays),
            pt_time=pt_time,
            returning_to_run=False,
        )
    )
    for i, name in enumerate(exercises):
        session.add(
            Exercise(user_id=user.id, position=i, name=name, sets=3, reps=15, created_at=now)
        )
    await session.flush()
    return user


async def make_user(
    harness: BotHarness,
    telegram_id: int = 1001,
    *,
    zone: str = "Europe/Berlin",
    at: time = time(19, 0),
    stopped: date = date(2026, 11, 16),
) -> int:
    """An onboarded user with a three-exercise plan (onboarding itself is tested elsewhere),
    everything planned for them scheduled and committed; returns the user's row id.

    With the defaults: Berlin, a check-in at 19:00 (18:00 UTC, ten hours after the suite's
    start), PT twice a week on no fixed weekdays, stopped running on 2026-11-16."""
    now = harness.clock.now()
    async with harness.services.sessions() as session:
        user = await add_onboarded_user(
            session, telegram_id, now, zone=zone, checkin_time=at, stopped_running_on=stopped
        )
        await schedule_user(session, user, now, harness.settings)
        await session.commit()
        return user.id


async def checkins(harness: BotHarness) -> list[CheckIn]:
    """Every check-in row of every user, by local date."""
    async with harness.services.sessions() as session:
        return list((await session.execute(select(CheckIn).order_by(CheckIn.local_date))).scalars())


async def seeded_user(harness: BotHarness) -> SimUser:
    """``make_user`` with its defaults (user 1001, Alex, a 19:00 Berlin check-in), the clock
    still at the suite's start: returns the user, to act as them."""
    await make_user(harness)
    return harness.user(1001)


async def at_first_checkin(harness: BotHarness) -> SimUser:
    """``seeded_user``, then the clock advanced 10 h 05 min from the suite's start to Berlin
    19:05: the first check-in prompt is the user's last message. Returns the user, to answer
    it."""
    user = await seeded_user(harness)
    await harness.advance(timedelta(hours=10, minutes=5))
    return user


async def give_pt_session_today(harness: BotHarness, user_id: int) -> None:
    """Give the user PT sessions on Fridays at 16:00 and schedule them again, then commit.

    The suite's clock starts on Friday 2026-11-27 at 08:00 UTC, so the session is today: the
    reminder comes two hours before it (Berlin 14:00) and the after-PT prompt two hours after.
    """
    async with harness.services.sessions() as session:
        await session.execute(
            update(RehabProfile)
            .where(RehabProfile.user_id == user_id)
            .values(pt_weekdays=[4], pt_time=time(16, 0))
        )
        user = await session.get(User, user_id)
        assert user is not None
        await schedule_user(session, user, harness.clock.now(), harness.settings)
        await session.commit()


async def advance_to_after_pt_prompt(harness: BotHarness, user: SimUser) -> SentMessage:
    """From the suite's start, after ``give_pt_session_today``: advance in 15-minute steps to
    Berlin 18:10, just after today's after-PT prompt, and return the prompt (the user's last
    message with buttons)."""
    await harness.advance(timedelta(hours=9, minutes=10), step=timedelta(minutes=15))
    return user.tg.last_with_buttons(user.id)


async def start_nudges(harness: BotHarness, user_id: int) -> None:
    """Turn the user's nudges on (cadence normal) and plan their first nudge from now, then
    commit: from here on the dispatcher sends nudges like for a user who chose them."""
    async with harness.services.sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None
        user.nudge_cadence = "normal"
        now = harness.clock.now()
        await plan_next_nudge(session, user, now, now)
        await session.commit()
