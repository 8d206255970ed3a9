"""A user's upcoming scheduled messages (read-only), for support questions from the shell
("why did I get no check-in?")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ScheduledMessage
from bot.domain.enums import MessageStatus
from bot.services.users import get_user

UPCOMING = (MessageStatus.PENDING, MessageStatus.SENDING)


@dataclass(frozen=True)
class UpcomingMessage:
    kind: str
    due_at: datetime
    status: str


@dataclass(frozen=True)
class Upcoming:
    telegram_id: int
    status: str
    timezone: str | None
    messages: tuple[UpcomingMessage, ...]


async def upcoming(session: AsyncSession, telegram_id: int) -> Upcoming | None:
    """The user and their upcoming rows, soonest first; None when there is no such user."""
    user = await get_user(session, telegram_id)
    if user is None:
        return None
    found = (
        await session.execute(
            select(ScheduledMessage)
            .where(ScheduledMessage.user_id == user.id, ScheduledMessage.status.in_(UPCOMING))
            .order_by(ScheduledMessage.due_at, ScheduledMessage.id)
        )
    ).scalars()
    return Upcoming(
        telegram_id=user.telegram_id,
        status=str(user.status),
        timezone=user.timezone,
        messages=tuple(UpcomingMessage(str(r.kind), r.due_at, str(r.status)) for r in found),
    )
