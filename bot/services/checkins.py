"""Recording check-ins: one row per user and local day, updated rather than duplicated."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, Exercise, User


async def get_checkin(session: AsyncSession, user_id: int, day: date) -> CheckIn | None:
    return (
        await session.execute(
            select(CheckIn).where(CheckIn.user_id == user_id, CheckIn.local_date == day)
        )
    ).scalar_one_or_none()


async def plan_exercises(session: AsyncSession, user_id: int) -> list[Exercise]:
    return list(
        (
            await session.execute(
                select(Exercise)
                .where(Exercise.user_id == user_id)
                .order_by(Exercise.position, Exercise.id)
            )
        ).scalars()
    )


async def record(
    session: AsyncSession,
    user: User,
    day: date,
    now: datetime,
    *,
    status: str,
    exercises_done: list[str] | None = None,
    skip_reason: str | None = None,
) -> CheckIn:
    """Create or update the day's check-in; a double press lands on the same row."""
    checkin = await get_checkin(session, user.id, day)
    if checkin is None:
        checkin = CheckIn(
            user_id=user.id,
            local_date=day,
            status=status,
            exercises_done=exercises_done or [],
            skip_reason=skip_reason,
            created_at=now,
            updated_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(checkin)
        except IntegrityError:
            # The same answer arrived twice at once (a double tap): update the winner's row.
            checkin = await get_checkin(session, user.id, day)
            assert checkin is not None
    checkin.status = status
    checkin.exercises_done = list(exercises_done or [])
    checkin.skip_reason = skip_reason
    if status == "skipped":
        checkin.pain = None
    checkin.updated_at = now
    await session.flush()
    return checkin


async def mark_missed(session: AsyncSession, user: User, day: date, now: datetime) -> bool:
    """A planned day passed without an answer; recorded so triggers can count misses.
    Returns True when the day was newly marked."""
    if await get_checkin(session, user.id, day) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(
                CheckIn(
                    user_id=user.id, local_date=day, status="missed", created_at=now, updated_at=now
                )
            )
    except IntegrityError:
        return False
    return True


async def recent_pains(session: AsyncSession, user_id: int, day: date, days: int = 7) -> list[int]:
    rows = (
        await session.execute(
            select(CheckIn.pain)
            .where(
                CheckIn.user_id == user_id,
                CheckIn.local_date > day - timedelta(days=days),
                CheckIn.local_date <= day,
                CheckIn.pain.is_not(None),
            )
            .order_by(CheckIn.local_date)
        )
    ).scalars()
    return [p for p in rows if p is not None]
