"""Recording check-ins: one row per user and local day, updated rather than duplicated."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import CheckIn, User
from bot.db.upsert import dialect_name, insert_for
from bot.domain.enums import CheckInStatus


async def get_checkin(session: AsyncSession, user_id: int, day: date) -> CheckIn | None:
    return (
        await session.execute(
            select(CheckIn).where(CheckIn.user_id == user_id, CheckIn.local_date == day)
        )
    ).scalar_one_or_none()


_RECORD_FIELDS = ("status", "exercises_done", "skip_reason", "updated_at")


@cache
def _record_statement(dialect: str, clears_pain: bool) -> Any:
    """The day's check-in upsert; a skipped day also clears the pain it may have had."""
    fields = _RECORD_FIELDS + (("pain",) if clears_pain else ())
    values: dict[str, Any] = {name: bindparam(f"p_{name}") for name in fields}
    return (
        insert_for(dialect)(CheckIn)
        .values(
            user_id=bindparam("p_user_id"),
            local_date=bindparam("p_local_date"),
            created_at=bindparam("p_updated_at"),
            **values,
        )
        .on_conflict_do_update(index_elements=["user_id", "local_date"], set_=values)
        .returning(CheckIn)
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
    """Create or update the day's check-in in one upsert; a double press lands on the same
    row (also when two arrive at the same moment: the unique day decides)."""
    skipped = status == CheckInStatus.SKIPPED
    values: dict[str, Any] = {
        "user_id": user.id,
        "local_date": day,
        "status": status,
        "exercises_done": list(exercises_done or []),
        "skip_reason": skip_reason,
        "updated_at": now,
    }
    if skipped:
        values["pain"] = None
    params = {f"p_{name}": value for name, value in values.items()}
    stmt = _record_statement(dialect_name(session), skipped)
    result = await session.execute(stmt, params, execution_options={"populate_existing": True})
    checkin: CheckIn = result.scalar_one()
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
                    user_id=user.id,
                    local_date=day,
                    status=CheckInStatus.MISSED,
                    created_at=now,
                    updated_at=now,
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
