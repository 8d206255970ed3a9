"""Looking users up and creating them. Identity always comes from Telegram's ``from`` field,
never from callback data, so a forwarded button can never act on another user's data."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import User
from bot.domain.enums import UserStatus


async def get_user(session: AsyncSession, telegram_id: int) -> User | None:
    return (
        await session.execute(select(User).where(User.telegram_id == telegram_id))
    ).scalar_one_or_none()


async def create_user(
    session: AsyncSession,
    *,
    telegram_id: int,
    chat_id: int,
    first_name: str,
    language: str | None,
    now: datetime,
    settings: Settings,
) -> User:
    """Called only once the user has accepted: before that we store nothing at all."""
    user = User(
        telegram_id=telegram_id,
        chat_id=chat_id,
        first_name=first_name[:64],
        language=(language or "")[:16] or None,
        status=UserStatus.ONBOARDING,
        consent_at=now,
        nudge_cadence="normal",
        nudge_seed=random.randrange(1, 2**31 - 1),
        quiet_start=settings.schedule.quiet_start,
        quiet_end=settings.schedule.quiet_end,
        rest_weekdays=[],
        weekly_summary_weekday=_weekday_index(settings.schedule.weekly_summary_day),
        weekly_summary_time=settings.schedule.weekly_summary_time,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    return user


def _weekday_index(name: str) -> int:
    from bot.config import WEEKDAYS

    return WEEKDAYS.index(name.lower())
