"""Saving what the user told us: the onboarding result, later settings changes and the plan.

Every change that moves when something is sent (check-in time, time zone, PT schedule, quiet
hours, nudge cadence) re-plans the user's schedule here, so no handler can forget to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Exercise, RehabProfile, ScheduledMessage, User
from bot.domain.enums import MessageStatus, UserStatus
from bot.domain.kinds import MessageKind
from bot.domain.onboarding import MAX_EXERCISES, ExerciseDraft
from bot.services.planner import schedule_user

NUDGE_CADENCES = ("off", "low", "normal")


@dataclass(frozen=True)
class OnboardingResult:
    injury_area: str
    injury_other: str | None
    stopped_running_on: date
    pt_sessions_per_week: int
    pt_weekdays: tuple[int, ...]
    pt_time: time | None
    exercises: tuple[ExerciseDraft, ...]
    checkin_time: time
    timezone: str


async def replan(session: AsyncSession, user: User, now: datetime, settings: Settings) -> None:
    """Only an active user has a schedule; paused and blocked users get theirs on return."""
    await session.flush()
    if user.status == UserStatus.ACTIVE:
        await schedule_user(session, user, now, settings)


async def next_checkin_due(session: AsyncSession, user_id: int) -> datetime | None:
    return (
        await session.execute(
            select(ScheduledMessage.due_at)
            .where(
                ScheduledMessage.user_id == user_id,
                ScheduledMessage.kind == MessageKind.CHECKIN,
                ScheduledMessage.status == MessageStatus.PENDING,
            )
            .order_by(ScheduledMessage.due_at)
            .limit(1)
        )
    ).scalar_one_or_none()


async def get_profile(session: AsyncSession, user_id: int) -> RehabProfile | None:
    return await session.get(RehabProfile, user_id)


async def finish_onboarding(
    session: AsyncSession, user: User, result: OnboardingResult, now: datetime, settings: Settings
) -> datetime | None:
    """Store the whole setup at once and plan the first check-in; returns when it is due."""
    profile = await get_profile(session, user.id)
    if profile is None:
        profile = RehabProfile(user_id=user.id)
        session.add(profile)
    profile.injury_area = result.injury_area
    profile.injury_other = result.injury_other
    profile.stopped_running_on = result.stopped_running_on
    profile.pt_sessions_per_week = result.pt_sessions_per_week
    profile.pt_weekdays = sorted(set(result.pt_weekdays))
    profile.pt_time = result.pt_time
    for old in await list_exercises(session, user.id):
        await session.delete(old)
    await session.flush()
    for position, draft in enumerate(result.exercises[:MAX_EXERCISES]):
        session.add(_exercise_row(user.id, position, draft, now))
    user.checkin_time = result.checkin_time
    user.timezone = result.timezone
    user.status = UserStatus.ACTIVE
    user.onboarded_at = user.onboarded_at or now
    user.updated_at = now
    await replan(session, user, now, settings)
    return await next_checkin_due(session, user.id)


def _exercise_row(user_id: int, position: int, draft: ExerciseDraft, now: datetime) -> Exercise:
    return Exercise(
        user_id=user_id,
        position=position,
        name=draft.name[:40],
        sets=draft.sets,
        reps=draft.reps,
        seconds=draft.seconds,
        per_side=draft.per_side,
        template_id=draft.template_id,
        created_at=now,
    )


# --- settings ------------------------------------------------------------------------------


async def set_checkin_time(
    session: AsyncSession, user: User, value: time, now: datetime, settings: Settings
) -> None:
    user.checkin_time = value
    user.updated_at = now
    await replan(session, user, now, settings)


async def set_timezone(
    session: AsyncSession, user: User, zone: str, now: datetime, settings: Settings
) -> None:
    user.timezone = zone
    user.updated_at = now
    await replan(session, user, now, settings)


async def set_quiet_hours(
    session: AsyncSession, user: User, start: time, end: time, now: datetime, settings: Settings
) -> None:
    if start == end:
        raise ValueError("quiet hours need different start and end times")
    user.quiet_start, user.quiet_end = start, end
    user.updated_at = now
    await replan(session, user, now, settings)


async def set_nudge_cadence(
    session: AsyncSession, user: User, cadence: str, now: datetime, settings: Settings
) -> None:
    if cadence not in NUDGE_CADENCES:
        raise ValueError(f"unknown nudge cadence {cadence!r}")
    user.nudge_cadence = cadence
    user.updated_at = now
    await replan(session, user, now, settings)


async def set_pt_schedule(
    session: AsyncSession,
    user: User,
    per_week: int,
    weekdays: Sequence[int],
    pt_time: time | None,
    now: datetime,
    settings: Settings,
) -> None:
    profile = await _require_profile(session, user)
    profile.pt_sessions_per_week = per_week
    profile.pt_weekdays = sorted({d for d in weekdays if 0 <= d <= 6}) if per_week else []
    profile.pt_time = pt_time if per_week else None
    user.updated_at = now
    await replan(session, user, now, settings)


async def set_injury_area(
    session: AsyncSession, user: User, area: str, other: str | None, now: datetime
) -> None:
    profile = await _require_profile(session, user)
    profile.injury_area = area
    profile.injury_other = other[:80] if other else None
    user.updated_at = now
    await session.flush()


async def _require_profile(session: AsyncSession, user: User) -> RehabProfile:
    profile = await get_profile(session, user.id)
    if profile is None:
        raise LookupError("this user has not finished onboarding")
    return profile


# --- the exercise plan ---------------------------------------------------------------------


async def list_exercises(session: AsyncSession, user_id: int) -> list[Exercise]:
    return list(
        (
            await session.execute(
                select(Exercise)
                .where(Exercise.user_id == user_id)
                .order_by(Exercise.position, Exercise.id)
            )
        ).scalars()
    )


async def get_exercise(session: AsyncSession, user_id: int, exercise_id: int) -> Exercise | None:
    """Always filtered by the owner: an id from a button never reaches another user's plan."""
    return (
        await session.execute(
            select(Exercise).where(Exercise.user_id == user_id, Exercise.id == exercise_id)
        )
    ).scalar_one_or_none()


async def add_exercise(
    session: AsyncSession, user_id: int, draft: ExerciseDraft, now: datetime
) -> Exercise | None:
    """None when the plan is full."""
    current = await list_exercises(session, user_id)
    if len(current) >= MAX_EXERCISES:
        return None
    position = (max(e.position for e in current) + 1) if current else 0
    row = _exercise_row(user_id, position, draft, now)
    session.add(row)
    await session.flush()
    return row


async def update_dose(
    session: AsyncSession,
    user_id: int,
    exercise_id: int,
    *,
    sets: int | None,
    reps: int | None,
    seconds: int | None,
    per_side: bool,
) -> Exercise | None:
    row = await get_exercise(session, user_id, exercise_id)
    if row is None:
        return None
    row.sets, row.reps, row.seconds, row.per_side = sets, reps, seconds, per_side
    await session.flush()
    return row


async def remove_exercise(session: AsyncSession, user_id: int, exercise_id: int) -> str | None:
    """Returns the removed exercise's name, or None if it was not in this user's plan."""
    row = await get_exercise(session, user_id, exercise_id)
    if row is None:
        return None
    name = row.name
    await session.delete(row)
    await session.flush()
    await _renumber(await list_exercises(session, user_id))
    return name


async def move_exercise(session: AsyncSession, user_id: int, exercise_id: int, delta: int) -> bool:
    """Swap with a neighbour; False when it is already first/last or not in the plan."""
    rows = await list_exercises(session, user_id)
    index = next((i for i, e in enumerate(rows) if e.id == exercise_id), None)
    if index is None or not 0 <= index + delta < len(rows):
        return False
    rows[index], rows[index + delta] = rows[index + delta], rows[index]
    await _renumber(rows)
    await session.flush()
    return True


async def _renumber(rows: Sequence[Exercise]) -> None:
    for position, row in enumerate(rows):
        row.position = position
