"""Blocking and unblocking the bot: what changes for the user (status and schedule).

The one home of "the user blocked the bot": ``block_user`` is called both when Telegram says
so in a ``my_chat_member`` update (``chat_member_changed``, for the membership adapter) and
when a send is refused with Forbidden (the outbox). /start uses ``restore_user`` to bring a
user who blocked and came back to where they were.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import User
from bot.domain.enums import UserStatus
from bot.services.outcome import Outcome
from bot.services.pausing import is_still_paused, resume_user
from bot.services.planner import cancel_user_schedule, schedule_user
from bot.services.users import get_user

log = logging.getLogger(__name__)


async def block_user(session: AsyncSession, user: User, now: datetime) -> None:
    """The user blocked the bot: mark them blocked, and nothing stays scheduled for them."""
    user.status = UserStatus.BLOCKED
    user.updated_at = now
    await cancel_user_schedule(session, user.id)


async def chat_member_changed(
    session: AsyncSession, telegram_id: int, blocked: bool, now: datetime, settings: Settings
) -> Outcome:
    """Telegram says the user blocked (``blocked``) or unblocked the bot. Nothing is said to
    them; a user we never stored (or erased) stays unknown."""
    user = await get_user(session, telegram_id)
    if user is None:
        return Outcome.nothing()
    if blocked and user.status != UserStatus.BLOCKED:
        await block_user(session, user, now)
        log.info("user blocked the bot", extra={"user_id": user.id})
        return Outcome()
    if not blocked and user.status == UserStatus.BLOCKED:
        await restore_user(session, user, now, settings)
        log.info("user unblocked the bot", extra={"user_id": user.id})
        return Outcome()
    return Outcome.nothing()


async def restore_user(
    session: AsyncSession, user: User, now: datetime, settings: Settings
) -> None:
    """Back to where they were before blocking; a pause that ended meanwhile is closed."""
    if user.onboarded_at is None:
        user.status = UserStatus.ONBOARDING
    elif await is_still_paused(session, user, now, settings):
        user.status = UserStatus.PAUSED
    elif user.paused_until is not None:
        await resume_user(session, user, now, settings)
        return
    else:
        user.status = UserStatus.ACTIVE
    user.updated_at = now
    await session.flush()
    await schedule_user(session, user, now, settings)
