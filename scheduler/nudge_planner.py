"""Planning the regular (scheduled-trigger) nudges from the user's cadence.

Days come from the cadence (about 2 or 4 a week, never two in a row within a week), times
are spread over the day per user so that not everyone is nudged at the same second, and
never inside the user's quiet hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ScheduledMessage, User
from bot.domain.nudges import nudge_days_for_week, nudge_local_time
from scheduler import kinds
from scheduler.planner import upsert_message
from scheduler.timing import local_date, local_instant


async def plan_next_nudge(
    session: AsyncSession, user: User, after: datetime, now: datetime
) -> ScheduledMessage | None:
    if user.status != "active" or user.nudge_cadence == "off" or not user.timezone:
        return None
    today = local_date(after, user.timezone)
    week_start = today - timedelta(days=today.weekday())
    for week in range(3):
        start = week_start + timedelta(weeks=week)
        for day in nudge_days_for_week(start, user.nudge_cadence, user.nudge_seed):
            if day < today:
                continue
            at = nudge_local_time(day, user.nudge_seed, user.quiet_start, user.quiet_end)
            due = local_instant(day, at, user.timezone)
            if due <= after:
                continue
            row = await upsert_message(
                session, user_id=user.id, kind=kinds.NUDGE, day=day, due_at=due, now=now,
                payload={"trigger": "scheduled"},
            )
            if row is not None:
                return row
    return None
