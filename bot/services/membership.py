"""Blocking and unblocking the bot: what changes for the user (status and schedule).

Used by the membership adapter (Telegram's ``my_chat_member`` updates) and by /start, which
brings a user who blocked and came back to where they were.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import User
from bot.services.pausing import is_still_paused, resume_user
from bot.services.planner import cancel_user_schedule, schedule_user


async def block_user(session: AsyncSession, user: User, now: datetime) -> None:
    user.status = "blocked"
    user.updated_at = now
    await cancel_user_schedule(session, user.id)


async def restore_user(
    session: AsyncSession, user: User, now: datetime, settings: Settings
) -> None:
    """Back to where they were before blocking; a pause that ended meanwhile is closed."""
    if user.onboarded_at is None:
        user.status = "onboarding"
    elif await is_still_paused(session, user, now, settings):
        user.status = "paused"
    elif user.paused_until is not None:
        await resume_user(session, user, now, settings)
        return
    else:
        user.status = "active"
    user.updated_at = now
    await session.flush()
    await schedule_user(session, user, now, settings)
